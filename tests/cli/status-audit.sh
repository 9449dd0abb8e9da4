# SPDX-License-Identifier: MIT
# status-audit.sh - status as an audit of tokens built by other tools:
# every seeded problem found, with its identifier and severity, in the
# table and in JSON that validates against doc/status.schema.json.
. "$top_srcdir/tests/cli/lib.sh"

new_token foreign
new_ca
SCHEMA=$top_srcdir/doc/status.schema.json
P11="pkcs11-tool --module $SOFTHSM2_MODULE --token-label foreign --login --pin $USER_PIN"

# keypair ID LABEL KEYTYPE [pkcs11-tool options...]
keypair() { foreign_keypair foreign "$@"; }

# certify ID OUT SUBJECT EXTENSIONS DAYS
certify() { foreign_certify foreign "$@"; }

# store DER ID LABEL: write a certificate object.
store() {
	$P11 --write-object "$1" --type cert --id "$2" --label "$3" >/dev/null 2>&1
}

EE='basicConstraints=critical,CA:FALSE'

# A server certificate that is also a client certificate.
keypair 01 mixed EC:prime256v1 --usage-sign
certify 01 "$WORK/mixed.der" /CN=mixed "$EE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth" 200
store "$WORK/mixed.der" 01 mixed

# One key, two certificates under two IDs.
keypair 02 shared-a EC:prime256v1 --usage-sign
certify 02 "$WORK/shared-a.der" /CN=shared-a "$EE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth" 200
store "$WORK/shared-a.der" 02 shared-a
certify 02 "$WORK/shared-b.der" /CN=shared-b "$EE
keyUsage=critical,digitalSignature
extendedKeyUsage=codeSigning" 200
store "$WORK/shared-b.der" 03 shared-b

# An extractable key with a proper certificate.
keypair 04 extractable EC:prime256v1 --usage-sign --extractable
certify 04 "$WORK/extractable.der" /CN=extractable "$EE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth" 200
store "$WORK/extractable.der" 04 extractable

# A key that may decrypt, certified for signing only.
keypair 05 exceeds rsa:2048 --usage-sign --usage-decrypt
certify 05 "$WORK/exceeds.der" /CN=exceeds "$EE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth" 200
store "$WORK/exceeds.der" 05 exceeds

# A key pair nobody certified.
keypair 06 orphan EC:prime256v1 --usage-sign

# A certificate without EKU, expiring in 10 days.
keypair 08 noeku EC:prime256v1 --usage-sign
certify 08 "$WORK/noeku.der" /CN=noeku "$EE
keyUsage=critical,digitalSignature" 10
store "$WORK/noeku.der" 08 noeku

# A certificate whose key is elsewhere, and one that has expired (made
# with openssl ca, which can date it in the past).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/sw.key" 2>/dev/null
openssl req -new -key "$WORK/sw.key" -subj /CN=elsewhere -out "$WORK/sw.csr"
mkdir -p "$WORK/oca/new"
: >"$WORK/oca/index.txt"
cat >"$WORK/oca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $WORK/oca/index.txt
new_certs_dir = $WORK/oca/new
certificate = $WORK/ca/ca.pem
private_key = $WORK/ca/ca.key
default_md = sha256
policy = any
unique_subject = no
rand_serial = yes
[any]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
openssl ca -batch -config "$WORK/oca/ca.cnf" -extensions ext -in "$WORK/sw.csr" \
	-startdate 20200101000000Z -enddate 20200201000000Z -notext \
	-out "$WORK/expired.pem" 2>/dev/null
openssl x509 -in "$WORK/expired.pem" -outform DER -out "$WORK/expired.der"
store "$WORK/expired.der" 07 expired
openssl x509 -req -in "$WORK/sw.csr" -CA "$WORK/ca/ca.pem" -CAkey "$WORK/ca/ca.key" \
	-days 100 -extfile /dev/stdin -outform DER -out "$WORK/elsewhere.der" 2>/dev/null <<EXT
$EE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EXT
store "$WORK/elsewhere.der" 09 elsewhere

# A key that may decrypt, certified for it, under the label of a role
# that only signs: its rights go beyond its role, not its certificate.
keypair 0c user-sign rsa:2048 --usage-sign --usage-decrypt
certify 0c "$WORK/beyond.der" /CN=beyond "$EE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=emailProtection" 200
store "$WORK/beyond.der" 0c user-sign

# A label that would clear the screen.
keypair 0d "$(printf 'evil\033[2J')" EC:prime256v1 --usage-sign

