/* SPDX-License-Identifier: MIT */
/* pin-mailer.c - random user PINs and the private file that keeps them. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"
#include "pin.h"
#include "pin-mailer.h"
#include "text.h"
#include "util.h"

/* Far more than a mailer for any batch. */
#define PIN_MAILER_MAX_BYTES (64 * 1024 * 1024)

int
pin_generate(size_t digits, char **out)
{
	unsigned char byte;
	char *pin;
	size_t n = 0;

	*out = NULL;
	if ((pin = malloc(digits + 1)) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	while (n < digits) {
		if (RAND_bytes(&byte, 1) != 1) {
			pin_free(pin);
			return err_set(ERR_FAILED, "no random bytes for a PIN");
		}
		/* 250 is the largest multiple of 10 below 256: no bias. */
		if (byte >= 250)
			continue;
		pin[n++] = (char)('0' + byte % 10);
	}
	pin[n] = '\0';
	OPENSSL_cleanse(&byte, sizeof(byte));
	*out = pin;
	return 0;
}

int
pin_mailer_open(const char *path, int *fd)
{
	/* Fresh PINs go into it: a file that another user made (and can
	 * read, whatever its mode now), another name of a file, a file
	 * that others may read already, or a symbolic link is refused. */
	if (util_open_private(path, O_WRONLY | O_APPEND, false, fd) < 0)
		return err_prefix("PIN mailer %s", path);
	return 0;
}

/* FIELD quoted as CSV at BUF + *USED, followed by SEP. */
static int
pin_mailer_field(char *buf, size_t size, size_t *used, const char *field,
		 char sep)
{
	size_t need = csv_write(NULL, 0, field, strlen(field));

	if (*used + need + 1 >= size)
		return -1;
	*used += csv_write(buf + *used, size - *used, field, strlen(field));
	buf[(*used)++] = sep;
	return 0;
}

int
pin_mailer_write(int fd, const char *label, const char *serial,
		 const char *pin)
{
	char line[512];
	size_t used = 0;
	int rc = -1;

	if (pin_mailer_field(line, sizeof(line), &used, label, ',') < 0 ||
	    pin_mailer_field(line, sizeof(line), &used, serial, ',') < 0 ||
	    pin_mailer_field(line, sizeof(line), &used, pin, '\n') < 0) {
		err_set(ERR_FAILED, "PIN mailer: a line too long for token %s",
			label);
		goto out;
	}
	if (write(fd, line, used) != (ssize_t)used || fdatasync(fd) != 0) {
		err_set(ERR_FAILED, "PIN mailer: cannot write the PIN of token %s: "
			"%s", label, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

/* What the lookup's libcsv callbacks keep: the fields of the record being
 * read, and the PIN of the last record that matched. */
struct pin_mailer_scan {
	const char *label, *serial;
	char *fields[3];
	size_t nfields;
	char *found;
	bool failed;
};

static void
pin_mailer_on_field(void *data, size_t len, void *ctx)
{
	struct pin_mailer_scan *sc = ctx;
	char *f;

	if (sc->failed || sc->nfields == 3) {
		sc->nfields++;
		return;
	}
	if ((f = malloc(len + 1)) == NULL) {
		sc->failed = true;
		return;
	}
	if (len > 0)
		memcpy(f, data, len);
	f[len] = '\0';
	sc->fields[sc->nfields++] = f;
}

static void
pin_mailer_on_record(int end, void *ctx)
{
	struct pin_mailer_scan *sc = ctx;
	size_t i;

	(void)end;
	if (!sc->failed && sc->nfields == 3 &&
	    strcmp(sc->fields[0], sc->label) == 0 &&
	    strcmp(sc->fields[1], sc->serial) == 0) {
		pin_free(sc->found);
		sc->found = sc->fields[2];
		sc->fields[2] = NULL;
	}
	for (i = 0; i < 3 && i < sc->nfields; i++) {
		pin_free(sc->fields[i]);
		sc->fields[i] = NULL;
	}
	sc->nfields = 0;
}

int
pin_mailer_lookup(const char *path, const char *label, const char *serial,
		  char **pin)
{
	char shown_label[TEXT_PRINTABLE_SIZE(32)], shown_serial[TEXT_PRINTABLE_SIZE(16)];
	struct pin_mailer_scan sc;
	struct csv_parser parser;
	unsigned char *data = NULL;
	size_t len = 0, i;
	int rc = -1;

	*pin = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.label = label;
	sc.serial = serial;
	if (csv_init(&parser, 0) != 0)
		return err_set(ERR_FAILED, "out of memory");
	if (util_read_file(path, PIN_MAILER_MAX_BYTES, &data, &len) < 0)
		goto out;
	if (csv_parse(&parser, data, len, pin_mailer_on_field,
		      pin_mailer_on_record, &sc) != len ||
	    csv_fini(&parser, pin_mailer_on_field, pin_mailer_on_record, &sc) != 0 ||
	    sc.failed) {
		err_set(ERR_FAILED, "PIN mailer %s cannot be read back", path);
		goto out;
	}
	if (sc.found == NULL) {
		err_set(ERR_FAILED, "token %s (serial %s) is initialised already "
			"and the PIN mailer %s has no PIN for it",
			text_shown(label, shown_label, sizeof(shown_label)),
			text_shown(serial, shown_serial, sizeof(shown_serial)), path);
		goto out;
	}
	*pin = sc.found;
	sc.found = NULL;
	rc = 0;
out:
	for (i = 0; i < 3; i++)
		pin_free(sc.fields[i]);
	pin_free(sc.found);
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	csv_free(&parser);
	return rc;
}
