# SPDX-License-Identifier: MIT
# ca-acme.sh - enroll through a real ACME server: Debian's pebble, with
# pebble-challtestsrv as the DNS it resolves names and dns-01 records
# with, all on 127.0.0.1. pebble rejects 30% of good nonces, so every run
# here also proves that badNonce is asked again.
#
# What pebble 2.4 issues, as these checks rely on it: serverAuth and
# clientAuth with digitalSignature and keyEncipherment on every
# certificate, whatever was asked, and no ACME profiles. So the shipped
# tls-server profile (ec-p256, serverAuth alone) is refused, and an
# rsa-2048 server role that accepts the added clientAuth is enrolled.
# After every failure the token is exactly as it was.
. "$top_srcdir/tests/cli/lib.sh"

for _tool in pebble pebble-challtestsrv curl; do
	if ! command -v "$_tool" >/dev/null; then
		echo "not ok - $_tool is needed (pebble, curl: tools/install-deps)"
		exit 1
	fi
done

PEB=$WORK/pebble
mkdir "$PEB"
PEBBLE_PID=
EAB_PID=
CTS_PID=
WEB_PID=

stop_servers() {
	for _pid in $PEBBLE_PID $EAB_PID $CTS_PID $WEB_PID; do
		kill "$_pid" 2>/dev/null || :
		wait "$_pid" 2>/dev/null || :
	done
	PEBBLE_PID=
	EAB_PID=
	CTS_PID=
	WEB_PID=
}
# shellcheck disable=SC2034 # lib.sh's cleanup runs it
on_exit=stop_servers

# pebble's own TLS certificate, for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$PEB/tls.key" -out "$PEB/tls.pem" -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null

DNS_PORT=$(free_port)
CTS_MGMT=$(free_port)
HTTP_PORT=$(free_port)

pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" \
	-dns01 "127.0.0.1:$DNS_PORT" -management "127.0.0.1:$CTS_MGMT" \
	-http01 "" -https01 "" -tlsalpn01 "" >"$PEB/cts.log" 2>&1 &
CTS_PID=$!
if ! wait_port "$CTS_MGMT" "$CTS_PID"; then
	echo "# pebble-challtestsrv did not start:"
	sed 's/^/#   /' "$PEB/cts.log"
	exit 99
fi

# start_pebble NAME EAB: a pebble whose http-01 goes to $HTTP_PORT; sets
# ${NAME}_DIR and ${NAME}_MGMT, and its pid in $PEB/NAME.pid.
start_pebble() {
	_port=$(free_port)
	_mgmt=$(free_port)
	if [ "$2" = eab ]; then
		_eab='"externalAccountBindingRequired": true,
		  "externalAccountMACKeys": { "kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W" },'
	else
		_eab='"externalAccountBindingRequired": false,'
	fi
	cat >"$PEB/$1.json" <<EOF
{ "pebble": {
  "listenAddress": "127.0.0.1:$_port",
  "managementListenAddress": "127.0.0.1:$_mgmt",
  "certificate": "$PEB/tls.pem", "privateKey": "$PEB/tls.key",
  "httpPort": $HTTP_PORT, "tlsPort": $(free_port),
  "ocspResponderURL": "", $_eab
  "certificateValidityPeriod": 7776000
} }
EOF
	PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=30 PEBBLE_AUTHZREUSE=0 \
		pebble -config "$PEB/$1.json" -dnsserver "127.0.0.1:$DNS_PORT" \
		>"$PEB/$1.log" 2>&1 &
	echo $! >"$PEB/$1.pid"
	if ! wait_port "$_port" "$!"; then
		echo "# pebble did not start:"
		sed 's/^/#   /' "$PEB/$1.log"
		exit 99
	fi
	eval "${1}_DIR=https://127.0.0.1:$_port/dir"
	eval "${1}_MGMT=https://127.0.0.1:$_mgmt"
}

