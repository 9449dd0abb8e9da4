# SPDX-License-Identifier: MIT
# faultmod.sh - the fault-injecting test module does what the other
# scenarios will rely on: it forwards, fails the call it is told to, keeps
# the device's side effect of a fail-after, shows the token flags it is
# given, delays, and refuses a broken configuration loudly.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
export P11FAULT_TARGET="$SOFTHSM2_MODULE"
CONF=$WORK/fault.conf
TRACE=$WORK/fault.trace

new_token fault

# conf LINE...: a fresh configuration and trace, one argument per line.
conf() {
	printf '%s\n' "$@" >"$CONF"
	: >"$TRACE"
}

# pkcs11-tool through the fault module; the rest are its arguments.
fault_tool() {
	pkcs11-tool --module "$P11FAULT_MODULE" "$@"
}

# The same with the configuration in force.
faulty_tool() (
	export P11FAULT_CONF="$CONF"
	fault_tool "$@"
)

# p11enroll through the fault module, with the configuration in force.
faulty_p11e() (
	export P11ENROLL_MODULE="$P11FAULT_MODULE" P11FAULT_CONF="$CONF"
	"$P11ENROLL" "$@"
)

# The trace lines of function $1 with answer $2.
traced() {
	grep -Ec "^[0-9]+ $1 [0-9]+ $2\$" "$TRACE" || :
}

# --- Without a configuration the module only forwards.
expect_status 0 "pkcs11-tool -L through the module" fault_tool -L
expect_grep "the token is listed" 'token label +: fault$' "$WORK/out"
expect_status 0 "p11enroll tokens through the module" \
	env P11ENROLL_MODULE="$P11FAULT_MODULE" "$P11ENROLL" tokens
expect_grep "p11enroll lists the token" '^[0-9]+ +fault +.* ok +[a-z0-9,-]+ +pkcs11:' "$WORK/out"
expect_status 0 "a logged-in object listing through the module" \
	fault_tool --token-label fault --login --pin "$USER_PIN" --list-objects

# --- fail: the first C_Login answers CKR_PIN_INCORRECT without reaching the token.
conf "trace $TRACE" "fail C_Login 1 CKR_PIN_INCORRECT  # the first login only"
expect_status 1 "a login made to fail" faulty_tool --token-label fault \
	--login --pin "$USER_PIN" --list-objects
expect_grep "pkcs11-tool saw CKR_PIN_INCORRECT" 'CKR_PIN_INCORRECT' "$WORK/err"
expect_grep "the trace records the failed login" '^[0-9]+ C_Login 1 0xa0$' "$TRACE"
expect_grep "the trace records the calls before it" '^[0-9]+ C_OpenSession 1 0x0$' "$TRACE"
conf "trace $TRACE" "fail C_Login 1 CKR_PIN_INCORRECT"
expect_status 1 "p11enroll status with its login made to fail" \
	faulty_p11e --pin-source "file:$PIN_FILE" --token fault status
expect_grep "p11enroll reports the wrong PIN" 'PIN' "$WORK/err"
expect "p11enroll logged in once and did not retry" test "$(traced C_Login 0x.*)" -eq 1
# The token did not count the injected failure: the real PIN still works.
expect_status 0 "the real token still takes the PIN" p11tool_on fault --list-objects

# A rule for call 2 leaves call 1 alone.
conf "trace $TRACE" "fail C_GetSlotList 2 CKR_DEVICE_REMOVED"
expect_status 1 "a listing whose second C_GetSlotList fails" faulty_tool -L
expect_grep "call 1 went through" '^[0-9]+ C_GetSlotList 1 0x0$' "$TRACE"
expect_grep "call 2 failed" '^[0-9]+ C_GetSlotList 2 0x32$' "$TRACE"

# --- fail-after: the object is written, but the answer is an error.
printf 'left behind\n' >"$WORK/data"
conf "trace $TRACE" "fail-after C_CreateObject 1 CKR_DEVICE_ERROR"
expect_status 1 "a write whose answer is lost" faulty_tool --token-label fault \
	--login --pin "$USER_PIN" --write-object "$WORK/data" --type data --label lost-answer
expect_grep "pkcs11-tool saw CKR_DEVICE_ERROR" 'CKR_DEVICE_ERROR' "$WORK/err"
expect_grep "the trace records the failed write" '^[0-9]+ C_CreateObject 1 0x30$' "$TRACE"
objects_of fault >"$WORK/objects"
expect_grep "plain SoftHSM shows the object all the same" "label: +'lost-answer'" "$WORK/objects"

# --- flag: token flags as the application sees them.
conf "flag final-try"
expect_status 0 "tokens --json with final-try" faulty_p11e --json tokens
expect "the JSON shows the final try" "$PYTHON" -c '
import json, sys
t = [t for t in json.load(open(sys.argv[1]))["tokens"] if t["label"] == "fault"][0]
assert t["user_pin"]["final_try"] and not t["user_pin"]["locked"], t
' "$WORK/out"
expect_status 0 "tokens --json without the flag" \
	env P11ENROLL_MODULE="$P11FAULT_MODULE" "$P11ENROLL" --json tokens
