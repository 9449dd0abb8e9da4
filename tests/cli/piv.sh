# SPDX-License-Identifier: MIT
# piv.sh - the PIV roles: each key in its fixed slot (the CKA_ID that
# OpenSC's PIV driver gives it), an occupied slot refused, and renew
# replacing the key in its slot.
. "$top_srcdir/tests/cli/lib.sh"

new_token card
new_ca
CA="exec:$TESTCA $WORK/ca"
USER_VARS="--set name=Alice --set upn=alice@example.org --set email=alice@example.org"

# How many objects of TYPE ("Private Key", ...) in LISTING have CKA_ID ID,
# whatever their label.
count_id() {
	awk -v type="$1 Object" -v id="$2" '
		/^[^ ]/ { cur = index($0, type) == 1; next }
		cur && $1 == "ID:" && $2 == id { n++ }
		END { print n + 0 }
	' "$3"
}

# Save the certificate labelled $1 as $2.der/.pem, its key and its text.
save_cert() {
	rm -f "$2.der"
	p11tool_on card --read-object --type cert --label "$1" -o "$2.der" >/dev/null
	openssl x509 -inform DER -in "$2.der" -out "$2.pem"
	openssl x509 -in "$2.pem" -noout -pubkey >"$2.pub"
	openssl x509 -in "$2.pem" -noout -text >"$2.txt"
}

# ---- the piv-user set: three roles in slots 01, 02, 03 ----
# shellcheck disable=SC2086
expect_status 0 "enroll the piv-user set" \
	p11e --token card enroll piv-user --ca "$CA" --trust "$WORK/ca/root.pem" $USER_VARS
objects_of card >"$WORK/objects"
while read -r role id usage; do
	role_blocks "$role" "$WORK/objects" >"$WORK/blocks-$role"
	for type in "Private Key" "Public Key" "Certificate"; do
		expect_grep "$role: its $type object has CKA_ID $id" \
			"^$type Object.*\|   ID: +$id( |\$)" "$WORK/blocks-$role"
	done
	if [ "$(count_id "Private Key" "$id" "$WORK/objects")" -eq 1 ] &&
		[ "$(count_id "Certificate" "$id" "$WORK/objects")" -eq 1 ]; then
		ok "$role: one private key and one certificate with ID $id"
	else
		not_ok "$role: not one private key and one certificate with ID $id"
	fi
	grep '^Private Key Object' "$WORK/blocks-$role" >"$WORK/priv-$role"
	expect_grep "$role: private key usage is exactly '$usage'" \
		"\|   Usage: +$usage \|" "$WORK/priv-$role"
	expect_grep "$role: sensitive and never extractable" \
		'Access: +sensitive, always sensitive, never extractable, local' \
		"$WORK/priv-$role"
	save_cert "$role" "$WORK/$role"
	expect "$role: chains to the test CA" sh -c 'openssl verify -CAfile "$1" \
		-untrusted "$2" "$3" >/dev/null' - "$WORK/ca/root.pem" "$WORK/ca/ca.pem" \
		"$WORK/$role.pem"
done <<'ROLES'
piv-auth 01 sign
piv-sign 02 sign
piv-key-management 03 decrypt, unwrap
ROLES
expect_grep "piv-key-management is an RSA key" 'Private Key Object; RSA' \
	"$WORK/priv-piv-key-management"
expect_grep "piv-auth: clientAuth and smart-card logon" \
	'TLS Web Client Authentication, Microsoft Smartcard Login' "$WORK/piv-auth.txt"
expect_grep "piv-auth: UPN otherName" 'othername: *UPN:+alice@example.org' \
	"$WORK/piv-auth.txt"
expect_grep "piv-auth: digitalSignature only" '^ +Digital Signature$' "$WORK/piv-auth.txt"
expect_grep "piv-sign: signature and non-repudiation" \
	'^ +Digital Signature, Non Repudiation$' "$WORK/piv-sign.txt"
expect_grep "piv-sign: e-mail protection" '^ +E-mail Protection$' "$WORK/piv-sign.txt"
expect_grep "piv-key-management: key encipherment only" '^ +Key Encipherment$' \
	"$WORK/piv-key-management.txt"
expect_grep "piv-key-management: e-mail protection" '^ +E-mail Protection$' \
	"$WORK/piv-key-management.txt"

# ---- an occupied slot is refused, the card untouched ----
objects_of card >"$WORK/before"
# shellcheck disable=SC2086
expect_status 6 "enrolling piv-auth again is refused" \
	p11e --token card enroll piv-auth --ca "$CA" $USER_VARS