start_pebble MAIN plain
PEBBLE_PID=$(cat "$PEB/MAIN.pid")
start_pebble EAB eab
EAB_PID=$(cat "$PEB/EAB.pid")
# shellcheck disable=SC2154 # set by start_pebble
for _p in MAIN EAB; do
	eval "_mgmt=\$${_p}_MGMT"
	curl -s --cacert "$PEB/tls.pem" "$_mgmt/roots/0" >"$PEB/$_p-root.pem"
	curl -s --cacert "$PEB/tls.pem" "$_mgmt/intermediates/0" >"$PEB/$_p-inter.pem"
done

# A server role as pebble can serve it: rsa-2048, and clientAuth, which
# pebble adds, accepted with a reason.
mkdir "$WORK/profiles"
cp "$top_srcdir/profiles/tls-server.profile" "$WORK/profiles/"
cat >"$WORK/profiles/web.profile" <<'EOF'
[key]
algorithm = rsa-2048
[request]
subject = CN=${dns}
dns = ${dns}
[certificate]
key_usage = digitalSignature, keyEncipherment
extended_key_usage = serverAuth
max_lifetime_days = 90
accept_added_eku = clientAuth
justification = the ACME CA issues clientAuth on every certificate
EOF

sed 's/^dns = .*/&\nip = 127.0.0.1/' "$WORK/profiles/web.profile" \
	>"$WORK/profiles/webip.profile"

ACCOUNT=$WORK/account.key

# acme TOKEN ROLE DNS OPTION...: enroll ROLE on TOKEN through the main
# pebble.
acme() {
	_token=$1 _role=$2 _dns=$3
	shift 3
	p11e --token "$_token" --profiles "$WORK/profiles" enroll "$_role" \
		--set "dns=$_dns" --ca "acme:$MAIN_DIR" \
		--ca-tls-trust "$PEB/tls.pem" --acme-account "$ACCOUNT" \
		--acme-agree-tos --ca-timeout 60 "$@"
}

# check_web TOKEN DNS [PEBBLE]: the web certificate on TOKEN, read back
# with pkcs11-tool: issued by PEBBLE (MAIN, EAB), for DNS, for the
# token's key.
check_web() {
	p11tool_on "$1" --read-object --type cert --label web -o "$WORK/$1.der"
	p11tool_on "$1" --read-object --type pubkey --label web -o "$WORK/$1.pub.der"
	openssl x509 -inform DER -in "$WORK/$1.der" -out "$WORK/$1.pem"
	openssl x509 -in "$WORK/$1.pem" -noout -ext subjectAltName,extendedKeyUsage \
		>"$WORK/$1.ext" 2>&1
	expect_grep "$1: the SAN asked for" "DNS:$2" "$WORK/$1.ext"
	expect_grep "$1: serverAuth" 'TLS Web Server Authentication' "$WORK/$1.ext"
	expect "$1: issued by pebble" openssl verify -CAfile "$PEB/${3:-MAIN}-root.pem" \
		-untrusted "$PEB/${3:-MAIN}-inter.pem" "$WORK/$1.pem"
	openssl x509 -in "$WORK/$1.pem" -noout -pubkey >"$WORK/$1.certkey"
	openssl pkey -pubin -inform DER -in "$WORK/$1.pub.der" >"$WORK/$1.tokenkey"
	expect "$1: certificate key is the token's public key" \
		cmp -s "$WORK/$1.certkey" "$WORK/$1.tokenkey"
}

# refused WHAT STATUS PATTERN COMMAND...: COMMAND fails with STATUS and
# PATTERN on stderr, and the token carol is as it was.
refused() {
	_what=$1 _status=$2 _pattern=$3
	shift 3
	objects_of carol >"$WORK/before"
	expect_status "$_status" "$_what" "$@"
	expect_grep "$_what: reported" "$_pattern" "$WORK/err"
	expect_unchanged "$_what" carol
	expect_no_grep "$_what: no pending key" 'label: +pending:' "$WORK/now"
}

