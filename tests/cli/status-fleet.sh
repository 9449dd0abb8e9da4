# SPDX-License-Identifier: MIT
# status-fleet.sh - status --all-tokens and --html: every initialised
# token of the module in one table, one JSON document (checked against
# doc/status.schema.json) and one static page, rendered in headless
# Chromium; a token whose label is markup shows as text; a token that
# cannot be read is reported and the others are still shown.
. "$top_srcdir/tests/cli/lib.sh"

SCHEMA=$top_srcdir/doc/status.schema.json
new_ca
CA="exec:$TESTCA $WORK/ca"
# Markup that would draw a second SVG and retitle the page if it were
# not escaped (32 bytes at most: a token label).
HOSTILE='<svg onload=document.title=7>'

new_token alpha
new_token "$HOSTILE"
new_token gamma
expect_status 0 "alpha: tls-client and tls-server" \
	p11e --token alpha enroll tls-client tls-server --ca "$CA" --set cn=alice \
	--set dns=www.example.org
expect_status 0 "the hostile token: a short-lived tls-client" \
	p11e --token "$HOSTILE" enroll tls-client --ca "exec:$TESTCA $WORK/ca --days 10" \
	--set cn=bob

# ---- the table ------------------------------------------------------------

expect_status 0 "status --all-tokens" p11e status --all-tokens
for _label in alpha gamma; do
	expect_grep "the table has token $_label" "^token $_label \\(serial" "$WORK/out"
done
expect_grep "the table has the hostile token" '^token <svg onload=document.title=7> \(serial' "$WORK/out"
expect_grep "the summary counts tokens and roles" '^3 tokens: 3 roles, 0 errors, 1 warnings$' "$WORK/out"
expect_grep "the expiring certificate is a finding" '^tls-client: warning: cert-expiring' "$WORK/out"

# ---- JSON ---------------------------------------------------------------------

expect_status 0 "status --all-tokens --json" p11e --json status --all-tokens
cp "$WORK/out" "$WORK/fleet.json"
expect "the document follows the schema, every token and role in it" "$PYTHON" -c '
import json, sys, jsonschema
schema, path, hostile = sys.argv[1:4]
doc = json.load(open(path))
jsonschema.validate(doc, json.load(open(schema)))
labels = sorted(t["token"]["label"] for t in doc["tokens"])
assert labels == sorted(["alpha", hostile, "gamma"]), labels
roles = {(t["token"]["label"], r["role"]) for t in doc["tokens"] for r in t["roles"]}
assert roles == {("alpha", "tls-client"), ("alpha", "tls-server"), (hostile, "tls-client")}, roles
assert doc["summary"] == {"tokens": 3, "unreadable": 0, "roles": 3, "errors": 0,
                          "warnings": 1, "infos": 0}, doc["summary"]
' "$SCHEMA" "$WORK/fleet.json" "$HOSTILE"

# ---- the page -----------------------------------------------------------------

PAGE=$WORK/fleet.html
expect_status 0 "status --html" p11e status --html "$PAGE"
expect_grep "it says where it wrote" "^wrote .*fleet.html: 3 tokens$" "$WORK/out"
expect "the page is 0600" test "$(stat -c %a "$PAGE")" = 600
expect_no_grep "the hostile label is never markup in the file" '<svg onload' "$PAGE"
expect_grep "the hostile label is escaped text" '&lt;svg onload=document.title=7&gt;' "$PAGE"
expect_no_grep "no script and no external asset" '<script|src=|href=|@import|url\(' "$PAGE"
ln -s "$WORK/target" "$WORK/link.html"
expect_status 2 "--html does not follow a planted link" p11e status --html "$WORK/link.html"
expect "the link's target was not made" test ! -e "$WORK/target"

# ---- rendered in Chromium ----------------------------------------------------

CHROMIUM=
for _c in chromium chromium-browser; do
	command -v "$_c" >/dev/null && { CHROMIUM=$_c; break; }
