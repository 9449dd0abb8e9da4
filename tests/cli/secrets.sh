# SPDX-License-Identifier: MIT
# secrets.sh - what a local user of the same machine could take, and does
# not: a token URI's pin-value is shown and recorded nowhere (messages,
# progress, JSON, journal, report), the process is not dumpable (no core
# file, no ptrace or /proc/PID/mem for the CA helper it runs or anyone
# else of its user), an env: PIN is gone from /proc/PID/environ, a PIN
# file that others may read is refused, and the report, the journal and
# the PIN mailer are private files that a planted symbolic link, hard
# link or another user's file cannot redirect.
. "$top_srcdir/tests/cli/lib.sh"

# A PIN no other string of the run can contain by chance.
PIN=582917364
( umask 077; printf '%s\n' "$PIN" >"$WORK/pin" )
softhsm2-util --init-token --free --label sec --so-pin "$SO_PIN" --pin "$PIN" \
	>/dev/null
new_ca
CA="exec:$TESTCA $WORK/ca"

# expect_no_pin WHAT FILE...: $PIN is in none of the FILEs.
expect_no_pin() {
	_what=$1
	shift
	for _f in "$@"; do
		expect_no_grep "$_what: the PIN is not in $(basename "$_f")" "$PIN" "$_f"
	done
}

# ---- a token URI's pin-value is shown nowhere --------------------------------

URI="pkcs11:token=sec?pin-value=$PIN"
# A CA that refuses every request, saying so.
printf '#!/bin/sh\necho "no certificate for this request"\nexit 2\n' >"$WORK/ca-refuses"
chmod +x "$WORK/ca-refuses"
{
	"$P11ENROLL" --token "$URI" status
	"$P11ENROLL" --token "pkcs11:token=nosuch?pin-value=$PIN" status
	"$P11ENROLL" --json --token "pkcs11:token=nosuch?pin-value=$PIN" status
	"$P11ENROLL" --token "pkcs11:token=sec;slot-id=999?pin-value=$PIN" status
	"$P11ENROLL" --token "pkcs11:token=%zz?pin-value=$PIN" status
	"$P11ENROLL" --token "pkcs11:token=sec;colour=red?pin-value=$PIN" status
	"$P11ENROLL" -v --token "$URI" enroll tls-server \
		--ca "exec:$WORK/ca-refuses" --set dns=sec.example.org
	"$P11ENROLL" --json --token "$URI" enroll tls-server \
		--ca "exec:$WORK/ca-refuses" --set dns=sec.example.org
} >"$WORK/uri.out" 2>"$WORK/uri.err" || :
expect_grep "the URI's pin-value logged in" '^token sec ' "$WORK/uri.out"
expect_grep "no match: the URI is quoted without its PIN" \
	"no token matches 'pkcs11:token=nosuch'" "$WORK/uri.err"
expect_grep "no match, JSON: the same" \
	"no token matches 'pkcs11:token=nosuch'" "$WORK/uri.out"
expect_grep "no such slot: the URI is quoted without its PIN" \
	"no token matches 'pkcs11:slot-id=999;token=sec'" "$WORK/uri.err"
expect_grep "a URI that does not parse is not quoted" \
	"bad token URI: .*not quoted, as it may hold a PIN" "$WORK/uri.err"
expect_grep "an unknown attribute: quoted without the PIN" \
	"token URI 'pkcs11:token=sec' has attributes that do not select" \
	"$WORK/uri.err"
expect_grep "the CA's refusal is reported" 'no certificate for this request' \
	"$WORK/uri.err"
expect_no_grep "no message hides the PIN as ***: it is not there at all" \
	'pin-value' "$WORK/uri.err"
expect_no_pin "URI" "$WORK/uri.out" "$WORK/uri.err"

