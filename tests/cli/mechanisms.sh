# SPDX-License-Identifier: MIT
# mechanisms.sh - what the generated keys carry for their consumers: the
# subject (CKA_SUBJECT) and public key (CKA_PUBLIC_KEY_INFO) on both
# halves, and CKA_ALLOWED_MECHANISMS on the private key, derived from the
# role and what the token offers, narrowed by a profile. The token is
# read with pkcs11-tool and p11probe; it refuses a mechanism outside the
# list; TLS 1.2 and 1.3 through libp11's engine still work on RSA (PSS)
# and EC keys; a module that does not keep the list is detected.
for tool in pkcs11-tool openssl; do
	command -v "$tool" >/dev/null || { echo "# SKIP: $tool is not installed"; exit 77; }
done
. "$top_srcdir/tests/cli/lib.sh"

: "${P11PROBE:?p11probe is built by make check}"
: "${P11FAULT_MODULE:?the fault module is built by make check}"

ENGINE_DIR=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
[ -e "$ENGINE_DIR/pkcs11.so" ] || { echo "# SKIP: libp11's engine is not installed (libengine-pkcs11-openssl)"; exit 77; }

new_token mech
new_ca
CA="exec:$TESTCA $WORK/ca"

# The shipped roles, an RSA copy of tls-server, and one narrowed to the
# raw RSA mechanisms.
mkdir "$WORK/profiles"
cp "$top_srcdir"/profiles/* "$WORK/profiles/"
sed 's/^algorithm = ec-p256$/algorithm = rsa-2048/' "$top_srcdir/profiles/tls-server.profile" \
	>"$WORK/profiles/tls-server-rsa.profile"
sed 's/^algorithm = ec-p256$/algorithm = rsa-2048\nallowed_mechanisms = CKM_RSA_PKCS, CKM_RSA_PKCS_PSS/' \
	"$top_srcdir/profiles/tls-server.profile" >"$WORK/profiles/tls-server-narrow.profile"
sed 's/^algorithm = rsa-2048$/&\nallowed_mechanisms = CKM_RSA_PKCS_OAEP/' \
	"$top_srcdir/profiles/user-encrypt.profile" >"$WORK/profiles/user-encrypt-oaep.profile"
export P11ENROLL_PROFILES="$WORK/profiles"

expect_status 0 "enroll an EC and an RSA TLS server, encryption roles and a narrowed one" \
	p11e --token mech enroll tls-server tls-server-rsa user-encrypt tls-server-narrow \
	user-encrypt-oaep \
	--ca "$CA" --trust "$WORK/ca/root.pem" --set dns=www.example.org \
	--set name=Bob --set email=bob@example.org

# ---- the list of mechanisms, as pkcs11-tool reads it --------------------------
objects_of mech >"$WORK/objects"
# allowed ROLE: the private key's "Allowed mechanisms" as pkcs11-tool names them.
allowed() {
	role_blocks "$1" "$WORK/objects" | grep '^Private Key Object' |
		sed -n 's/.*| *Allowed mechanisms: \([^|]*\).*/\1/p' | sed 's/ *$//'
}
got=$(allowed tls-server)
expect "tls-server (EC): ECDSA and nothing else SoftHSM offers (is '$got')" \
	test "$got" = "ECDSA"
got=$(allowed tls-server-rsa)
expect "tls-server-rsa: PKCS#1 v1.5 and PSS, raw and hashed (is '$got')" test "$got" = \
	"RSA-PKCS,RSA-PKCS-PSS,SHA256-RSA-PKCS,SHA384-RSA-PKCS,SHA512-RSA-PKCS,SHA256-RSA-PKCS-PSS,SHA384-RSA-PKCS-PSS,SHA512-RSA-PKCS-PSS"
# A key whose role does not sign keeps the mechanism that signed its
# request, SHA256-RSA-PKCS, where the module fixes the list at generation
# (SoftHSM); CKA_SIGN false keeps it from signing.
got=$(allowed user-encrypt)
expect "user-encrypt: OAEP and PKCS#1 v1.5 decryption, and what signed its request (is '$got')" \
	test "$got" = "RSA-PKCS,RSA-PKCS-OAEP,SHA256-RSA-PKCS"