# ---- http-01 by the built-in responder ----------------------------------------

new_token carol
refused "the shipped tls-server: pebble adds clientAuth" 1 \
	"certificate check eku failed: clientAuth is not allowed for this role: the CA added it.*accept_added_eku = clientAuth and justification = " \
	acme carol tls-server carol.example.test --acme-http "127.0.0.1:$HTTP_PORT"
expect_grep "the way out through the CA's profile is named" \
	'ask the CA for a profile without clientAuth \(\[ca\] profile' "$WORK/err"
expect "the account key was made on first use" test -s "$ACCOUNT"
expect "the account key is 0600" \
	test "$(stat -c %a "$ACCOUNT")" = 600

new_token alice
# --trust: the chain pebble's certificate URL gave is checked to its root.
expect_status 0 "web through http-01, the built-in responder" \
	acme alice web alice.example.test --acme-http "127.0.0.1:$HTTP_PORT" \
	--trust "$PEB/MAIN-root.pem"
expect_grep "web reported" '^enrolled web: rsa-2048 key' "$WORK/out"
check_web alice alice.example.test
expect_status 0 "status of the waived role" p11e --token alice \
	--profiles "$WORK/profiles" status
expect_grep "status shows the waiver as info" \
	'^web: info: added-eku-in-force: the certificate carries clientAuth, which the CA added and the profile accepts: the ACME CA issues clientAuth' \
	"$WORK/out"
expect_no_grep "and no cert-mixed-tls error" 'cert-mixed-tls' "$WORK/out"

# The role's record keeps the ACME options, so renew needs none of them.
p11tool_on alice --read-object --type data --label web -o "$WORK/alice.record" \
	>/dev/null || :
expect "the record keeps the CA and its ACME options" "$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
ca = r["ca"]
assert ca["spec"] == "acme:" + sys.argv[2] and ca["timeout"] == 60, ca
assert ca["acme"]["account"] == sys.argv[3] and ca["acme"]["agree_tos"] is True, ca
assert ca["acme"]["http"] == "127.0.0.1:" + sys.argv[4], ca
' "$WORK/alice.record" "$MAIN_DIR" "$ACCOUNT" "$HTTP_PORT"
expect_status 0 "renew web with nothing but its record" \
	p11e --token alice --profiles "$WORK/profiles" renew web
expect_grep "renewed through pebble" '^renewed web: rsa-2048 key' "$WORK/out"

# An IP name is ordered as an ip identifier, validated on 127.0.0.1.
new_token frank
expect_status 0 "a DNS and an IP name through http-01" \
	acme frank webip frank.example.test --acme-http "127.0.0.1:$HTTP_PORT"
p11tool_on frank --read-object --type cert --label webip -o "$WORK/frank.der"
openssl x509 -inform DER -in "$WORK/frank.der" -noout -ext subjectAltName \
	>"$WORK/frank.ext" 2>&1
expect_grep "frank: the IP name" 'IP Address:127\.0\.0\.1' "$WORK/frank.ext"

# ---- revokeCert -------------------------------------------------------------------

revoke_alice() {
	p11e revoke --cert "$WORK/alice.pem" --reason keyCompromise \
		--ca "acme:$MAIN_DIR" --ca-tls-trust "$PEB/tls.pem" \
		--acme-account "$ACCOUNT" --acme-agree-tos
}
serial=$(openssl x509 -in "$WORK/alice.pem" -noout -serial | cut -d= -f2)
expect_status 0 "revoke alice's certificate, keyCompromise" revoke_alice
curl -s --cacert "$PEB/tls.pem" "$MAIN_MGMT/cert-status-by-serial/$serial" \
	>"$WORK/revoked.json"