expect_grep "it says the role is there" 'role piv-auth is already on the token' "$WORK/err"
expect_unchanged "enroll piv-auth again" card

# A key of another tool in slot 01 of a second card.
new_token other
p11tool_on other --keypairgen --key-type EC:prime256v1 --label "PIV AUTH key" \
	--id 01 >/dev/null
objects_of other >"$WORK/before"
# shellcheck disable=SC2086
expect_status 1 "enroll piv-auth into an occupied slot is refused" \
	p11e --token other enroll piv-auth --ca "$CA" $USER_VARS
expect_grep "it names the occupied fixed slot" \
	'role piv-auth: its fixed key slot ID 01 on token other is occupied by another key' \
	"$WORK/err"
expect_unchanged "enroll piv-auth into an occupied slot" other

# ---- card authentication: slot 04, no personal data ----
uuid=3c8a1f52-7d0e-4b6a-9f21-5e4d2c1b0a99
expect_status 0 "enroll piv-card-auth" \
	p11e --token card enroll piv-card-auth --ca "$CA" --set card_uuid=$uuid
objects_of card >"$WORK/objects"
role_blocks piv-card-auth "$WORK/objects" >"$WORK/blocks-card"
for type in "Private Key" "Public Key" "Certificate"; do
	expect_grep "piv-card-auth: its $type object has CKA_ID 04" \
		"^$type Object.*\|   ID: +04( |\$)" "$WORK/blocks-card"
done
save_cert piv-card-auth "$WORK/card"
expect_grep "piv-card-auth: extended key usage id-PIV-cardAuth" \
	'^ +2\.16\.840\.1\.101\.3\.6\.8$' "$WORK/card.txt"
expect_grep "piv-card-auth: the card's UUID as URI" "URI:urn:uuid:$uuid" "$WORK/card.txt"
expect_no_grep "piv-card-auth: no name, mail address or UPN" \
	'Alice|alice@|Client Authentication|Smartcard' "$WORK/card.txt"

# ---- renew replaces the key in its slot ----
save_cert piv-auth "$WORK/old-auth"
expect_status 0 "renew piv-auth" p11e --token card renew piv-auth --ca "$CA" \
	--trust "$WORK/ca/root.pem"
expect_grep "the line names the fixed ID" '^renewed piv-auth: ec-p256 key 01,' "$WORK/out"
objects_of card >"$WORK/renewed"
if [ "$(count_id "Private Key" 01 "$WORK/renewed")" -eq 1 ] &&
	[ "$(count_id "Public Key" 01 "$WORK/renewed")" -eq 1 ] &&
	[ "$(count_id "Certificate" 01 "$WORK/renewed")" -eq 1 ]; then
	ok "renew: one key pair and one certificate with ID 01"
else
	not_ok "renew: not one key pair and one certificate with ID 01"
	sed 's/^/#   /' "$WORK/renewed"
fi
if [ "$(role_blocks piv-auth "$WORK/renewed" | wc -l)" -eq 3 ]; then
	ok "renew: the three objects of ID 01 are labelled piv-auth"
else
	not_ok "renew: piv-auth does not label three objects"
fi
expect_no_grep "renew: no pending or retired object is left" \
	'label: +(pending|retired):' "$WORK/renewed"
save_cert piv-auth "$WORK/new-auth"
if cmp -s "$WORK/old-auth.pub" "$WORK/new-auth.pub"; then
	not_ok "renew: the certificate still certifies the old key"
else
	ok "renew: a new key"
fi
expect_grep "renew: still clientAuth and smart-card logon" \
	'TLS Web Client Authentication, Microsoft Smartcard Login' "$WORK/new-auth.txt"
for role in piv-sign piv-key-management piv-card-auth; do
	role_blocks "$role" "$WORK/objects" >"$WORK/blocks-before"
	role_blocks "$role" "$WORK/renewed" >"$WORK/blocks-after"
	if [ -s "$WORK/blocks-before" ] && cmp -s "$WORK/blocks-before" "$WORK/blocks-after"; then
		ok "renew: $role untouched"
	else
		not_ok "renew: $role changed"
	fi
done
expect_status 0 "status is clean after renew" p11e --token card status
for role in piv-auth piv-sign piv-key-management piv-card-auth; do
	expect_grep "status: $role enrolled" "^$role +enrolled " "$WORK/out"
done

# ---- renew refusals: nothing changes ----
objects_of card >"$WORK/before"
expect_status 2 "renew --keep-old of a fixed-slot role is a usage error" \
	p11e --token card renew piv-auth --ca "$CA" --keep-old