got=$(allowed tls-server-narrow)
expect "tls-server-narrow: the profile's two (is '$got')" test "$got" = "RSA-PKCS,RSA-PKCS-PSS"
got=$(allowed user-encrypt-oaep)
expect "user-encrypt-oaep: OAEP, and what signed its request (is '$got')" \
	test "$got" = "RSA-PKCS-OAEP,SHA256-RSA-PKCS"

# ---- subject and public key on both halves -----------------------------------
for role in tls-server user-encrypt; do
	"$P11PROBE" "$SOFTHSM2_MODULE" mech "$USER_PIN" get cert "$role" subject \
		>"$WORK/cert-subject"
	"$P11PROBE" "$SOFTHSM2_MODULE" mech "$USER_PIN" get privkey "$role" subject \
		public-key-info >"$WORK/priv-attrs"
	"$P11PROBE" "$SOFTHSM2_MODULE" mech "$USER_PIN" get pubkey "$role" subject \
		>"$WORK/pub-attrs"
	subject=$(sed -n 's/^subject=//p' "$WORK/cert-subject")
	expect "$role: the certificate object has a subject" test -n "$subject" -a "$subject" != -
	expect_grep "$role: the private key's CKA_SUBJECT is the certificate's" \
		"^subject=$subject " "$WORK/priv-attrs"
	expect_grep "$role: the public key's CKA_SUBJECT is the certificate's" \
		"^subject=$subject\$" "$WORK/pub-attrs"
	printf '%s' "$subject" | xxd -r -p | openssl asn1parse -inform DER >"$WORK/subject.txt"
	expect_grep "$role: it is the subject's DER" 'commonName' "$WORK/subject.txt"
	p11tool_on mech --read-object --type cert --label "$role" -o "$WORK/cert.der"
	spki=$(openssl x509 -inform DER -in "$WORK/cert.der" -noout -pubkey |
		openssl pkey -pubin -outform DER | xxd -p | tr -d '\n')
	expect_grep "$role: the private key's CKA_PUBLIC_KEY_INFO is the certificate's key" \
		"public-key-info=$spki\$" "$WORK/priv-attrs"
done

# ---- status: the mechanisms per role, and a key without a list ------------------
foreign_keypair mech 99 foreign EC:prime256v1
expect_status 0 "status" p11e --token mech status
expect_grep "a key without a list is an info finding" \
	'^foreign: info: key-unrestricted: the private key has no CKA_ALLOWED_MECHANISMS' "$WORK/out"
expect_no_grep "the enrolled keys have one" '^(tls-server|user-encrypt)[a-z-]*: info: key-unrestricted' \
	"$WORK/out"
expect_status 0 "status -v" p11e --token mech -v status
expect_grep "status -v names the mechanisms" '"CKM_RSA_PKCS_OAEP"' "$WORK/out"
expect_status 0 "status --json" p11e --token mech --json status
expect "the document follows the schema; mechanisms by name, null without a list" "$PYTHON" -c '
import json, sys
import jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
mechs = {r["role"]: r["key"]["allowed_mechanisms"] for r in doc["roles"]}
assert mechs["tls-server"] == ["CKM_ECDSA"], mechs
assert mechs["user-encrypt"] == ["CKM_RSA_PKCS", "CKM_RSA_PKCS_OAEP",
                                 "CKM_SHA256_RSA_PKCS"], mechs
assert mechs["tls-server-narrow"] == ["CKM_RSA_PKCS", "CKM_RSA_PKCS_PSS"], mechs
assert mechs["foreign"] is None, mechs
ids = [f["id"] for r in doc["roles"] if r["role"] == "foreign" for f in r["findings"]]
assert "key-unrestricted" in ids, ids
' "$WORK/out" "$top_srcdir/doc/status.schema.json"
p11tool_on mech --delete-object --type privkey --label foreign >/dev/null
p11tool_on mech --delete-object --type pubkey --label foreign >/dev/null

