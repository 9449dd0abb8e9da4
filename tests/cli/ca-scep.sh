#!/bin/sh
# SPDX-License-Identifier: MIT
# ca-scep.sh - enrollment through a real SCEP server: micromdm's
# scepserver from Debian's scep package.
#
# What scepserver 2.1.0 issues, whatever the request asks for: keyUsage
# digitalSignature (critical) and extendedKeyUsage clientAuth; it copies
# the subject and the DNS, IP, email and URI SANs of the request, and it
# refuses EC keys (FAILURE badRequest). So a role that wants anything but
# clientAuth is refused by the tool's own eku check, and the roles here
# are RSA.
#
# scepserver takes a port and no address: it listens on every interface
# for the few seconds this scenario runs, behind a challenge password.
. "$top_srcdir/tests/cli/lib.sh"

skip_without scepserver scep

CHALLENGE=enrol-$$-secret
( umask 077
  printf '%s\n' "$CHALLENGE" >"$WORK/challenge"
  printf 'not-%s\n' "$CHALLENGE" >"$WORK/wrong-challenge" )

# ---- the CA ------------------------------------------------------------

PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/scep
CA=scep:$URL

( cd "$WORK" && scepserver ca -init -depot depot -keySize 2048 \
	-organization "p11enroll tests" >/dev/null )
( cd "$WORK" && exec scepserver -depot depot -port "$PORT" \
	-challenge "$CHALLENGE" -allowrenew 0 >"$WORK/scepserver.log" 2>&1 ) &
SCEP_PID=$!

stop_scepserver() {
	if [ -n "${SCEP_PID:-}" ]; then
		kill "$SCEP_PID" 2>/dev/null || :
		wait "$SCEP_PID" 2>/dev/null || :
		SCEP_PID=
	fi
}
on_exit=stop_scepserver

# Up to ten seconds for it to answer GetCACaps.
answering() {
	"$PYTHON" - "$URL" <<'EOF'
import sys, urllib.request
try:
    caps = urllib.request.urlopen(sys.argv[1] + "?operation=GetCACaps",
                                  timeout=2).read()
except Exception:
    sys.exit(1)
sys.exit(0 if b"POSTPKIOperation" in caps else 1)
EOF
}
tries=0
until answering; do
	tries=$((tries + 1))
	if [ "$tries" -ge 50 ] || ! kill -0 "$SCEP_PID" 2>/dev/null; then
		echo "not ok - scepserver did not start"
		sed 's/^/#   /' "$WORK/scepserver.log"
		exit 1
	fi
	sleep 0.2
done
ok "scepserver answers on port $PORT"
SCEP_ROOT=$WORK/depot/ca.pem

# ---- roles for what scepserver issues ----------------------------------

mkdir "$WORK/profiles"
cp "$top_srcdir"/profiles/* "$WORK/profiles/"
# The shipped tls-client as it is (EC), for the refusal below.
cp "$top_srcdir/profiles/tls-client.profile" "$WORK/profiles/tls-client-ec.profile"
sed -i 's/^algorithm = .*/algorithm = rsa-2048/' \
	"$WORK/profiles/tls-server.profile" "$WORK/profiles/tls-client.profile"
# Exactly what scepserver puts into its certificates, with SANs it copies.
cat >"$WORK/profiles/device-auth.profile" <<'EOF'
# device-auth: a device authenticating as a TLS client by its DNS name
# and address, as scepserver issues it.
[key]
algorithm = rsa-2048

[request]
subject = CN=${dns}
dns = ${dns}
ip = ${ip}

[certificate]
key_usage = digitalSignature
extended_key_usage = clientAuth
max_lifetime_days = 398
EOF
export P11ENROLL_PROFILES="$WORK/profiles"

# COMMAND with its output kept out of the test log.
quietly() {
	"$@" >/dev/null
}
expect "the RSA and device profiles pass lint" \
	quietly "$P11ENROLL" profile lint "$WORK/profiles/tls-server.profile" \
	"$WORK/profiles/tls-client.profile" \
	"$WORK/profiles/device-auth.profile"

new_token alice

scep_enroll() {
	_challenge=$1
	shift
	p11e --token alice enroll "$@" --ca "$CA" --trust "$SCEP_ROOT" \
		--challenge-source "file:$_challenge"
}

# The token as pkcs11-tool sees it must not have changed since $1.
unchanged_since() {
	objects_of alice >"$WORK/now"
	if cmp -s "$1" "$WORK/now"; then
		ok "$2: token unchanged"
	else
		not_ok "$2: token changed"
		diff "$1" "$WORK/now" | sed 's/^/#   /'
	fi
	expect_no_grep "$2: no pending key is left" 'label: +pending:' \
		"$WORK/now"
}

# ---- success -----------------------------------------------------------

start=$(date +%s)
expect_status 0 "tls-client (RSA) enrolled through SCEP" \
	scep_enroll "$WORK/challenge" tls-client --set cn=alice-client
