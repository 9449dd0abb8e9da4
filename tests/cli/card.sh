# SPDX-License-Identifier: MIT
# card.sh - p11enroll on a smart card: SoftHSM behind the test module's
# card mode (tests/faultmod/README), which offers only RSA-2048 and P-256,
# has fixed key slots that a new key replaces, room for few objects, no
# C_InitToken, a PIN that locks after three wrong tries, and, when asked,
# a PIN pad, write protection and slow RSA key generation.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
export P11FAULT_TARGET="$SOFTHSM2_MODULE"
export P11ENROLL_MODULE="$P11FAULT_MODULE"
export P11FAULT_CONF="$WORK/card.conf"
TRACE=$WORK/trace
PTYRUN="$PYTHON $top_srcdir/tests/cli/ptyrun.py"

new_token card
new_ca
CA="exec:$TESTCA $WORK/ca"
USER_VARS="--set name=Alice --set upn=alice@example.org --set email=alice@example.org"

# card LINE...: the card's configuration, with a fresh trace.
card() {
	rm -f "$TRACE"
	{ echo card; echo "trace $TRACE"; printf '%s\n' "$@"; } >"$P11FAULT_CONF"
}

# calls FUNC: how many times the last runs called FUNC.
calls() {
	grep -c " $1 " "$TRACE" 2>/dev/null || :
}

# Profiles of the test's own beside the shipped ones.
mkdir "$WORK/profiles"
cp "$top_srcdir"/profiles/*.profile "$top_srcdir"/profiles/*.set "$WORK/profiles/"
export P11ENROLL_PROFILES="$WORK/profiles"
sed 's/^algorithm = .*/algorithm = rsa-3072/' "$top_srcdir/profiles/piv-key-management.profile" \
	>"$WORK/profiles/piv-km-3072.profile"
sed 's/^algorithm = .*/algorithm = ec-p384/' "$top_srcdir/profiles/piv-auth.profile" \
	>"$WORK/profiles/piv-auth-p384.profile"
cp "$top_srcdir/profiles/piv-auth.profile" "$WORK/profiles/other-auth.profile"

# ---- what the card can do, before anything is generated -----------------

card
expect_status 0 "tokens --json on the card" "$P11ENROLL" --json tokens
expect "tokens --json lists what the card offers, and only that" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
card = [t for t in doc["tokens"] if t["label"] == "card"][0]
assert card["key_algorithms"] == {
    "generate": ["ec-p256", "rsa-2048"], "decrypt": ["rsa-2048"],
    "derive": []}, card["key_algorithms"]
' "$WORK/out"
expect_status 0 "tokens on the card" "$P11ENROLL" tokens
expect_grep "the table shows the card's key algorithms" \
	'^[0-9]+ +card +.* ok +ec-p256,rsa-2048 +pkcs11:' "$WORK/out"
expect_status 0 "status on the card" p11e --token card status
expect_grep "status shows the card's key algorithms" \
	'^key algorithms: ec-p256, rsa-2048; decrypts with rsa-2048; ECDH with none$' \
	"$WORK/out"
expect_status 0 "status --json on the card" p11e --token card --json status
expect "status --json has the card's key algorithms" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["key_algorithms"]["generate"] == ["ec-p256", "rsa-2048"], doc
' "$WORK/out"

objects_of card >"$WORK/before"
card
expect_status 1 "an RSA-3072 role is refused" p11e --token card enroll piv-km-3072 \
	--ca "$CA" $USER_VARS
expect_grep "the refusal names the algorithm and lists what the card offers" \
	'enroll piv-km-3072 on token card: role piv-km-3072: the token cannot generate rsa-3072 keys and sign with them; it offers ec-p256, rsa-2048' \
	"$WORK/err"
expect "no key generation was tried ($(calls C_GenerateKeyPair))" \
	test "$(calls C_GenerateKeyPair)" = 0
expect_unchanged "the refused RSA-3072 role" card

card
expect_status 1 "a P-384 role after a P-256 one is refused before either" \
	p11e --token card enroll piv-auth piv-auth-p384 --ca "$CA" $USER_VARS
expect_grep "the refusal names the P-384 role and says nothing was enrolled" \
	'enroll piv-auth-p384 on token card: .*cannot generate ec-p384 keys.*; nothing was enrolled' \
	"$WORK/err"