# A batch whose token column holds pin-values: a good row, a row for a
# token that is not there, a row the CA refuses.
new_token alt
{
	echo 'token,roles,dns'
	echo "$URI,tls-server,sec.example.org"
	echo "pkcs11:token=nosuch?pin-value=$PIN,tls-server,nosuch.example.org"
} >"$WORK/uri.csv"
printf 'token,roles,dns\n"pkcs11:token=alt?pin-value=%s",tls-server,alt.example.org\n' \
	"$USER_PIN" >"$WORK/refused.csv"
{
	"$P11ENROLL" -v batch "$WORK/uri.csv" --ca "$CA" \
		--journal "$WORK/uri.journal" --report "$WORK/uri.report"
	"$P11ENROLL" --json batch "$WORK/uri.csv" --ca "$CA" \
		--journal "$WORK/uri.journal" --report "$WORK/uri.report2"
	"$P11ENROLL" -v batch "$WORK/refused.csv" --ca "exec:$WORK/ca-refuses" \
		--journal "$WORK/refused.journal" --report "$WORK/refused.report"
} >"$WORK/batch.out" 2>"$WORK/batch.err" || :
expect_grep "the batch ran" '"state":"done"' "$WORK/uri.journal"
expect_grep "the report names the token without its PIN" \
	'"token":"pkcs11:token=sec"' "$WORK/uri.report"
expect_grep "the progress names the failed row without its PIN" \
	"line 3, token pkcs11:token=nosuch: failed" "$WORK/batch.out"
expect_grep "the refused row is recorded" '"state":"failed"' "$WORK/refused.journal"
expect_no_pin "batch" "$WORK/batch.out" "$WORK/batch.err" "$WORK/uri.journal" \
	"$WORK/uri.report" "$WORK/uri.report2"
for f in batch.out batch.err refused.journal refused.report; do
	expect_no_grep "batch: the other PIN is not in $f" "pin-value=$USER_PIN" \
		"$WORK/$f"
done

# A token column p11-kit cannot read is refused with the manifest's line,
# unquoted, before any token is touched.
printf 'token,roles,dns\npkcs11:token=%%zz?pin-value=%s,tls-server,x.example.org\n' \
	"$PIN" >"$WORK/bad-uri.csv"
expect_status 2 "a token URI that does not parse fails the manifest" \
	"$P11ENROLL" batch "$WORK/bad-uri.csv" --ca "$CA"
expect_grep "the line and column are named" "bad-uri.csv:2:1 \(token\): bad token URI" \
	"$WORK/err"
expect_no_pin "bad manifest URI" "$WORK/out" "$WORK/err"

# ---- not dumpable -------------------------------------------------------------

# The kernel gives the /proc entries of a process that is not dumpable to
# root: a CA helper records the owner of its parent's entry (the parent
# is p11enroll, or a batch worker) and the parent's user. A root
# p11enroll would own its entries either way, so as root the runs are
# made as nobody, in a directory of nobody's.
DUMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/p11enroll-dump.XXXXXX")
remove_dumpdir() { rm -rf "$DUMPDIR"; }
on_exit=remove_dumpdir
cat >"$DUMPDIR/ca-dumpable" <<'EOF'
#!/bin/sh
echo "$(stat -c %u "/proc/$PPID/status") $(awk '/^Uid:/ { print $2 }' "/proc/$PPID/status")" >>"$1"
exec "$2" "$3"
EOF
chmod +x "$DUMPDIR/ca-dumpable"
mkdir "$DUMPDIR/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$DUMPDIR/tokens" >"$DUMPDIR/softhsm2.conf"
SOFTHSM2_CONF=$DUMPDIR/softhsm2.conf softhsm2-util --init-token --free \
	--label dump --so-pin "$SO_PIN" --pin "$USER_PIN" >/dev/null
"$TESTCA" init "$DUMPDIR/ca" >/dev/null
( umask 077; printf '%s\n' "$USER_PIN" >"$DUMPDIR/pin" )
printf 'token,roles,dns,pin_source\ndump,tls-server,dump.example.org,file:%s\n' \
	"$DUMPDIR/pin" >"$DUMPDIR/dump.csv"
as_user=""
if [ "$(id -u)" = 0 ]; then
	chown -R nobody "$DUMPDIR"
	as_user="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
