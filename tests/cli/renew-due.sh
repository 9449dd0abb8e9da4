# SPDX-License-Identifier: MIT
# renew-due.sh - the unattended life of a token: each role's enrollment
# record (kept with the role, no secret in it, shown by status, updated by
# renew, removed by remove, kept by --repair), renew --due renewing exactly
# the roles that are due, with their recorded CA and variables, and
# leaving the others byte for byte; its exit statuses; renew --due over
# many tokens; status without a PIN on a token holding keys; status ROLE
# and --expiring's exit statuses; the record in the state directory of a
# token that keeps no data objects.
. "$top_srcdir/tests/cli/lib.sh"

SCHEMA=$top_srcdir/doc/status.schema.json
new_token alpha
new_ca
CA="exec:$TESTCA $WORK/ca"
SECRET=challenge-x7Qz9-never-stored
( umask 077; printf '%s\n' "$SECRET" >"$WORK/challenge" )

# Three roles of three ages: a young server certificate (300 days), a
# client certificate issued for 20 days, and a code-signing certificate
# 70 days into its 90.
expect_status 0 "enroll tls-server for 300 days" \
	p11e --token alpha enroll tls-server --ca "$CA --days 300" \
	--set dns=www.example.org --challenge-source "file:$WORK/challenge"
expect_status 0 "enroll tls-client for 20 days" \
	p11e --token alpha enroll tls-client --ca "$CA --days 20" --set cn=client1
expect_status 0 "enroll code-signing, 70 days into 90" \
	p11e --token alpha enroll code-signing --ca "$CA --days 90 --age 70" \
	--set "name=Signer" --set org=Example

# snapshot NAME: every object of alpha as pkcs11-tool lists it, and the
# value of every certificate, public key and data object of each role,
# into $WORK/NAME.*.
snapshot() {
	objects_of alpha >"$WORK/$1.objects"
	for _role in tls-server tls-client code-signing; do
		for _type in cert pubkey data; do
			p11tool_on alpha --read-object --type "$_type" --label "$_role" \
				-o "$WORK/$1.$_role.$_type" >/dev/null ||
				: >"$WORK/$1.$_role.$_type"
		done
		role_blocks "$_role" "$WORK/$1.objects" >"$WORK/$1.$_role.blocks"
	done
}

# same ROLE A B: ROLE's objects and values are the same in snapshots A
# and B; differ ROLE A B: its certificate is another.
same() {
	for _f in blocks cert pubkey data; do
		cmp -s "$WORK/$2.$1.$_f" "$WORK/$3.$1.$_f" || return 1
	done
}
differ() {
	! cmp -s "$WORK/$2.$1.cert" "$WORK/$3.$1.cert"
}

# ---- the records ----
snapshot enrolled
for role in tls-server tls-client code-signing; do
	expect "$role: a record beside the role" test -s "$WORK/enrolled.$role.data"
done
expect "the record names the CA, the variables and where the challenge comes from" \
	"$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == 1 and r["profile"] == "tls-server", r
assert r["ca"]["spec"].endswith("/ca --days 300"), r
assert r["ca"]["challenge_source"] == "file:" + sys.argv[2], r
assert r["variables"] == {"dns": "www.example.org"}, r
assert r["enrolled"] and r["renewed"] is None, r
' "$WORK/enrolled.tls-server.data" "$WORK/challenge"
expect_no_grep "the challenge itself is in no record" "$SECRET" "$WORK/enrolled.tls-server.data"
expect_no_grep "nor is the PIN" "$USER_PIN" "$WORK/enrolled.tls-server.data"
if objects_of alpha | awk '/^Data object/ { d = 1 } d && /flags:/ { print; d = 0 }' |
	grep -qv private; then
	not_ok "every record is a private data object"
else
	ok "every record is a private data object"
fi
expect_status 0 "status -v" p11e --token alpha -v status
expect_grep "status -v shows the record's CA" '"spec": ".*/ca --days 20"' "$WORK/out"
expect_grep "and its variables" '"cn": "client1"' "$WORK/out"
expect_status 0 "status --json" p11e --token alpha --json status
expect "the document has every role's record and fits the schema" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
assert doc["logged_in"] is True and doc["not_checked"] == [], doc
recs = {r["role"]: r["record"] for r in doc["roles"]}
assert recs["code-signing"]["variables"] == {"name": "Signer", "org": "Example"}, recs
assert set(recs) == {"tls-server", "tls-client", "code-signing"}, recs
' "$WORK/out" "$SCHEMA"
expect_status 0 "status --repair finds nothing to do" p11e --token alpha status --repair
objects_of alpha >"$WORK/now"
expect "status --repair kept the records" cmp -s "$WORK/enrolled.objects" "$WORK/now"

# ---- renew --due: past two thirds of the lifetime ----
expect_status 0 "renew --due renews the role past two thirds (exit 0)" \
	p11e --token alpha renew --due --ca "$CA --days 90"
expect_grep "it says which" '^renewed code-signing: ' "$WORK/out"
expect_no_grep "and no other" '^renewed (tls-server|tls-client)' "$WORK/out"
snapshot first
expect "code-signing has a new certificate" differ code-signing enrolled first
for role in tls-server tls-client; do
	expect "$role: not due, byte for byte as it was" same "$role" enrolled first