expect_grep "pebble has it revoked" '"Status": *"Revoked"' "$WORK/revoked.json"
expect_grep "for keyCompromise" '"Reason": *1' "$WORK/revoked.json"
expect_status 1 "revoking it again is the CA's refusal" revoke_alice
expect_grep "that refusal says why" \
	'revoking the certificate: the CA refused: .*alreadyRevoked' "$WORK/err"

# ---- http-01 through a webroot ------------------------------------------------

mkdir "$WORK/www"
"$PYTHON" -m http.server --bind 127.0.0.1 --directory "$WORK/www" \
	"$HTTP_PORT" >"$PEB/web.log" 2>&1 &
WEB_PID=$!
if ! wait_port "$HTTP_PORT" "$WEB_PID"; then
	echo "# the web server did not start"
	exit 99
fi
new_token bob
expect_status 0 "web through http-01, files in a webroot" \
	acme bob web bob.example.test --acme-webroot "$WORK/www"
check_web bob bob.example.test
expect_grep "pebble fetched the file from the web server" \
	'"GET /\.well-known/acme-challenge/[A-Za-z0-9_-]+ HTTP/1\.1" 200' "$PEB/web.log"
expect "the challenge file was removed" \
	test -z "$(ls -A "$WORK/www/.well-known/acme-challenge")"
kill "$WEB_PID"
wait "$WEB_PID" 2>/dev/null || :
WEB_PID=

# ---- dns-01 through a hook -------------------------------------------------------

# The hook sets the TXT record in pebble-challtestsrv through its
# management API, and keeps its arguments.
cat >"$WORK/dns-hook" <<EOF
#!/bin/sh
# dns-hook add|remove NAME VALUE
printf '%s %s %s\n' "\$1" "\$2" "\$3" >>"$WORK/hook.log"
case \$1 in
add) curl -sf -d "{\"host\":\"\$2.\",\"value\":\"\$3\"}" http://127.0.0.1:$CTS_MGMT/set-txt ;;
remove) curl -sf -d "{\"host\":\"\$2.\"}" http://127.0.0.1:$CTS_MGMT/clear-txt ;;
esac
EOF
chmod +x "$WORK/dns-hook"

new_token dave
expect_status 0 "web through dns-01, the hook" \
	acme dave web dave.example.test --acme-dns-hook "$WORK/dns-hook"
check_web dave dave.example.test
expect_grep "the hook added the record" \
	'^add _acme-challenge\.dave\.example\.test [A-Za-z0-9_-]{43}$' "$WORK/hook.log"
expect_grep "and removed it" \
	'^remove _acme-challenge\.dave\.example\.test [A-Za-z0-9_-]{43}$' "$WORK/hook.log"

# ---- refusals: the token stays as it was ---------------------------------------------

refused "a name the CA refuses" 1 \
	"placing the order: the CA refused: .*illegal character.*urn:ietf:params:acme:error:malformed" \
	acme carol web bad_name.example.test --acme-http "127.0.0.1:$HTTP_PORT"

# pebble 2.4 offers no ACME profiles: one asked for by name is refused.
refused "a #PROFILE the CA does not offer" 2 \
	"CA acme:$MAIN_DIR#tlsserver: the CA offers no profile named tlsserver" \
	acme carol web carol.example.test --ca "acme:$MAIN_DIR#tlsserver" \
	--acme-http "127.0.0.1:$HTTP_PORT"

refused "no way to answer a challenge" 2 \
	"give --acme-http ADDR:PORT, --acme-webroot DIR or --acme-dns-hook COMMAND" \
	acme carol web carol.example.test

# An http-01 answer nobody serves: the responder listens elsewhere.
refused "a challenge that fails" 1 \
	"the authorization for carol\.example\.test is invalid: " \
	acme carol web carol.example.test --acme-http "127.0.0.1:$(free_port)"

