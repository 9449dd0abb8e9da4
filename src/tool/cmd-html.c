/* SPDX-License-Identifier: MIT */
/* cmd-html.c - status --html FILE: the fleet on one static page.
 *
 * Built from the document of status --all-tokens --json, so that the
 * page and the JSON never disagree. One file, no script, no external
 * asset: the style is inline and the timeline of expiries is inline SVG.
 * First the answer to "which certificates authenticate clients, and
 * where?" (clientAuth, anyExtendedKeyUsage, or no extended key usage at
 * all, which restricts nothing), then the timeline, then every token with
 * its roles, their EKU, expiry and findings. Every text from a token or a
 * certificate is escaped for HTML (&, <, >, " and '), with control
 * characters shown as U+FFFD, so a label is always text, never markup.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd-status.h"
#include "err.h"
#include "util.h"

/* Days before expiry that the page marks as soon. */
#define HTML_SOON_DAYS 30
/* The timeline's geometry, in SVG user units. */
#define HTML_TL_LEFT 260
#define HTML_TL_WIDTH 640
#define HTML_TL_ROW 20

static const char html_style[] =
	"body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;"
	"vertical-align:top}th{background:#eee}"
	".client{border:3px solid #b36b00;background:#fff6e5;padding:.5em 1em}"
	".client h2{margin-top:.2em}"
	".error{color:#a00;font-weight:bold}.warning{color:#a60}.info{color:#555}"
	".expired{background:#fdd}.soon{background:#ffe9b3}"
	".token{border-top:2px solid #444;margin-top:1.5em}"
	"code{font-family:monospace}";

/* S as HTML text. */
static void
html_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");

	for (; *p != '\0'; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputs("&#xfffd;", f);
			else
				fputc(*p, f);
		}
	}
}

/* Member KEY of OBJ, a string, as HTML text; "-" when there is none. */
static void
html_member(FILE *f, const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	html_text(f, s != NULL && *s != '\0' ? s : "-");
}

/* The EKU names of CERT joined with commas; "none (any purpose)". */
static void
html_eku(FILE *f, const json_t *cert)
{
	const json_t *list = json_object_get(cert, "extended_key_usage"), *v;
	size_t i;

	if (json_array_size(list) == 0) {
		fputs("none (any purpose)", f);
		return;
	}
	json_array_foreach(list, i, v) {
		if (i > 0)
			fputs(", ", f);
		html_text(f, json_string_value(v));
	}
}

/* Whether CERT can authenticate a client: clientAuth,
 * anyExtendedKeyUsage, or no extended key usage at all. */
static bool
html_client_auth(const json_t *cert)
{
	const json_t *list = json_object_get(cert, "extended_key_usage"), *v;
	const char *name;
	size_t i;

	if (json_array_size(list) == 0)
		return true;
	json_array_foreach(list, i, v) {
		name = json_string_value(v);
		if (name != NULL && (strcmp(name, "clientAuth") == 0 ||
				     strcmp(name, "anyExtendedKeyUsage") == 0))
			return true;
	}
	return false;
}

/* The class of a cell for DAYS left. */
static const char *
html_days_class(json_int_t days)
{
	return days < 0 ? "expired" : days <= HTML_SOON_DAYS ? "soon" : "";
}

/* The token's name: its label, as the token gives it. */
static const char *
html_token_label(const json_t *tok)
{
	const char *s = json_string_value(json_object_get(json_object_get(tok,
							  "token"), "label"));

	return s != NULL ? s : "";
}

/* Call FN for every certificate on every token, with its token and row. */
typedef void (*html_cert_fn)(FILE *f, const json_t *tok, const json_t *row,
			     const json_t *cert, void *ctx);

static void
html_each_cert(FILE *f, const json_t *fleet, html_cert_fn fn, void *ctx)
{
	const json_t *tok, *row, *cert;
	size_t i, j, k;

	json_array_foreach(json_object_get(fleet, "tokens"), i, tok)
		json_array_foreach(json_object_get(tok, "roles"), j, row)
			json_array_foreach(json_object_get(row, "certificates"), k, cert)
				fn(f, tok, row, cert, ctx);
}

/* The cells of ROW and its certificate CERT (NULL: none): role, state,
 * subject, EKU and end of validity, marked when it is near or past. */
