# SPDX-License-Identifier: MIT
# hostile-text.sh - what a token or a certificate holds reaches the
# terminal escaped and JSON whole: a label with an escape sequence, a
# newline and a forged line, U+202E, U+009B, a lone 0x9b and bytes that
# are not UTF-8 never reaches the screen as it is, never forges a line of
# a table, a finding or an error, and --json carries every entry with
# its bytes recoverable.
. "$top_srcdir/tests/cli/lib.sh"

SCHEMA=$top_srcdir/doc/status.schema.json
new_ca

# 29 bytes: ESC [ 2 J, a newline and a forged error line, U+202E,
# U+009B, a lone 0x9b and 0xff (neither is UTF-8).
LABEL=$(printf '\033[2J\np11enroll: forged\342\200\256\302\233\233\377')
# An object's label: a forged finding line after the same controls.
KEYLABEL=$(printf '\033[2J\nforged: error: key-forged: forged\342\200\256\302\233\233\377')
new_token "$LABEL"
new_token plain

SERIAL=$("$P11ENROLL" tokens --json | "$PYTHON" -c '
import json, sys
for t in json.load(sys.stdin)["tokens"]:
    if bytes.fromhex(t.get("label_hex", "")) == sys.argv[1].encode("utf-8", "surrogateescape"):
        print(t["serial"])
' "$LABEL")
[ -n "$SERIAL" ] && ok "the token is found by its label's bytes" ||
	not_ok "no token in tokens --json has the label's bytes"
SEL="pkcs11:serial=$SERIAL"
P11() {
	pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$LABEL" --login \
		--pin "$USER_PIN" "$@"
}

# A key pair under the hostile label with a certificate from the test CA
# whose subject holds U+202E and U+009B, and one whose subject was given
# a lone 0x9b (openssl reads it as Latin-1: U+009B); the same certificate again under a plain
# label, so that status quotes the hostile one in a key-shared finding.
P11 --keypairgen --key-type EC:prime256v1 --id 01 --label "$KEYLABEL" \
	--usage-sign >/dev/null 2>&1
P11 --read-object --type pubkey --id 01 -o "$WORK/pub.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$WORK/pub.der" -out "$WORK/pub.pem"
printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
	'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth' \
	>"$WORK/ext.cnf"
# openssl x509 -new has no -utf8: the subject comes in a request made
# with a key of no importance, and the certificate takes the token's.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$WORK/any.key" -utf8 \
	-subj "$(printf '/O=\342\200\256gpj.exe/CN=x\302\233[2Jy')" \
	-out "$WORK/odd.csr" 2>/dev/null
openssl x509 -req -in "$WORK/odd.csr" -force_pubkey "$WORK/pub.pem" \
	-CA "$WORK/ca/ca.pem" -CAkey "$WORK/ca/ca.key" -days 200 \
	-extfile "$WORK/ext.cnf" -outform DER -out "$WORK/odd.der" 2>/dev/null
P11 --write-object "$WORK/odd.der" --type cert --id 01 --label "$KEYLABEL" \
	>/dev/null 2>&1
P11 --write-object "$WORK/odd.der" --type cert --id 02 --label shared \
	>/dev/null 2>&1
openssl x509 -new -force_pubkey "$WORK/pub.pem" \
	-subj "$(printf '/CN=lone\233[2Jcsi')" \
	-CA "$WORK/ca/ca.pem" -CAkey "$WORK/ca/ca.key" -days 200 \
	-extfile "$WORK/ext.cnf" -outform DER -out "$WORK/lone.der" 2>/dev/null
P11 --write-object "$WORK/lone.der" --type cert --id 03 --label lone \
	>/dev/null 2>&1
objects_of "$LABEL" | grep -c 'Certificate Object' >"$WORK/ncerts" || :
expect_grep "three certificates were written" '^3$' "$WORK/ncerts"

# safe FILE: valid UTF-8 with no control but newline, no C1, no bidi
# control; and no line of FILE starts as a forged one.
safe() {
	"$PYTHON" - "$1" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(f"not UTF-8: {e}")
bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f
       or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]
if bad:
    sys.exit(f"raw controls: {[hex(ord(c)) for c in bad]}")
for line in text.splitlines():
    if re.match(r"(p11enroll: forged|forged: error)", line):
        sys.exit(f"forged line: {line!r}")
PY
}

# expect_safe WHAT FILE
expect_safe() {
	if safe "$2" >"$WORK/why" 2>&1; then
		ok "$1: nothing raw"
	else
		not_ok "$1: $(cat "$WORK/why")"
		sed 's/^/#   /' "$2" | cat -v
	fi
}

