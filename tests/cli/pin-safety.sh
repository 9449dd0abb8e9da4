# SPDX-License-Identifier: MIT
# pin-safety.sh - the PIN is spent with care and shown nowhere: a wrong PIN
# costs exactly one login, a token at its final try or locked gets no login
# at all, a PIN pad gets no PIN, and the PIN never appears in the process's
# command line, the CA helper's command line or environment, the output,
# the JSON, a batch journal or report.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
export P11FAULT_TARGET="$SOFTHSM2_MODULE"

# A PIN no other string of the run can contain by chance.
PIN=739164825
( umask 077; printf '%s\n' "$PIN" >"$WORK/pin" )
softhsm2-util --init-token --free --label safe --so-pin "$SO_PIN" --pin "$PIN" >/dev/null
new_ca
CA="exec:$TESTCA $WORK/ca"
CONF=$WORK/fault.conf
TRACE=$WORK/trace

# faulty ARGS...: p11enroll through the fault module configured by $CONF,
# its calls traced to $TRACE.
faulty() {
	env P11ENROLL_MODULE="$P11FAULT_MODULE" P11FAULT_CONF="$CONF" \
		"$P11ENROLL" "$@"
}

# conf LINE...: the fault configuration, with the trace.
conf() {
	rm -f "$TRACE"
	{ echo "trace $TRACE"; printf '%s\n' "$@"; } >"$CONF"
}

logins() {
	grep -c ' C_Login ' "$TRACE" || :
}

# ---- a wrong PIN costs one try, and is not tried again ---------------------

( umask 077; echo 000000 >"$WORK/wrong" )
conf
objects_of_safe() {
	pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label safe --login \
		--pin "$PIN" --list-objects 2>/dev/null
}
objects_of_safe >"$WORK/before"
expect_status 1 "a wrong PIN fails the run" faulty --token safe \
	--pin-source "file:$WORK/wrong" enroll tls-server --ca "$CA" \
	--set dns=safe.example.org
expect_grep "the message says the PIN was wrong and not retried" \
	'log in to token safe: CKR_PIN_INCORRECT.*not retried' "$WORK/err"
expect "exactly one login was tried ($(logins))" test "$(logins)" = 1
objects_of_safe >"$WORK/now"
expect "nothing was made with the wrong PIN" cmp -s "$WORK/before" "$WORK/now"

# ---- final try and locked: refused before any login ------------------------

for flag in final-try locked; do
	conf "flag $flag"
	expect_status 1 "$flag: enroll is refused" faulty --token safe \
		--pin-source "file:$WORK/pin" enroll tls-server --ca "$CA" \
		--set dns=safe.example.org
	expect "$flag: no login was tried ($(logins))" test "$(logins)" = 0
	expect "$flag: no key was generated" sh -c '! grep -q C_GenerateKeyPair "$1"' - "$TRACE"
done
conf "flag final-try"
expect_status 1 "final try: refused" faulty --token safe \
	--pin-source "file:$WORK/pin" status
expect_grep "final try: the message says why, and that no login was tried" \
	'user PIN of token safe has one try left; p11enroll will not spend it \(no login was tried\)' \
	"$WORK/err"
conf "flag locked"
expect_status 1 "locked: refused" faulty --token safe \
	--pin-source "file:$WORK/pin" status
expect_grep "locked: the message says how to unlock" \
	'user PIN of token safe is locked; unlock it with the SO PIN \(no login was tried\)' \
	"$WORK/err"
conf "flag count-low"
expect_status 0 "a low count alone is no reason to refuse" faulty --token safe \
	--pin-source "file:$WORK/pin" status
expect "count low: one login ($(logins))" test "$(logins)" = 1

# ---- a PIN pad gets no PIN ---------------------------------------------------

# The module refuses a login that carries a PIN when it has a PIN pad.
conf "flag pin-pad" "pinpad-pin $PIN"
expect_status 0 "PIN pad: enroll with no PIN source logs in on the pad" \
	faulty --token safe enroll tls-server --ca "$CA" --set dns=safe.example.org
expect "PIN pad: one login ($(logins))" test "$(logins)" = 1
expect_status 0 "tls-server is removed again" "$P11ENROLL" --token safe \
	--pin-source "file:$WORK/pin" remove --yes tls-server

# ---- the PIN shows nowhere ---------------------------------------------------