expect "no key generation was tried ($(calls C_GenerateKeyPair))" \
	test "$(calls C_GenerateKeyPair)" = 0
expect_unchanged "the refused pair of roles" card

card
printf 'token,roles,name,upn,email\ncard,piv-auth piv-km-3072,Alice,alice@example.org,alice@example.org\n' \
	>"$WORK/manifest.csv"
expect_status 3 "a batch row with a role the card cannot do fails" p11e batch \
	"$WORK/manifest.csv" --ca "$CA" --report "$WORK/report"
expect "the row failed at the RSA-3072 role before piv-auth started" "$PYTHON" -c '
import json, sys
row = json.loads(open(sys.argv[1]).readline())
assert row["state"] == "failed", row
states = {r["role"]: r["state"] for r in row["roles"]}
assert states.get("piv-km-3072") == "failed" and states.get("piv-auth") != "done", row
assert "cannot generate rsa-3072 keys" in json.dumps(row), row
assert "no role of this row was started" in json.dumps(row), row
' "$WORK/report"
expect "no key generation was tried ($(calls C_GenerateKeyPair))" \
	test "$(calls C_GenerateKeyPair)" = 0
expect_unchanged "the refused batch row" card

card
expect_status 1 "an ECDH role is refused on a card without ECDH" p11e --token card \
	enroll user-encrypt-ec --ca "$CA" $USER_VARS
expect_grep "the refusal says the card cannot agree keys" \
	'cannot agree keys \(ECDH\) with ec-p256 keys; it does with none' "$WORK/err"
expect_unchanged "the refused ECDH role" card

# ---- fixed key slots ----------------------------------------------------

card
expect_status 1 "a role without a fixed id is refused by the card" p11e --token card \
	enroll user-auth --ca "$CA" $USER_VARS
expect_grep "the message names the card's answer and the PIV roles" \
	'CKR_TEMPLATE_INCOMPLETE.*use a role that fixes \[key\] id, such as the piv-\* roles' \
	"$WORK/err"
expect_unchanged "the role without a fixed id" card

card
expect_status 0 "the piv-user set enrolls on the card" p11e --token card enroll \
	piv-user --ca "$CA" --trust "$WORK/ca/root.pem" $USER_VARS
objects_of card >"$WORK/objects"
for id in 01 02 03; do
	expect_grep "a private key sits in slot $id" "^  ID: +$id\$" "$WORK/objects"
done
expect_status 0 "status after the piv-user set" p11e --token card status

objects_of card >"$WORK/before"
card
expect_status 1 "another role for an occupied slot is refused" p11e --token card \
	enroll other-auth --ca "$CA" $USER_VARS
expect_grep "the refusal names the slot" \
	'role other-auth: its fixed key slot ID 01 on token card is occupied by another key' \
	"$WORK/err"
expect "no key generation was tried ($(calls C_GenerateKeyPair))" \
	test "$(calls C_GenerateKeyPair)" = 0
expect_unchanged "the occupied slot" card

p11tool_on card --read-object --type pubkey --label piv-auth -o "$WORK/old.pub" >/dev/null
card
expect_status 0 "renew replaces the key in its slot" p11e --token card renew piv-auth \
	--ca "$CA" --trust "$WORK/ca/root.pem"
objects_of card >"$WORK/objects"
expect "one private key is left in slot 01" test "$(awk '
	/^Private Key Object/ { k = 1; next } /^[^ ]/ { k = 0 }
	k && $1 == "ID:" && $2 == "01" { n++ } END { print n + 0 }' "$WORK/objects")" = 1
p11tool_on card --read-object --type pubkey --label piv-auth -o "$WORK/new.pub" >/dev/null
expect "the key in slot 01 is a new one" sh -c '! cmp -s "$1" "$2"' - \
	"$WORK/old.pub" "$WORK/new.pub"
expect_status 0 "status is clean after the renewal" p11e --token card status

# A renewal that fails after the card replaced the old key cannot keep
# the old pair: the role goes, and the message says so.
card
expect_status 1 "a renewal the CA rejects" p11e --token card renew piv-sign \
	--ca "exec:$FIXTURES/ca-exit.sh 2 request denied by policy" </dev/null
