# SPDX-License-Identifier: MIT
# module-scenario.sh - one scenario, the same on every PKCS#11 module:
# sourced by module-softhsm.sh, module-tpm2.sh and module-opencryptoki.sh
# once they have the module running with one initialised token.
#
# They set:
#   MOD        the module's path (exported as P11ENROLL_MODULE here)
#   TOK        the token's label
#   MPIN_FILE  a file holding its user PIN; MPIN the PIN itself
#   KIND       softhsm, tpm2 or opencryptoki: what the module can do
#              differs, and so does what p11enroll must answer:
#     tpm2          ignores the loss of CKA_SIGN, but enforces
#                   CKA_ALLOWED_MECHANISMS, which keeps a key whose role
#                   does not sign from signing
#     opencryptoki  has no EC: the roles are RSA copies, and an EC role
#                   is refused before anything is generated
# and may set the profiles directory in P11ENROLL_PROFILES.

export P11ENROLL_MODULE="$MOD"

# p11enroll on the token, with its PIN.
mp11e() {
	"$P11ENROLL" --token "$TOK" --pin-source "file:$MPIN_FILE" "$@"
}

# pkcs11-tool on the token, logged in; the rest are its arguments.
mtool() {
	pkcs11-tool --module "$MOD" --token-label "$TOK" --login \
		--pin "$MPIN" "$@" 2>/dev/null
}

# The token's objects as pkcs11-tool lists them.
mobjects() {
	mtool --list-objects
}

# expect_role ROLE EKU USAGE: ROLE's private key is on the token with
# exactly USAGE as pkcs11-tool names it, never extractable; its
# certificate's extended key usages are exactly EKU as openssl prints
# them, and it holds the public key of the pair.
expect_role() {
	_role=$1 _eku=$2 _usage=$3
	mobjects >"$WORK/objects"
	role_blocks "$_role" "$WORK/objects" >"$WORK/blocks"
	expect_grep "$_role: a private key" '^Private Key Object' "$WORK/blocks"
	expect_grep "$_role: the private key may $_usage and no more" \
		"^Private Key Object.*\\| +Usage: +$_usage( \\||\$)" "$WORK/blocks"
	expect_grep "$_role: the private key never leaves the token" \
		'^Private Key Object.*never extractable' "$WORK/blocks"
	expect_no_grep "$_role: nothing pending or awaiting" 'label: +(pending|awaiting):' \
		"$WORK/objects"
	rm -f "$WORK/cert.der" "$WORK/pub.der"
	if mtool --read-object --type cert --label "$_role" -o "$WORK/cert.der" &&
	    mtool --read-object --type pubkey --label "$_role" -o "$WORK/pub.der"; then
		ok "$_role: certificate and public key read back"
	else
		not_ok "$_role: certificate or public key could not be read back"
		return 0
	fi
	_got=$(openssl x509 -inform DER -in "$WORK/cert.der" -noout \
		-ext extendedKeyUsage 2>&1 | sed -n '2s/^ *//p')
	expect "$_role: the certificate's EKU is '$_eku' (is '$_got')" \
		test "$_got" = "$_eku"
	openssl x509 -inform DER -in "$WORK/cert.der" -noout -pubkey >"$WORK/cert.pub"
	openssl pkey -pubin -inform DER -in "$WORK/pub.der" >"$WORK/token.pub"
	expect "$_role: the certificate holds the token's key" \
		cmp -s "$WORK/cert.pub" "$WORK/token.pub"
}

# expect_absent ROLE: no object of ROLE, pending or not, is on the token.
expect_absent() {
	mobjects >"$WORK/objects"
	expect_no_grep "$1: nothing on the token" "label: +((pending|awaiting|retired):)?$1\$" \
		"$WORK/objects"
}

new_ca
CA="exec:$TESTCA $WORK/ca"
TRUST=$WORK/ca/root.pem

# ---- tokens ------------------------------------------------------------
expect_status 0 "tokens" "$P11ENROLL" --json tokens
expect "tokens lists the token" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert any(t["label"] == sys.argv[2] for t in doc["tokens"]), doc
' "$WORK/out" "$TOK"

# ---- a signing role, EC where the module has EC --------------------------
expect_status 0 "enroll tls-server" mp11e enroll tls-server --ca "$CA" \
	--trust "$TRUST" --set dns=web.example.org
expect_role tls-server 'TLS Web Server Authentication' 'sign'

# ---- an RSA role -----------------------------------------------------------
expect_status 0 "enroll code-signing (RSA)" mp11e enroll code-signing --ca "$CA" \
	--trust "$TRUST" --set name=Builder --set org=Example
expect_role code-signing 'Code Signing' 'sign'

