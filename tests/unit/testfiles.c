/* SPDX-License-Identifier: MIT */
/* testfiles.c - a temporary directory of files for parser tests. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testfiles.h"

#define TMPDIR_TEMPLATE "/tmp/p11enroll-unit.XXXXXX"

char tmpdir[] = TMPDIR_TEMPLATE;

void
tmpdir_setup(void)
{
	memcpy(tmpdir, TMPDIR_TEMPLATE, sizeof(TMPDIR_TEMPLATE));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Remove DIR with its files and the files of its subdirectories. */
static void
remove_tree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0)
			remove_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

void
tmpdir_teardown(void)
{
	remove_tree(tmpdir);
}

void
write_file(const char *subdir, const char *name, const char *text,
	   char *path, size_t size)
{
	FILE *fp;

	if (subdir != NULL) {
		snprintf(path, size, "%s/%s", tmpdir, subdir);
		mkdir(path, 0700);
		snprintf(path, size, "%s/%s/%s", tmpdir, subdir, name);
	} else {
		snprintf(path, size, "%s/%s", tmpdir, name);
	}
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}