fi
# dump_run ARGS...: p11enroll (never through valgrind: a run of its own)
# with the token "dump".
dump_run() {
	# shellcheck disable=SC2086
	env SOFTHSM2_CONF="$DUMPDIR/softhsm2.conf" P11ENROLL_LOCK_DIR="$DUMPDIR" \
		$as_user "$P11ENROLL_NATIVE" "$@"
}
DUMP="exec:$DUMPDIR/ca-dumpable $DUMPDIR/dumpable $TESTCA $DUMPDIR/ca"
expect_status 0 "enroll through a CA helper that looks at p11enroll" \
	dump_run --token dump --pin-source "file:$DUMPDIR/pin" enroll tls-client \
	--ca "$DUMP" --set cn=dump-client
expect_status 0 "a batch through the same helper" dump_run batch \
	"$DUMPDIR/dump.csv" --ca "$DUMP"
[ -f "$DUMPDIR/dumpable" ] || : >"$DUMPDIR/dumpable"
expect "both parents were seen ($(wc -l <"$DUMPDIR/dumpable"))" \
	test "$(wc -l <"$DUMPDIR/dumpable")" = 2
expect "p11enroll and its batch worker are not dumpable: /proc gives them to root" \
	awk '$1 != 0 || $2 == 0 { exit 1 }' "$DUMPDIR/dumpable"
sed 's|^|# owner of /proc/PID, its uid: |' "$DUMPDIR/dumpable"

# ---- an env: PIN leaves the environment ----------------------------------------

# environ_has PID FILE: the environment of PID (as /proc shows it) into
# FILE; an environment that cannot be read (not dumpable, and not root)
# counts as empty.
environ_of() {
	tr '\0' '\n' <"/proc/$1/environ" >"$2" 2>/dev/null || : >"$2"
}

