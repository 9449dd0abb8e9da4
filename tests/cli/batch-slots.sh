# SPDX-License-Identifier: MIT
# batch-slots.sh - a batch worker reads the slot list once, whatever the
# number of rows, and again only when it must: for a token missing from
# its list (a slot it could not read at first) and for one the batch
# itself initialises. Counted through the fault module's call trace.
. "$top_srcdir/tests/cli/lib.sh"

new_ca
CA="exec:$TESTCA $WORK/ca"
CONF=$WORK/p11fault.conf
TRACE=$WORK/trace

# manifest FILE PREFIX N: tls-client for PREFIX01..PREFIXNN.
manifest() {
	echo 'token,roles,cn' >"$1"
	_i=1
	while [ "$_i" -le "$3" ]; do
		_t=$(printf '%s%02d' "$2" "$_i")
		new_token "$_t"
		printf '%s,tls-client,%s-user\n' "$_t" "$_t" >>"$1"
		_i=$((_i + 1))
	done
}

# traced_batch MANIFEST [ARG...]: p11enroll $GLOBAL batch -j 1 through
# the fault module, which writes every PKCS#11 call to $TRACE.
GLOBAL=
traced_batch() (
	_m=$1
	shift
	printf 'trace %s\n' "$TRACE" >"$CONF"
	: >"$TRACE"
	export P11ENROLL_MODULE="$P11FAULT_MODULE" P11FAULT_CONF="$CONF"
	# shellcheck disable=SC2086 # options
	p11e $GLOBAL batch "$_m" --ca "$CA" -j 1 "$@"
)

# calls FUNC: how many times the worker (the process that logged in)
# called FUNC.
calls() {
	_pid=$(awk '$2 == "C_Login" { print $1; exit }' "$TRACE")
	awk -v p="$_pid" -v f="$1" '$1 == p && $2 == f { n++ } END { print n + 0 }' \
		"$TRACE"
}

# ---- the list is read once, at 4 rows as at 12 ------------------------------

manifest "$WORK/m4.csv" few 4
manifest "$WORK/m12.csv" many 12
expect_status 0 "a batch of 4 tokens" traced_batch "$WORK/m4.csv"
lists4=$(calls C_GetSlotList)
infos4=$(calls C_GetTokenInfo)
expect_status 0 "a batch of 12 tokens, 16 tokens present" traced_batch "$WORK/m12.csv"
lists12=$(calls C_GetSlotList)
infos12=$(calls C_GetTokenInfo)
expect "the worker lists the slots at all ($lists4)" test "$lists4" -ge 1
expect "the worker lists the slots as often for 12 rows as for 4 ($lists12, $lists4)" \
	test "$lists12" -eq "$lists4"
# One list of all slots (17 at most, with the blank one) and a few
# token information reads per row, not one per slot and row.
expect "token information is read a few times per row ($infos12 for 12 rows)" \
	test "$infos12" -le $((17 + 12 * 4))
expect "and grows with the rows, not with rows times slots ($infos4, $infos12)" \
	test $((infos12 - infos4)) -le $((8 * 4 + 17))

# ---- a token the worker could not read at first, and one it initialises -----

# The slots in a token directory of their own: three tokens and the
# blank slot.
export SOFTHSM2_CONF="$WORK/late/softhsm2.conf"
mkdir -p "$WORK/late/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$WORK/late/tokens" >"$SOFTHSM2_CONF"
for t in first01 next01 last01; do
	new_token "$t"
done
{
	echo 'token,roles,cn'
	for t in first01 next01 last01; do
		echo "$t,tls-client,$t-user"
	done
} >"$WORK/late.csv"
# A run whose CA refuses (nothing is left on the tokens) counts the
# batch's own token information reads before its worker starts.
CA="exec:$FIXTURES/ca-exit.sh 2 not today"
expect_status 3 "a batch whose CA refuses" traced_batch "$WORK/late.csv"
parent=$(awk '$2 == "C_GetTokenInfo" { print $1; exit }' "$TRACE")
before=$(awk -v p="$parent" '$1 == p && $2 == "C_GetTokenInfo" { n++ } END { print n + 0 }' \
	"$TRACE")
# The worker's first read of a slot fails, as SoftHSM's does while
# another process rewrites that token: its list lacks that token, and its
# row finds it by reading the list again.
printf 'trace %s\nfail C_GetTokenInfo %s CKR_DEVICE_ERROR\n' "$TRACE" \
	$((before + 1)) >"$CONF"
: >"$TRACE"
CA="exec:$TESTCA $WORK/ca"
expect_status 0 "a batch whose worker cannot read one slot at first" sh -c '
	export P11ENROLL_MODULE="$1" P11FAULT_CONF="$2"
	"$3" --pin-source "file:$4" batch "$5" --ca "$6" -j 1 --report "$7"' - \
	"$P11FAULT_MODULE" "$CONF" "$P11ENROLL" "$PIN_FILE" "$WORK/late.csv" "$CA" \
	"$WORK/report"
expect_grep "the slot read failed once, in the worker" \
	" C_GetTokenInfo $((before + 1)) 0x30\$" "$TRACE"
expect "the report has every row done" "$PYTHON" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][:-1]
assert [(r["token"], r["state"]) for r in rows] == [
    ("first01", "done"), ("next01", "done"), ("last01", "done")], rows
' "$WORK/report"
for t in first01 next01 last01; do
	objects_of "$t" >"$WORK/objs"
	expect_grep "$t holds its tls-client certificate (pkcs11-tool)" \
		'label: *tls-client' "$WORK/objs"
done
lists=$(calls C_GetSlotList)
expect "the worker read the list again ($lists calls, $lists4 without a miss)" \
	test "$lists" -gt "$lists4"

# A row that initialises a blank token: the worker reads the list again
# to find it under its new label, then goes on with the list it has.
SO_FILE=$WORK/so.pin
( umask 077; printf '%s\n' "$SO_PIN" >"$SO_FILE" )
new_token after01
blank=$(softhsm2-util --show-slots | awk '
	/^Slot [0-9]+/ { slot = $2 }
	/Initialized: *no/ { print slot; exit }')
{
	echo 'token,init_label,roles,cn'
	printf 'pkcs11:slot-id=%s,card01,tls-client,card01-user\n' "$blank"
	echo 'after01,,tls-client,after01-user'
} >"$WORK/init.csv"
GLOBAL="--so-pin-source file:$SO_FILE"
expect_status 0 "a batch that initialises a blank token" \
	traced_batch "$WORK/init.csv" --report "$WORK/report"
expect "the report has both rows done" "$PYTHON" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][:-1]
assert [r["state"] for r in rows] == ["done", "done"], rows
' "$WORK/report"
expect "card01 holds its role, found after the batch initialised it (pkcs11-tool)" sh -c '
	pkcs11-tool --module "$1" --token-label card01 --list-objects --type cert \
		2>/dev/null | grep -q "label: *tls-client"' - "$SOFTHSM2_MODULE"
objects_of after01 >"$WORK/objs"
expect_grep "after01 holds its role (pkcs11-tool)" 'label: *tls-client' "$WORK/objs"

finish