# Left by interrupted runs: a pending key, and a pending key whose checked
# certificate was already written.
keypair 0a pending:tls-server EC:prime256v1 --usage-sign
keypair 0b pending:tls-client EC:prime256v1 --usage-sign
certify 0b "$WORK/pending.der" /CN=pending "$EE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth" 200
store "$WORK/pending.der" 0b pending:tls-client

expect_status 11 "status --expiring finds the expired certificate first (exit 11)" \
	p11e --token foreign status --expiring 30
cp "$WORK/out" "$WORK/table"
# ROLE: severity: ID: the findings as the table lists them.
while read -r role severity id; do
	expect_grep "$role: $severity $id" "^$role: $severity: $id: " "$WORK/table"
done <<'FINDINGS'
mixed error cert-mixed-tls
shared-a error key-shared
shared-b error key-shared
extractable error key-extractable
exceeds error key-exceeds-usage
orphan warning key-orphan
noeku error cert-no-eku
noeku warning cert-expiring
expired error cert-expired
expired warning cert-without-key
elsewhere warning cert-without-key
tls-server warning key-pending
tls-client warning key-pending
user-sign error key-exceeds-role
FINDINGS
expect_grep "exceeds names the extra rights" 'exceeds: error: key-exceeds-usage: .*CKA_DECRYPT, CKA_UNWRAP$' "$WORK/table"
expect_grep "user-sign names the rights beyond its role" \
	'^user-sign: error: key-exceeds-role: the private key may do more than its role allows: CKA_DECRYPT, CKA_UNWRAP' \
	"$WORK/table"
expect_no_grep "which its certificate allows" '^user-sign: error: key-exceeds-usage' "$WORK/table"
expect_grep "the table shows the rights" '^user-sign +enrolled .* sign,decrypt,unwrap$' "$WORK/table"
expect_grep "and SoftHSM's CKA_SIGN_RECOVER, which no role has" \
	'^user-sign: error: key-exceeds-role: .*CKA_SIGN_RECOVER' "$WORK/table"
expect_grep "a label from the token is escaped in the table" '^evil\\x1b\[2J +key-without' "$WORK/table"
expect_grep "and in its findings" '^evil\\x1b\[2J: warning: key-orphan: ' "$WORK/table"
expect "no escape character reaches the terminal" test "$(tr -dc '\033' <"$WORK/table" | wc -c)" -eq 0
expect_no_grep "a pending key is not judged by its role" \
	'^tls-(server|client): error: key-exceeds-role' "$WORK/table"
expect_no_grep "a clean role has no finding" '^shared-a: .*key-orphan' "$WORK/table"

expect_status 11 "status --json" p11e --token foreign --json status --expiring 30
expect "the JSON validates against the schema and holds the findings" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
f = {}
for r in doc["roles"]:
    for x in r["findings"]:
        f.setdefault(r["role"], set()).add((x["id"], x["severity"]))
assert ("cert-mixed-tls", "error") in f["mixed"], f
assert ("key-shared", "error") in f["shared-a"] and ("key-shared", "error") in f["shared-b"]
assert ("key-extractable", "error") in f["extractable"]
assert ("key-exceeds-usage", "error") in f["exceeds"]
assert ("key-exceeds-role", "error") in f["user-sign"]
assert ("cert-expired", "error") in f["expired"]
assert ("cert-expiring", "warning") in f["noeku"]
roles = {r["role"]: r for r in doc["roles"]}
assert roles["exceeds"]["key"]["capabilities"] == ["sign", "decrypt", "unwrap"], roles["exceeds"]["key"]
assert roles["extractable"]["key"]["extractable"] is True
assert "evil\x1b[2J" in roles, "JSON keeps a label whole"
assert roles["user-sign"]["key"]["rights"] == ["sign", "decrypt", "unwrap"]
assert roles["user-sign"]["key"]["sign_probe"] is None, "a role that signs is not probed"
assert roles["tls-server"]["state"] == "pending" and roles["tls-client"]["state"] == "pending"
assert roles["elsewhere"]["state"] == "certificate-without-key"
assert doc["summary"]["errors"] >= 7
' "$WORK/out" "$SCHEMA"

# The expiring threshold is the option's.
expect_status 11 "status --expiring 5" p11e --token foreign status --expiring 5
expect_no_grep "10 days left is not expiring within 5" 'cert-expiring' "$WORK/out"

# status ROLE...: the audit of those roles alone, and their exit status.
expect_status 10 "status noeku --expiring 30: within the days (exit 10)" \
	p11e --token foreign status noeku --expiring 30