static void
html_role_cells(FILE *f, const json_t *row, const json_t *cert)
{
	json_int_t days = json_integer_value(json_object_get(cert, "days_left"));

	fputs("<td>", f);
	html_member(f, row, "role");
	fputs("</td><td>", f);
	html_member(f, row, "state");
	if (cert == NULL) {
		fputs("</td><td>-</td><td>-</td><td>-</td>", f);
		return;
	}
	fputs("</td><td>", f);
	html_member(f, cert, "subject");
	fputs("</td><td>", f);
	html_eku(f, cert);
	fprintf(f, "</td><td class=\"%s\">", html_days_class(days));
	html_member(f, cert, "not_after");
	fprintf(f, " (%lld days)</td>", (long long)days);
}

/* ---- who authenticates clients ---------------------------------------- */

static void
html_client_row(FILE *f, const json_t *tok, const json_t *row,
		const json_t *cert, void *ctx)
{
	size_t *count = ctx;

	if (!html_client_auth(cert))
		return;
	(*count)++;
	fputs("<tr><td>", f);
	html_text(f, html_token_label(tok));
	fputs("</td>", f);
	html_role_cells(f, row, cert);
	fputs("</tr>\n", f);
}

static void
html_clients(FILE *f, const json_t *fleet)
{
	size_t count = 0;

	fputs("<section class=\"client\" id=\"client-auth\">\n"
	      "<h2>Which certificates authenticate clients, and where</h2>\n"
	      "<table><tr><th>Token</th><th>Role</th><th>State</th>"
	      "<th>Subject</th><th>EKU</th><th>Not after</th></tr>\n", f);
	html_each_cert(f, fleet, html_client_row, &count);
	fputs("</table>\n", f);
	fprintf(f, "<p id=\"client-count\">%zu certificate%s can authenticate a "
		"client (clientAuth, anyExtendedKeyUsage, or no EKU at all).</p>\n"
		"</section>\n", count, count == 1 ? "" : "s");
}

/* ---- the timeline ------------------------------------------------------ */

struct html_range {
	json_int_t min, max;
	size_t n;
	size_t row;
};

static void
html_range_add(FILE *f, const json_t *tok, const json_t *row,
	       const json_t *cert, void *ctx)
{
	struct html_range *r = ctx;
	json_int_t days = json_integer_value(json_object_get(cert, "days_left"));

	(void)f;
	(void)tok;
	(void)row;
	if (days < r->min)
		r->min = days;
	if (days > r->max)
		r->max = days;
	r->n++;
}

static long
html_x(const struct html_range *r, json_int_t days)
{
	return HTML_TL_LEFT + (long)((double)(days - r->min) * HTML_TL_WIDTH /
				     (double)(r->max - r->min));
}

static void
html_tl_row(FILE *f, const json_t *tok, const json_t *row, const json_t *cert,
	    void *ctx)
{
	struct html_range *r = ctx;
	json_int_t days = json_integer_value(json_object_get(cert, "days_left"));
	long y = 30 + (long)r->row * HTML_TL_ROW;
	const char *color = days < 0 ? "#c00" : days <= HTML_SOON_DAYS ?
			    "#e69500" : "#2a7";

	fprintf(f, "<text x=\"%d\" y=\"%ld\" text-anchor=\"end\" "
		"font-size=\"12\">", HTML_TL_LEFT - 8, y + 4);
	html_text(f, html_token_label(tok));
	fputs(" / ", f);
	html_member(f, row, "role");
	fprintf(f, "</text>\n<line x1=\"%ld\" y1=\"%ld\" x2=\"%ld\" y2=\"%ld\" "
		"stroke=\"%s\" stroke-width=\"4\"/>\n<circle cx=\"%ld\" cy=\"%ld\" "
		"r=\"5\" fill=\"%s\"><title>", html_x(r, 0), y, html_x(r, days), y,
		color, html_x(r, days), y, color);
	html_member(f, cert, "not_after");
	fprintf(f, "</title></circle>\n<text x=\"%ld\" y=\"%ld\" "
		"font-size=\"11\">%lld d</text>\n", html_x(r, days) + 8, y + 4,
		(long long)days);
	r->row++;
}