# ---- the token enforces the list -----------------------------------------------
head -c 32 /dev/urandom >"$WORK/data"
# key_id ROLE: the CKA_ID of ROLE's private key, as pkcs11-tool lists it
# (its --label does not find the key to sign with).
key_id() {
	role_blocks "$1" "$WORK/objects" | grep '^Private Key Object' |
		sed -n 's/.*| *ID: *\([0-9a-f]*\).*/\1/p'
}
# use_key ROLE OPERATION MECHANISM [OPTION...]: pkcs11-tool signs or
# decrypts with ROLE's key; its report in $WORK/tool.out.
use_key() {
	_id=$(key_id "$1")
	_op=$2 _mech=$3
	shift 3
	pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label mech --login \
		--pin "$USER_PIN" "$_op" --id "$_id" -m "$_mech" "$@" \
		>"$WORK/tool.out" 2>&1
}
# refused WHAT ANSWER ROLE OPERATION MECHANISM [OPTION...]: the token
# refuses, with ANSWER.
refused() {
	_what=$1 _answer=$2
	shift 2
	if use_key "$@"; then
		not_ok "$_what: the token did it"
	elif grep -Eq "$_answer" "$WORK/tool.out"; then
		ok "$_what: refused ($_answer)"
	else
		not_ok "$_what: not refused with $_answer"
		sed 's/^/#   /' "$WORK/tool.out"
	fi
}
expect "tls-server-narrow signs with RSA-PKCS, in its list" \
	use_key tls-server-narrow --sign RSA-PKCS -i "$WORK/data" -o "$WORK/sig"
expect "tls-server-rsa signs with SHA256-RSA-PKCS, in its list" \
	use_key tls-server-rsa --sign SHA256-RSA-PKCS -i "$WORK/data" -o "$WORK/sig"
refused "tls-server-narrow with SHA256-RSA-PKCS, outside its list" CKR_MECHANISM_INVALID \
	tls-server-narrow --sign SHA256-RSA-PKCS -i "$WORK/data" -o "$WORK/sig"
refused "tls-server-rsa with SHA1-RSA-PKCS, in no list" CKR_MECHANISM_INVALID \
	tls-server-rsa --sign SHA1-RSA-PKCS -i "$WORK/data" -o "$WORK/sig"
refused "user-encrypt, which decrypts, asked to sign" 'CKR_(MECHANISM_INVALID|KEY_FUNCTION_NOT_PERMITTED)' \
	user-encrypt --sign SHA256-RSA-PKCS -i "$WORK/data" -o "$WORK/sig"
# Decryption: SoftHSM's OAEP takes SHA-1 parameters, openssl's default.
p11tool_on mech --read-object --type cert --label user-encrypt -o "$WORK/enc.der"
openssl x509 -inform DER -in "$WORK/enc.der" -noout -pubkey >"$WORK/enc.pub"
openssl pkeyutl -encrypt -pubin -inkey "$WORK/enc.pub" -pkeyopt rsa_padding_mode:oaep \
	-in "$WORK/data" -out "$WORK/enc"
expect "user-encrypt decrypts OAEP, in its list" use_key user-encrypt --decrypt \
	RSA-PKCS-OAEP --hash-algorithm SHA-1 --mgf MGF1-SHA1 -i "$WORK/enc" -o "$WORK/plain"
expect "and gets the data back" cmp -s "$WORK/data" "$WORK/plain"
openssl rsautl -encrypt -pubin -inkey "$WORK/enc.pub" -in "$WORK/data" \
	-out "$WORK/enc-pkcs1" 2>/dev/null
refused "user-encrypt-oaep with RSA-PKCS decryption, outside its list" CKR_MECHANISM_INVALID \
	user-encrypt-oaep --decrypt RSA-PKCS -i "$WORK/enc-pkcs1"
refused "user-encrypt-oaep asked to sign with the mechanism that signed its request" \
	CKR_KEY_FUNCTION_NOT_PERMITTED user-encrypt-oaep --sign SHA256-RSA-PKCS \
	-i "$WORK/data" -o "$WORK/sig"
refused "tls-server-rsa, which signs, asked to decrypt" \
	'CKR_(MECHANISM_INVALID|KEY_FUNCTION_NOT_PERMITTED)' tls-server-rsa --decrypt \
	RSA-PKCS-OAEP --hash-algorithm SHA-1 --mgf MGF1-SHA1 -i "$WORK/enc"

