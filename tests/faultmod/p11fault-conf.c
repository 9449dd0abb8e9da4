/* SPDX-License-Identifier: MIT */
/* p11fault-conf.c - the fault module's configuration file.
 *
 * One directive per line, words separated by blanks; a word starting with
 * '#' starts a comment; blank lines are ignored. Every mistake is an error,
 * so a test never runs with a fault it did not get.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p11fault.h"

/* "card-ids" and its list is the longest line. */
#define CONF_WORDS_MAX (1 + FAULT_CARD_IDS_MAX)
/* A directive that takes a list of one or more words. */
#define CONF_LIST (-1)
#define CONF_LINE_MAX 4096

struct conf_name {
	const char *name;
	unsigned long value;
};

#define CONF_CKR(name) { #name, name }

static const struct conf_name conf_ckrs[] = {
	CONF_CKR(CKR_OK), CONF_CKR(CKR_CANCEL), CONF_CKR(CKR_HOST_MEMORY),
	CONF_CKR(CKR_SLOT_ID_INVALID), CONF_CKR(CKR_GENERAL_ERROR),
	CONF_CKR(CKR_FUNCTION_FAILED), CONF_CKR(CKR_ARGUMENTS_BAD),
	CONF_CKR(CKR_ATTRIBUTE_VALUE_INVALID), CONF_CKR(CKR_DATA_INVALID),
	CONF_CKR(CKR_DEVICE_ERROR), CONF_CKR(CKR_DEVICE_MEMORY),
	CONF_CKR(CKR_DEVICE_REMOVED), CONF_CKR(CKR_FUNCTION_CANCELED),
	CONF_CKR(CKR_FUNCTION_NOT_SUPPORTED), CONF_CKR(CKR_KEY_HANDLE_INVALID),
	CONF_CKR(CKR_KEY_SIZE_RANGE), CONF_CKR(CKR_MECHANISM_INVALID),
	CONF_CKR(CKR_OBJECT_HANDLE_INVALID), CONF_CKR(CKR_OPERATION_ACTIVE),
	CONF_CKR(CKR_OPERATION_NOT_INITIALIZED), CONF_CKR(CKR_PIN_INCORRECT),
	CONF_CKR(CKR_PIN_INVALID), CONF_CKR(CKR_PIN_LEN_RANGE),
	CONF_CKR(CKR_PIN_EXPIRED), CONF_CKR(CKR_PIN_LOCKED),
	CONF_CKR(CKR_SESSION_CLOSED), CONF_CKR(CKR_SESSION_COUNT),
	CONF_CKR(CKR_SESSION_HANDLE_INVALID), CONF_CKR(CKR_SESSION_READ_ONLY),
	CONF_CKR(CKR_SIGNATURE_INVALID), CONF_CKR(CKR_TEMPLATE_INCOMPLETE),
	CONF_CKR(CKR_TOKEN_NOT_PRESENT), CONF_CKR(CKR_TOKEN_NOT_RECOGNIZED),
	CONF_CKR(CKR_TOKEN_WRITE_PROTECTED), CONF_CKR(CKR_USER_ALREADY_LOGGED_IN),
	CONF_CKR(CKR_USER_NOT_LOGGED_IN), CONF_CKR(CKR_USER_PIN_NOT_INITIALIZED),
	CONF_CKR(CKR_BUFFER_TOO_SMALL), CONF_CKR(CKR_CRYPTOKI_NOT_INITIALIZED),
	CONF_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	CONF_CKR(CKR_ATTRIBUTE_READ_ONLY), CONF_CKR(CKR_CURVE_NOT_SUPPORTED),
};

static const struct conf_name conf_signals[] = {
	{ "SIGINT", SIGINT }, { "SIGTERM", SIGTERM }, { "SIGKILL", SIGKILL },
	{ "SIGHUP", SIGHUP }, { "SIGQUIT", SIGQUIT }, { "SIGUSR1", SIGUSR1 },
	{ "SIGUSR2", SIGUSR2 },
};

