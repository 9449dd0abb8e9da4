# SPDX-License-Identifier: MIT
# ca-cfssl.sh - enroll through a real cfssl API server (cfssl serve) on
# 127.0.0.1, with and without authsign, and through a fake endpoint that
# answers badly. After every failure the token is exactly as it was.
#
# What cfssl 1.2 does with a request, as these checks rely on it: the
# profile's usages replace any keyUsage or extendedKeyUsage asked for,
# the request's subject and SANs are kept, and a profile name it does not
# know silently falls back to its default profile.
. "$top_srcdir/tests/cli/lib.sh"

skip_without cfssl golang-cfssl
skip_without cfssljson golang-cfssl

CFSSL=$WORK/cfssl
mkdir "$CFSSL"
CFSSL_PID=
TLS_PID=
FAKE_PID=

stop_servers() {
	for _pid in $CFSSL_PID $TLS_PID $FAKE_PID; do
		kill "$_pid" 2>/dev/null || :
		wait "$_pid" 2>/dev/null || :
	done
	CFSSL_PID=
	TLS_PID=
	FAKE_PID=
}
# shellcheck disable=SC2034 # lib.sh's cleanup runs it
on_exit=stop_servers

# The CA, made by cfssl itself.
cat >"$CFSSL/ca-csr.json" <<'EOF'
{ "CN": "p11enroll cfssl test CA", "key": { "algo": "ecdsa", "size": 256 },
  "names": [ { "O": "p11enroll tests" } ] }
EOF
( cd "$CFSSL" && cfssl gencert -initca ca-csr.json 2>/dev/null | cfssljson -bare ca )
if ! [ -s "$CFSSL/ca.pem" ] || ! [ -s "$CFSSL/ca-key.pem" ]; then
	echo "# cfssl gencert -initca failed"
	exit 99
fi

# Single-purpose profiles, one mixed one for the refusal, and one that
# only authsign reaches.
AUTH_KEY=$(openssl rand -hex 32)
( umask 077
  printf '%s\n' "$AUTH_KEY" >"$WORK/auth.key"
  openssl rand -hex 32 >"$WORK/wrong.key"
  printf 'not a hex key\n' >"$WORK/text.key" )
cat >"$CFSSL/config.json" <<EOF
{
  "signing": {
    "default": { "usages": ["digital signature"], "expiry": "1h" },
    "profiles": {
      "server": { "usages": ["digital signature", "server auth"],
                  "expiry": "8760h" },
      "client": { "usages": ["digital signature", "client auth"],
                  "expiry": "8760h" },
      "mixed": { "usages": ["digital signature", "server auth",
                            "client auth"], "expiry": "8760h" },
      "tls-server": { "usages": ["digital signature", "server auth"],
                      "expiry": "8760h" },
      "tls-client": { "usages": ["digital signature", "client auth"],
                      "expiry": "8760h" },
      "authsign-server": { "usages": ["digital signature", "server auth"],
                           "expiry": "8760h", "auth_key": "main" }
    }
  },
  "auth_keys": { "main": { "type": "standard", "key": "$AUTH_KEY" } }
}
EOF

PORT=$(free_port)
cfssl serve -address 127.0.0.1 -port "$PORT" -ca "$CFSSL/ca.pem" \
	-ca-key "$CFSSL/ca-key.pem" -config "$CFSSL/config.json" \
	>"$CFSSL/serve.log" 2>&1 &
CFSSL_PID=$!
if ! wait_port "$PORT" "$CFSSL_PID"; then
	echo "# cfssl serve did not start:"
	sed 's/^/#   /' "$CFSSL/serve.log"
	exit 99
fi
URL=http://127.0.0.1:$PORT

# The same CA over https, with a server certificate it issued itself.
printf '{ "CN": "127.0.0.1", "key": { "algo": "ecdsa", "size": 256 } }\n' \
	>"$CFSSL/tls-csr.json"
( cd "$CFSSL" && cfssl gencert -ca ca.pem -ca-key ca-key.pem \
	-config config.json -profile server -hostname 127.0.0.1 tls-csr.json \
	2>/dev/null | cfssljson -bare tls )
TLS_PORT=$(free_port)
cfssl serve -address 127.0.0.1 -port "$TLS_PORT" -ca "$CFSSL/ca.pem" \
	-ca-key "$CFSSL/ca-key.pem" -config "$CFSSL/config.json" \
	-tls-cert "$CFSSL/tls.pem" -tls-key "$CFSSL/tls-key.pem" \
	>"$CFSSL/serve-tls.log" 2>&1 &
TLS_PID=$!
if ! wait_port "$TLS_PORT" "$TLS_PID"; then
	echo "# cfssl serve over TLS did not start:"
	sed 's/^/#   /' "$CFSSL/serve-tls.log"
	exit 99
fi
TLS_URL=https://127.0.0.1:$TLS_PORT