# wait_blocked: the PID of the CA helper that ca-block.sh holds.
wait_blocked() {
	_n=0
	while [ ! -f "$BLOCKS/blocked" ] && [ "$_n" -lt 600 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	# Held nowhere: what the run said ends the scenario.
	[ -f "$BLOCKS/blocked" ] || sed 's/^/#   /' "$WORK/env.err" >&2
	cat "$BLOCKS/blocked"
}

BLOCKS=$WORK/blocks
mkdir "$BLOCKS"
softhsm2-util --init-token --free --label envtok --so-pin "$SO_PIN" \
	--pin "$PIN" >/dev/null
BLOCK="exec:$top_srcdir/tests/fixtures/ca-block.sh any $BLOCKS $WORK/ca"
env SEC_PIN="$PIN" OTHER_VAR=kept "$P11ENROLL" --token envtok \
	--pin-source env:SEC_PIN enroll tls-server --ca "$BLOCK" \
	--set dns=envtok.example.org >"$WORK/env.out" 2>"$WORK/env.err" &
pid=$!
helper=$(wait_blocked)
environ_of "$pid" "$WORK/environ"
environ_of "$helper" "$WORK/helper-environ"
kill -TERM "$pid"
wait "$pid" || :
expect_no_pin "env: PIN" "$WORK/environ" "$WORK/helper-environ"
[ "$(id -u)" != 0 ] || expect_grep "the rest of the environment is as it was" \
	'^OTHER_VAR=kept$' "$WORK/environ"
# The initial environment stays where the kernel shows it: the name is
# left there, with its value wiped.
[ "$(id -u)" != 0 ] || expect_grep "only the variable's name is left there" \
	'^SEC_PIN=$' "$WORK/environ"
expect_no_grep "the helper did not get the variable" '^SEC_PIN=' \
	"$WORK/helper-environ"

# A batch row's env: PIN leaves the batch's environment before its
# workers start, and theirs.
rm -f "$BLOCKS/blocked"
printf 'token,roles,cn,pin_source\nenvtok,tls-client,envtok,env:ROW_PIN\n' \
	>"$WORK/env.csv"
env ROW_PIN="$PIN" "$P11ENROLL" batch "$WORK/env.csv" --ca "$BLOCK" \
	>"$WORK/env.out" 2>"$WORK/env.err" &
pid=$!
helper=$(wait_blocked)
worker=$(awk '/^PPid:/ { print $2 }' "/proc/$helper/status")
environ_of "$pid" "$WORK/batch-environ"
environ_of "$worker" "$WORK/worker-environ"
kill -TERM "$pid"
wait "$pid" || :
# The worker may outlive the batch by a moment: a token it still writes
# is unreadable to the next program.
n=0
while [ -d "/proc/$worker" ] && [ "$n" -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
expect "the worker is not the batch ($worker, $pid)" test "$worker" != "$pid"
expect_no_pin "batch env: PIN" "$WORK/batch-environ" "$WORK/worker-environ"

# ---- a PIN file that others may read is refused --------------------------------

( umask 022; printf '%s\n' "$PIN" >"$WORK/open.pin" )
# The objects on token sec (whose PIN is $PIN, not lib.sh's). No other
# token's label starts with "sec": pkcs11-tool would take it as well.
objects_of_sec() {
	pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label sec --login \
		--pin "$PIN" --list-objects 2>/dev/null </dev/null
}
objects_of_sec >"$WORK/before"
expect_status 2 "a PIN file of mode 0644 is refused" "$P11ENROLL" --token sec \
	--pin-source "file:$WORK/open.pin" status
expect_grep "the refusal names the file and the fix" \
	"$WORK/open.pin: the file is open to group or others \\(mode 0644\\); a PIN file must be private: chmod 600 $WORK/open.pin" \
	"$WORK/err"
chmod 640 "$WORK/open.pin"
expect_status 2 "mode 0640: refused too" "$P11ENROLL" --token sec \
	--pin-source "file:$WORK/open.pin" status
expect_status 2 "the URI's pin-source: the same" "$P11ENROLL" \
	--token "pkcs11:token=sec?pin-source=$WORK/open.pin" status
printf 'token,roles,dns,pin_source\nsec,tls-server,sec.example.org,file:%s\n' \
	"$WORK/open.pin" >"$WORK/open.csv"
expect_status 2 "a manifest's pin_source: refused before any row starts" \
	"$P11ENROLL" batch "$WORK/open.csv" --ca "$CA"
expect_grep "with the manifest's line and column" \
	"open.csv:2:4 \(pin_source\): cannot read user PIN of token sec from $WORK/open.pin: the file is open" \
	"$WORK/err"
objects_of_sec >"$WORK/now"
expect "refused PIN files: token unchanged" cmp -s "$WORK/before" "$WORK/now"
# Modes mean nothing to a pipe.
expect_status 0 "a PIN from a pipe (file:/dev/stdin) is read" sh -c \
	'printf "%s\n" "$1" | "$2" --token sec --pin-source file:/dev/stdin status' \
	- "$PIN" "$P11ENROLL"

# ---- the report and the journal are private files ---------------------------

printf 'token,roles,cn,pin_source\nsec,tls-client,sec-client,file:%s\n' \
	"$WORK/pin" >"$WORK/m.csv"
printf 'precious' >"$WORK/target"
ln -s "$WORK/target" "$WORK/report-link"
ln -s "$WORK/target" "$WORK/journal-link"
expect_status 2 "a --report that is a symbolic link is refused" "$P11ENROLL" \
	batch "$WORK/m.csv" --ca "$CA" --report "$WORK/report-link"
expect_grep "the refusal says why" \
	"--report $WORK/report-link: a symbolic link, which is not followed" "$WORK/err"
expect_status 2 "a --journal that is a symbolic link is refused" "$P11ENROLL" \
	batch "$WORK/m.csv" --ca "$CA" --journal "$WORK/journal-link"
expect_grep "the refusal says why" \
	"journal $WORK/journal-link: a symbolic link, which is not followed" "$WORK/err"
expect "the link's target is untouched" test "$(cat "$WORK/target")" = precious

# Files that are not journals, given by mistake or planted, are left as
# they are: text without a line end, and lines that are not a journal's.
printf 'precious' >"$WORK/not-journal-1"
printf 'precious\nlines\n' >"$WORK/not-journal-2"
printf '{"manifest":"0000"}\n{"line":' >"$WORK/not-journal-3"
for f in not-journal-1 not-journal-2; do
	cp "$WORK/$f" "$WORK/$f.orig"
	expect_status 2 "$f as --journal is refused" "$P11ENROLL" batch \
		"$WORK/m.csv" --ca "$CA" --journal "$WORK/$f"
	expect_grep "$f: the refusal names the file" \
		"journal $WORK/$f.*not a p11enroll batch journal \\(left as it is\\)" \
		"$WORK/err"
	expect "$f is untouched" cmp -s "$WORK/$f" "$WORK/$f.orig"
done
cp "$WORK/not-journal-3" "$WORK/not-journal-3.orig"
expect_status 2 "another manifest's journal is refused" "$P11ENROLL" batch \
	"$WORK/m.csv" --ca "$CA" --journal "$WORK/not-journal-3"
expect "it is untouched, its cut-off line too" \
	cmp -s "$WORK/not-journal-3" "$WORK/not-journal-3.orig"

mkfifo "$WORK/fifo"
expect_status 2 "a FIFO as --report is refused, not waited on" timeout 20 \
	"$P11ENROLL" batch "$WORK/m.csv" --ca "$CA" --report "$WORK/fifo"
expect_grep "the refusal says why" "--report $WORK/fifo: not a regular file" \
	"$WORK/err"

( umask 022; : >"$WORK/old.report" )
expect_status 0 "a batch with a new journal and an old report" "$P11ENROLL" \
	batch "$WORK/m.csv" --ca "$CA" --journal "$WORK/new.journal" \
	--report "$WORK/old.report"
expect "the journal is created 0600 ($(stat -c %a "$WORK/new.journal"))" \
	test "$(stat -c %a "$WORK/new.journal")" = 600
expect "the report is made 0600 ($(stat -c %a "$WORK/old.report"))" \
	test "$(stat -c %a "$WORK/old.report")" = 600
expect_grep "the report was written" '"summary"' "$WORK/old.report"
expect_status 0 "the journal is taken again" "$P11ENROLL" batch "$WORK/m.csv" \
	--ca "$CA" --journal "$WORK/new.journal" --report "$WORK/new.report"
expect "a new report is created 0600 ($(stat -c %a "$WORK/new.report"))" \
	test "$(stat -c %a "$WORK/new.report")" = 600
ln "$WORK/new.report" "$WORK/new.report.link"
expect_status 2 "a report with another name (a hard link) is refused" \
	"$P11ENROLL" batch "$WORK/m.csv" --ca "$CA" --report "$WORK/new.report"
expect_grep "the refusal says why" "has other names \\(hard links\\)" "$WORK/err"

# ---- the PIN mailer ------------------------------------------------------------

# init-token with --pin-mailer FILE on the blank slot; the mailer is
# checked before the module is loaded.
init_mailer() {
	"$P11ENROLL" --so-pin-source "file:$WORK/so.pin" init-token \
		--label mailed --pin-mailer "$1"
}
( umask 077; printf '%s\n' "$SO_PIN" >"$WORK/so.pin" )
( umask 077; : >"$WORK/mailer"; ln "$WORK/mailer" "$WORK/mailer.link" )
expect_status 2 "a PIN mailer with a second name (hard link) is refused" \
	init_mailer "$WORK/mailer"
expect_grep "the refusal says why" \
	"PIN mailer $WORK/mailer: has other names \\(hard links\\)" "$WORK/err"
ln -s "$WORK/target" "$WORK/mailer-symlink"
expect_status 2 "a PIN mailer that is a symbolic link is refused" \
	init_mailer "$WORK/mailer-symlink"
expect "the link's target is untouched" test "$(cat "$WORK/target")" = precious
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	( umask 077; : >"$WORK/nobodys" )
	chown nobody "$WORK/nobodys"
	expect_status 2 "a PIN mailer another user made is refused" \
		init_mailer "$WORK/nobodys"
	expect_grep "the refusal says why" \
		"PIN mailer $WORK/nobodys: owned by another user" "$WORK/err"
	expect "nothing was written to it" test ! -s "$WORK/nobodys"
	chown nobody "$WORK/target"
	chmod 666 "$WORK/target"
	expect_status 2 "a report owned by another user is refused" "$P11ENROLL" \
		batch "$WORK/m.csv" --ca "$CA" --report "$WORK/target"
	expect "the report's target is untouched" test "$(cat "$WORK/target")" = precious
else
	echo "# skipped: files of another user need root"
fi

finish