expect_grep "tls-client reported" \
	'^enrolled tls-client: rsa-2048 key [0-9a-f]{40}' "$WORK/out"

objects_of alice >"$WORK/objects"
expect_grep "certificate object labelled tls-client" \
	'^Certificate Object; type = X.509 cert' "$WORK/objects"
p11tool_on alice --read-object --type cert --label tls-client \
	-o "$WORK/tls-client.der"
p11tool_on alice --read-object --type pubkey --label tls-client \
	-o "$WORK/tls-client.pub.der"
openssl x509 -inform DER -in "$WORK/tls-client.der" -out "$WORK/tls-client.pem"
expect "tls-client: chains to the scepserver CA" \
	quietly openssl verify -CAfile "$SCEP_ROOT" -purpose sslclient \
	"$WORK/tls-client.pem"
openssl x509 -in "$WORK/tls-client.pem" -noout -pubkey >"$WORK/certkey"
openssl pkey -pubin -inform DER -in "$WORK/tls-client.pub.der" >"$WORK/tokenkey"
expect "tls-client: certificate key is the token's public key" \
	cmp -s "$WORK/certkey" "$WORK/tokenkey"
# The same certificate the CA recorded in its depot.
expect "tls-client: the certificate is the one scepserver issued" \
	sh -c 'for c in "$1"/depot/alice-client.*.pem; do
		openssl x509 -in "$c" -outform DER | cmp -s - "$2" && exit 0
	done; exit 1' sh "$WORK" "$WORK/tls-client.der"
openssl x509 -in "$WORK/tls-client.pem" -noout \
	-ext keyUsage,extendedKeyUsage >"$WORK/tls-client.ext"
expect_grep "tls-client: keyUsage digitalSignature" \
	'^ +Digital Signature$' "$WORK/tls-client.ext"
expect_grep "tls-client: extendedKeyUsage clientAuth" \
	'^ +TLS Web Client Authentication$' "$WORK/tls-client.ext"

expect_status 0 "device-auth (clientAuth, DNS and IP) enrolled through SCEP" \
	scep_enroll "$WORK/challenge" device-auth \
	--set dns=device7.example.org --set ip=192.0.2.7
p11tool_on alice --read-object --type cert --label device-auth \
	-o "$WORK/device.der"
openssl x509 -inform DER -in "$WORK/device.der" -noout \
	-ext subjectAltName >"$WORK/device.ext" 2>&1
expect_grep "device-auth: scepserver copied the requested SANs" \
	'DNS:device7.example.org, IP Address:192.0.2.7' "$WORK/device.ext"
echo "# two enrollments took $(($(date +%s) - start)) s"

objects_of alice >"$WORK/enrolled"

# ---- refusals ----------------------------------------------------------

# scepserver issues clientAuth whatever the request says: the returned
# certificate fails the role's eku check and is not written.
expect_status 1 "tls-server (asks serverAuth) is refused" \
	scep_enroll "$WORK/challenge" tls-server --set dns=www.example.org
expect_grep "tls-server: the eku check names clientAuth" \
	'certificate check eku failed: clientAuth is not allowed' "$WORK/err"
expect_grep "tls-server: the new key was removed" \
	'the new key was removed' "$WORK/err"
unchanged_since "$WORK/enrolled" "tls-server refused"
# What scepserver made of the serverAuth request, from its own records.
openssl x509 -in "$(ls "$WORK"/depot/www.example.org.*.pem | head -n 1)" \
	-noout -ext extendedKeyUsage,subjectAltName >"$WORK/server.ext" 2>&1
expect_grep "scepserver issued clientAuth for the serverAuth request" \
	'TLS Web Client Authentication' "$WORK/server.ext"
expect_no_grep "scepserver did not copy serverAuth" \
	'TLS Web Server Authentication' "$WORK/server.ext"

expect_status 1 "a wrong challenge password is refused" \
	scep_enroll "$WORK/wrong-challenge" tls-server --set dns=www.example.org
expect_grep "wrong challenge: the CA's badRequest as a sentence" \
	"CA $CA: the CA rejected the request: badRequest: the CA refused the request \\(often a wrong challenge password\\)" \
	"$WORK/err"
expect_no_grep "wrong challenge: the password is not shown" \
	"$CHALLENGE" "$WORK/err"
unchanged_since "$WORK/enrolled" "wrong challenge"

expect_status 1 "an EC key is refused by scepserver" \
	scep_enroll "$WORK/challenge" tls-client-ec --set cn=alice-ec
expect_grep "EC key: badRequest" \
	'the CA rejected the request: badRequest' "$WORK/err"
unchanged_since "$WORK/enrolled" "EC key"

stop_scepserver
expect_status 1 "scepserver stopped: refused" \
	scep_enroll "$WORK/challenge" tls-server --set dns=www.example.org
expect_grep "scepserver stopped: could not be reached" \
	"CA $CA: the CA could not be reached" "$WORK/err"
unchanged_since "$WORK/enrolled" "scepserver stopped"

finish
