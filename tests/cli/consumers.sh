#!/bin/sh
# SPDX-License-Identifier: MIT
# consumers.sh - the keys and certificates p11enroll writes, used as a TLS
# server and client would use them: mutual TLS through libp11's engine
# (openssl s_server/s_client) and through GnuTLS (gnutls-serv/gnutls-cli
# with pkcs11: URIs), TLS 1.2 and 1.3, an EC pair and an RSA pair (RSA-PSS
# in TLS 1.3), the object URIs taken from p11enroll's JSON, the trust file
# holding only the test CA's root and the intermediate coming from the
# token (status --json) or from export --chain. Each side offered the
# other's certificate is refused (gnutls-serv checks a client's chain
# but not its key purpose: that direction is checked through openssl).
#
# No PIN is on a command line: openssl reads it from the engine's section
# of a private configuration file, GnuTLS from the file that the key
# URI's pin-source names.
. "${top_srcdir:?}/tests/cli/lib.sh"

for tool in gnutls-cli gnutls-serv p11tool; do
	command -v "$tool" >/dev/null 2>&1 || { echo "# $tool missing: skip"; exit 77; }
done
ENGINE=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')/pkcs11.so
[ -r "$ENGINE" ] || { echo "# libp11's engine ($ENGINE) missing: skip"; exit 77; }

SERVER_PID=
stop_servers() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || :
		wait "$SERVER_PID" 2>/dev/null || :
	fi
	SERVER_PID=
}
# shellcheck disable=SC2034 # lib.sh's cleanup runs it
on_exit=stop_servers

new_ca
cp "$WORK/ca/root.pem" "$WORK/trust.pem"

# An RSA pair beside the shipped EC roles.
mkdir "$WORK/profiles"
for role in tls-server tls-client; do
	sed 's/^algorithm = ec-p256$/algorithm = rsa-2048/' \
		"$top_srcdir/profiles/$role.profile" >"$WORK/profiles/rsa-${role#tls-}.profile"
done

# json_get FILE EXPR: one value of a JSON document, EXPR over doc.
json_get() {
	"$PYTHON" -c 'import json, sys; doc = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# The pairs: ec and rsa, each with its token and its two roles.
pair_roles() {
	case $1 in
	ec) token=cons-ec srole=tls-server crole=tls-client ;;
	rsa) token=cons-rsa srole=rsa-server crole=rsa-client ;;
	esac
}

for pair in ec rsa; do
	pair_roles "$pair"
	new_token "$token"
	expect_status 0 "$pair: enroll $srole and $crole" p11e --token "$token" \
		--profiles "$WORK/profiles" --json enroll "$srole" "$crole" \
		--ca "exec:$TESTCA $WORK/ca" --set dns=localhost --set cn=client.example \
		--trust "$WORK/trust.pem"
	cp "$WORK/out" "$WORK/$pair-enroll.json"
	expect "$pair: enroll --json carries the chain and the URIs" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["enrolled"]:
    assert [c["subject"] for c in r["chain"]] == ["CN=p11enroll test issuing CA,O=p11enroll test CA"], r["chain"]
    assert r["chain"][0]["pem"].startswith("-----BEGIN CERTIFICATE-----\n")
    assert r["chain_on_token"] is True
    assert r["certificate"]["pem"].startswith("-----BEGIN CERTIFICATE-----\n")
    u = r["uris"]
    assert u["private_key"].startswith("pkcs11:") and u["private_key"].endswith(";type=private"), u
    assert u["certificate"].endswith(";type=cert"), u
    assert ";object=%s;" % r["label"] in u["private_key"] and "pin" not in u["private_key"], u
' "$WORK/out"
done

# One authority certificate per token, whatever the number of roles.
for token in cons-ec cons-rsa; do
	p11tool --provider "$SOFTHSM2_MODULE" --list-all-certs "pkcs11:token=$token" \
		>"$WORK/$token-certs" 2>/dev/null
	count=$(grep -c 'Label: p11enroll test issuing CA$' "$WORK/$token-certs" || :)
	if [ "$count" = 1 ]; then
		ok "$token: the intermediate is on the token once"
	else
		not_ok "$token: the intermediate is on the token $count times"
		sed 's/^/#   /' "$WORK/$token-certs"
	fi
	expect_grep "$token: it is an authority certificate (category 2)" \
		'CKA_CERTIFICATE_CATEGORY=CA' "$WORK/$token-certs"
	expect_no_grep "$token: it is not marked trusted" 'CKA_TRUSTED' "$WORK/$token-certs"
	expect_no_grep "$token: the root is not on the token" 'p11enroll test root$' \
		"$WORK/$token-certs"
done

