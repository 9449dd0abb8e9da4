# SPDX-License-Identifier: MIT
# batch.sh - many tokens from one manifest: a bad row among good ones, a
# manifest refused before anything is touched, a batch killed at several
# points and resumed, and hostile manifest values reaching the CA helper
# only as data.
. "$top_srcdir/tests/cli/lib.sh"

new_ca
CA="exec:$TESTCA $WORK/ca"

# tokens N PREFIX: N fresh tokens PREFIX01..PREFIXNN.
tokens() {
	_i=1
	while [ "$_i" -le "$1" ]; do
		new_token "$(printf '%s%02d' "$2" "$_i")"
		_i=$((_i + 1))
	done
}

# manifest FILE N PREFIX [BAD]: a manifest for PREFIX01..PREFIXNN, each
# with tls-server and tls-client; row BAD names a token that is not there.
manifest() {
	{
		echo 'token,roles,dns,cn'
		_i=1
		while [ "$_i" -le "$2" ]; do
			_t=$(printf '%s%02d' "$3" "$_i")
			[ "$_i" = "${4:-0}" ] && _t=no-such-token
			printf '%s,tls-server tls-client,%s.example.org,%s-client\n' \
				"$_t" "$_t" "$_t"
			_i=$((_i + 1))
		done
	} >"$1"
}

# roles_ok TOKEN: exactly one key pair and one certificate for each of
# tls-server and tls-client, nothing pending, as pkcs11-tool sees it.
roles_ok() {
	objects_of "$1" >"$WORK/objs"
	for _r in tls-server tls-client; do
		[ "$(grep -c "^  label: *$_r\$" "$WORK/objs")" = 3 ] || return 1
		[ "$(grep -A1 '^Certificate Object' "$WORK/objs" |
			grep -c "label: *$_r\$")" = 1 ] || return 1
	done
	! grep -q 'pending:\|awaiting:' "$WORK/objs"
}

# ---- twenty tokens, one bad row --------------------------------------------

tokens 20 web
manifest "$WORK/m20.csv" 20 web 11
expect_status 3 "a batch of 20 with a bad row in the middle exits 3" \
	p11e batch "$WORK/m20.csv" --ca "$CA" -j 2 --journal "$WORK/j20" \
	--report "$WORK/r20"
expect_grep "the bad row is reported with its line" \
	"^line 12, token no-such-token: failed: no token matches 'no-such-token'" "$WORK/out"
expect_grep "the summary counts 19 done and 1 failed" \
	'^batch: 20 rows: 19 done, 0 done earlier, 1 failed' "$WORK/out"
good=0
for i in 01 02 03 04 05 06 07 08 09 10 12 13 14 15 16 17 18 19 20; do
	roles_ok "web$i" && good=$((good + 1))
done
expect "the 19 good tokens each hold both roles, once ($good)" test "$good" = 19
objects_of web11 >"$WORK/web11"
expect "web11, not in the manifest, is untouched" test ! -s "$WORK/web11"
expect "the report is one JSON object per row and a summary" "$PYTHON" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
rows, summary = lines[:-1], lines[-1]["summary"]
assert len(rows) == 20, len(rows)
assert summary["rows"] == 20 and summary["done"] == 19 and summary["failed"] == 1, summary
bad = [r for r in rows if r["state"] == "failed"]
assert len(bad) == 1 and bad[0]["line"] == 12 and bad[0]["token"] == "no-such-token", bad
assert "no token matches" in bad[0]["error"]
for r in rows:
    if r["state"] != "done":
        continue
    assert [x["role"] for x in r["roles"]] == ["tls-server", "tls-client"], r
    for x in r["roles"]:
        assert x["state"] == "done" and len(x["sha256"]) == 64 and x["serial"], x
        assert x["not_after"].endswith("Z"), x
        assert len(x["chain"]) == 1 and x["chain"][0].startswith("-----BEGIN CERTIFICATE-----"), x
        assert x["uris"]["private_key"].endswith(";object=%s;type=private" % x["role"]), x