expect "the real token has no final-try flag" "$PYTHON" -c '
import json, sys
t = [t for t in json.load(open(sys.argv[1]))["tokens"] if t["label"] == "fault"][0]
assert not t["user_pin"]["final_try"], t
' "$WORK/out"

conf "trace $TRACE" "flag read-only"
expect_status 0 "tokens --json with read-only" faulty_p11e --json tokens
expect "the JSON shows the token write-protected" "$PYTHON" -c '
import json, sys
t = [t for t in json.load(open(sys.argv[1]))["tokens"] if t["label"] == "fault"][0]
assert t["write_protected"], t
' "$WORK/out"
objects_of fault >"$WORK/before"
: >"$TRACE"
expect_status 1 "a write to the read-only token" faulty_tool --token-label fault \
	--login --pin "$USER_PIN" --write-object "$WORK/data" --type data --label refused
expect_grep "the read-write session is refused" '^[0-9]+ C_OpenSession 1 0xe2$' "$TRACE"
expect_unchanged "the read-only token" fault

# pin-pad: the application must send no PIN, the "pad" logs in.
conf "trace $TRACE" "flag pin-pad" "pinpad-pin $USER_PIN"
expect_status 1 "a PIN sent to a PIN-pad token is refused" faulty_tool \
	--token-label fault --login --pin "$USER_PIN" --list-objects
expect_grep "the PIN-pad login with a PIN answered CKR_ARGUMENTS_BAD" \
	'^[0-9]+ C_Login 1 0x7$' "$TRACE"
: >"$TRACE"
expect_status 0 "p11enroll logs in on the PIN pad" faulty_p11e --token fault status
expect_grep "the PIN-pad login succeeded" '^[0-9]+ C_Login 1 0x0$' "$TRACE"

# --- delay: at least the configured time (no upper bound: the machine may be busy).
conf "delay C_GetSlotList 1 1500"
start=$(date +%s%N)
expect_status 0 "a delayed listing" faulty_tool -L
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect "the listing took at least 1500 ms (took $elapsed_ms)" test "$elapsed_ms" -ge 1500

# --- signal: the process gets the signal before the call goes through.
conf "signal C_GetSlotList 1 SIGTERM"
expect_status 143 "a listing interrupted by SIGTERM" faulty_tool -L

# --- Clean-up that fails keeps the first error: the new key pair's CKA_ID
# cannot be set (the first C_SetAttributeValue), and the pair cannot be
# deleted either; the message names the cause, then the key left behind.
new_ca
conf "trace $TRACE" "fail C_SetAttributeValue 1 CKR_DEVICE_ERROR" \
	"fail C_DestroyObject * CKR_DEVICE_REMOVED"
expect_status 1 "enroll with CKA_ID and the deletion made to fail" \
	faulty_p11e --pin-source "file:$PIN_FILE" --token fault enroll tls-server \
	--ca "exec:$TESTCA $WORK/ca" --set dns=fault.example.org
expect_grep "the message names the first failure" \
	'set CKA_ID: .*CKR_DEVICE_ERROR.*; the new key pair could not be removed: delete object [0-9]+ on token fault: CKR_DEVICE_REMOVED' \
	"$WORK/err"
expect_grep "the deletion was tried" '^[0-9]+ C_DestroyObject 1 0x32$' "$TRACE"
p11tool_on fault --list-objects >"$WORK/objs"
expect_grep "the pair the module kept is there, under its pending label" \
	'label: *pending:tls-server' "$WORK/objs"
expect_status 0 "status --repair removes it" \
	"$P11ENROLL" --pin-source "file:$PIN_FILE" --token fault status --repair --yes
p11tool_on fault --list-objects >"$WORK/objs"
expect_no_grep "nothing pending is left" 'pending:' "$WORK/objs"

# --- A broken configuration stops C_Initialize and names the line.
while IFS='	' read -r line why; do
	conf "# a comment, then a blank line" "" "trace $TRACE" "$line"
	expect_status 1 "bad line '$line'" faulty_tool -L
	expect_grep "the message names line 4: $why" "^p11fault: $CONF:4: $why" "$WORK/err"
done <<'EOF'
fial C_Sign 1 CKR_GENERAL_ERROR	unknown directive 'fial'
fail C_Sing 1 CKR_GENERAL_ERROR	unknown PKCS#11 function 'C_Sing'
fail C_Sign 0 CKR_GENERAL_ERROR	bad call number '0'
fail C_Sign 1 CKR_NO_SUCH	bad return value 'CKR_NO_SUCH'
fail C_Sign 1	fail takes 3 arguments, not 2
delay C_Sign * soon	bad delay in milliseconds 'soon'
signal C_Sign 1 SIGSEGV	bad signal name 'SIGSEGV'
flag sticky	unknown flag 'sticky'
flag pin-pad	flag pin-pad needs a pinpad-pin line
EOF
expect_status 2 "p11enroll with a broken configuration: a module that cannot start" faulty_p11e tokens
expect_grep "p11enroll's stderr names the line" "^p11fault: $CONF:4: " "$WORK/err"
conf "fail C_Sign * 0x30  # hex, and every call"
expect_status 0 "a hex answer and * are accepted" faulty_tool -L

finish