done
openssl x509 -inform DER -in "$WORK/first.code-signing.cert" -noout -subject \
	-nameopt RFC2253 >"$WORK/subject"
expect_grep "the recorded variables made the subject" '^subject=CN=Signer,O=Example$' \
	"$WORK/subject"
expect "the record says when it was renewed, with the CA given" "$PYTHON" -c '
import json, sys
old = json.load(open(sys.argv[1]))
new = json.load(open(sys.argv[2]))
assert new["enrolled"] == old["enrolled"], (old, new)
assert new["renewed"] is not None, new
assert new["ca"]["spec"].endswith("/ca --days 90"), new
assert new["variables"] == old["variables"], (old, new)
' "$WORK/enrolled.code-signing.data" "$WORK/first.code-signing.data"

expect_status 7 "renew --due again: nothing due (exit 7)" p11e --token alpha renew --due
expect_grep "it says so" '^nothing is due on token alpha$' "$WORK/out"
snapshot second
for role in tls-server tls-client code-signing; do
	expect "$role: byte for byte as it was" same "$role" first second
done
expect "the token's listing is as it was" cmp -s "$WORK/first.objects" "$WORK/second.objects"

# ---- renew --due DAYS, with the recorded CA ----
expect_status 0 "renew --due 30 renews the role with 20 days left" \
	p11e --token alpha --json renew --due 30
expect "the document lists the renewed and the not due" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert [r["role"] for r in doc["renewed"]] == ["tls-client"], doc
assert doc["failed"] == [], doc
assert sorted(r["label"] for r in doc["not_due"]) == ["code-signing", "tls-server"], doc
' "$WORK/out"
snapshot third
expect "tls-client has a new certificate" differ tls-client second third
for role in tls-server code-signing; do
	expect "$role: byte for byte as it was" same "$role" second third
done
openssl x509 -inform DER -in "$WORK/third.tls-client.cert" -noout -subject -dates \
	-nameopt RFC2253 >"$WORK/dates"
expect_grep "the recorded variable" '^subject=CN=client1$' "$WORK/dates"
nb=$(date -u -d "$(sed -n 's/^notBefore=//p' "$WORK/dates")" +%s)
na=$(date -u -d "$(sed -n 's/^notAfter=//p' "$WORK/dates")" +%s)
expect "the recorded CA issued it (20 days)" test $((na - nb)) -eq $((20 * 86400))

# ---- a due role that fails ----
expect_status 8 "renew --due 30 with a CA that fails: exit 8" \
	p11e --token alpha renew --due 30 --ca "exec:$FIXTURES/ca-exit.sh 2"
expect_grep "it names the role" '^p11enroll: renew: renew tls-client on token alpha: ' "$WORK/err"
snapshot fourth
for role in tls-server tls-client code-signing; do
	expect "$role: byte for byte as it was after the failure" same "$role" third fourth
done
expect_status 2 "renew --due takes no role" p11e --token alpha renew --due tls-client

# ---- status without the PIN ----
export P11FAULT_TARGET="$SOFTHSM2_MODULE" P11FAULT_CONF="$WORK/trace.conf"
echo "trace $WORK/trace" >"$P11FAULT_CONF"
rm -f "$WORK/trace"
expect_status 0 "status with no PIN source and no terminal" \
	"$P11ENROLL" --module "$P11FAULT_MODULE" --token alpha status </dev/null
expect "no login was tried" test "$(grep -c ' C_Login ' "$WORK/trace")" -eq 0
for role in tls-server tls-client code-signing; do
	expect_grep "$role and its expiry are shown" "^$role +key-not-checked .* 20[0-9-]+T" \
		"$WORK/out"
done
expect_grep "it says what needed the login" \
	'^not logged in \(no PIN source\): .*not checked: .*cert-without-key.*enrollment records' \
	"$WORK/out"
expect_no_grep "no key is called missing" 'certificate-without-key|cert-without-key:' \
	"$WORK/out"
expect_status 0 "status --json without the PIN" \
	"$P11ENROLL" --token alpha --json status </dev/null
expect "the document says what was not checked and fits the schema" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
assert doc["logged_in"] is False, doc
assert "cert-without-key" in doc["not_checked"] and "enrollment records" in doc["not_checked"]
assert len(doc["roles"]) == 3, doc["roles"]
for r in doc["roles"]:
    assert r["certificates"][0]["not_after"], r
    assert "record" not in r, r
' "$WORK/out" "$SCHEMA"
expect_status 10 "status --expiring 30 without the PIN: tls-client within (exit 10)" \
	"$P11ENROLL" --token alpha status --expiring 30 </dev/null
expect_status 0 "status tls-server --expiring 30: not within (exit 0)" \
	"$P11ENROLL" --token alpha status tls-server --expiring 30 </dev/null
expect_no_grep "only tls-server is shown" '^(tls-client|code-signing) ' "$WORK/out"
expect_status 0 "status --no-login with a PIN source" p11e --token alpha status --no-login
expect_grep "it did not log in" '^not logged in' "$WORK/out"