# ---- status ------------------------------------------------------------------
expect_status 0 "status" mp11e --json status
expect "status lists both roles, enrolled" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
states = {r["role"]: r["state"] for r in doc["roles"]}
assert states.get("tls-server") == "enrolled", states
assert states.get("code-signing") == "enrolled", states
' "$WORK/out"
# The RSA key is limited to PKCS#1 v1.5 and PSS signing, or, on a module
# that does not keep the list, status says it has none.
expect "code-signing: its allowed mechanisms, or key-unrestricted" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
row = [r for r in doc["roles"] if r["role"] == "code-signing"][0]
mechs = row["key"]["allowed_mechanisms"]
ids = [f["id"] for f in row["findings"]]
print("# %s: code-signing allowed %s" % (sys.argv[2], mechs))
if sys.argv[2] in ("softhsm", "tpm2") or mechs is not None:
    assert {"CKM_RSA_PKCS", "CKM_RSA_PKCS_PSS"} <= set(mechs), mechs
    assert "CKM_RSA_PKCS_OAEP" not in mechs, mechs
    assert "key-unrestricted" not in ids, ids
else:
    assert "key-unrestricted" in ids, ids
' "$WORK/out" "$KIND"

# ---- renew -------------------------------------------------------------------
mtool --read-object --type cert --label tls-server -o "$WORK/old.der"
expect_status 0 "renew tls-server" mp11e renew tls-server --ca "$CA" \
	--trust "$TRUST" --set dns=web.example.org
expect_role tls-server 'TLS Web Server Authentication' 'sign'
expect "renew gave a new certificate" test "$(od -An -tx1 "$WORK/old.der")" != \
	"$(od -An -tx1 "$WORK/cert.der")"
expect "the old certificate is gone" test "$(role_blocks tls-server "$WORK/objects" |
	grep -c '^Certificate Object')" -eq 1

# ---- remove ------------------------------------------------------------------
expect_status 0 "remove code-signing" mp11e remove code-signing --yes
expect_absent code-signing

# ---- request and install ---------------------------------------------------------
expect_status 0 "request tls-client" mp11e request tls-client --out "$WORK/req.pem" \
	--set cn=client01
CERTMONGER_CSR=$(cat "$WORK/req.pem") "$TESTCA" "$WORK/ca" >"$WORK/issued.pem"
expect_status 0 "install tls-client" mp11e install tls-client "$WORK/issued.pem" \
	--trust "$TRUST"
expect_role tls-client 'TLS Web Client Authentication' 'sign'

# ---- a CA that asks to wait, across runs -------------------------------------------
mkdir "$WORK/state"
WAIT_CA="exec:$FIXTURES/ca-wait.sh $WORK/state 1 $WORK/ca"
expect_status 5 "a CA that asks to wait: exit 5, the key awaits" mp11e enroll \
	user-auth --ca "$WAIT_CA" --set name=Alice --set upn=alice@example.org \
	--set email=alice@example.org
mobjects >"$WORK/objects"
expect_grep "the key waits under the awaiting label" 'label: +awaiting:user-auth' \
	"$WORK/objects"
expect_status 0 "the next run is issued" mp11e enroll user-auth --ca "$WAIT_CA" \
	--trust "$TRUST" --set name=Alice --set upn=alice@example.org \
	--set email=alice@example.org
expect_role user-auth 'TLS Web Client Authentication, Microsoft Smartcard Login' 'sign'
expect_status 0 "remove user-auth" mp11e remove user-auth --yes
expect_absent user-auth

# ---- a role that decrypts and never signs -------------------------------------------
expect_status 0 "enroll user-encrypt" mp11e enroll user-encrypt --ca "$CA" \
	--trust "$TRUST" --set name=Bob --set email=bob@example.org
expect_role user-encrypt 'E-mail Protection' 'decrypt, unwrap'
# The token refuses it a signature, whether CKA_SIGN or its list of
# mechanisms is what the module enforces.
_id=$(role_blocks user-encrypt "$WORK/objects" | grep '^Private Key Object' |
	sed -n 's/.*| *ID: *\([0-9a-f]*\).*/\1/p')
head -c 32 /dev/urandom >"$WORK/data"
if mtool --sign --id "$_id" -m RSA-PKCS -i "$WORK/data" -o "$WORK/sig"; then
	not_ok "user-encrypt: the token made a signature with the key"
else
	ok "user-encrypt: the token refuses to sign with the key"
fi
expect_status 0 "status: user-encrypt does not sign" mp11e status
expect_grep "its rights are decrypt and unwrap" '^user-encrypt +enrolled .* decrypt,unwrap$' \
	"$WORK/out"
expect_no_grep "no error about it" '^user-encrypt: error' "$WORK/out"
expect_status 0 "remove user-encrypt" mp11e remove user-encrypt --yes
expect_absent user-encrypt

# ---- the smartcard-user set ---------------------------------------------------------
SET_VARS="--set name=Carol --set upn=carol@example.org --set email=carol@example.org"
# shellcheck disable=SC2086
expect_status 0 "enroll smartcard-user" mp11e enroll smartcard-user --ca "$CA" \
	--trust "$TRUST" $SET_VARS
expect_role user-auth 'TLS Web Client Authentication, Microsoft Smartcard Login' 'sign'
expect_role user-sign 'E-mail Protection' 'sign'
expect_role user-encrypt 'E-mail Protection' 'decrypt, unwrap'

# ---- an audit of everything that is left ---------------------------------------------
expect_status 0 "status finds nothing wrong" mp11e status
expect_no_grep "no pending keys" 'pending' "$WORK/out"