expect_grep "the message says the card replaced the key and to enroll again" \
	'the card replaced the old key in fixed slot ID 02 when it generated the new one, so the old certificate was removed too; enroll piv-sign again' \
	"$WORK/err"
objects_of card >"$WORK/objects"
expect_no_grep "nothing is left in slot 02" '^  ID: +02$' "$WORK/objects"
expect_no_grep "nothing is labelled piv-sign" 'label: +([a-z]+:)?piv-sign$' "$WORK/objects"
card
expect_status 0 "piv-sign enrolls again" p11e --token card enroll piv-sign --ca "$CA" \
	$USER_VARS

# ---- room for few objects -----------------------------------------------

objects_of card >"$WORK/before"
card "card-objects 10"
expect_status 1 "a full card refuses another role" p11e --token card enroll \
	piv-card-auth --ca "$CA" --set card_uuid=0b1c5b2e-6a0e-4c57-9d0c-6a2c8a1f7e3d
expect_grep "the message says the card is full" \
	'CKR_DEVICE_MEMORY.*the token is full: remove a role it no longer needs' \
	"$WORK/err"
expect_unchanged "the full card" card

# ---- init-token ---------------------------------------------------------

card
( umask 077; echo "$SO_PIN" >"$WORK/so.pin" )
expect_status 1 "init-token on the card's blank slot" "$P11ENROLL" \
	--so-pin-source "file:$WORK/so.pin" --pin-source "file:$PIN_FILE" \
	init-token --label newcard
expect_grep "init-token names the card's answer and says where cards are set up" \
	'CKR_FUNCTION_NOT_SUPPORTED.*cannot be initialised through PKCS#11.*card.s own tool.*nothing was changed' \
	"$WORK/err"
expect "C_InitToken was asked once ($(calls C_InitToken))" test "$(calls C_InitToken)" = 1

# ---- write protection ---------------------------------------------------

objects_of card >"$WORK/before"
card "flag read-only"
expect_status 1 "a write-protected card is refused" p11e --token card enroll \
	piv-card-auth --ca "$CA" --set card_uuid=0b1c5b2e-6a0e-4c57-9d0c-6a2c8a1f7e3d
expect_grep "the message says write-protected, nothing tried" \
	'token card is write-protected: .*nothing was tried \(no login\)' "$WORK/err"
expect "no login was tried ($(calls C_Login))" test "$(calls C_Login)" = 0
expect_status 0 "status reads the write-protected card" p11e --token card status
expect_unchanged "the write-protected card" card

# ---- the PIN: tries shown and respected, locked after three -------------

( umask 077; echo 000000 >"$WORK/wrong.pin" )
rm -f "$P11FAULT_CONF.state"
objects_of card >"$WORK/before"
card
expect_status 1 "a wrong PIN" "$P11ENROLL" --token card --pin-source "file:$WORK/wrong.pin" \
	enroll piv-card-auth --ca "$CA" --set card_uuid=0b1c5b2e-6a0e-4c57-9d0c-6a2c8a1f7e3d
expect_grep "the message says few tries are left" \
	'CKR_PIN_INCORRECT.*the token says few tries are left; not retried' "$WORK/err"
expect "one login was tried ($(calls C_Login))" test "$(calls C_Login)" = 1
expect_status 0 "tokens after a wrong PIN" "$P11ENROLL" tokens
expect_grep "tokens shows count-low" '^[0-9]+ +card .* count-low ' "$WORK/out"
expect_status 0 "the PIN typed at a terminal prompt" $PTYRUN \
	--answer "few tries are left): " "$USER_PIN" "$WORK/tty" \
	"$P11ENROLL" --token card status
expect_grep "the prompt warned that few tries are left" \
	'Enter the user PIN of token card \(a wrong PIN was entered before: few tries are left\): ' \
	"$WORK/tty"
expect_status 0 "tokens after the right PIN" "$P11ENROLL" tokens
expect_grep "the right PIN reset the count" '^[0-9]+ +card .* ok ' "$WORK/out"

expect_status 1 "a wrong PIN again" "$P11ENROLL" --token card \
	--pin-source "file:$WORK/wrong.pin" status
expect_status 1 "and a second" "$P11ENROLL" --token card \
	--pin-source "file:$WORK/wrong.pin" status