# ---- many tokens ----
new_token bravo
expect_status 0 "enroll tls-client on bravo for 20 days" \
	p11e --token bravo enroll tls-client --ca "$CA --days 20" --set cn=client2
expect_status 0 "renew --due 30 --all-tokens renews the due role of each token" \
	p11e renew --due 30 --all-tokens
expect "two roles were renewed" test "$(grep -c '^renewed tls-client: ' "$WORK/out")" -eq 2
expect_status 2 "--all-tokens refuses --token" p11e --token alpha renew --due --all-tokens
expect_status 10 "status --all-tokens --expiring 30 without the PIN: within (exit 10)" \
	"$P11ENROLL" status --all-tokens --expiring 30 </dev/null
expect_status 0 "status --all-tokens --expiring 10: none within (exit 0)" \
	"$P11ENROLL" status --all-tokens --expiring 10 </dev/null
printf 'token,roles,pin_source\nalpha,tls-client,file:%s\nbravo,tls-client,file:%s\n' \
	"$PIN_FILE" "$WORK/wrong.pin" >"$WORK/fleet.csv"
printf '0000\n' >"$WORK/wrong.pin"
expect_status 8 "renew --due --manifest: bravo's PIN is wrong (exit 8)" \
	"$P11ENROLL" --json renew --due 30 --manifest "$WORK/fleet.csv"
expect "alpha renewed, bravo could not be opened" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["tokens"]
assert len(t) == 2, t
assert [r["role"] for r in t[0]["renewed"]] == ["tls-client"], t[0]
assert t[1]["token"]["selector"] == "bravo" and "error" in t[1], t[1]
' "$WORK/out"
printf 'token,roles\nalpha,tls-client\n' >"$WORK/one.csv"
expect_status 7 "renew --due 10 --manifest: nothing due (exit 7)" \
	p11e renew --due 10 --manifest "$WORK/one.csv"

# ---- batch keeps a record per role too ----
new_token charlie
printf 'token,roles,cn\ncharlie,tls-client,charlie-client\n' >"$WORK/batch.csv"
expect_status 0 "batch enrolls tls-client on charlie" \
	p11e batch "$WORK/batch.csv" --ca "$CA --days 20"
p11tool_on charlie --read-object --type data --label tls-client -o "$WORK/charlie.data" \
	>/dev/null || :
expect "the batch's record has the CA and the row's variables" "$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["profile"] == "tls-client" and r["variables"] == {"cn": "charlie-client"}, r
assert r["ca"]["spec"].endswith("/ca --days 20"), r
' "$WORK/charlie.data"
expect_status 0 "renew --due 30 renews it with that record" \
	p11e --token charlie renew --due 30
expect_grep "it did" '^renewed tls-client: .*CN=charlie-client' "$WORK/out"

# ---- remove takes the record ----
expect_status 0 "remove tls-client" p11e --token alpha remove tls-client --yes
expect_grep "four objects: key pair, certificate, record" '^removed tls-client: 4 objects$' \
	"$WORK/out"
objects_of alpha >"$WORK/now"
expect_no_grep "no record of tls-client is left" "label: +'tls-client'" "$WORK/now"

# ---- a token without data objects: the record is a state file ----
export P11ENROLL_MODULE="$P11FAULT_MODULE"
echo "quirk no-data" >"$P11FAULT_CONF"
new_token nodata
STATE=$WORK/state
sd() {
	p11e --token nodata --state-dir "$STATE" "$@"
}
expect_status 0 "enroll tls-client on a token without data objects" \
	sd enroll tls-client --ca "$CA --days 20" --set cn=nodata
set -- "$STATE"/*.record
expect "one record file" test $# -eq 1 -a -f "$1"
OLD_RECORD=$1
expect "it is 0600" test "$(stat -c %a "$OLD_RECORD")" = 600
expect_grep "it holds the record" '"cn": *"nodata"' "$OLD_RECORD"
expect_status 0 "status --json" sd --json status
expect "the record is shown and no orphan" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["state_dir"]["orphans"] == [], doc["state_dir"]
assert doc["roles"][0]["record"]["variables"] == {"cn": "nodata"}, doc["roles"]
' "$WORK/out"
expect_status 0 "status --json without the PIN" \
	"$P11ENROLL" --token nodata --state-dir "$STATE" --json status </dev/null
expect "without the keys no state file is called an orphan" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["logged_in"] is False and doc["state_dir"]["orphans"] == [], doc
assert "state files without a key" in doc["not_checked"], doc
' "$WORK/out"
expect_status 0 "status --repair --yes" sd status --repair --yes
expect "the record file is kept" test -f "$OLD_RECORD"
expect_status 0 "renew --due 30 with the recorded CA" sd renew --due 30
set -- "$STATE"/*.record
expect "one record file, the new key's" test $# -eq 1 -a "$1" != "$OLD_RECORD"
expect_grep "it says it was renewed" '"renewed": *"20' "$1"
expect_status 0 "remove tls-client" sd remove tls-client --yes
set -- "$STATE"/*.record
expect "the record file went with the role" test ! -e "$1"

finish