static const struct conf_name conf_flags[] = {
	{ "read-only", CKF_WRITE_PROTECTED },
	{ "pin-pad", CKF_PROTECTED_AUTHENTICATION_PATH },
	{ "final-try", CKF_USER_PIN_FINAL_TRY },
	{ "locked", CKF_USER_PIN_LOCKED },
	{ "count-low", CKF_USER_PIN_COUNT_LOW },
};

static const struct conf_name conf_quirks[] = {
	{ "verify-needs-decrypt", QUIRK_VERIFY_NEEDS_DECRYPT },
	{ "narrowing-ignored", QUIRK_NARROWING_IGNORED },
	{ "no-public-data", QUIRK_NO_PUBLIC_DATA },
	{ "no-data", QUIRK_NO_DATA },
	{ "handle-on-failure", QUIRK_HANDLE_ON_FAILURE },
	{ "attrs-read-only", QUIRK_ATTRS_READ_ONLY },
	{ "so-keygen", QUIRK_SO_KEYGEN },
	{ "null-unavailable", QUIRK_NULL_UNAVAILABLE },
	{ "no-mechanism-list", QUIRK_NO_MECHANISM_LIST },
};

#define CONF_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/* The line being read: its words, and why it is refused. */
struct conf_line {
	char *words[CONF_WORDS_MAX];
	char why[256];
	int pinpad_line;       /* the line of "flag pin-pad", or 0 */
	int card_line;         /* the first card-ids, card-state or card-tries line, or 0 */
	const char *card_what; /* which of them */
	int so_keygen_line;    /* the line of "quirk so-keygen", or 0 */
	int so_pin_line;       /* the line of so-keygen-user-pin, or 0 */
	int number;
};

static int
conf_lookup(const struct conf_name *table, size_t n, const char *name, unsigned long *value)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].name, name) == 0) {
			*value = table[i].value;
			return 0;
		}
	}
	return -1;
}

