# SPDX-License-Identifier: MIT
# faultmod-card.sh - the fault module's card mode makes SoftHSM behave like
# a PIV smart card: four mechanisms at one size each, fixed key slots that
# a new key overwrites, one certificate per slot, no C_InitToken, a PIN
# that locks after wrong tries across processes, little memory and slow
# RSA key generation. Each check is made against real SoftHSM through the
# module with pkcs11-tool.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
export P11FAULT_TARGET="$SOFTHSM2_MODULE"
CONF=$WORK/card.conf
STATE=$WORK/card.state
TRACE=$WORK/card.trace

new_token card

# conf LINE...: a fresh configuration, trace and wrong-PIN count.
conf() {
	printf '%s\n' "$@" >"$CONF"
	: >"$TRACE"
	rm -f "$STATE" "$CONF.state"
}

# pkcs11-tool through the module with the configuration in force.
card_tool() (
	export P11FAULT_CONF="$CONF"
	pkcs11-tool --module "$P11FAULT_MODULE" --token-label card "$@"
)

# The same, logged in with the right PIN.
card_user() {
	card_tool --login --pin "$USER_PIN" "$@"
}

# The number of objects of type $1 with CKA_ID $2, seen on plain SoftHSM.
count_id() {
	p11tool_on card --list-objects --type "$1" | grep -Ec "^ +ID: +$2\$" || :
}

# Milliseconds the command takes; its output goes to $WORK/out and $WORK/err.
elapsed_ms() {
	_start=$(date +%s%N)
	"$@" >"$WORK/out" 2>"$WORK/err" || :
	echo $(( ($(date +%s%N) - _start) / 1000000 ))
}

# --- Mechanisms: only the card's four, at one size each.
conf "card"
expect_status 0 "the mechanism list in card mode" card_tool -M
expect "exactly four mechanisms" test "$(grep -c '^  [A-Z]' "$WORK/out")" -eq 4
expect_grep "RSA key generation at 2048 bits only" \
	'^  RSA-PKCS-KEY-PAIR-GEN, keySize=\{2048,2048\}, hw, generate_key_pair$' "$WORK/out"
expect_grep "RSA PKCS#1 at 2048 bits only" \
	'^  RSA-PKCS, keySize=\{2048,2048\}, hw, encrypt, decrypt, sign, verify$' "$WORK/out"
expect_grep "EC key generation on a 256-bit named prime curve" \
	'^  ECDSA-KEY-PAIR-GEN, keySize=\{256,256\}, hw, generate_key_pair, EC F_P, EC OID, EC uncompressed$' \
	"$WORK/out"
expect_grep "ECDSA on a 256-bit named prime curve" \
	'^  ECDSA, keySize=\{256,256\}, hw, sign, verify, EC F_P, EC OID, EC uncompressed$' "$WORK/out"
expect_no_grep "no SHA-256 with RSA" 'SHA256-RSA-PKCS' "$WORK/out"
conf ""
expect_status 0 "the mechanism list without card mode" card_tool -M
expect "SoftHSM's own list is longer" test "$(grep -c '^  [A-Z]' "$WORK/out")" -gt 4

# --- Key generation: RSA 2048 and P-256 into a key slot, nothing else.
conf "card" "trace $TRACE"
expect_status 0 "RSA 2048 into slot 01" card_user --keypairgen --key-type rsa:2048 --id 01
expect "one private key in slot 01" test "$(count_id privkey 01)" -eq 1
expect_status 1 "RSA 3072 is refused" card_user --keypairgen --key-type rsa:3072 --id 02
expect_grep "with CKR_KEY_SIZE_RANGE" 'CKR_KEY_SIZE_RANGE' "$WORK/err"
expect_status 1 "EC secp384r1 is refused" card_user --keypairgen --key-type EC:secp384r1 --id 02
expect_grep "with CKR_CURVE_NOT_SUPPORTED (0x140)" '\(0x140\)' "$WORK/err"
expect_status 1 "a key pair without an ID is refused" \
	card_user --keypairgen --key-type EC:prime256v1