# Everything a pair needs, from p11enroll: the URIs and the chain from
# status --json, the certificates from export.
prepare_pair() {
	_pair=$1 _token=$2 _srole=$3 _crole=$4
	expect_status 0 "$_pair: status --json" p11e --token "$_token" \
		--profiles "$WORK/profiles" --json status
	cp "$WORK/out" "$WORK/$_pair-status.json"
	for _side in server client; do
		[ "$_side" = server ] && _role=$_srole || _role=$_crole
		_sel="[r for r in doc[\"roles\"] if r[\"role\"] == \"$_role\"][0]"
		json_get "$WORK/$_pair-status.json" "$_sel[\"uris\"][\"private_key\"]" \
			>"$WORK/$_pair-$_side.key-uri"
		json_get "$WORK/$_pair-status.json" "$_sel[\"uris\"][\"certificate\"]" \
			>"$WORK/$_pair-$_side.cert-uri"
		json_get "$WORK/$_pair-status.json" "\"\".join(c[\"pem\"] for c in $_sel[\"chain\"])" \
			>"$WORK/$_pair-$_side.chain-from-status"
		expect_status 0 "$_pair: export $_role" "$P11ENROLL" --token "$_token" \
			--profiles "$WORK/profiles" export "$_role" -o "$WORK/$_pair-$_side.pem"
		expect_status 0 "$_pair: export $_role --chain" "$P11ENROLL" --token "$_token" \
			--profiles "$WORK/profiles" export "$_role" --chain \
			-o "$WORK/$_pair-$_side.fullchain.pem"
	done
}

for pair in ec rsa; do
	pair_roles "$pair"
	prepare_pair "$pair" "$token" "$srole" "$crole"
done

# The certificate URI names the object export read.
p11tool --provider "$SOFTHSM2_MODULE" --export "$(cat "$WORK/ec-server.cert-uri")" \
	>"$WORK/ec-server.by-uri.pem" 2>/dev/null || :
if openssl x509 -in "$WORK/ec-server.by-uri.pem" -noout -fingerprint -sha256 >"$WORK/fp1" 2>/dev/null &&
   openssl x509 -in "$WORK/ec-server.pem" -noout -fingerprint -sha256 >"$WORK/fp2" &&
   cmp -s "$WORK/fp1" "$WORK/fp2"; then
	ok "the certificate URI names the certificate export writes (p11tool)"
else
	not_ok "the certificate URI does not name the exported certificate"
fi

# libp11's engine: the PIN in a private configuration file.
( umask 077; cat >"$WORK/openssl.cnf" <<EOF
openssl_conf = conf
[conf]
engines = engines
[engines]
pkcs11 = pkcs11
[pkcs11]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $SOFTHSM2_MODULE
PIN = $USER_PIN
init = 0
EOF
)
# GnuTLS: the key URI's pin-source names a PIN file, read whole.
( umask 077; printf '%s' "$USER_PIN" >"$WORK/gnutls.pin" )
gnutls_key() {
	printf '%s?pin-source=%s' "$(cat "$1")" "$WORK/gnutls.pin"
}

# openssl_server PAIR SIDE PROTO-OPTION: s_server -www on a free port
# ($_port) with SIDE's key through the engine, requiring a client
# certificate that verifies to the root alone; once it listens.
openssl_server() {
	_port=$(free_port)
	OPENSSL_CONF=$WORK/openssl.cnf openssl s_server -accept "127.0.0.1:$_port" -www \
		-engine pkcs11 -keyform engine -key "$(cat "$WORK/$1-$2.key-uri")" \
		-cert "$WORK/$1-$2.pem" -cert_chain "$WORK/$1-$2.chain-from-status" \
		-CAfile "$WORK/trust.pem" -Verify 2 -verify_return_error "$3" \
		-naccept 1 >"$WORK/s_server" 2>&1 </dev/null &
	SERVER_PID=$!
	# Not wait_port: s_server takes one connection only.
	if ! wait_output "$WORK/s_server" '^ACCEPT$' "$SERVER_PID"; then
		stop_servers
		return 1
	fi
}

# openssl_tls PAIR PROTO SERVER CLIENT: a handshake through the engine,
# SERVER's key and certificate (server or client) serving, CLIENT's
# connecting, each checking the other against the root alone; the
# intermediate comes from status --json. s_server -www answers with the
# session as it saw it, the client's certificate included (in TLS 1.3
# the page may follow s_client's own lines on the same line). Output in
# $WORK/s_server and $WORK/s_client; 0 when both sides accepted.
openssl_tls() {
	_pair=$1 _proto=$2 _srv=$3 _cli=$4
	openssl_server "$_pair" "$_srv" "-$_proto" || return 1
	_rc=0
	printf 'GET / HTTP/1.0\r\n\r\n' | OPENSSL_CONF=$WORK/openssl.cnf timeout 20 \
		openssl s_client -ign_eof -connect "127.0.0.1:$_port" -engine pkcs11 \
		-keyform engine -key "$(cat "$WORK/$_pair-$_cli.key-uri")" \
		-cert "$WORK/$_pair-$_cli.pem" \
		-cert_chain "$WORK/$_pair-$_cli.chain-from-status" \
		-CAfile "$WORK/trust.pem" -verify_return_error "-$_proto" \
		>"$WORK/s_client" 2>&1 || _rc=$?
	stop_servers
	[ "$_rc" -eq 0 ] &&
		grep -q 'Verify return code: 0 (ok)' "$WORK/s_client" &&
		grep -q 'HTTP/1.0 200 ok' "$WORK/s_client" &&
		grep -q 'Client certificate' "$WORK/s_client" &&
		grep -Eq 'Subject: CN ?= ?client\.example' "$WORK/s_client"
}