/* A whole decimal (or, with base 16, "0x" hex) number. */
static int
conf_number(const char *s, int base, unsigned long *value)
{
	char *end = NULL;

	if (base == 16 && strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0)
		return -1;
	if (*s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*value = strtoul(s, &end, base);
	return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

static int
conf_copy(char *dst, size_t size, const char *src, struct conf_line *line)
{
	if (strlen(src) >= size) {
		snprintf(line->why, sizeof(line->why), "'%.40s...' is too long", src);
		return -1;
	}
	strcpy(dst, src);
	return 0;
}

static int
conf_target(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	return conf_copy(conf->target, sizeof(conf->target), line->words[1], line);
}

static int
conf_pinpad_pin(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	return conf_copy(conf->pinpad_pin, sizeof(conf->pinpad_pin), line->words[1], line);
}

static int
conf_trace(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	int fd;

	if (conf->trace_fd >= 0) {
		snprintf(line->why, sizeof(line->why), "a second trace file");
		return -1;
	}
	fd = open(line->words[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(line->why, sizeof(line->why), "cannot open trace file %s: %s",
			 line->words[1], strerror(errno));
		return -1;
	}
	conf->trace_fd = fd;
	return 0;
}

static int
conf_flag(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	unsigned long flag;

	if (conf_lookup(conf_flags, CONF_COUNT(conf_flags), line->words[1], &flag) < 0) {
		snprintf(line->why, sizeof(line->why), "unknown flag '%s'", line->words[1]);
		return -1;
	}
	if (flag == CKF_PROTECTED_AUTHENTICATION_PATH)
		line->pinpad_line = line->number;
	conf->flags |= flag;
	return 0;
}

static int
conf_quirk(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	unsigned long quirk;

	if (conf_lookup(conf_quirks, CONF_COUNT(conf_quirks), line->words[1], &quirk) < 0) {
		snprintf(line->why, sizeof(line->why), "unknown quirk '%s'", line->words[1]);
		return -1;
	}
	if (quirk == QUIRK_SO_KEYGEN)
		line->so_keygen_line = line->number;
	conf->quirks |= (unsigned)quirk;
	return 0;
}

static int
conf_so_keygen_user_pin(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	line->so_pin_line = line->number;
	return conf_copy(conf->so_keygen_user_pin, sizeof(conf->so_keygen_user_pin),
			 line->words[1], line);
}

/* so-keygen logs the target in as the user, so it needs that PIN; and the
 * PIN means nothing without the quirk. */
static int
conf_so_keygen_check(const struct fault_conf *conf, struct conf_line *line)
{
	if (line->so_keygen_line != 0 && line->so_pin_line == 0) {
		line->number = line->so_keygen_line;
		snprintf(line->why, sizeof(line->why),
			 "quirk so-keygen needs a so-keygen-user-pin line");
		return -1;
	}
	if (line->so_pin_line != 0 && line->so_keygen_line == 0) {
		line->number = line->so_pin_line;
		snprintf(line->why, sizeof(line->why),
			 "so-keygen-user-pin needs a quirk so-keygen line");
		return -1;
	}
	return 0;
}

static int
conf_card(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	conf->card = 1;
	return 0;
}

/* Remembers the first line that only means something in card mode. */
static void
conf_card_option(struct conf_line *line)
{
	if (line->card_line != 0)
		return;
	line->card_line = line->number;
	line->card_what = line->words[0];
}

static int
conf_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One CKA_ID in hex, as pkcs11-tool's --id takes it: "01", "9a0f". */
static int
conf_card_id(const char *hex, struct fault_card_id *id)
{
	size_t i, len = strlen(hex);
	int hi, lo;

	if (len == 0 || len % 2 != 0 || len / 2 > FAULT_CARD_ID_MAX)
		return -1;
	for (i = 0; i < len; i += 2) {
		hi = conf_hex_digit(hex[i]);
		lo = conf_hex_digit(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		id->bytes[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	id->len = len / 2;
	return 0;
}

static int
conf_card_ids(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	size_t i;

	if (conf->n_card_ids != 0) {
		snprintf(line->why, sizeof(line->why), "a second card-ids line");
		return -1;
	}
	conf_card_option(line);
	for (i = 1; i < CONF_WORDS_MAX && line->words[i] != NULL; i++) {
		if (conf_card_id(line->words[i], &conf->card_ids[i - 1]) < 0) {
			snprintf(line->why, sizeof(line->why),
				 "bad key slot ID '%.40s' (1 to %d bytes in hex)",
				 line->words[i], FAULT_CARD_ID_MAX);
			return -1;
		}
	}
	conf->n_card_ids = i - 1;
	return 0;
}

static int
conf_card_state(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	conf_card_option(line);
	return conf_copy(conf->card_state, sizeof(conf->card_state), line->words[1], line);
}

static int
conf_card_tries(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	conf_card_option(line);
	if (conf_number(line->words[1], 10, &conf->card_tries) < 0 || conf->card_tries == 0) {
		snprintf(line->why, sizeof(line->why), "bad number of tries '%s' (1 or more)",
			 line->words[1]);
		return -1;
	}
	return 0;
}

static int
conf_card_objects(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	if (conf_number(line->words[1], 10, &conf->card_objects) < 0 ||
	    conf->card_objects == FAULT_NO_LIMIT) {
		snprintf(line->why, sizeof(line->why), "bad number of objects '%s'",
			 line->words[1]);
		return -1;
	}
	return 0;
}

static int
conf_card_keygen_delay(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	if (conf_number(line->words[1], 10, &conf->card_keygen_delay) < 0) {
		snprintf(line->why, sizeof(line->why), "bad delay in milliseconds '%s'",
			 line->words[1]);
		return -1;
	}
	return 0;
}

/* What card mode needs that no line said: PIV's four key slots, three
 * tries, and a state file beside the configuration. */
static int
conf_card_defaults(struct fault_conf *conf, const char *path, struct conf_line *line)
{
	static const unsigned char piv[] = { 0x01, 0x02, 0x03, 0x04 };
	size_t i;

	if (!conf->card && line->card_line != 0) {
		line->number = line->card_line;
		snprintf(line->why, sizeof(line->why), "%s needs a card line", line->card_what);
		return -1;
	}
	if (!conf->card)
		return 0;
	if (conf->n_card_ids == 0) {
		for (i = 0; i < sizeof(piv); i++) {
			conf->card_ids[i].bytes[0] = piv[i];
			conf->card_ids[i].len = 1;
		}
		conf->n_card_ids = sizeof(piv);
	}
	if (conf->card_tries == 0)
		conf->card_tries = FAULT_CARD_TRIES;
	if (conf->card_state[0] == '\0' &&
	    (size_t)snprintf(conf->card_state, sizeof(conf->card_state), "%s.state", path) >=
	    sizeof(conf->card_state)) {
		snprintf(line->why, sizeof(line->why), "the path is too long for a state file");
		return -1;
	}
	return 0;
}

/* The value of a rule, read as its kind wants. */
static int
conf_rule_value(enum fault_kind kind, const char *word, unsigned long *value)
{
	switch (kind) {
	case FAULT_FAIL:
	case FAULT_FAIL_AFTER:
		return conf_lookup(conf_ckrs, CONF_COUNT(conf_ckrs), word, value) == 0 ||
		       conf_number(word, 16, value) == 0 ? 0 : -1;
	case FAULT_DELAY:
		return conf_number(word, 10, value);
	case FAULT_SIGNAL:
		return conf_lookup(conf_signals, CONF_COUNT(conf_signals), word, value);
	}
	return -1;
}

static int
conf_rule(struct fault_conf *conf, struct conf_line *line, enum fault_kind kind)
{
	struct fault_rule r = { .kind = kind, .n = FAULT_EVERY };

	r.fn = fault_fn_lookup(line->words[1]);
	if (r.fn < 0) {
		snprintf(line->why, sizeof(line->why), "unknown PKCS#11 function '%s'",
			 line->words[1]);
		return -1;
	}
	if (strcmp(line->words[2], "*") != 0 &&
	    (conf_number(line->words[2], 10, &r.n) < 0 || r.n == 0)) {
		snprintf(line->why, sizeof(line->why),
			 "bad call number '%s' (a count from 1, or *)", line->words[2]);
		return -1;
	}
	if (conf_rule_value(kind, line->words[3], &r.value) < 0) {
		snprintf(line->why, sizeof(line->why), "bad %s '%s'",
			 kind == FAULT_DELAY ? "delay in milliseconds" :
			 kind == FAULT_SIGNAL ? "signal name" : "return value",
			 line->words[3]);
		return -1;
	}
	if (conf->n_rules == FAULT_RULES_MAX) {
		snprintf(line->why, sizeof(line->why), "more than %d rules", FAULT_RULES_MAX);
		return -1;
	}
	conf->rules[conf->n_rules++] = r;
	return 0;
}

static const struct conf_directive {
	const char *name;
	int n_args;
	int (*parse)(struct fault_conf *, struct conf_line *, enum fault_kind);
	enum fault_kind kind;
} conf_directives[] = {
	{ "target", 1, conf_target, 0 },
	{ "fail", 3, conf_rule, FAULT_FAIL },
	{ "fail-after", 3, conf_rule, FAULT_FAIL_AFTER },
	{ "delay", 3, conf_rule, FAULT_DELAY },
	{ "signal", 3, conf_rule, FAULT_SIGNAL },
	{ "flag", 1, conf_flag, 0 },
	{ "pinpad-pin", 1, conf_pinpad_pin, 0 },
	{ "trace", 1, conf_trace, 0 },
	{ "card", 0, conf_card, 0 },
	{ "card-ids", CONF_LIST, conf_card_ids, 0 },
	{ "card-state", 1, conf_card_state, 0 },
	{ "card-tries", 1, conf_card_tries, 0 },
	{ "card-objects", 1, conf_card_objects, 0 },
	{ "card-keygen-delay", 1, conf_card_keygen_delay, 0 },
	{ "quirk", 1, conf_quirk, 0 },
	{ "so-keygen-user-pin", 1, conf_so_keygen_user_pin, 0 },
};

/* Splits TEXT into at most CONF_WORDS_MAX words before any comment; returns
 * the count, or -1 when there are more. */
static int
conf_split(char *text, char **words)
{
	char *save = NULL, *w;
	int n = 0;

	for (w = strtok_r(text, " \t\r\n", &save); w != NULL && *w != '#';
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == CONF_WORDS_MAX)
			return -1;
		words[n++] = w;
	}
	return n;
}

static int
conf_parse_line(struct fault_conf *conf, struct conf_line *line, char *text)
{
	char **words = line->words;
	const struct conf_directive *d = NULL;
	size_t i;
	int n;

	memset(line->words, 0, sizeof(line->words));
	n = conf_split(text, words);
	if (n == 0)
		return 0;
	for (i = 0; n > 0 && i < CONF_COUNT(conf_directives); i++)
		if (strcmp(conf_directives[i].name, words[0]) == 0)
			d = &conf_directives[i];
	if (n < 0) {
		snprintf(line->why, sizeof(line->why), "too many words");
		return -1;
	}
	if (d == NULL) {
		snprintf(line->why, sizeof(line->why), "unknown directive '%s'", words[0]);
		return -1;
	}
	if (d->n_args == CONF_LIST && n == 1) {
		snprintf(line->why, sizeof(line->why), "%s takes at least 1 argument", d->name);
		return -1;
	}
	if (d->n_args != CONF_LIST && n - 1 != d->n_args) {
		snprintf(line->why, sizeof(line->why), "%s takes %d argument%s, not %d",
			 d->name, d->n_args, d->n_args == 1 ? "" : "s", n - 1);
		return -1;
	}
	return d->parse(conf, line, d->kind);
}

int
fault_conf_read(const char *path, struct fault_conf *conf, char *error, size_t error_len)
{
	struct conf_line line = { .number = 0, .why = "" };
	char text[CONF_LINE_MAX];
	FILE *f = NULL;
	int rc = -1;

	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(error, error_len, "p11fault: %s: %s", path, strerror(errno));
		goto out;
	}
	while (fgets(text, sizeof(text), f) != NULL) {
		line.number++;
		if (strchr(text, '\n') == NULL && !feof(f)) {
			snprintf(line.why, sizeof(line.why), "line too long");
			goto out;
		}
		if (conf_parse_line(conf, &line, text) < 0)
			goto out;
	}
	if (ferror(f)) {
		snprintf(error, error_len, "p11fault: %s: read error", path);
		goto out;
	}
	if (line.pinpad_line != 0 && conf->pinpad_pin[0] == '\0') {
		line.number = line.pinpad_line;
		snprintf(line.why, sizeof(line.why), "flag pin-pad needs a pinpad-pin line");
		goto out;
	}
	if (conf_card_defaults(conf, path, &line) < 0 || conf_so_keygen_check(conf, &line) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && line.why[0] != '\0')
		snprintf(error, error_len, "p11fault: %s:%d: %s", path, line.number, line.why);
	if (rc < 0 && conf->trace_fd >= 0) {
		close(conf->trace_fd);
		conf->trace_fd = -1;
	}
	if (f != NULL)
		fclose(f);
	return rc;
}