expect_grep "with CKR_TEMPLATE_INCOMPLETE" 'CKR_TEMPLATE_INCOMPLETE' "$WORK/err"
expect_status 1 "a key pair outside the key slots is refused" \
	card_user --keypairgen --key-type EC:prime256v1 --id 05
expect_grep "with CKR_ATTRIBUTE_VALUE_INVALID" 'CKR_ATTRIBUTE_VALUE_INVALID' "$WORK/err"
expect "no key went to slot 02 or 05" \
	test "$(count_id privkey 02)" -eq 0 -a "$(count_id privkey 05)" -eq 0
expect "the trace records the refusals" \
	test "$(grep -Ec '^[0-9]+ C_GenerateKeyPair [0-9]+ 0x(62|140|d0|13)$' "$TRACE")" -eq 4

# A new key overwrites its slot, as on a card; plain SoftHSM keeps both.
expect_status 0 "P-256 into slot 02" card_user --keypairgen --key-type EC:prime256v1 --id 02
expect "one private key in slot 02" test "$(count_id privkey 02)" -eq 1
expect_status 0 "P-256 into slot 02 again" card_user --keypairgen --key-type EC:prime256v1 --id 02
expect "still one private key in slot 02" test "$(count_id privkey 02)" -eq 1
expect "and one public key" test "$(count_id pubkey 02)" -eq 1
expect "slot 01 untouched" test "$(count_id privkey 01)" -eq 1
conf ""
expect_status 0 "P-256 into slot 02 without card mode" \
	card_user --keypairgen --key-type EC:prime256v1 --id 02
expect "SoftHSM alone keeps two keys under one ID" test "$(count_id privkey 02)" -eq 2
conf "card"
expect_status 0 "P-256 into slot 02 in card mode" \
	card_user --keypairgen --key-type EC:prime256v1 --id 02
expect "card mode clears both old keys" test "$(count_id privkey 02)" -eq 1

# --- Certificates: one per key slot; other objects go anywhere.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$WORK/cert.key" -subj /CN=card -days 1 -outform DER \
	-out "$WORK/cert.der" 2>/dev/null
expect_status 0 "a certificate into slot 01" \
	card_user --write-object "$WORK/cert.der" --type cert --id 01
expect_status 0 "a certificate into slot 01 again" \
	card_user --write-object "$WORK/cert.der" --type cert --id 01 --label second
expect "one certificate in slot 01" test "$(count_id cert 01)" -eq 1
p11tool_on card --list-objects --type cert >"$WORK/certs"
expect_grep "the second one" "label: +second" "$WORK/certs"
expect_status 1 "a certificate outside the key slots" \
	card_user --write-object "$WORK/cert.der" --type cert --id 07
expect_grep "is refused with CKR_ATTRIBUTE_VALUE_INVALID" 'CKR_ATTRIBUTE_VALUE_INVALID' "$WORK/err"
expect_status 1 "a certificate without an ID" \
	card_user --write-object "$WORK/cert.der" --type cert
expect_grep "is refused with CKR_TEMPLATE_INCOMPLETE" 'CKR_TEMPLATE_INCOMPLETE' "$WORK/err"
printf 'anywhere\n' >"$WORK/data"
expect_status 0 "a data object needs no slot" \
	card_user --write-object "$WORK/data" --type data --label anywhere
expect_status 1 "a key's ID cannot change" card_user --type privkey --id 01 --set-id 03
expect_grep "CKR_ATTRIBUTE_READ_ONLY" 'CKR_ATTRIBUTE_READ_ONLY' "$WORK/err"
expect "the key is still in slot 01" test "$(count_id privkey 01)" -eq 1
expect_status 1 "the ID is also read-only alone" card_user --type cert --id 01 --set-id 04

# --- C_InitToken: not through PKCS#11.
expect_status 1 "initialising the card is refused" \
	card_tool --init-token --label wiped --so-pin "$SO_PIN"
