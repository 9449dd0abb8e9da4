# SPDX-License-Identifier: MIT
# ca-revoke.sh - revocation through a real cfssl API server (cfssl serve)
# keeping its certificate database in sqlite: remove --revoke,
# renew --revoke-old, remove --only-retired --revoke and revoke --cert.
# Each revoked serial is in the database with its reason and in the CRL
# that cfssl makes from it, and openssl verify -crl_check refuses the
# certificate. A CA that cannot revoke, or a revocation that fails, leaves
# the token as it was.
. "$top_srcdir/tests/cli/lib.sh"

skip_without cfssl golang-cfssl
skip_without cfssljson golang-cfssl
skip_without sqlite3 sqlite3

CFSSL=$WORK/cfssl
mkdir "$CFSSL"
CFSSL_PID=
stop_servers() {
	[ -z "$CFSSL_PID" ] || { kill "$CFSSL_PID" 2>/dev/null || :; wait "$CFSSL_PID" 2>/dev/null || :; }
	CFSSL_PID=
}
# shellcheck disable=SC2034 # lib.sh's cleanup runs it
on_exit=stop_servers

cat >"$CFSSL/ca-csr.json" <<'JSON'
{ "CN": "p11enroll revocation test CA", "key": { "algo": "ecdsa", "size": 256 } }
JSON
( cd "$CFSSL" && cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca )
[ -s "$CFSSL/ca.pem" ] || { echo "# cfssl gencert -initca failed"; exit 99; }
cat >"$CFSSL/config.json" <<'JSON'
{ "signing": { "default": { "usages": ["digital signature"], "expiry": "1h" },
  "profiles": {
    "server": { "usages": ["digital signature", "server auth"], "expiry": "8760h" },
    "client": { "usages": ["digital signature", "client auth"], "expiry": "8760h" } } } }
JSON
# cfssl's certificate database: the tables of its sqlite migration.
DB=$CFSSL/certs.db
sqlite3 "$DB" <<'SQL'
CREATE TABLE certificates (
  serial_number            blob NOT NULL,
  authority_key_identifier blob NOT NULL,
  ca_label                 blob,
  status                   blob NOT NULL,
  reason                   int,
  created_at               timestamp,
  expiry                   timestamp,
  revoked_at               timestamp,
  pem                      blob NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier)
);
CREATE TABLE ocsp_responses (
  serial_number            blob NOT NULL,
  authority_key_identifier blob NOT NULL,
  body                     blob NOT NULL,
  expiry                   timestamp,
  PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier)
    REFERENCES certificates(serial_number, authority_key_identifier)
);
SQL
printf '{ "driver": "sqlite3", "data_source": "%s" }\n' "$DB" >"$CFSSL/db.json"

PORT=$(free_port)
cfssl serve -address 127.0.0.1 -port "$PORT" -ca "$CFSSL/ca.pem" \
	-ca-key "$CFSSL/ca-key.pem" -config "$CFSSL/config.json" \
	-db-config "$CFSSL/db.json" >"$CFSSL/serve.log" 2>&1 &
CFSSL_PID=$!
if ! wait_port "$PORT" "$CFSSL_PID"; then
	echo "# cfssl serve did not start:"
	sed 's/^/#   /' "$CFSSL/serve.log"
	exit 99
fi
URL=http://127.0.0.1:$PORT
DEAD=http://127.0.0.1:$(free_port)