# issued_by_ca PEM: the certificate chains to the cfssl CA.
issued_by_ca() {
	openssl verify -CAfile "$CFSSL/ca.pem" -purpose any "$1" >/dev/null
}

# check_cert TOKEN ROLE EKU-WANTED EKU-UNWANTED: the role's certificate on
# the token, read back with pkcs11-tool, as openssl sees it.
check_cert() {
	p11tool_on "$1" --read-object --type cert --label "$2" -o "$WORK/$1-$2.der"
	p11tool_on "$1" --read-object --type pubkey --label "$2" -o "$WORK/$1-$2.pub.der"
	openssl x509 -inform DER -in "$WORK/$1-$2.der" -out "$WORK/$1-$2.pem"
	openssl x509 -in "$WORK/$1-$2.pem" -noout -ext extendedKeyUsage,keyUsage,basicConstraints,subjectAltName \
		>"$WORK/$1-$2.ext" 2>&1
	expect_grep "$1/$2: EKU $3" "$3" "$WORK/$1-$2.ext"
	expect_no_grep "$1/$2: no $4" "$4" "$WORK/$1-$2.ext"
	expect_grep "$1/$2: keyUsage digitalSignature only" '^ +Digital Signature$' "$WORK/$1-$2.ext"
	expect_grep "$1/$2: not a CA" 'CA:FALSE' "$WORK/$1-$2.ext"
	expect "$1/$2: issued by the cfssl CA" issued_by_ca "$WORK/$1-$2.pem"
	openssl x509 -in "$WORK/$1-$2.pem" -noout -pubkey >"$WORK/$1-$2.certkey"
	openssl pkey -pubin -inform DER -in "$WORK/$1-$2.pub.der" >"$WORK/$1-$2.tokenkey"
	expect "$1/$2: certificate key is the token's public key" \
		cmp -s "$WORK/$1-$2.certkey" "$WORK/$1-$2.tokenkey"
}

# ---- issued ---------------------------------------------------------------

new_token alice
expect_status 0 "tls-server through cfssl #server" \
	p11e --token alice enroll tls-server --ca "cfssl:$URL#server" \
	--trust "$CFSSL/ca.pem" --set dns=www.example.org
expect_grep "tls-server reported" '^enrolled tls-server: ec-p256 key [0-9a-f]{40}' "$WORK/out"
check_cert alice tls-server 'TLS Web Server Authentication' 'Client Authentication'
# cfssl kept the SAN the request asked for.
expect_grep "alice/tls-server: the requested SAN" 'DNS:www\.example\.org' "$WORK/alice-tls-server.ext"

expect_status 0 "tls-client through cfssl #client" \
	p11e --token alice enroll tls-client --ca "cfssl:$URL#client" \
	--trust "$CFSSL/ca.pem" --set cn=alice
check_cert alice tls-client 'TLS Web Client Authentication' 'Server Authentication'

# No profile in the spec: each role asks for the cfssl profile of its own
# name, so one command serves a server and a client role.
new_token dave
expect_status 0 "tls-server and tls-client, each to its own cfssl profile" \
	p11e --token dave enroll tls-server tls-client --ca "cfssl:$URL" \
	--trust "$CFSSL/ca.pem" --set dns=dave.example.org --set cn=dave
check_cert dave tls-server 'TLS Web Server Authentication' 'Client Authentication'
check_cert dave tls-client 'TLS Web Client Authentication' 'Server Authentication'

# [ca] profile names the CA's profile for a role whose name cfssl does
# not know; #PROFILE in the spec still overrides it.
mkdir "$WORK/profiles"
cp "$top_srcdir/profiles/tls-server.profile" "$WORK/profiles/web.profile"
printf '\n[ca]\nprofile = server\n' >>"$WORK/profiles/web.profile"
expect_status 0 "web through [ca] profile = server" \
	env P11ENROLL_PROFILES="$WORK/profiles" "$P11ENROLL" \
	--pin-source "file:$PIN_FILE" --token dave \
	enroll web --ca "cfssl:$URL" --trust "$CFSSL/ca.pem" \
	--set dns=web.example.org
check_cert dave web 'TLS Web Server Authentication' 'Client Authentication'
new_token frank
objects_of frank >"$WORK/before"
expect_status 1 "#mixed in the spec overrides [ca] profile" \
	env P11ENROLL_PROFILES="$WORK/profiles" "$P11ENROLL" \
	--pin-source "file:$PIN_FILE" --token frank \
	enroll web --ca "cfssl:$URL#mixed" --trust "$CFSSL/ca.pem" \
	--set dns=web.example.org
expect_grep "#mixed: refused for clientAuth" 'certificate check eku failed: clientAuth' "$WORK/err"
expect_unchanged "#mixed in the spec" frank

new_token bob
expect_status 0 "tls-server through authsign with the right key" \
	p11e --token bob enroll tls-server --ca "cfssl:$URL#authsign-server" \
	--ca-auth-source "file:$WORK/auth.key" --trust "$CFSSL/ca.pem" \
	--set dns=bob.example.org