expect_status 0 "tokens" "$P11ENROLL" tokens
expect_safe "tokens" "$WORK/out"
# A table cell holds what fits, escaped, and an ellipsis; the URI and
# JSON carry the whole label.
expect_grep "tokens shows the label escaped, cut to its cell" \
	'^[0-9]+ +\\x1b\[2J\\x0ap11enroll: forged… ' "$WORK/out"

expect_status 0 "tokens --json" "$P11ENROLL" tokens --json
expect "tokens --json lists both tokens, the label's bytes recoverable" \
	"$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
labels = []
for t in doc["tokens"]:
    raw = bytes.fromhex(t["label_hex"]) if "label_hex" in t else t["label"].encode()
    labels.append(raw)
want = sys.argv[2].encode("utf-8", "surrogateescape")
assert want in labels and b"plain" in labels, labels
' "$WORK/out" "$LABEL"

expect_status 4 "status (key-shared is an error)" p11e --token "$SEL" status
cp "$WORK/out" "$WORK/status.txt"
expect_safe "status" "$WORK/status.txt"
expect_grep "status shows the token label escaped" \
	'^token \\x1b\[2J\\x0ap11enroll: forged' "$WORK/status.txt"
expect_grep "status shows the subject escaped, cut to its cell" \
	' CN=x\\xc2\\x9b\[2Jy,O=(\\x[0-9a-f]{2})*… ' "$WORK/status.txt"
expect_grep "status shows a lone 0x9b of the subject escaped" \
	'lone\\xc2\\x9b\[2Jcsi' "$WORK/status.txt"
expect_grep "the key-shared finding quotes the label escaped" \
	"^shared: error: key-shared: .*other certificates: '\\\\x1b\[2J\\\\x0aforged: error: key-forged" \
	"$WORK/status.txt"

expect_status 4 "status -v" p11e --token "$SEL" -v status
expect_safe "status -v" "$WORK/out"

expect_status 4 "status --json" p11e --token "$SEL" --json status
cp "$WORK/out" "$WORK/status.json"
expect_safe "status --json" "$WORK/status.json"
expect "status --json validates, counts every row and keeps the bytes" \
	"$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
def raw(o, k):
    return bytes.fromhex(o[k + "_hex"]) if k + "_hex" in o else o[k].encode()
assert raw(doc["token"], "label") == sys.argv[3].encode("utf-8", "surrogateescape")
roles = doc["roles"]
assert len(roles) == doc["summary"]["roles"] == 3, len(roles)
key = sys.argv[4].encode("utf-8", "surrogateescape")
mine = [r for r in roles if raw(r, "label") == key]
assert len(mine) == 1, [r["label"] for r in roles]
cert = mine[0]["certificates"][0]
assert raw(cert, "label") == key
assert "\u202egpj.exe" in cert["subject"] and "x\u009b[2Jy" in cert["subject"], cert["subject"]
n = sum(len(r["findings"]) for r in roles)
s = doc["summary"]
assert n == s["errors"] + s["warnings"] + s["infos"], (n, s)
' "$WORK/status.json" "$SCHEMA" "$LABEL" "$KEYLABEL"

# An error that names the token: the role is on it already.
expect_status 0 "enroll tls-client" p11e --token "$SEL" enroll tls-client \
	--ca "exec:$TESTCA $WORK/ca" --set cn=alice
expect_safe "enroll" "$WORK/out"
expect_status 6 "enroll tls-client again is refused" p11e --token "$SEL" \
	enroll tls-client --ca "exec:$TESTCA $WORK/ca" --set cn=alice
expect_safe "the refusal" "$WORK/err"
expect_grep "the refusal names the token escaped" \
	'on token \\x1b\[2J\\x0ap11enroll: forged.*already on the token' "$WORK/err"
expect_status 6 "enroll --json again is refused" p11e --token "$SEL" --json \
	enroll tls-client --ca "exec:$TESTCA $WORK/ca" --set cn=alice
expect "the refusal is a JSON document with the token's bytes" \
	"$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert bytes.fromhex(doc["token"]["label_hex"]) == sys.argv[2].encode("utf-8", "surrogateescape")
assert "already on the token" in doc["error"]["message"]
' "$WORK/out" "$LABEL"

# Two tokens match: the message lists them on lines of its own, and the
# label makes none.
expect_status 1 "no --token with two tokens" p11e status
expect_safe "the candidates" "$WORK/err"
expect_grep "the candidates are on lines of their own" '^  pkcs11:' "$WORK/err"

finish