refused "terms not agreed" 2 \
	"the CA has terms of service \(.*\): read them and agree with --acme-agree-tos" \
	p11e --token carol --profiles "$WORK/profiles" enroll web \
	--set dns=carol.example.test --ca "acme:$MAIN_DIR" \
	--ca-tls-trust "$PEB/tls.pem" --acme-account "$ACCOUNT" \
	--acme-http "127.0.0.1:$HTTP_PORT"

refused "a chain to another root" 1 \
	"certificate check chain failed" \
	acme carol web carol.example.test --acme-http "127.0.0.1:$HTTP_PORT" \
	--trust "$PEB/EAB-root.pem"

refused "pebble's TLS not trusted" 1 "the CA's TLS certificate is not trusted" \
	p11e --token carol --profiles "$WORK/profiles" enroll web \
	--set dns=carol.example.test --ca "acme:$MAIN_DIR" \
	--acme-account "$ACCOUNT" --acme-agree-tos \
	--acme-http "127.0.0.1:$HTTP_PORT"

# ---- External Account Binding -------------------------------------------------

( umask 077
  printf 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W\n' \
	>"$WORK/eab.key"
  printf 'b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH\n' \
	>"$WORK/wrong-eab.key" )

# eab TOKEN OPTION...: web on TOKEN through the pebble that wants EAB,
# with a new account.
eab() {
	_token=$1
	shift
	rm -f "$WORK/eab-account.key"
	# shellcheck disable=SC2154 # set by start_pebble
	p11e --token "$_token" --profiles "$WORK/profiles" enroll web \
		--set "dns=$_token.example.test" --ca "acme:$EAB_DIR" \
		--ca-tls-trust "$PEB/tls.pem" --acme-account "$WORK/eab-account.key" \
		--acme-agree-tos --acme-http "127.0.0.1:$HTTP_PORT" "$@"
}

refused "EAB required, none given" 2 \
	"the CA requires External Account Binding: give the key id and HMAC key it gave you with --acme-eab-kid and --acme-eab-hmac-source" \
	eab carol
refused "EAB with a wrong HMAC key" 1 \
	"registering the account: the CA refused: .*(urn:ietf:params:acme:error:unauthorized|malformed)" \
	eab carol --acme-eab-kid kid-1 --acme-eab-hmac-source "file:$WORK/wrong-eab.key"
expect_no_grep "no HMAC key in the message" \
	"zWNDZM6|b10lLJs8" "$WORK/err"
refused "EAB with an unknown key id" 1 \
	"registering the account: the CA refused: " \
	eab carol --acme-eab-kid kid-9 --acme-eab-hmac-source "file:$WORK/eab.key"
new_token erin
expect_status 0 "EAB with the right key" \
	eab erin --acme-eab-kid kid-1 --acme-eab-hmac-source "file:$WORK/eab.key"
check_web erin erin.example.test EAB

# ---- pebble stopped mid-order ------------------------------------------------------

# The hook stops pebble when asked to add the record: the order is placed,
# the challenge never answered. Its failure to remove the record then
# does not hide why the role failed.
cat >"$WORK/kill-hook" <<EOF
#!/bin/sh
printf '%s %s\n' "\$1" "\$2" >>"$WORK/kill.log"
if [ "\$1" = add ]; then
	kill "\$(cat "$PEB/MAIN.pid")"
	# Until it no longer answers (a zombie still takes kill -0).
	while curl -sk -o /dev/null "$MAIN_DIR"; do sleep 0.1; done
	exit 0
fi
echo "no such record" >&2
exit 1
EOF
chmod +x "$WORK/kill-hook"
refused "pebble stopped mid-order" 1 \
	"answering a challenge: the CA could not be reached" \
	acme carol web carol.example.test --acme-dns-hook "$WORK/kill-hook"
expect_grep "the record was still taken down" \
	'^remove _acme-challenge\.carol\.example\.test$' "$WORK/kill.log"
wait "$PEBBLE_PID" 2>/dev/null || :
PEBBLE_PID=

stop_servers
finish