# ---- TLS through libp11's engine ---------------------------------------------------
cat >"$WORK/openssl.cnf" <<EOF
openssl_conf = init
[init]
engines = engines
[engines]
pkcs11 = pkcs11
[pkcs11]
engine_id = pkcs11
MODULE_PATH = $SOFTHSM2_MODULE
PIN = $USER_PIN
init = 0
EOF
SERVER_PID=
stop_server() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
	return 0
}
# shellcheck disable=SC2034 # lib.sh's cleanup runs it
on_exit=stop_server

free_port() {
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# handshake ROLE CLIENT-OPTION...: openssl s_server with ROLE's key through
# the engine and its certificate, one connection from s_client trusting
# only the root; the client's report in $WORK/client.
handshake() {
	_role=$1
	shift
	p11tool_on mech --read-object --type cert --label "$_role" -o "$WORK/srv.der"
	openssl x509 -inform DER -in "$WORK/srv.der" -out "$WORK/srv.pem"
	_port=$(free_port)
	OPENSSL_CONF="$WORK/openssl.cnf" openssl s_server -accept "127.0.0.1:$_port" \
		-engine pkcs11 -keyform engine \
		-key "pkcs11:token=mech;object=$_role;type=private" \
		-cert "$WORK/srv.pem" -cert_chain "$WORK/ca/ca.pem" -naccept 1 -www \
		>"$WORK/server" 2>&1 </dev/null &
	SERVER_PID=$!
	for _ in $(seq 100); do
		grep -q '^ACCEPT' "$WORK/server" 2>/dev/null && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	_rc=0
	echo Q | timeout 20 openssl s_client -connect "127.0.0.1:$_port" \
		-CAfile "$WORK/ca/root.pem" -verify_return_error \
		-verify_hostname www.example.org "$@" >"$WORK/client" 2>&1 || _rc=$?
	stop_server
	return "$_rc"
}

expect "TLS 1.3 with the RSA key (RSA-PSS)" handshake tls-server-rsa -tls1_3 \
	-sigalgs rsa_pss_rsae_sha256
expect_grep "the server signed with RSA-PSS" '^Peer signature type: RSA-PSS' "$WORK/client"
expect_grep "the chain verified to the root" '^Verification: OK' "$WORK/client"
expect "TLS 1.2 with the RSA key (PKCS#1 v1.5)" handshake tls-server-rsa -tls1_2 \
	-sigalgs RSA+SHA256
expect_grep "the server signed with PKCS#1 v1.5" '^Peer signature type: RSA$' "$WORK/client"
expect "TLS 1.3 with the EC key (ECDSA)" handshake tls-server -tls1_3
expect_grep "the server signed with ECDSA" '^Peer signature type: ECDSA' "$WORK/client"
expect_grep "the chain verified to the root" '^Verification: OK' "$WORK/client"
# A key narrowed to PKCS#1 v1.5 alone cannot serve TLS 1.3: PSS is what
# the engine asks for, and the token refuses it.
sed 's/^allowed_mechanisms = .*/allowed_mechanisms = CKM_RSA_PKCS/' \
	"$WORK/profiles/tls-server-narrow.profile" >"$WORK/profiles/tls-server-pkcs1.profile"
expect_status 0 "enroll a role limited to CKM_RSA_PKCS" p11e --token mech enroll \
	tls-server-pkcs1 --ca "$CA" --trust "$WORK/ca/root.pem" --set dns=www.example.org
if handshake tls-server-pkcs1 -tls1_3; then
	not_ok "TLS 1.3 worked with a key the token limits to CKM_RSA_PKCS"
else
	ok "TLS 1.3 fails with a key the token limits to CKM_RSA_PKCS"
fi
expect "TLS 1.2 with PKCS#1 v1.5 still works with it" handshake tls-server-pkcs1 -tls1_2 \
	-sigalgs RSA+SHA256

# ---- profile show and lint ----------------------------------------------------------
expect_status 0 "profile show of the narrowed role" "$P11ENROLL" profile show tls-server-narrow
expect_grep "shows its list" '^allowed mechanisms: +CKM_RSA_PKCS, CKM_RSA_PKCS_PSS$' "$WORK/out"
expect_status 0 "profile show --json" "$P11ENROLL" --json profile show tls-server-narrow
expect "JSON: the list by name" "$PYTHON" -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert p["allowed_mechanisms"] == ["CKM_RSA_PKCS", "CKM_RSA_PKCS_PSS"], p
' "$WORK/out"
expect_status 0 "profile show --json of a role without a list" "$P11ENROLL" --json \
	profile show tls-server
expect "JSON: null" "$PYTHON" -c '
import json, sys
assert json.load(open(sys.argv[1]))["allowed_mechanisms"] is None
' "$WORK/out"
expect_status 0 "lint takes the narrowed profile" "$P11ENROLL" profile lint \
	"$WORK/profiles/tls-server-narrow.profile"
mkdir "$WORK/bad"
sed 's/^algorithm = ec-p256$/&\nallowed_mechanisms = CKM_ECDSA, CKM_RSA_PKCS_OAEP/' \
	"$top_srcdir/profiles/tls-server.profile" >"$WORK/bad/decrypt-on-signer.profile"
expect_status 2 "lint refuses a decryption mechanism on a signing key" "$P11ENROLL" \
	profile lint "$WORK/bad/decrypt-on-signer.profile"
expect_grep "as mechanisms-not-for-key" \
	'mechanisms-not-for-key: allowed_mechanisms lists CKM_RSA_PKCS_OAEP' "$WORK/out"
sed 's/^algorithm = ec-p256$/&\nallowed_mechanisms = CKM_ECDH1_DERIVE/' \
	"$top_srcdir/profiles/tls-server.profile" >"$WORK/bad/nothing-to-sign.profile"
expect_status 2 "lint refuses a list with nothing the role needs" "$P11ENROLL" \
	profile lint "$WORK/bad/nothing-to-sign.profile"
expect_grep "as mechanisms-missing" \
	'mechanisms-missing: allowed_mechanisms leaves the key nothing to sign with' "$WORK/out"
sed 's/^algorithm = ec-p256$/&\nallowed_mechanisms = CKM_ECDSA, CKM_NONSENSE/' \
	"$top_srcdir/profiles/tls-server.profile" >"$WORK/bad/unknown.profile"
expect_status 2 "lint refuses an unknown mechanism" "$P11ENROLL" profile lint \
	"$WORK/bad/unknown.profile"
expect_grep "naming it and the line" "unknown.profile:[0-9]+: allowed_mechanisms: unknown mechanism 'CKM_NONSENSE'" \
	"$WORK/out"
cp "$WORK/bad/decrypt-on-signer.profile" "$WORK/profiles/"
expect_status 2 "enroll refuses the contradicting profile" p11e --token mech enroll \
	decrypt-on-signer --ca "$CA" --set dns=www.example.org

# ---- a module that keeps no list ------------------------------------------------------
new_token plain
printf 'quirk no-mechanism-list\n' >"$WORK/quirk.conf"
expect_status 0 "enroll through a module that refuses the list" env \
	P11FAULT_CONF="$WORK/quirk.conf" P11FAULT_TARGET="$SOFTHSM2_MODULE" \
	"$P11ENROLL" --module "$P11FAULT_MODULE" --pin-source "file:$PIN_FILE" \
	--token plain enroll tls-server --ca "$CA" --trust "$WORK/ca/root.pem" \
	--set dns=www.example.org
objects_of plain >"$WORK/objects"
expect_no_grep "the key has no list" 'Allowed mechanisms' "$WORK/objects"
"$P11PROBE" "$SOFTHSM2_MODULE" plain "$USER_PIN" get privkey tls-server subject \
	>"$WORK/priv-attrs"
expect_grep "the subject was set after all" '^subject=30' "$WORK/priv-attrs"
expect_status 0 "status says so" p11e --token plain status
expect_grep "as key-unrestricted" '^tls-server: info: key-unrestricted: ' "$WORK/out"

finish