check_cert bob tls-server 'TLS Web Server Authentication' 'Client Authentication'

new_token erin
expect_status 0 "tls-server through https, the server checked against the CA" \
	p11e --token erin enroll tls-server --ca "cfssl:$TLS_URL#server" \
	--ca-tls-trust "$CFSSL/ca.pem" --trust "$CFSSL/ca.pem" \
	--set dns=erin.example.org
check_cert erin tls-server 'TLS Web Server Authentication' 'Client Authentication'

# ---- refused: nothing written, no pending keys -------------------------------

new_token carol
expect_status 0 "carol's tls-client first" \
	p11e --token carol enroll tls-client --ca "cfssl:$URL#client" \
	--trust "$CFSSL/ca.pem" --set cn=carol
objects_of carol >"$WORK/before"

unchanged() {
	expect_unchanged "$1" carol
	expect_no_grep "$1: no pending key" 'label: +pending:' "$WORK/now"
}

# fail_server WHAT CA PATTERN [OPTION...]: tls-server on carol must fail
# with exit 1 and a message matching PATTERN.
fail_server() {
	_what=$1
	_ca=$2
	_pattern=$3
	shift 3
	expect_status 1 "$_what" p11e --token carol enroll tls-server \
		--ca "$_ca" --trust "$CFSSL/ca.pem" --set dns=carol.example.org "$@"
	expect_grep "$_what: reported" "$_pattern" "$WORK/err"
	unchanged "$_what"
}

fail_server "authsign with a wrong key" "cfssl:$URL#authsign-server" \
	"enroll tls-server on token carol: CA cfssl:$URL/#authsign-server: the CA rejected the request: invalid token" \
	--ca-auth-source "file:$WORK/wrong.key"
expect_no_grep "no key in the message" "$AUTH_KEY|$(cat "$WORK/wrong.key")" "$WORK/err"

fail_server "the authsign profile without a key" "cfssl:$URL#authsign-server" \
	'the CA rejected the request: authentication required'

fail_server "a profile that mixes server and client auth" "cfssl:$URL#mixed" \
	'certificate check eku failed: .*clientAuth'

# cfssl signs an unknown profile with its default one (no EKU, 1 h).
fail_server "a profile cfssl does not know" "cfssl:$URL#no-such-profile" \
	'certificate check eku failed'

# The https server's certificate is not in the system store.
fail_server "an https CA that is not trusted" "cfssl:$TLS_URL#server" \
	"CA cfssl:$TLS_URL/#server: the CA's TLS certificate is not trusted"

expect_status 2 "a key that is not hex" p11e --token carol enroll tls-server \
	--ca "cfssl:$URL#authsign-server" --ca-auth-source "file:$WORK/text.key" \
	--set dns=carol.example.org
expect_grep "a key that is not hex: reported" \
	'the authentication key is not hex' "$WORK/err"
expect_no_grep "a key that is not hex: not quoted" 'not a hex key' "$WORK/err"
unchanged "a key that is not hex"

expect_status 2 "a URL that is not http" p11e --token carol enroll tls-server \
	--ca "cfssl:ftp://127.0.0.1:$PORT#server" --set dns=carol.example.org
expect_grep "a URL that is not http: reported" \
	'the URL must be http or https, not ftp' "$WORK/err"
unchanged "a URL that is not http"

# ---- cfssl gone -------------------------------------------------------------

kill "$CFSSL_PID"
wait "$CFSSL_PID" 2>/dev/null || :
CFSSL_PID=
fail_server "cfssl stopped" "cfssl:$URL#server" \
	"CA cfssl:$URL/#server: the CA could not be reached"

# ---- a fake endpoint ----------------------------------------------------------

cat >"$WORK/fake-ca.py" <<'EOF'
# Answers every POST by the first path component: /http500/... with an
# HTTP 500, anything else with a 200 whose JSON is cut short.
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.startswith("/http500/"):
            status, body = 500, b"internal trouble\nsecond line\n"
        else:
            status, body = 200, b'{"success": true, "result": {"certif'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
EOF
FAKE_PORT=$(free_port)
"$PYTHON" "$WORK/fake-ca.py" "$FAKE_PORT" &
FAKE_PID=$!
if ! wait_port "$FAKE_PORT" "$FAKE_PID"; then
	echo "# the fake endpoint did not start"
	exit 99
fi
FAKE=http://127.0.0.1:$FAKE_PORT

fail_server "an endpoint answering HTTP 500" "cfssl:$FAKE/http500#server" \
	"CA cfssl:$FAKE/http500#server: the CA answered HTTP 500: internal trouble(;|\$)"
expect_no_grep "only the first line of the body is quoted" 'second line' "$WORK/err"
fail_server "an endpoint answering malformed JSON" "cfssl:$FAKE/cut#server" \
	"CA cfssl:$FAKE/cut#server: the CA's answer is malformed: not JSON"

stop_servers
finish
