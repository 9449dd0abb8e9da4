# SPDX-License-Identifier: MIT
# smartcard.sh - a whole smart-card user in one command: three roles,
# three keys, three certificates, each key able to do what its
# certificate says and nothing more.
. "$top_srcdir/tests/cli/lib.sh"

new_token card
new_ca
CA="exec:$TESTCA $WORK/ca"

expect_status 0 "enroll the smartcard-user set" \
	p11e --token card --json enroll smartcard-user --ca "$CA" \
	--trust "$WORK/ca/root.pem" --set "name=Alice Example" \
	--set upn=alice@example.org --set email=alice@example.org
expect "the set expanded to its three roles, in order" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
roles = [r["role"] for r in doc["enrolled"]]
assert roles == ["user-auth", "user-sign", "user-encrypt"], roles
ids = {r["id"] for r in doc["enrolled"]}
assert len(ids) == 3, ids
assert "error" not in doc
' "$WORK/out"

objects_of card >"$WORK/objects"

# The pkcs11-tool block of the object of TYPE labelled LABEL.
block() {
	awk -v type="$1" -v label="$2" '
		/^[A-Z][a-zA-Z]* .*Object/ { if (keep) exit; cur = $0; inblk = index($0, type) == 1; next }
		inblk && $1 == "label:" && $2 == label { keep = 1; print cur }
		inblk && keep { print }
	' "$WORK/objects"
}

# Usage line of each private key: exactly what the key usage allows.
while read -r role usage; do
	block "Private Key Object" "$role" >"$WORK/priv-$role"
	expect_grep "$role: private key usage is exactly '$usage'" "^  Usage: +$usage\$" \
		"$WORK/priv-$role"
	expect_grep "$role: sensitive and never extractable" \
		'^  Access: +sensitive, always sensitive, never extractable, local$' "$WORK/priv-$role"
	p11tool_on card --read-object --type cert --label "$role" -o "$WORK/$role.der"
	openssl x509 -inform DER -in "$WORK/$role.der" -out "$WORK/$role.pem"
	openssl x509 -in "$WORK/$role.pem" -noout -pubkey >"$WORK/$role.key"
	openssl x509 -in "$WORK/$role.pem" -noout -text >"$WORK/$role.txt"
	expect "$role: chains to the test CA" sh -c 'openssl verify -CAfile "$1" \
		-untrusted "$2" "$3" >/dev/null' - "$WORK/ca/root.pem" "$WORK/ca/ca.pem" \
		"$WORK/$role.pem"
done <<'ROLES'
user-auth sign
user-sign sign
user-encrypt decrypt, unwrap
ROLES

expect_grep "user-encrypt is an RSA key" 'Private Key Object; RSA' "$WORK/priv-user-encrypt"

# No two certificates share a key.
if cmp -s "$WORK/user-auth.key" "$WORK/user-sign.key" ||
	cmp -s "$WORK/user-auth.key" "$WORK/user-encrypt.key" ||
	cmp -s "$WORK/user-sign.key" "$WORK/user-encrypt.key"; then
	not_ok "two certificates share a key"
else
	ok "three certificates, three keys"
fi

# What each certificate says.
expect_grep "user-auth: clientAuth and smart-card logon" \
	'TLS Web Client Authentication, Microsoft Smartcard Login' "$WORK/user-auth.txt"
expect_grep "user-auth: UPN otherName" 'othername: *UPN:+alice@example.org' "$WORK/user-auth.txt"
expect_grep "user-auth: digitalSignature only" '^ +Digital Signature$' "$WORK/user-auth.txt"
expect_grep "user-sign: signature and non-repudiation" \
	'^ +Digital Signature, Non Repudiation$' "$WORK/user-sign.txt"
expect_grep "user-sign: e-mail protection" '^ +E-mail Protection$' "$WORK/user-sign.txt"
expect_grep "user-sign: e-mail SAN" 'email:alice@example.org' "$WORK/user-sign.txt"
expect_grep "user-encrypt: key encipherment only" '^ +Key Encipherment$' "$WORK/user-encrypt.txt"
expect_grep "user-encrypt: e-mail protection" '^ +E-mail Protection$' "$WORK/user-encrypt.txt"

# The encryption key really decrypts and cannot sign.
printf 'secret for alice\n' >"$WORK/plain"
openssl pkeyutl -encrypt -pubin -inkey "$WORK/user-encrypt.key" -in "$WORK/plain" \
	-out "$WORK/cipher"
enc_id=$(sed -n 's/^  ID: *//p' "$WORK/priv-user-encrypt")
p11tool_on card --decrypt --mechanism RSA-PKCS --id "$enc_id" -i "$WORK/cipher" \
	-o "$WORK/decrypted" || :
expect "user-encrypt decrypts on the token" cmp -s "$WORK/plain" "$WORK/decrypted"
if p11tool_on card --sign --mechanism SHA256-RSA-PKCS --id "$enc_id" -i "$WORK/plain" \
	-o "$WORK/sig"; then
	not_ok "user-encrypt signed"
else
	ok "user-encrypt refuses to sign"
fi

expect_status 0 "status" p11e --token card status
for role in user-auth user-sign user-encrypt; do
	expect_grep "status: $role enrolled" "^$role +enrolled " "$WORK/out"
done

# A set expands like its roles: enrolling it again is refused, untouched.
objects_of card >"$WORK/before"
expect_status 6 "enrolling the set again is refused" \
	p11e --token card enroll smartcard-user --ca "$CA" --set "name=Alice Example" \
	--set upn=alice@example.org --set email=alice@example.org
objects_of card >"$WORK/after"
expect "the card is unchanged" cmp -s "$WORK/before" "$WORK/after"

# The EC encryption role: key agreement, never signs after its request.
new_token card-ec
expect_status 0 "enroll user-encrypt-ec" p11e --token card-ec enroll user-encrypt-ec \
	--ca "$CA" --set "name=Bob Example" --set email=bob@example.org
objects_of card-ec >"$WORK/objects"
block "Private Key Object" user-encrypt-ec >"$WORK/priv-ec"
expect_grep "user-encrypt-ec: the key derives and does nothing else" '^  Usage: +derive$' \
	"$WORK/priv-ec"

finish