expect_grep "noeku is shown" '^noeku ' "$WORK/out"
expect_no_grep "no other role is shown" '^(expired|orphan|exceeds|elsewhere) ' "$WORK/out"
expect_status 4 "status noeku --expiring 5: its findings alone (exit 4)" \
	p11e --token foreign status noeku --expiring 5
expect_status 11 "status noeku expired --expiring 5: expired (exit 11)" \
	p11e --token foreign status noeku expired --expiring 5
expect_status 4 "without --expiring the expiry does not set the exit status" \
	p11e --token foreign status noeku expired
expect_status 1 "status of a role that is not there" \
	p11e --token foreign status nosuch
expect_grep "it says so" 'role nosuch is not on token foreign' "$WORK/err"

# --repair: a dry run changes nothing; --yes removes the pending key and
# finishes the pending group that has its certificate.
objects_of foreign >"$WORK/before"
expect_status 0 "status --repair (dry run)" p11e --token foreign status --repair
expect_grep "dry run lists the removal" '^would remove the pending tls-server$' "$WORK/out"
expect_grep "dry run lists the finish" '^would finish the pending tls-client$' "$WORK/out"
objects_of foreign >"$WORK/after"
expect "the dry run changed nothing" cmp -s "$WORK/before" "$WORK/after"
expect_status 0 "status --repair --yes" p11e --token foreign status --repair --yes
objects_of foreign >"$WORK/after"
expect_no_grep "no pending objects are left" 'pending:' "$WORK/after"
expect_grep "the finished group carries its role" 'label: +tls-client$' "$WORK/after"
# Everything else is as it was: drop the two repaired groups and compare
# the rest as a set of objects (the listing's order is the module's).
strip() {
	awk '/^[A-Z][a-zA-Z]* .*Object/ { if (blk != "" && !skip) print blk; blk = ""; skip = 0 }
		{ blk = blk "|" $0 } /ID: +0[ab]$/ { skip = 1 }
		END { if (blk != "" && !skip) print blk }' "$1" | sort
}
strip "$WORK/before" >"$WORK/before.rest"
strip "$WORK/after" >"$WORK/after.rest"
expect "repair touched nothing else" cmp -s "$WORK/before.rest" "$WORK/after.rest"
expect_status 4 "status after repair" p11e --token foreign status
expect_grep "the finished role is enrolled" '^tls-client +enrolled ' "$WORK/out"
expect_no_grep "no pending finding is left" 'key-pending' "$WORK/out"

# An empty token, and a token not initialised.
new_token empty
expect_status 0 "status of an empty token" p11e --token empty status
expect_grep "the empty token says so" '^no keys or certificates$' "$WORK/out"
blank_slot=$("$P11ENROLL" --json tokens | "$PYTHON" -c '
import json, sys
print([t["slot"] for t in json.load(sys.stdin)["tokens"] if not t["initialized"]][0])')
expect_status 1 "status of a token not initialised" p11e --token "pkcs11:slot-id=$blank_slot" status
expect_grep "not initialised is said" "slot $blank_slot is not initialised" "$WORK/err"

# A justified waiver is in force, reported, and not an error.
new_token waived
mkdir "$WORK/profiles"
cat >"$WORK/profiles/peer.profile" <<'PROFILE'
[key]
algorithm = ec-p256
[request]
subject = CN=${dns}
dns = ${dns}
[certificate]
key_usage = digitalSignature
extended_key_usage = serverAuth, clientAuth
max_lifetime_days = 398
allow_mixed_roles = yes
justification = a mesh peer that must both accept and open connections
PROFILE
expect_status 0 "enroll the waived role" p11e --token waived --profiles "$WORK/profiles" \
	enroll peer --ca "exec:$TESTCA $WORK/ca" --set dns=peer.example.org
expect_status 0 "status with the waiver (exit 0)" p11e --token waived \
	--profiles "$WORK/profiles" status
expect_grep "the waiver is reported with its justification" \
	'^peer: info: waiver-in-force: .*a mesh peer that must both accept' "$WORK/out"
expect_status 4 "the same certificate without the profile is an error" \
	p11e --token waived --profiles "$top_srcdir/profiles" status
expect_grep "cert-mixed-tls without a waiver" '^peer: error: cert-mixed-tls: ' "$WORK/out"

# -v: each role's object, as --json gives it in roles, after its findings.
expect_status 0 "status -v" p11e -v --token waived --profiles "$WORK/profiles" status
expect "status -v prints the role's object" "$PYTHON" -c '
import json, sys
text = open(sys.argv[1]).read()
role = json.loads(text[text.index("\n{") + 1:])
assert role["role"] == "peer" and role["state"] == "enrolled", role
' "$WORK/out"

finish