# gnutls_tls PAIR PROTO SERVER CLIENT: the same with GnuTLS, keys and
# certificates by URI; the certificates with their chain from export
# --chain. Output in $WORK/gnutls-serv and $WORK/gnutls-cli.
gnutls_tls() {
	_pair=$1 _proto=$2 _srv=$3 _cli=$4
	case $_proto in
	tls1_2) _prio='NORMAL:-VERS-ALL:+VERS-TLS1.2' ;;
	*) _prio='NORMAL:-VERS-ALL:+VERS-TLS1.3' ;;
	esac
	_port=$(free_port)
	gnutls-serv --provider "$SOFTHSM2_MODULE" --port "$_port" --echo \
		--priority "$_prio" --x509keyfile "$(gnutls_key "$WORK/$_pair-$_srv.key-uri")" \
		--x509certfile "$WORK/$_pair-$_srv.fullchain.pem" \
		--x509cafile "$WORK/trust.pem" --require-client-cert --verify-client-cert \
		>"$WORK/gnutls-serv" 2>&1 </dev/null &
	SERVER_PID=$!
	if ! wait_port "$_port" "$SERVER_PID"; then
		stop_servers
		return 1
	fi
	_rc=0
	echo ping | timeout 20 gnutls-cli --provider "$SOFTHSM2_MODULE" --port "$_port" \
		--priority "$_prio" --verify-hostname localhost \
		--x509cafile "$WORK/trust.pem" \
		--x509keyfile "$(gnutls_key "$WORK/$_pair-$_cli.key-uri")" \
		--x509certfile "$WORK/$_pair-$_cli.fullchain.pem" 127.0.0.1 \
		>"$WORK/gnutls-cli" 2>&1 || _rc=$?
	stop_servers
	[ "$_rc" -eq 0 ] && grep -q '^ping$' "$WORK/gnutls-cli"
}

# try_tls WHAT WANT FUNCTION ARGS...: WANT ok or refused.
try_tls() {
	_what=$1 _want=$2
	shift 2
	rm -f "$WORK/s_server" "$WORK/s_client" "$WORK/gnutls-serv" "$WORK/gnutls-cli"
	if "$@"; then _got=ok; else _got=refused; fi
	if [ "$_got" = "$_want" ]; then
		ok "$_what: $_got"
	else
		not_ok "$_what: $_got, expected $_want"
		for _f in s_server s_client gnutls-serv gnutls-cli; do
			if [ -f "$WORK/$_f" ]; then
				grep -v -i tcti "$WORK/$_f" | tail -n 8 | sed "s/^/#   $_f: /"
			fi
		done
	fi
}

for pair in ec rsa; do
	for proto in tls1_2 tls1_3; do
		try_tls "$pair $proto: mutual TLS through libp11's engine" ok \
			openssl_tls "$pair" "$proto" server client
		if [ "$pair $proto" = "rsa tls1_3" ]; then
			# Once as the client saw the server, once on the page as
			# the server saw the client.
			pss=$(grep -c 'Peer signature type: RSA-PSS' "$WORK/s_client" || :)
			if [ "$pss" -ge 2 ]; then
				ok "rsa tls1_3: both keys sign with RSA-PSS"
			else
				not_ok "rsa tls1_3: RSA-PSS seen $pss times, expected 2"
			fi
		fi
		try_tls "$pair $proto: mutual TLS through GnuTLS with pkcs11: URIs" ok \
			gnutls_tls "$pair" "$proto" server client
	done
done

# curl as the client: the key by URI through the engine, the certificate
# and its chain from export --chain (curl sends no chain it reads from a
# token).
curl_tls() {
	_pair=$1
	openssl_server "$_pair" server -tls1_3 || return 1
	_rc=0
	OPENSSL_CONF=$WORK/openssl.cnf timeout 20 curl -sS --cacert "$WORK/trust.pem" \
		--resolve "localhost:$_port:127.0.0.1" \
		--cert "$WORK/$_pair-client.fullchain.pem" --engine pkcs11 --key-type ENG \
		--key "$(cat "$WORK/$_pair-client.key-uri")" "https://localhost:$_port/" \
		>"$WORK/s_client" 2>&1 || _rc=$?
	stop_servers
	[ "$_rc" -eq 0 ] && grep -q 'Client certificate' "$WORK/s_client" &&
		grep -Eq 'Subject: CN ?= ?client\.example' "$WORK/s_client"
}
if command -v curl >/dev/null 2>&1; then
	for pair in ec rsa; do
		try_tls "$pair: curl with the key's URI through the engine" ok curl_tls "$pair"
	done
else
	echo "# curl missing: not tried"
fi

# Each side offered the other's certificate is refused.
try_tls "openssl: the client certificate offered as a server" refused \
	openssl_tls ec tls1_3 client client
try_tls "openssl: the server certificate offered as a client" refused \
	openssl_tls ec tls1_3 server server
try_tls "gnutls: the client certificate offered as a server" refused \
	gnutls_tls ec tls1_3 client client

finish