BLOCKS=$WORK/blocks
mkdir "$BLOCKS"
BLOCK="exec:$FIXTURES/ca-block.sh tls-server $BLOCKS $WORK/ca"
# From the environment (the case where a careless program would pass it on
# to its children), with the request held at the CA.
env SAFE_PIN="$PIN" "$P11ENROLL" --token safe --pin-source env:SAFE_PIN --json \
	enroll tls-server --ca "$BLOCK" --set dns=safe.example.org \
	>"$WORK/json" 2>"$WORK/json.err" &
pid=$!
n=0
while [ ! -f "$BLOCKS/blocked" ] && [ "$n" -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
helper=$(cat "$BLOCKS/blocked")
tr '\0' '\n' </proc/$pid/cmdline >"$WORK/cmdline"
tr '\0' '\n' </proc/$helper/cmdline >"$WORK/helper-cmdline"
tr '\0' '\n' </proc/$helper/environ >"$WORK/helper-environ"
# The helper's children (sleep) inherit what the helper had.
kill -TERM "$pid"
wait "$pid" || :
expect_grep "the helper's environment was read" '^CERTMONGER_CSR=' "$WORK/helper-environ"
for f in cmdline helper-cmdline helper-environ json json.err; do
	expect_no_grep "the PIN is not in $f" "$PIN" "$WORK/$f"
done

# Every command's output, as text and as JSON, the wrong-PIN error, and a
# batch's journal and report.
p11safe() {
	"$P11ENROLL" --token safe --pin-source "file:$WORK/pin" "$@"
}
{
	p11safe enroll tls-server --ca "$CA" --set dns=safe.example.org
	p11safe --json enroll tls-client --ca "$CA" --set cn=safe-client
	p11safe status
	p11safe --json status
	p11safe --json tokens
	p11safe -v renew tls-server --ca "$CA"
	"$P11ENROLL" --token safe --pin-source "file:$WORK/wrong" -v status
	"$P11ENROLL" --token safe --pin-source "file:$WORK/wrong" --json status
	printf 'token,roles,pin_source,name,email\nsafe,user-sign,file:%s,Safe User,safe@example.org\n' \
		"$WORK/pin" >"$WORK/m.csv"
	"$P11ENROLL" -v batch "$WORK/m.csv" --ca "$CA" \
		--journal "$WORK/journal" --report "$WORK/report"
	"$P11ENROLL" --json batch "$WORK/m.csv" --ca "$CA" \
		--journal "$WORK/journal" --report "$WORK/report"
} >"$WORK/all.out" 2>"$WORK/all.err" || :
expect_grep "the commands ran (a certificate was enrolled)" 'enrolled tls-server' "$WORK/all.out"
expect_grep "the batch ran" '"done"' "$WORK/journal"
for f in all.out all.err journal report; do
	expect_no_grep "the PIN is not in $f" "$PIN" "$WORK/$f"
done

# A token URI's pin-value logs in, and the messages that quote the URI (no
# token matches it, it has an unknown attribute) show it without its
# pin-value; one that does not parse is not quoted.
{
	"$P11ENROLL" --token "pkcs11:token=safe?pin-value=$PIN" status
	"$P11ENROLL" --token "pkcs11:token=nosuch?pin-value=$PIN" status
	"$P11ENROLL" --json --token "pkcs11:token=nosuch?pin-value=$PIN" status
	"$P11ENROLL" --token "pkcs11:token=%zz?pin-value=$PIN" status
	"$P11ENROLL" --token "pkcs11:token=safe;colour=red?pin-value=$PIN" status
} >"$WORK/uri.out" 2>"$WORK/uri.err" || :
expect_grep "the URI's pin-value logged in" '^tls-client ' "$WORK/uri.out"
expect_grep "no match: the URI is quoted without its pin-value" \
	"no token matches 'pkcs11:token=nosuch'" "$WORK/uri.err"
expect_grep "no match, JSON: the same" \
	"no token matches 'pkcs11:token=nosuch'" "$WORK/uri.out"
expect_grep "a bad URI is not quoted" \
	"bad token URI: .*\\(the URI is not quoted, as it may hold a PIN\\)" \
	"$WORK/uri.err"
expect_grep "an unknown attribute: quoted without the pin-value" \
	"token URI 'pkcs11:token=safe' has attributes" "$WORK/uri.err"
for f in uri.out uri.err; do
	expect_no_grep "the PIN is not in $f" "$PIN" "$WORK/$f"
done

finish