# cert_of TOKEN LABEL NAME: the certificate labelled LABEL, as $WORK/NAME.pem.
cert_of() {
	p11tool_on "$1" --read-object --type cert --label "$2" -o "$WORK/$3.der" >/dev/null
	openssl x509 -inform DER -in "$WORK/$3.der" -out "$WORK/$3.pem"
}
# decimal PEM: the serial in decimal, as cfssl's database keeps it.
decimal() {
	"$PYTHON" -c 'import sys; print(int(sys.argv[1], 16))' \
		"$(openssl x509 -in "$1" -noout -serial | sed 's/^serial=//')"
}
# db_state PEM: "STATUS|REASON" of the certificate in cfssl's database.
db_state() {
	sqlite3 "$DB" "SELECT status || '|' || reason FROM certificates WHERE serial_number = '$(decimal "$1")'"
}
# crl: the CRL cfssl makes from the serials its database has revoked.
make_crl() {
	sqlite3 "$DB" "SELECT serial_number FROM certificates WHERE status = 'revoked'" \
		>"$WORK/revoked.txt"
	cfssl gencrl "$WORK/revoked.txt" "$CFSSL/ca.pem" "$CFSSL/ca-key.pem" \
		2>/dev/null | base64 -d >"$WORK/crl.der"
	openssl crl -inform DER -in "$WORK/crl.der" -out "$WORK/crl.pem"
}
crl_refuses() {
	! openssl verify -crl_check -CAfile "$CFSSL/ca.pem" -CRLfile "$WORK/crl.pem" \
		"$1" >"$WORK/verify.out" 2>&1 && grep -q 'certificate revoked' "$WORK/verify.out"
}
crl_accepts() {
	openssl verify -crl_check -CAfile "$CFSSL/ca.pem" -CRLfile "$WORK/crl.pem" \
		"$1" >/dev/null 2>&1
}
# expect_db WHAT PEM STATE
expect_db() {
	_got=$(db_state "$2")
	if [ "$_got" = "$3" ]; then ok "$1 ($_got)"; else not_ok "$1: '$_got', expected '$3'"; fi
}

new_token alice
expect_status 0 "tls-client through cfssl" \
	p11e --token alice enroll tls-client --ca "cfssl:$URL#client" --set cn=alice
cert_of alice tls-client client
expect_db "cfssl recorded the certificate" "$WORK/client.pem" "good|0"

# ---- refused before anything changes ------------------------------------

objects_of alice >"$WORK/before"
expect_status 2 "remove --revoke through exec: it cannot revoke" \
	p11e --token alice remove tls-client --yes --revoke --ca "exec:/bin/true"
expect_grep "exec says it cannot revoke" 'exec:/bin/true cannot revoke certificates.*nothing was changed' "$WORK/err"
expect_unchanged "remove --revoke through exec" alice
expect_status 2 "remove --revoke through SCEP: it cannot revoke" \
	p11e --token alice remove tls-client --yes --revoke --ca "scep:$URL/scep"
expect_grep "SCEP says it cannot revoke" 'cannot revoke certificates' "$WORK/err"
expect_unchanged "remove --revoke through SCEP" alice
expect_status 2 "renew --revoke-old through exec: refused first" \
	p11e --token alice renew tls-client --revoke-old --ca "exec:/bin/true" --set cn=alice
expect_unchanged "renew --revoke-old through exec" alice
expect_status 2 "an unknown reason" \
	p11e --token alice remove tls-client --yes --revoke --reason stolen --ca "cfssl:$URL"
expect_grep "the reasons are listed" 'unknown revocation reason.*keyCompromise' "$WORK/err"
expect_status 2 "--reason without --revoke" \
	p11e --token alice remove tls-client --yes --reason superseded
expect_unchanged "bad options" alice
expect_status 1 "remove --revoke with the CA unreachable" \
	p11e --token alice remove tls-client --yes --revoke --ca "cfssl:$DEAD"
expect_grep "the failure says nothing was deleted" 'could not be reached.*nothing was deleted' "$WORK/err"
expect_unchanged "a revocation that failed" alice
expect_db "still good at the CA" "$WORK/client.pem" "good|0"

# ---- remove --revoke ----------------------------------------------------

make_crl
expect "before: the CRL accepts the certificate" crl_accepts "$WORK/client.pem"
expect_status 0 "remove --revoke --reason keyCompromise" \
	p11e --token alice remove tls-client --yes --revoke --reason keyCompromise \
	--ca "cfssl:$URL#client"
expect_grep "said so" '^revoked tls-client: 1 certificates \(keyCompromise\)' "$WORK/out"
objects_of alice >"$WORK/now"
expect_no_grep "the role is gone" 'label: +tls-client' "$WORK/now"
expect_db "revoked for keyCompromise in cfssl's database" "$WORK/client.pem" "revoked|1"
make_crl
expect "the serial is in cfssl's CRL" grep -q "$(openssl x509 -in "$WORK/client.pem" -noout -serial | sed 's/^serial=//')" \
	"$(openssl crl -in "$WORK/crl.pem" -noout -text >"$WORK/crl.txt"; echo "$WORK/crl.txt")"