expect_grep "with CKR_FUNCTION_NOT_SUPPORTED" 'CKR_FUNCTION_NOT_SUPPORTED' "$WORK/err"
expect "the keys are still there" test "$(count_id privkey 01)" -eq 1

# --- The PIN locks after three wrong tries, across processes.
conf "card" "card-state $STATE" "trace $TRACE"
# pin_flags: the token flags pkcs11-tool -T shows, on one line.
pin_flags() {
	card_tool -T 2>/dev/null | grep 'token flags'
}
wrong_pin() {
	expect_status 1 "wrong PIN $1" card_tool --login --pin 0000 --list-objects
	expect_grep "wrong PIN $1 answered CKR_PIN_INCORRECT" 'CKR_PIN_INCORRECT' "$WORK/err"
}
pin_flags >"$WORK/flags"
expect_no_grep "no PIN flags at first" 'user PIN count low|final user PIN try|user PIN locked' \
	"$WORK/flags"
wrong_pin 1
expect "the state file counts 1" test "$(cat "$STATE")" = 1
pin_flags >"$WORK/flags"
expect_grep "PIN count low after one" 'user PIN count low' "$WORK/flags"
expect_no_grep "not yet the final try" 'final user PIN try|user PIN locked' "$WORK/flags"
wrong_pin 2
pin_flags >"$WORK/flags"
expect_grep "final try after two" 'user PIN count low.*final user PIN try' "$WORK/flags"
expect_no_grep "not yet locked" 'user PIN locked' "$WORK/flags"
wrong_pin 3
pin_flags >"$WORK/flags"
expect_grep "locked after three" 'user PIN locked' "$WORK/flags"
expect_no_grep "and only locked" 'user PIN count low|final user PIN try' "$WORK/flags"
expect "the state file is private" test "$(stat -c %a "$STATE")" = 600
expect "no temporary file is left" test -z "$(find "$WORK" -name 'card.state.*')"
: >"$TRACE"
expect_status 1 "the right PIN on the locked card" card_user --list-objects
expect_grep "answers CKR_PIN_LOCKED" 'CKR_PIN_LOCKED' "$WORK/err"
expect_grep "the trace records it" '^[0-9]+ C_Login 1 0xa4$' "$TRACE"
expect_status 0 "plain SoftHSM still takes the PIN" p11tool_on card --list-objects

# A right PIN sets the count back; card-tries changes the limit.
conf "card" "card-state $STATE" "card-tries 2"
wrong_pin "with two tries"
pin_flags >"$WORK/flags"
expect_grep "one wrong of two is the final try" 'final user PIN try' "$WORK/flags"
expect_status 0 "the right PIN before the lock" card_user --list-objects
expect "the count is back to 0" test "$(cat "$STATE")" = 0
pin_flags >"$WORK/flags"
expect_no_grep "and the flags are gone" 'user PIN count low|final user PIN try' "$WORK/flags"

# The default state file is beside the configuration.
conf "card"
wrong_pin "with the default state file"
expect "the count is in card.conf.state" test "$(cat "$CONF.state")" = 1

# A wrong PIN from the PIN pad counts as well.
conf "card" "card-state $STATE" "flag pin-pad" "pinpad-pin 0000"
expect_status 1 "a PIN-pad login with the wrong PIN" card_tool --login --list-objects
expect_grep "answers CKR_PIN_INCORRECT" 'CKR_PIN_INCORRECT' "$WORK/err"
expect "the PIN pad's wrong try is counted" test "$(cat "$STATE")" = 1
conf "card" "card-state $STATE" "flag pin-pad" "pinpad-pin $USER_PIN"
expect_status 0 "a PIN-pad login with the right PIN" card_tool --login --list-objects

# --- card-objects: the card runs out of memory.
objects=$(p11tool_on card --list-objects | grep -Eic '^[a-z ]+ object')
conf "card" "card-objects $((objects + 1))" "trace $TRACE"
expect_status 1 "a key pair that would pass the limit" \
	card_user --keypairgen --key-type EC:prime256v1 --id 03
