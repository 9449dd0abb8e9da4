# SPDX-License-Identifier: MIT
# tables.sh - a long field does not break the tokens and status tables: a
# 32-byte token label and a long role label widen their column (up to 32
# columns), a longer field (an escaped label, a long subject) is cut with
# an ellipsis in its cell, every column stays where its heading is, and
# JSON keeps each whole.
. "$top_srcdir/tests/cli/lib.sh"

LABEL=abcdefghijklmnopqrstuvwxyz012345
new_token "$LABEL"
new_ca
CA="exec:$TESTCA $WORK/ca"
ROLE=a-role-with-a-long-name-for-tbl
mkdir "$WORK/profiles"
cp "$top_srcdir/profiles/tls-client.profile" "$WORK/profiles/$ROLE.profile"
CN=a-subject-common-name-much-longer-than-its-column-in-the-table

# columns FILE HEADING VALUE...: in the line of FILE with the first
# HEADING (the headings) and in the line that holds the first VALUE, each VALUE starts at the
# column where HEADING, its heading, does (characters, not bytes).
columns() {
	"$PYTHON" - "$@" <<'PY'
import sys
path, pairs = sys.argv[1], sys.argv[2:]
lines = open(path, encoding="utf-8").read().splitlines()
head = next(l for l in lines if pairs[0] in l)
row = next(l for l in lines if pairs[1] in l)
for heading, value in zip(pairs[0::2], pairs[1::2]):
    want, got = head.index(heading), row.find(value)
    assert want == got, (heading, value, want, got, head, row)
PY
}

expect_status 0 "tokens with a 32-byte label" p11e tokens
expect_grep "the 32-byte label is whole" "^[0-9]+ +$LABEL " "$WORK/out"
expect "the columns after the label stay in line" columns "$WORK/out" \
	LABEL "$LABEL" SERIAL "$(p11e --json tokens | "$PYTHON" -c '
import json, sys
print([t for t in json.load(sys.stdin)["tokens"] if t["label"]][0]["serial"])')" \
	PIN ok KEYS ec-p256 URI pkcs11:
expect_status 0 "tokens --json" p11e --json tokens
expect "JSON keeps the label whole" "$PYTHON" -c '
import json, sys
assert sys.argv[2] in [t["label"] for t in json.load(open(sys.argv[1]))["tokens"]]
' "$WORK/out" "$LABEL"

expect_status 0 "enroll a long role with a long subject" p11e --token "$LABEL" \
	--profiles "$WORK/profiles" enroll "$ROLE" --ca "$CA" \
	--trust "$WORK/ca/root.pem" --set "cn=$CN"
expect_status 0 "status" p11e --token "$LABEL" --profiles "$WORK/profiles" status
expect_grep "the long role label is whole" "^$ROLE +enrolled " "$WORK/out"
expect_grep "the subject is cut with an ellipsis" ' CN=a-subject-common-name-… ' "$WORK/out"
expect "the columns after them stay in line" columns "$WORK/out" \
	ROLE "$ROLE" STATE enrolled KEY ec-p256 SUBJECT CN=a-subject EKU clientAuth
expect_status 0 "status --json" p11e --token "$LABEL" --profiles "$WORK/profiles" \
	--json status
expect "JSON keeps the role and the subject whole" "$PYTHON" -c '
import json, sys
d = json.dumps(json.load(open(sys.argv[1])))
assert sys.argv[2] in d and "CN=" + sys.argv[3] in d, d
' "$WORK/out" "$ROLE" "$CN"

finish
