# SPDX-License-Identifier: MIT
# interrupt.sh - the operator's faults: SIGINT, SIGTERM and SIGHUP in the
# middle of a run clean up like a failure; SIGKILL leaves only pending
# keys, which status --repair removes; a second process on the same token
# is refused while the first holds it.
. "$top_srcdir/tests/cli/lib.sh"

new_token card
new_ca
CA="exec:$TESTCA $WORK/ca"
BLOCKS=$WORK/blocks
mkdir "$BLOCKS"

# The role already on the token, which no fault may touch.
expect_status 0 "tls-client is enrolled first" \
	p11e --token card enroll tls-client --ca "$CA" --set cn=card-client
objects_of card >"$WORK/before"

# wait_blocked: until the blocking helper has the request; prints its PID.
wait_blocked() {
	_n=0
	while [ ! -f "$BLOCKS/blocked" ] && [ "$_n" -lt 600 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	cat "$BLOCKS/blocked"
	rm -f "$BLOCKS/blocked"
}

# running PID: the process exists and is not a zombie (an orphan's
# zombie may stay: not every init reaps).
running() {
	kill -0 "$1" 2>/dev/null &&
		[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

# gone PID: the process has ended (the helper was killed with its group).
gone() {
	_n=0
	while running "$1" && [ "$_n" -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	! running "$1"
}

# signalled SIG WANT ARGS...: run p11enroll ARGS in the background (with
# the default SIGINT a terminal's job has, which a shell without job
# control would ignore, and the default SIGHUP, which a suite started
# under nohup would pass down ignored), send SIG once the request is with
# the CA, and expect exit status WANT. $took: the seconds from the signal
# to the exit.
signalled() {
	_sig=$1
	_want=$2
	shift 2
	env --default-signal=INT,HUP "$P11ENROLL" --pin-source "file:$PIN_FILE" "$@" \
		>"$WORK/out" 2>"$WORK/err" &
	_pid=$!
	_helper=$(wait_blocked)
	kill "-$_sig" "$_pid"
	_start=$(date +%s)
	_got=0
	wait "$_pid" || _got=$?
	took=$(($(date +%s) - _start))
	if [ "$_got" -eq "$_want" ]; then
		ok "$_sig with the request at the CA: the process ends by $_sig (exit $_got)"
	else
		not_ok "$_sig: exit $_got, expected $_want"
		sed 's/^/#   /' "$WORK/out" "$WORK/err"
	fi
	expect "$_sig: the CA helper was stopped with the run" gone "$_helper"
}

# ---- SIGINT, SIGTERM, SIGHUP during enroll ---------------------------------

BLOCK="exec:$FIXTURES/ca-block.sh tls-server $BLOCKS $WORK/ca"
for spec in INT:130 TERM:143 HUP:129; do
	sig=${spec%%:*}
	signalled "$sig" "${spec#*:}" --token card enroll tls-server \
		--ca "$BLOCK" --set dns=card.example.org
	expect_grep "SIG$sig: the message says so and that the key went" \
		"enroll tls-server on token card: CA .*: interrupted by SIG$sig; the new key was removed" \
		"$WORK/err"
	expect_unchanged "SIG$sig during enroll" card
done

# Two roles: the first completes, the signal comes during the second.
BLOCK2="exec:$FIXTURES/ca-block.sh code-signing $BLOCKS $WORK/ca"
signalled INT 130 --token card --json enroll tls-server code-signing \
	--ca "$BLOCK2" --set dns=card.example.org --set name=card-code --set org=Example
expect "the role completed before the signal stays, the interrupted one is gone" \
	"$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert [r["role"] for r in doc["enrolled"]] == ["tls-server"], doc
assert doc["error"]["role"] == "code-signing", doc
assert "interrupted by SIGINT" in doc["error"]["message"], doc
' "$WORK/out"
objects_of card >"$WORK/objs"
expect_no_grep "nothing of code-signing or pending is on the token" \
	'code-signing|pending:' "$WORK/objs"
expect_status 0 "status is clean after the interrupted run" \
	p11e --token card status
expect_status 0 "tls-server is removed again" p11e --token card remove --yes tls-server
expect_unchanged "back to tls-client alone" card

# ---- SIGTERM during renew: the old pair stays as it was --------------------

BLOCKC="exec:$FIXTURES/ca-block.sh tls-client $BLOCKS $WORK/ca"
signalled TERM 143 --token card renew tls-client --ca "$BLOCKC"
expect_grep "renew: the message says the old pair is as it was" \
	"interrupted by SIGTERM.*the old key and certificate are as they were" \
	"$WORK/err"
expect_unchanged "SIGTERM during renew" card

# ---- SIGKILL: only a pending key, which status --repair removes ------------

"$P11ENROLL" --pin-source "file:$PIN_FILE" --token card enroll tls-server \
	--ca "$BLOCK" --set dns=card.example.org >/dev/null 2>&1 &
pid=$!
helper=$(wait_blocked)
kill -9 "$pid"
wait "$pid" 2>/dev/null || :
# Nothing of p11enroll is left to stop the helper: the kernel does.
expect "SIGKILL: the CA helper dies with p11enroll" gone "$helper"
kill -9 -- "-$helper" 2>/dev/null || kill -9 "$helper" 2>/dev/null || :
objects_of card >"$WORK/objs"
expect_grep "SIGKILL leaves the new key under its pending label" \
	'label: *pending:tls-server' "$WORK/objs"
expect_status 0 "status --repair removes it" p11e --token card status --repair --yes
expect_unchanged "after SIGKILL and status --repair" card

# ---- two processes on one token: the second is refused, never interleaved --

"$P11ENROLL" --pin-source "file:$PIN_FILE" --token card enroll tls-server \
	--ca "$BLOCK" --set dns=card.example.org >"$WORK/first.out" 2>&1 &
first=$!
helper=$(wait_blocked)
expect_status 1 "a second enroll on the held token is refused" \
	p11e --token card enroll user-sign --ca "$CA" \
	--set email=card@example.org --set "name=Card User"
expect_grep "the refusal names the token and the process holding it" \
	"token card \\(serial [0-9a-f]+\\) is in use by another p11enroll process \\(pid $first\\)" \
	"$WORK/err"
expect_status 1 "so is a renew" p11e --token card renew tls-client --ca "$CA"
kill -TERM "$first"
wait "$first" 2>/dev/null || :
expect "the first run stopped its helper" gone "$helper"
expect_unchanged "neither run left anything" card
expect_status 0 "once the first has ended, the token is free" \
	p11e --token card enroll user-sign --ca "$CA" \
	--set email=card@example.org --set "name=Card User"

# ---- batch ------------------------------------------------------------------

for i in 1 2 3 4; do new_token "b$i"; done
{
	echo 'token,roles,dns'
	for i in 1 2 3 4; do echo "b$i,tls-server,b$i.example.org"; done
} >"$WORK/m.csv"
for i in 1 2 3 4; do objects_of "b$i" >"$WORK/before-b$i"; done

# batch_unchanged WHAT: every batch token is as it was before the batch.
batch_unchanged() {
	_bad=0
	for _i in 1 2 3 4; do
		objects_of "b$_i" >"$WORK/now" </dev/null
		cmp -s "$WORK/before-b$_i" "$WORK/now" || _bad=$((_bad + 1))
	done
	expect "$1: no batch token changed ($_bad changed)" test "$_bad" = 0
}

# SIGTERM to the batch process alone: it passes the signal to its workers,
# at once (the helper would wait a minute), wherever the signal finds it.
BLOCKA="exec:$FIXTURES/ca-block.sh any $BLOCKS $WORK/ca"
signalled TERM 143 batch "$WORK/m.csv" -j 2 --ca "$BLOCKA" --journal "$WORK/j"
bound=10
[ -z "${P11E_VALGRIND:-}" ] || bound=30
expect "SIGTERM reaches the busy workers promptly (${took}s)" test "$took" -lt "$bound"
expect_grep "the batch says it was interrupted and how to go on" \
	"batch: interrupted by SIGTERM; the journal has every row that ran" "$WORK/err"
expect "the journal records the interrupted rows as failed, and no row done" \
	"$PYTHON" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])][1:]
ended = [l for l in lines if l["state"] != "started"]
assert ended and all(l["state"] == "failed" for l in ended), lines
assert all("interrupted by SIGTERM" in l["error"] for l in ended), lines
' "$WORK/j"
batch_unchanged "SIGTERM to the batch"
expect_status 0 "the same batch run again enrolls every row" \
	p11e batch "$WORK/m.csv" -j 2 --ca "$CA" --journal "$WORK/j"
for i in 1 2 3 4; do
	p11e --token "b$i" remove --yes tls-server >/dev/null 2>&1 || :
done
batch_unchanged "removed again"

# SIGKILL to the batch process alone: the workers end their rows cleanly.
"$P11ENROLL" --pin-source "file:$PIN_FILE" batch "$WORK/m.csv" -j 2 \
	--ca "$BLOCKA" >/dev/null 2>&1 &
pid=$!
helper=$(wait_blocked)
kill -9 "$pid"
wait "$pid" 2>/dev/null || :
expect "the workers stop when the batch is killed" gone "$helper"
n=0
while pgrep -f "batch $WORK/m.csv" >/dev/null && [ "$n" -lt 200 ]; do
	sleep 0.05
	n=$((n + 1))
done
expect "no worker outlives the batch" sh -c '! pgrep -f "batch $1" >/dev/null' - "$WORK/m.csv"
batch_unchanged "SIGKILL to the batch alone"

finish