expect_grep "is refused with CKR_DEVICE_MEMORY" 'CKR_DEVICE_MEMORY' "$WORK/err"
expect "nothing reached slot 03" test "$(count_id privkey 03)" -eq 0
expect_status 0 "one data object still fits" \
	card_user --write-object "$WORK/data" --type data --label last
expect_status 1 "the next one does not" \
	card_user --write-object "$WORK/data" --type data --label too-many
expect_grep "CKR_DEVICE_MEMORY (0x31)" 'CKR_DEVICE_MEMORY' "$WORK/err"
# A new key into an occupied slot frees the old pair first.
expect_status 0 "replacing slot 02 needs no room" \
	card_user --keypairgen --key-type EC:prime256v1 --id 02
conf "card-objects $((objects + 1))"
expect_status 1 "card-objects works without card mode" \
	card_user --write-object "$WORK/data" --type data --label too-many
expect_grep "CKR_DEVICE_MEMORY without card mode" 'CKR_DEVICE_MEMORY' "$WORK/err"

# --- card-keygen-delay: RSA is slow, EC is not. The RSA generation is made
# without a login, so the target refuses it at once and only the delay counts.
conf "card" "trace $TRACE"
ms=$(elapsed_ms card_tool --keypairgen --key-type rsa:2048 --id 04)
expect "RSA without a delay takes under 1400 ms (took $ms)" test "$ms" -lt 1400
expect_grep "the target refused it" '^[0-9]+ C_GenerateKeyPair 1 0x101$' "$TRACE"
conf "card" "card-keygen-delay 1500" "trace $TRACE"
ms=$(elapsed_ms card_tool --keypairgen --key-type rsa:2048 --id 04)
expect "RSA with the delay takes at least 1400 ms (took $ms)" test "$ms" -ge 1400
expect_grep "the delayed call reached the target" '^[0-9]+ C_GenerateKeyPair 1 0x101$' "$TRACE"
ms=$(elapsed_ms card_tool --keypairgen --key-type EC:prime256v1 --id 04)
expect "EC is not delayed (took $ms)" test "$ms" -lt 1400
conf "card" "card-keygen-delay 1500"
ms=$(elapsed_ms card_tool --keypairgen --key-type rsa:3072 --id 04)
expect "a refused RSA size is not delayed (took $ms)" test "$ms" -lt 1400

# --- Mistakes in the card directives stop C_Initialize and name the line.
while IFS='	' read -r line why; do
	conf "card" "$line"
	expect_status 1 "bad line '$line'" card_tool -L
	expect_grep "the message names line 2: $why" "^p11fault: $CONF:2: $why" "$WORK/err"
done <<'EOF'
card on	card takes 0 arguments, not 1
card-ids	card-ids takes at least 1 argument
card-ids 9a 9g	bad key slot ID '9g'
card-ids 9a 123	bad key slot ID '123'
card-tries 0	bad number of tries '0'
card-objects many	bad number of objects 'many'
card-keygen-delay soon	bad delay in milliseconds 'soon'
card-state	card-state takes 1 argument, not 0
EOF
for line in "card-ids 01" "card-state $STATE" "card-tries 5"; do
	printf '# no card line\n%s\n' "$line" >"$CONF"
	expect_status 1 "'$line' without card mode" card_tool -L
	expect_grep "needs a card line" "^p11fault: $CONF:2: ${line%% *} needs a card line" "$WORK/err"
done
conf "card" "card-ids 9a 9c 9d 9e 0102"
expect_status 0 "card-ids takes a list" card_tool -L
expect_status 0 "P-256 into slot 9a of the new list" \
	card_user --keypairgen --key-type EC:prime256v1 --id 9a
expect_status 1 "slot 01 is no longer a key slot" \
	card_user --keypairgen --key-type EC:prime256v1 --id 01
expect_grep "CKR_ATTRIBUTE_VALUE_INVALID for the old slot" 'CKR_ATTRIBUTE_VALUE_INVALID' "$WORK/err"

finish