' "$WORK/r20"
# The report's fingerprint is the certificate's on the token.
p11tool_on web05 --read-object --type cert --label tls-server -o "$WORK/web05.der"
fp=$(openssl x509 -inform DER -in "$WORK/web05.der" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
expect_grep "the report's SHA-256 is that of the certificate on the token" "$fp" "$WORK/r20"

# The same manifest and journal again: the done rows are skipped, the bad
# one is tried again.
expect_status 3 "a rerun with the journal" \
	p11e batch "$WORK/m20.csv" --ca "$CA" --journal "$WORK/j20"
expect_grep "the rerun skips what is done" \
	'^batch: 20 rows: 0 done, 19 done earlier, 1 failed' "$WORK/out"
good=0
for i in 01 05 10 12 20; do roles_ok "web$i" && good=$((good + 1)); done
expect "nothing was enrolled twice" test "$good" = 5

# A journal record is believed only as far as the token bears it out: a
# role removed since is enrolled again, and a serial the token does not
# hold never reaches the report.
p11e --token web10 remove tls-client --yes >/dev/null 2>&1
grep '"web05"' "$WORK/j20" | grep '"tls-server"' | grep '"done"' | tail -n 1 |
	sed 's/"serial": *"[0-9A-Fa-f]*"/"serial":"DEADBEEF"/' >>"$WORK/j20"
expect_status 3 "a rerun with a journal the token contradicts" \
	p11e batch "$WORK/m20.csv" --ca "$CA" --journal "$WORK/j20" --report "$WORK/r20c"
expect "the role removed since is enrolled again" roles_ok web10
expect_no_grep "the forged serial is not reported" 'DEADBEEF' "$WORK/r20c"

# A journal belongs to its manifest.
cp "$WORK/m20.csv" "$WORK/m20b.csv"
echo 'web11,tls-server,web11.example.org,web11-client' >>"$WORK/m20b.csv"
expect_status 2 "a journal of another manifest is refused" \
	p11e batch "$WORK/m20b.csv" --ca "$CA" --journal "$WORK/j20"
expect_grep "the refusal says so" 'belongs to another manifest' "$WORK/err"
objects_of web11 >"$WORK/web11"
expect "and nothing was touched" test ! -s "$WORK/web11"

# ---- manifests refused before any token is touched -----------------------

objects_of web01 >"$WORK/before"
bad_manifest() {
	_what=$1
	_pattern=$2
	printf "$3" >"$WORK/bad.csv"
	rm -f "$WORK/jbad"
	expect_status 2 "$_what" p11e batch "$WORK/bad.csv" --ca "$CA" \
		--journal "$WORK/jbad"
	expect_grep "$_what: line and column" "$_pattern" "$WORK/err"
	expect "$_what: no journal was started" test ! -e "$WORK/jbad"
}
bad_manifest "an unclosed quote" 'bad.csv:3:[0-9]+: not valid CSV' \
	'token,roles,dns\nweb01,tls-server,a.example.org\nweb02,"tls-server,b.example.org\n'
bad_manifest "a row with a missing field" 'bad.csv:3: 2 fields where the header has 3' \
	'token,roles,dns\nweb01,tls-server,a.example.org\nweb02,tls-server\n'
bad_manifest "no roles column" 'bad.csv:1: the header has no column .roles.' \
	'token,role,dns\nweb01,tls-server,a.example.org\n'
bad_manifest "an empty roles cell" 'bad.csv:2:2 \(roles\): no role given' \
	'token,roles,dns\nweb01,,a.example.org\n'
bad_manifest "an unknown role" "bad.csv:3:2 \\(roles\\): unknown role 'tls-sever'" \
	'token,roles,dns\nweb01,tls-server,a.example.org\nweb02,tls-sever,b.example.org\n'
bad_manifest "a missing variable" 'bad.csv:3:3 \(dns\): empty, but role tls-server needs variable dns: fill the cell' \
	'token,roles,dns\nweb01,tls-server,a.example.org\nweb02,tls-server,\n'
bad_manifest "a token twice" "bad.csv:3:1: token 'web01' is the token that line 2 names already" \
	'token,roles,dns\nweb01,tls-server,a.example.org\nweb01,tls-client,b.example.org\n'
bad_manifest "a column named twice" "bad.csv:1:4: column 'dns' is named twice" \
	'token,roles,dns,dns\nweb01,tls-server,a,b\n'
bad_manifest "a column that is no variable name" "bad.csv:1:3: column 'd-n-s'" \
	'token,roles,d-n-s\nweb01,tls-server,a.example.org\n'
bad_manifest "a prompt as a row's PIN source" 'bad.csv:2:4 \(pin_source\): pin_source: a row.s PIN comes from file:PATH or env:VAR' \
	'token,roles,dns,pin_source\nweb01,tls-server,a.example.org,prompt\n'
bad_manifest "an empty manifest" 'bad.csv:1: empty' ''
bad_manifest "a header alone" 'bad.csv:2: no rows after the header' 'token,roles\n'
expect_unchanged "after the refused manifests" web01

# ---- hostile values reach the CA helper only as data -------------------------

mkdir "$WORK/seen"
tokens 2 odd
# A token selector has room for 32 bytes only.
PWN5=/tmp/p11e-pwn.$$
rm -f "$PWN5"
cat >"$WORK/hostile.csv" <<EOF2
token,roles,name,org
odd01,code-signing,\$(touch $WORK/pwned1),; touch $WORK/pwned2
odd02,code-signing,\`touch $WORK/pwned3\`,"a,b""; touch $WORK/pwned4"
\$(touch $PWN5),code-signing,x,y
EOF2
expect_status 3 "a batch with hostile values" p11e batch "$WORK/hostile.csv" \
	--ca "exec:$FIXTURES/ca-record.sh $WORK/seen $WORK/ca"
for f in "$WORK/pwned1" "$WORK/pwned2" "$WORK/pwned3" "$WORK/pwned4" "$PWN5"; do
	expect "nothing ran the value meant to create $f" test ! -e "$f"
done
expect_grep "the token column is only a selector" \
	"token \\\$\\(touch $PWN5\\): failed: no token matches" "$WORK/out"
cat "$WORK/seen"/env.* >"$WORK/seen-env"
expect_grep "the helper saw \$(...) as text in the subject" \
	"^CERTMONGER_REQ_SUBJECT=.*CN=\\\$\\(touch $WORK/pwned1\\)" "$WORK/seen-env"
expect_grep "the helper saw '; touch' as text in the subject" \
	"O=.; touch $WORK/pwned2" "$WORK/seen-env"
expect_grep "a quote and a comma stay inside the field" \
	"O=a.,b.\".; touch $WORK/pwned4" "$WORK/seen-env"
expect "the helper's arguments are only those of --ca" sh -c \
	'for f in "$1"/args.*; do [ "$(cat "$f")" = "$(printf "%s\n%s" "$1" "$2")" ] ||
	 exit 1; done' - "$WORK/seen" "$WORK/ca"
p11tool_on odd01 --read-object --type cert --label code-signing -o "$WORK/odd01.der"
openssl x509 -inform DER -in "$WORK/odd01.der" -noout -subject -nameopt RFC2253 \
	>"$WORK/odd01.subject"
expect_grep "the certificate carries the value as written" \
	"CN=\\\$\\(touch $WORK/pwned1\\)" "$WORK/odd01.subject"

# ---- killed and resumed --------------------------------------------------------

tokens 8 kill
manifest "$WORK/m8.csv" 8 kill
mkdir "$WORK/at-ca"
SLOW="exec:$FIXTURES/ca-slow.sh 1.5 $WORK/ca $WORK/at-ca"

# started_lines: how many roles the journal has seen start.
started_lines() {
	_c=$(grep -c '"state":"started"' "$WORK/j8" 2>/dev/null)
	echo "${_c:-0}"
}

# at_ca: how many requests are with the slow CA now.
at_ca() {
	ls "$WORK/at-ca" | grep -c '^at-ca\.' || :
}

# run_and_kill K: start the batch in its own process group, SIGKILL the
# whole group (the batch and its workers, as a crash of the machine would)
# once the journal shows K roles started and both workers have a request
# with the slow CA (their keys pending). The kill lands while both wait
# for the CA, never inside the module: SoftHSM writes a new object in
# several steps, and a kill in between leaves a half-made object that no
# label marks as ours.
run_and_kill() {
	setsid "$P11ENROLL" --pin-source "file:$PIN_FILE" batch "$WORK/m8.csv" \
		--ca "$SLOW" -j 2 --journal "$WORK/j8" >/dev/null 2>&1 &
	_pid=$!
	_n=0
	while { [ "$(started_lines)" -lt "$1" ] || [ "$(at_ca)" -lt 2 ]; } &&
		[ "$_n" -lt 600 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	kill -9 -- "-$_pid" 2>/dev/null || :
	wait "$_pid" 2>/dev/null || :
	# The helpers have process groups of their own.
	for _f in "$WORK"/at-ca/at-ca.*; do
		[ -e "$_f" ] || continue
		kill -9 -- "-${_f##*.}" 2>/dev/null || :
		rm -f "$_f"
	done
}

pending_seen=0
for k in 1 4 9 13; do
	run_and_kill "$k"
	for i in 01 02 03 04 05 06 07 08; do
		objects_of "kill$i" | grep -q 'pending:' && pending_seen=$((pending_seen + 1))
	done
	ok "killed with $(started_lines) roles started in the journal"
done
expect "some kills left pending keys behind ($pending_seen)" test "$pending_seen" -gt 0
expect_status 0 "the resumed batch finishes" \
	p11e batch "$WORK/m8.csv" --ca "$CA" -j 2 --journal "$WORK/j8" --report "$WORK/r8"
good=0
for i in 01 02 03 04 05 06 07 08; do roles_ok "kill$i" && good=$((good + 1)); done
expect "every role is enrolled exactly once, nothing pending ($good of 8 tokens)" \
	test "$good" = 8
for i in 01 02 03 04 05 06 07 08; do
	expect_status 0 "status of kill$i after the resumed batch" \
		p11e --token "kill$i" status
	expect_no_grep "status finds nothing pending on kill$i" pending "$WORK/out"
done
expect "the resumed report counts every row as done" "$PYTHON" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["state"] == "done" for r in lines[:-1]), lines
assert lines[-1]["summary"]["failed"] == 0, lines[-1]
' "$WORK/r8"

# ---- blank tokens initialised in the same run -------------------------------

SO_FILE=$WORK/so.pin
( umask 077; printf '%s\n' "$SO_PIN" >"$SO_FILE" )
tokens 1 plain
blank=$(softhsm2-util --show-slots | awk '
	/^Slot [0-9]+/ { slot = $2 }
	/Initialized: *no/ { print slot; exit }')
printf 'token,init_label,roles,cn\npkcs11:slot-id=%s,card01,tls-client,card01-user\nplain01,,tls-client,plain01-user\n' \
	"$blank" >"$WORK/init.csv"
# The first try meets a CA that refuses: card01 is initialised, its role
# fails, and the PIN is in the mailer only.
expect_status 3 "a batch that initialises a blank token, its CA refusing" \
	p11e --so-pin-source "file:$SO_FILE" batch "$WORK/init.csv" \
	--ca "exec:$FIXTURES/ca-exit.sh 2 not today" --pin-mailer "$WORK/mailer" \
	--journal "$WORK/jinit" --report "$WORK/rinit"
expect "the mailer is private (0600)" test "$(stat -c %a "$WORK/mailer")" = 600
expect_grep "the mailer has card01's PIN" '^"card01","[0-9a-f]+","[0-9]{8}"$' "$WORK/mailer"
pin=$(sed -n 's/^"card01","[0-9a-f]*","\([0-9]*\)"$/\1/p' "$WORK/mailer")
cat "$WORK/out" "$WORK/err" "$WORK/jinit" "$WORK/rinit" >"$WORK/everything"
expect_no_grep "the new PIN is not in the output, journal or report" "$pin" "$WORK/everything"
expect_status 0 "the rerun with a CA that issues" \
	p11e --so-pin-source "file:$SO_FILE" batch "$WORK/init.csv" --ca "$CA" \
	--pin-mailer "$WORK/mailer" --journal "$WORK/jinit" --report "$WORK/rinit"
expect "the rerun read the PIN back instead of setting a new one" \
	test "$(grep -c '^"card01"' "$WORK/mailer")" = 1
expect "the mailer's PIN logs in to card01 and its role is there (pkcs11-tool)" sh -c '
	pkcs11-tool --module "$1" --token-label card01 --login --pin "$2" \
		--list-objects 2>/dev/null | grep -q "label: *tls-client"' \
	- "$SOFTHSM2_MODULE" "$pin"
objects_of plain01 >"$WORK/plain01"
expect_grep "the row without init_label used the PIN source" 'label: *tls-client' \
	"$WORK/plain01"
cat "$WORK/out" "$WORK/err" "$WORK/jinit" "$WORK/rinit" >"$WORK/everything"
expect_no_grep "nor in the rerun's output, journal or report" "$pin" "$WORK/everything"
expect_status 2 "rows to initialise need --so-pin-source" \
	p11e batch "$WORK/init.csv" --ca "$CA"
expect_grep "the refusal says so" 'give the security officer PIN with --so-pin-source' \
	"$WORK/err"

# ---- progress on a terminal ----------------------------------------------------

# script(1) gives the batch a terminal; its stdout and stderr go to the
# typescript.
tokens 3 tty
manifest "$WORK/mtty.csv" 3 tty
expect "a batch on a terminal" script -qec "\"$P11ENROLL\" --pin-source file:$PIN_FILE \
	batch $WORK/mtty.csv --ca 'exec:$TESTCA $WORK/ca'" "$WORK/typescript"
expect_grep "a progress bar with the rows, the rate and the time left" \
	'\[##########\.{20}\] 1/3 rows, [0-9.]+ rows/s, about [0-9]+m[0-9]{2}s left' \
	"$WORK/typescript"
expect_grep "the bar is redrawn in place" "$(printf '\r')\\[" "$WORK/typescript"
expect_no_grep "no per-row lines on a terminal" '^line [0-9]+, token' "$WORK/typescript"
expect_grep "the summary follows the bar" 'batch: 3 rows: 3 done' "$WORK/typescript"

# ---- options --------------------------------------------------------------------

expect_status 2 "-j 0 is refused" p11e batch "$WORK/m8.csv" --ca "$CA" -j 0
expect_grep "-j is explained" '-j takes a number of workers from 1 to 64' "$WORK/err"
expect_status 2 "--token does not go with batch" \
	p11e --token web01 batch "$WORK/m8.csv" --ca "$CA"
expect_status 2 "no manifest" p11e batch --ca "$CA"
expect_status 2 "a missing manifest file" p11e batch "$WORK/none.csv" --ca "$CA"

finish
