# SPDX-License-Identifier: MIT
# request-install.sh - the two-step offline flow.
. "$top_srcdir/tests/cli/lib.sh"

new_token dave
new_ca
CA="exec:$TESTCA $WORK/ca"

expect_status 0 "request tls-server" p11e --token dave request tls-server \
	--out "$WORK/req.pem" --set dns=offline.example.org
expect "the request is a valid CSR" sh -c 'openssl req -in "$1" -noout -verify 2>/dev/null' - "$WORK/req.pem"
openssl req -in "$WORK/req.pem" -noout -text >"$WORK/req.txt"
expect_grep "the request asks for serverAuth" 'TLS Web Server Authentication' "$WORK/req.txt"
expect_grep "the request carries the SAN" 'DNS:offline.example.org' "$WORK/req.txt"

expect_status 0 "status while awaiting" p11e --token dave status
expect_grep "the key awaits its certificate" '^tls-server +awaiting-certificate ' "$WORK/out"
objects_of dave >"$WORK/objects"
expect_grep "the key waits under the awaiting label" 'label: +awaiting:tls-server' "$WORK/objects"

expect_status 1 "enroll refuses a role awaiting its certificate" \
	p11e --token dave enroll tls-server --ca "$CA" --set dns=offline.example.org
expect_grep "the refusal says install" 'awaiting its certificate; install' "$WORK/err"
expect_status 2 "request refuses an existing output file" p11e --token dave request \
	tls-client --out "$WORK/req.pem" --set cn=dave
expect_grep "the file is not overwritten" 'not overwritten' "$WORK/err"

# A certificate for another key is refused and the key keeps waiting.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$WORK/other.key" -subj /CN=offline.example.org \
	-addext subjectAltName=DNS:offline.example.org \
	-addext extendedKeyUsage=serverAuth -addext keyUsage=critical,digitalSignature \
	-out "$WORK/other.csr" 2>/dev/null
CERTMONGER_CSR=$(cat "$WORK/other.csr") "$TESTCA" "$WORK/ca" >"$WORK/other.pem"
expect_status 1 "a certificate for another key is refused" \
	p11e --token dave install tls-server "$WORK/other.pem"
expect_grep "the public-key check names itself" 'certificate check public-key failed' "$WORK/err"
expect_grep "the key still waits" 'still awaits a certificate' "$WORK/err"

# A certificate with an extra usage is refused.
CERTMONGER_CSR=$(cat "$WORK/req.pem") "$TESTCA" "$WORK/ca" --eku serverAuth,clientAuth \
	>"$WORK/mixed.pem"
expect_status 1 "a mixed-usage certificate is refused" \
	p11e --token dave install tls-server "$WORK/mixed.pem"
expect_grep "the eku check names itself" 'certificate check eku failed' "$WORK/err"

# The right certificate, leaf and chain in separate files.
CERTMONGER_CSR=$(cat "$WORK/req.pem") "$TESTCA" "$WORK/ca" >"$WORK/answer.pem"
awk '/BEGIN CERT/ { n++ } n == 1' "$WORK/answer.pem" >"$WORK/leaf.pem"
awk '/BEGIN CERT/ { n++ } n >= 2' "$WORK/answer.pem" >"$WORK/chain.pem"
expect_status 1 "without the intermediate the chain does not verify" \
	p11e --token dave install tls-server "$WORK/leaf.pem" --trust "$WORK/ca/root.pem"
expect_status 0 "install with --chain and --trust" \
	p11e --token dave install tls-server "$WORK/leaf.pem" --chain "$WORK/chain.pem" \
	--trust "$WORK/ca/root.pem"
expect_grep "install reports the role" '^installed tls-server: ec-p256 key' "$WORK/out"

objects_of dave >"$WORK/objects"
expect_no_grep "no awaiting objects are left" 'awaiting:' "$WORK/objects"
expect_grep "the certificate is on the token" 'Certificate Object; type = X.509 cert' "$WORK/objects"
p11tool_on dave --read-object --type cert --label tls-server -o "$WORK/installed.der"
openssl x509 -inform DER -in "$WORK/installed.der" -out "$WORK/installed.pem"
expect "the installed certificate is the one given" cmp -s "$WORK/installed.pem" "$WORK/leaf.pem"
expect_status 0 "status after install" p11e --token dave status
expect_grep "the role is enrolled" '^tls-server +enrolled ' "$WORK/out"

expect_status 1 "install with nothing waiting" \
	p11e --token dave install tls-client "$WORK/leaf.pem"
expect_grep "nothing waits" 'no key awaits a certificate for role tls-client' "$WORK/err"

# With --json and --out -, stdout is one JSON document carrying the request.
expect_status 0 "request --out - --json" p11e --token dave --json request tls-client \
	--out - --set cn=dave
expect "stdout is one JSON document with the request" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["role"] == "tls-client" and doc["state"] == "awaiting-certificate", doc
assert doc["request"].startswith("-----BEGIN CERTIFICATE REQUEST-----")
assert doc["token"]["label"] == "dave"
' "$WORK/out"

# A file that holds the issuing CA already, and --chain with the same CA:
# a certificate given twice is no misordering.
"$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["request"], end="")' \
	"$WORK/out" >"$WORK/req2.pem"
CERTMONGER_CSR=$(cat "$WORK/req2.pem") "$TESTCA" "$WORK/ca" >"$WORK/answer2.pem"
expect_status 0 "install with the CA in the file and in --chain" \
	p11e --token dave --json install tls-client "$WORK/answer2.pem" \
	--chain "$WORK/chain.pem" --trust "$WORK/ca/root.pem"
expect "install --json carries the chain once, on the token" "$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))["enrolled"][0]
assert [c["subject"] for c in r["chain"]] == ["CN=p11enroll test issuing CA,O=p11enroll test CA"], r["chain"]
assert r["chain_on_token"] is True and r["uris"]["private_key"].endswith(";type=private")
' "$WORK/out"
objects_of dave >"$WORK/objects"
count=$(grep -c '^  label: *p11enroll test issuing CA$' "$WORK/objects" || :)
if [ "$count" = 1 ]; then
	ok "the intermediate is on the token once for both roles"
else
	not_ok "the intermediate is on the token $count times"
fi

finish