static void
html_timeline(FILE *f, const json_t *fleet)
{
	struct html_range r = { 0, 0, 0, 0 };
	long height;

	html_each_cert(f, fleet, html_range_add, &r);
	fputs("<section id=\"timeline\">\n<h2>Expiries</h2>\n", f);
	if (r.n == 0) {
		fputs("<p>No certificates.</p>\n</section>\n", f);
		return;
	}
	if (r.max == r.min)
		r.max = r.min + 1;
	height = 50 + (long)r.n * HTML_TL_ROW;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%ld\" role=\"img\" aria-label=\"expiry timeline\">\n"
		"<line x1=\"%ld\" y1=\"12\" x2=\"%ld\" y2=\"%ld\" stroke=\"#444\" "
		"stroke-dasharray=\"4 3\"/>\n<text x=\"%ld\" y=\"10\" "
		"font-size=\"11\" text-anchor=\"middle\">today</text>\n",
		HTML_TL_LEFT + HTML_TL_WIDTH + 80, height, html_x(&r, 0),
		html_x(&r, 0), height - 10, html_x(&r, 0));
	html_each_cert(f, fleet, html_tl_row, &r);
	fputs("</svg>\n</section>\n", f);
}

/* ---- the tokens -------------------------------------------------------- */

static void
html_findings(FILE *f, const json_t *row)
{
	const json_t *list = json_object_get(row, "findings"), *v;
	const char *sev;
	size_t i;

	if (json_array_size(list) == 0) {
		fputs("-", f);
		return;
	}
	json_array_foreach(list, i, v) {
		sev = json_string_value(json_object_get(v, "severity"));
		fputs("<div class=\"", f);
		html_text(f, sev);
		fputs("\">", f);
		html_text(f, sev);
		fputs(": <code>", f);
		html_member(f, v, "id");
		fputs("</code>: ", f);
		html_member(f, v, "message");
		fputs("</div>", f);
	}
}

static void
html_token(FILE *f, const json_t *tok)
{
	const json_t *info = json_object_get(tok, "token"), *row;
	const json_t *error = json_object_get(tok, "error");
	size_t i;

	fputs("<section class=\"token\">\n<h2>Token ", f);
	html_text(f, html_token_label(tok));
	fputs("</h2>\n<p>serial ", f);
	html_member(f, info, "serial");
	fputs(", model ", f);
	html_member(f, info, "model");
	fputs(", <code>", f);
	html_member(f, info, "uri");
	fputs("</code></p>\n", f);
	if (error != NULL) {
		fputs("<p class=\"error\">could not be read: ", f);
		html_member(f, error, "message");
		fputs("</p>\n</section>\n", f);
		return;
	}
	if (json_array_size(json_object_get(tok, "roles")) == 0) {
		fputs("<p>No keys or certificates.</p>\n</section>\n", f);
		return;
	}
	fputs("<table><tr><th>Role</th><th>State</th><th>Subject</th>"
	      "<th>EKU</th><th>Not after</th><th>Findings</th></tr>\n", f);
	json_array_foreach(json_object_get(tok, "roles"), i, row) {
		fputs("<tr>", f);
		html_role_cells(f, row, json_array_get(json_object_get(row,
						       "certificates"), 0));
		fputs("<td>", f);
		html_findings(f, row);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n</section>\n", f);
}

static void
html_page(FILE *f, const json_t *fleet, time_t now)
{
	const json_t *sum = json_object_get(fleet, "summary"), *tok;
	char when[64];
	struct tm tm;
	size_t i;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
		"'none'; style-src 'unsafe-inline'\">\n"
		"<title>p11enroll status</title>\n<style>%s</style>\n</head>\n"
		"<body>\n<h1>p11enroll status</h1>\n<p>%s, module <code>",
		html_style, when);
	html_member(f, fleet, "module");
	fprintf(f, "</code></p>\n<p id=\"summary\">%lld tokens, %lld roles: "
		"%lld errors, %lld warnings; %lld could not be read.</p>\n",
		(long long)json_integer_value(json_object_get(sum, "tokens")),
		(long long)json_integer_value(json_object_get(sum, "roles")),
		(long long)json_integer_value(json_object_get(sum, "errors")),
		(long long)json_integer_value(json_object_get(sum, "warnings")),
		(long long)json_integer_value(json_object_get(sum, "unreadable")));
	html_clients(f, fleet);
	html_timeline(f, fleet);
	json_array_foreach(json_object_get(fleet, "tokens"), i, tok)
		html_token(f, tok);
	fputs("</body>\n</html>\n", f);
}

int
cmd_html_write(const char *path, const json_t *fleet, time_t now)
{
	FILE *f;
	int fd = -1, rc;

	if (util_open_private(path, O_WRONLY | O_TRUNC, true, &fd) < 0)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return err_set(ERR_FAILED, "cannot write: out of memory");
	}
	html_page(f, fleet, now);
	rc = ferror(f) ? -1 : 0;
	if (fclose(f) != 0 || rc < 0)
		return err_set(ERR_FAILED, "cannot write the page");
	return 0;
}