expect_grep "it says why" \
	'--keep-old cannot renew role piv-auth: its profile fixes the key.s CKA_ID to 01, and two keys cannot share one fixed slot' \
	"$WORK/err"
expect_unchanged "renew --keep-old" card

expect_status 1 "renew piv-auth whose CA rejects" \
	p11e --token card renew piv-auth --ca "exec:$FIXTURES/ca-exit.sh 2 request denied by policy" \
	</dev/null
expect_grep "the CA's refusal is reported" 'rejected' "$WORK/err"
expect_grep "the old pair is as it was" \
	'the new key was removed; the old key and certificate are as they were' "$WORK/err"
expect_unchanged "renew piv-auth whose CA rejects" card

expect_status 1 "renew piv-sign whose CA certifies another key" \
	p11e --token card renew piv-sign --ca "exec:$FIXTURES/ca-bad.sh wrong-key $WORK/ca" \
	</dev/null
expect_grep "the old pair is as it was" 'the old key and certificate are as they were' \
	"$WORK/err"
expect_unchanged "renew piv-sign whose CA certifies another key" card

# ---- a card that replaces the key in its slot ----
# The fault module's card mode does what a PIV card does: a key pair
# generated with a CKA_ID replaces the keys with that CKA_ID, a
# certificate written with one replaces the certificates with it.
: "${P11FAULT_MODULE:?the fault module is built by make check}"
printf 'card\n' >"$WORK/card.conf"
on_card() {
	P11ENROLL_MODULE=$P11FAULT_MODULE P11FAULT_TARGET=$SOFTHSM2_MODULE \
		P11FAULT_CONF=$WORK/card.conf p11e --token card "$@"
}

save_cert piv-auth "$WORK/old-auth"
expect_status 0 "renew piv-auth on a card that replaces the key" \
	on_card renew piv-auth --ca "$CA"
objects_of card >"$WORK/replaced"
if [ "$(count_id "Private Key" 01 "$WORK/replaced")" -eq 1 ] &&
	[ "$(count_id "Public Key" 01 "$WORK/replaced")" -eq 1 ] &&
	[ "$(count_id "Certificate" 01 "$WORK/replaced")" -eq 1 ] &&
	[ "$(role_blocks piv-auth "$WORK/replaced" | wc -l)" -eq 3 ]; then
	ok "card: one key pair and one certificate with ID 01, labelled piv-auth"
else
	not_ok "card: not one key pair and one certificate with ID 01"
	sed 's/^/#   /' "$WORK/replaced"
fi
save_cert piv-auth "$WORK/new-auth"
if cmp -s "$WORK/old-auth.pub" "$WORK/new-auth.pub"; then
	not_ok "card: the certificate still certifies the old key"
else
	ok "card: the certificate certifies the new key"
fi
expect_status 0 "card: status is clean after renew" p11e --token card status

# A failure after the card replaced the old key: the old certificate has
# lost its key, so it goes too, and the role is absent.
expect_status 1 "renew piv-auth on a card, CA rejects" \
	on_card renew piv-auth --ca "exec:$FIXTURES/ca-exit.sh 2 request denied by policy" \
	</dev/null
expect_grep "it says the card replaced the key and to enroll again" \
	'the card replaced the old key in fixed slot ID 01 when it generated the new one, so the old certificate was removed too; enroll piv-auth again' \
	"$WORK/err"
objects_of card >"$WORK/absent"
if [ "$(count_id "Private Key" 01 "$WORK/absent")" -eq 0 ] &&
	[ "$(count_id "Public Key" 01 "$WORK/absent")" -eq 0 ] &&
	[ "$(count_id "Certificate" 01 "$WORK/absent")" -eq 0 ]; then
	ok "card: slot 01 is empty"
else
	not_ok "card: objects with ID 01 are left"
	sed 's/^/#   /' "$WORK/absent"
fi
expect_no_grep "card: nothing labelled piv-auth is left" 'label: +([a-z]+:)?piv-auth$' \
	"$WORK/absent"
for role in piv-sign piv-key-management piv-card-auth; do
	role_blocks "$role" "$WORK/replaced" >"$WORK/blocks-before"
	role_blocks "$role" "$WORK/absent" >"$WORK/blocks-after"
	if [ -s "$WORK/blocks-before" ] && cmp -s "$WORK/blocks-before" "$WORK/blocks-after"; then
		ok "card: $role untouched"
	else
		not_ok "card: $role changed"
	fi
done
# shellcheck disable=SC2086
expect_status 0 "card: piv-auth can be enrolled again" \
	on_card enroll piv-auth --ca "$CA" $USER_VARS

finish