expect_grep "the message says one try is left" \
	'CKR_PIN_INCORRECT.*one try is left, which p11enroll will not spend' "$WORK/err"
expect_status 0 "tokens --json at the final try" "$P11ENROLL" --json tokens
expect "tokens --json shows the final try" "$PYTHON" -c '
import json, sys
card = [t for t in json.load(open(sys.argv[1]))["tokens"] if t["label"] == "card"][0]
assert card["user_pin"]["final_try"] and not card["user_pin"]["locked"], card
' "$WORK/out"
card
expect_status 1 "the right PIN at the final try is not spent" p11e --token card \
	enroll piv-card-auth --ca "$CA" --set card_uuid=0b1c5b2e-6a0e-4c57-9d0c-6a2c8a1f7e3d
expect_grep "the refusal says one try is left" \
	'has one try left; p11enroll will not spend it \(no login was tried\)' "$WORK/err"
expect "no login was tried ($(calls C_Login))" test "$(calls C_Login)" = 0

pkcs11-tool --module "$P11FAULT_MODULE" --token-label card --login --pin 000000 \
	--list-objects >/dev/null 2>&1 || :
expect_status 0 "tokens after the third wrong try" "$P11ENROLL" tokens
expect_grep "tokens shows the PIN locked" '^[0-9]+ +card .* locked ' "$WORK/out"
card
expect_status 1 "a locked card is refused" p11e --token card status
expect_grep "the refusal says locked" 'the user PIN of token card is locked' "$WORK/err"
expect "no login was tried ($(calls C_Login))" test "$(calls C_Login)" = 0
expect_unchanged "the card through its PIN's three wrong tries" card
rm -f "$P11FAULT_CONF.state"

# ---- a PIN-pad reader ---------------------------------------------------

card "flag pin-pad" "pinpad-pin $USER_PIN"
expect_status 0 "on a terminal, the PIN is typed on the pad" $PTYRUN "$WORK/tty" \
	"$P11ENROLL" --token card enroll piv-card-auth --ca "$CA" \
	--set card_uuid=0b1c5b2e-6a0e-4c57-9d0c-6a2c8a1f7e3d
expect_grep "the terminal is told to use the reader's PIN pad" \
	"Enter the user PIN of token card on the reader's PIN pad" "$WORK/tty"
# On a slow machine the spinner shows here too; the screen has the result.
expect_grep "and the role was enrolled" '^enrolled piv-card-auth: ' "$WORK/tty.screen"
card "flag pin-pad" "pinpad-pin $USER_PIN"
expect_status 0 "off a terminal, the pad is used without a word" "$P11ENROLL" \
	--token card status </dev/null
expect_no_grep "no PIN-pad prompt off a terminal" 'PIN pad' "$WORK/err"

# ---- a slow RSA key: the spinner ----------------------------------------

card "card-keygen-delay 2000"
expect_status 0 "renew the RSA role on a terminal" $PTYRUN "$WORK/tty" \
	"$P11ENROLL" --token card --pin-source "file:$PIN_FILE" renew piv-key-management \
	--ca "$CA"
expect_grep "a spinner shows the elapsed time" \
	'[|/\\-] generating an rsa-2048 key on token card \.\.\. 1\.[0-9] s' "$WORK/tty"
expect "the spinner counts up" "$PYTHON" -c '
import re, sys
times = [float(t) for t in re.findall(rb"rsa-2048 key on token card \.\.\. ([0-9]+\.[0-9]) s",
                                      open(sys.argv[1], "rb").read())]
assert len(times) >= 10 and times == sorted(times) and times[-1] >= 1.8, times
' "$WORK/tty"
expect_grep "the spinner line is erased before the result" \
	"$(printf '\r\033')\\[Krenewed piv-key-management: " "$WORK/tty"
expect_grep "the screen shows the result where the spinner was" \
	'^renewed piv-key-management: ' "$WORK/tty.screen"
expect_no_grep "no spinner is left on the screen" 'generating' "$WORK/tty.screen"
card "card-keygen-delay 2000"
expect_status 0 "renew the RSA role off a terminal" p11e --token card renew \
	piv-key-management --ca "$CA"
expect_no_grep "no spinner off a terminal" 'generating' "$WORK/err"
expect_status 0 "status is clean at the end" p11e --token card status

finish
