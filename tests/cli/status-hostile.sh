# SPDX-License-Identifier: MIT
# status-hostile.sh - an audit that a hostile or broken token cannot fool
# or stall: every private key under a CKA_ID is judged, an object that
# does not parse is a finding and the audit goes on, one key behind
# hundreds of certificates gives one finding per group, SIGTERM ends a
# long audit at once, and status --repair finishes only a pending group
# whose certificate passes enroll's checks.
. "$top_srcdir/tests/cli/lib.sh"
: "${P11PROBE:?p11probe is built by make check}"
: "${P11FAULT_MODULE:?the fault module is built by make check}"

new_token hostile
new_ca
SCHEMA=$top_srcdir/doc/status.schema.json
P11="pkcs11-tool --module $SOFTHSM2_MODULE --token-label hostile --login --pin $USER_PIN"
probe() { "$P11PROBE" "$SOFTHSM2_MODULE" hostile "$USER_PIN" "$@"; }

# keypair ID LABEL [pkcs11-tool options...]: a P-256 key pair on $TOKEN.
TOKEN=hostile
keypair() {
	_id=$1 _label=$2
	shift 2
	foreign_keypair "$TOKEN" "$_id" "$_label" EC:prime256v1 "$@"
}

# certify ID OUT SUBJECT EXTENSIONS: the test CA certifies on-token key ID.
certify() { foreign_certify "$TOKEN" "$1" "$2" "$3" "$4" 200; }
EE='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

# Two private keys under one id: the second may leave the token.
keypair 21 dup --usage-sign
keypair 21 dup-2 --usage-sign --extractable
# A certificate object that holds no certificate.
head -c 300 /dev/urandom >"$WORK/junk.der"
probe write-certs 31 junk 1 "$WORK/junk.der"
# One key behind 300 certificates of one group and one of another.
keypair 41 many --usage-sign
certify 41 "$WORK/many.der" /CN=many "$EE"
probe write-certs 41 many 300 "$WORK/many.der"
probe write-certs 42 other 1 "$WORK/many.der"

expect_status 4 "status audits the hostile token (exit 4)" p11e --token hostile status
cp "$WORK/out" "$WORK/table"
expect_grep "both private keys of one id are named, with their rights" \
	"^dup: error: key-duplicate: 2 private keys under one CKA_ID: 'dup' \\(sign[^)]*\\) and 'dup-2' \\(sign[^)]*, extractable\\)" \
	"$WORK/table"
expect_grep "the second key's extractable right is its own finding" \
	"^dup: error: key-extractable: the private key 'dup-2' is extractable" "$WORK/table"
expect_grep "a certificate object that does not parse is a finding" \
	"^junk: error: cert-unparseable: the certificate object 'junk' .*not an X.509 certificate" \
	"$WORK/table"
expect_grep "and the audit goes on past it" '^many +' "$WORK/table"
expect "one key-shared finding per group, not one per pair" \
	test "$(grep -c ': key-shared: ' "$WORK/table")" -eq 2
expect_grep "the group that shares names a few and counts the rest" \
	"^other: error: key-shared: the key is also certified by 300 other certificates: 'many', 'many', 'many', 'many', 'many' and 295 more" \
	"$WORK/table"
expect "the table stays small" test "$(wc -c <"$WORK/table")" -lt 20000

expect_status 4 "status --json" p11e --token hostile --json status
expect "the JSON validates and lists every related certificate" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
roles = {r["role"]: r for r in doc["roles"]}
f = {x["id"]: x for x in roles["other"]["findings"]}
assert len(f["key-shared"]["related"]) == 300, len(f["key-shared"]["related"])
d = {x["id"]: x for x in roles["dup"]["findings"]}
assert sorted(d["key-duplicate"]["related"]) == ["dup", "dup-2"], d
assert "cert-unparseable" in [x["id"] for x in roles["junk"]["findings"]]
n = sum(1 for r in doc["roles"] for x in r["findings"] if x["id"] == "key-shared")
assert n == 2, n
' "$WORK/out" "$SCHEMA"

# SIGTERM in a long audit: every attribute read is slowed, so that the
# audit of this token takes far longer than the test waits.
printf 'delay C_GetAttributeValue * 20\n' >"$WORK/slow.conf"
env P11FAULT_TARGET="$SOFTHSM2_MODULE" P11FAULT_CONF="$WORK/slow.conf" \
	P11ENROLL_MODULE="$P11FAULT_MODULE" "$P11ENROLL" --pin-source "file:$PIN_FILE" \
	--token hostile status >"$WORK/out" 2>"$WORK/err" &
pid=$!
sleep 1.5
kill -TERM "$pid"
start=$(date +%s)
got=0
wait "$pid" || got=$?
took=$(($(date +%s) - start))
expect "SIGTERM ends the audit with the interrupted exit (got $got)" test "$got" -eq 143
expect "within a few seconds of the signal (took ${took}s)" test "$took" -le 3

# --repair: a pending group whose certificate is a CA certificate with
# mixed EKU is a failed enrollment, removed, never promoted.
new_token pend
P11="pkcs11-tool --module $SOFTHSM2_MODULE --token-label pend --login --pin $USER_PIN"
TOKEN=pend
keypair 51 pending:tls-client --usage-sign
certify 51 "$WORK/ca-leaf.der" /CN=pend 'basicConstraints=critical,CA:TRUE
keyUsage=critical,digitalSignature,keyCertSign
extendedKeyUsage=serverAuth,clientAuth'
$P11 --write-object "$WORK/ca-leaf.der" --type cert --id 51 --label pending:tls-client \
	>/dev/null 2>&1
expect_status 0 "status --repair (dry run)" p11e --token pend status --repair
expect_grep "the CA certificate is not finished but removed, with the failed check" \
	'^would remove the pending tls-client \(certificate check not-ca failed' "$WORK/out"
expect_status 0 "status --repair --yes" p11e --token pend status --repair --yes
objects_of pend >"$WORK/after"
expect_no_grep "nothing carries the role's label" 'label: +tls-client$' "$WORK/after"
expect_no_grep "the pending group is gone" 'pending:' "$WORK/after"

finish