done
if [ -z "$CHROMIUM" ]; then
	echo "# $checks checks before the skip, $failures failed"
	[ "$failures" -eq 0 ] || exit 1
	echo "# chromium is not installed: the page is not rendered"
	exit 77
fi
# chromium's own chatter (GPU, D-Bus) goes to stderr and is not checked.
chromium_run() {
	HOME=$WORK/chromium-home timeout 120 "$CHROMIUM" --headless --no-sandbox \
		--disable-gpu --no-first-run --user-data-dir="$WORK/chromium-profile" \
		"$@" 2>>"$WORK/chromium.log"
}
mkdir -p "$WORK/chromium-home"
chromium_run --dump-dom "file://$PAGE" >"$WORK/dom.html" || :
chromium_run --screenshot="$WORK/page.png" --window-size=1200,1400 "file://$PAGE" \
	>/dev/null || :
if ! [ -s "$WORK/dom.html" ]; then
	not_ok "chromium rendered nothing"
	sed 's/^/#   /' "$WORK/chromium.log" | tail -20
	finish
	exit 1
fi
expect "the screenshot was drawn" test -s "$WORK/page.png"
expect "what Chromium shows: roles, the clientAuth answer, the hostile label inert" \
	"$PYTHON" - "$WORK/dom.html" "$HOSTILE" <<'PY'
import sys
from html.parser import HTMLParser

dom, hostile = sys.argv[1], sys.argv[2]


class Page(HTMLParser):
    """The rendered DOM: elements, text per section, the title."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.section = None
        self.text = {}
        self.title = ""
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "section":
            self.section = dict(attrs).get("class") or dict(attrs).get("id")
        # The page's title, not the SVG's tooltips.
        if tag == "title" and not any(t == "svg" for t, _ in self.tags):
            self.in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        self.text.setdefault(self.section, []).append(data)


p = Page()
p.feed(open(dom, encoding="utf-8").read())
text = {k: " ".join(v) for k, v in p.text.items()}
# The markup stayed text: one SVG (the timeline), no onload anywhere,
# the title as written, and the label shown as it is.
svgs = [a for t, a in p.tags if t == "svg"]
assert len(svgs) == 1, svgs
assert not any("onload" in a for _, a in p.tags), "an onload attribute"
assert p.title == "p11enroll status", p.title
assert not any(t == "script" for t, _ in p.tags), "a script element"
assert hostile in text["client"], text["client"]
# Which certificates authenticate clients, and where: both tls-client
# roles with their tokens, never the server role.
client = text["client"]
assert "alpha" in client and client.count("tls-client") == 2, client
assert "tls-server" not in client, client
assert "2 certificates can authenticate a client" in client, client
# Each token with its roles, EKU and findings.
tokens = text["token"]
for want in ("Token alpha", "Token gamma", "Token " + hostile, "tls-server",
             "serverAuth", "clientAuth", "cert-expiring", "No keys or certificates"):
    assert want in tokens, (want, tokens)
# The timeline names every certificate and today.
timeline = text["timeline"]
for want in ("today", "alpha / tls-client", "alpha / tls-server", hostile + " / tls-client"):
    assert want in timeline, (want, timeline)
PY

# ---- a token that cannot be read -------------------------------------------

softhsm2-util --init-token --free --label delta --so-pin "$SO_PIN" --pin 9999 >/dev/null
expect_status 1 "status --all-tokens with a token the PIN does not open" \
	p11e --json status --all-tokens
expect "the others are shown, delta with its error" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, json.load(open(sys.argv[1])))
assert doc["summary"]["tokens"] == 4 and doc["summary"]["unreadable"] == 1, doc["summary"]
assert doc["summary"]["roles"] == 3, doc["summary"]
bad = [t for t in doc["tokens"] if "error" in t]
assert [t["token"]["label"] for t in bad] == ["delta"], bad
' "$SCHEMA" "$WORK/out"
expect_status 1 "status --html with it" p11e status --html "$PAGE"
expect_grep "the page says delta could not be read" 'class="error">could not be read' "$PAGE"

finish