expect "openssl verify -crl_check refuses it" crl_refuses "$WORK/client.pem"

# ---- renew --revoke-old -------------------------------------------------

expect_status 0 "tls-server through cfssl" \
	p11e --token alice enroll tls-server --ca "cfssl:$URL#server" --set dns=www.example.org
cert_of alice tls-server server-old
expect_status 0 "renew --revoke-old" \
	p11e --token alice renew tls-server --revoke-old --ca "cfssl:$URL#server" \
	--set dns=www.example.org
expect_grep "said so" '^revoked the old certificate of tls-server \(superseded\)' "$WORK/out"
cert_of alice tls-server server-new
expect_db "the old one is revoked as superseded" "$WORK/server-old.pem" "revoked|4"
expect_db "the new one is good" "$WORK/server-new.pem" "good|0"
make_crl
expect "openssl verify -crl_check refuses the old one" crl_refuses "$WORK/server-old.pem"
expect "and accepts the new one" crl_accepts "$WORK/server-new.pem"

# A revocation that fails after the renewal: the renewal stands, and the
# error names the old serial. The CA forgets the current certificate.
sqlite3 "$DB" "DELETE FROM certificates WHERE serial_number = '$(decimal "$WORK/server-new.pem")'"
expect_status 1 "renew --revoke-old, the revocation refused afterwards" \
	p11e --json --token alice renew tls-server --revoke-old --ca "cfssl:$URL#server" \
	--set dns=www.example.org
cert_of alice tls-server server-newer
differ() { ! cmp -s "$1" "$2"; }
expect "the renewal happened" differ "$WORK/server-new.pem" "$WORK/server-newer.pem"
expect "the JSON has the renewal, old_revoked false and the error" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc["renewed"]) == 1, doc
assert doc["old_revoked"] is False, doc
assert "renewal itself is done" in doc["error"]["message"], doc
assert sys.argv[2] in doc["error"]["message"], doc
' "$WORK/out" "$(openssl x509 -in "$WORK/server-new.pem" -noout -serial | sed 's/^serial=//')"

# ---- retired certificates -----------------------------------------------

expect_status 0 "renew --keep-old" \
	p11e --token alice renew tls-server --keep-old --ca "cfssl:$URL#server" \
	--set dns=www.example.org
cert_of alice retired:tls-server retired
expect_status 0 "remove --only-retired --revoke --json" \
	p11e --json --token alice remove tls-server --yes --only-retired --revoke \
	--reason cessationOfOperation --ca "cfssl:$URL"
expect "the JSON counts the revoked certificate" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["removed"]["revoked"] == {"certificates": 1, "reason": "cessationOfOperation"}, doc
' "$WORK/out"
expect_db "the retired certificate is revoked" "$WORK/retired.pem" "revoked|5"
objects_of alice >"$WORK/now"
expect_no_grep "the retired objects are gone" 'label: +retired:' "$WORK/now"
expect_grep "the role stays" 'label: +tls-server' "$WORK/now"

# A certificate no longer on any token.
cert_of alice tls-server last
expect_status 0 "remove without --revoke" p11e --token alice remove tls-server --yes
expect_db "not revoked by remove alone" "$WORK/last.pem" "good|0"
expect_status 2 "revoke --cert through exec: refused" \
	"$P11ENROLL" revoke --cert "$WORK/last.pem" --ca "exec:/bin/true"
expect_status 0 "revoke --cert --json" \
	"$P11ENROLL" --json revoke --cert "$WORK/last.pem" --ca "cfssl:$URL" --reason superseded
expect "the JSON names serial and reason" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["revoked"]["reason"] == "superseded", doc
assert doc["revoked"]["serial"] == sys.argv[2], doc
' "$WORK/out" "$(openssl x509 -in "$WORK/last.pem" -noout -serial | sed 's/^serial=//')"
expect_db "revoked by revoke --cert" "$WORK/last.pem" "revoked|4"
expect_status 1 "revoke --cert of a certificate the CA never issued" \
	"$P11ENROLL" revoke --cert "$CFSSL/ca.pem" --ca "cfssl:$URL"
expect_grep "the CA's refusal is shown" 'revoke: the CA rejected the request: .*not found' "$WORK/err"

finish
