# SPDX-License-Identifier: MIT
# module-opencryptoki.sh - the module scenario (module-scenario.sh) on
# openCryptoki's soft token. openCryptoki keeps one token per machine
# (/var/lib/opencryptoki/swtok, cached in shared memory by its slot
# daemon pkcsslotd), so the scenario holds a lock for its whole run, saves
# that token, starts from a fresh one with its own daemon, and puts back
# the token and the daemon as they were. It needs root, like pkcsslotd.
# The module has no EC in this version: every role runs as an RSA copy.
if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/sbin/pkcsslotd ]; then
	echo "# SKIP: needs root and openCryptoki (tools/install-deps)"
	exit 77
fi
. "$top_srcdir/tests/cli/lib.sh"

# Under --enable-sanitizers: openCryptoki's token library, which the
# module loads and unloads itself, leaks; unloaded, its frames cannot be
# named for a suppression. p11enroll's own leaks on this scenario's
# paths are caught by module-softhsm.sh, which runs it on SoftHSM.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

OCK_DIR=/var/lib/opencryptoki/swtok
OCK_SHM=/dev/shm/var.lib.opencryptoki.swtok
OCK_PID=/run/pkcsslotd.pid
MOD=/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so

# One openCryptoki scenario at a time on this machine, whichever build
# tree it comes from.
exec 9>/run/lock/p11enroll-test-opencryptoki.lock
flock 9

ock_daemon_running() {
	[ -s "$OCK_PID" ] && kill -0 "$(cat "$OCK_PID")" 2>/dev/null
}

ock_stop() {
	if ock_daemon_running; then
		kill "$(cat "$OCK_PID")"
		for _ in $(seq 50); do
			ock_daemon_running || break
			sleep 0.1
		done
	fi
	rm -f "$OCK_SHM"
}

# Put back the token and the daemon as they were.
ock_restore() {
	ock_stop
	rm -rf "$OCK_DIR"
	mv "$WORK/swtok.saved" "$OCK_DIR"
	[ -e "$WORK/shm.saved" ] && cp -p "$WORK/shm.saved" "$OCK_SHM"
	[ -n "$daemon_was_running" ] && /usr/sbin/pkcsslotd 9>&-
	return 0
}

daemon_was_running=
ock_daemon_running && daemon_was_running=yes
ock_stop
[ -e "$OCK_SHM" ] && cp -p "$OCK_SHM" "$WORK/shm.saved"
cp -a "$OCK_DIR" "$WORK/swtok.saved"
on_exit=ock_restore
find "$OCK_DIR" -mindepth 1 -delete
mkdir -m 770 "$OCK_DIR/TOK_OBJ"
chgrp pkcs11 "$OCK_DIR/TOK_OBJ"

# Without its daemon, the module cannot start: exit 2, and the message
# says what to start.
expect_status 2 "openCryptoki without pkcsslotd" "$P11ENROLL" --module "$MOD" tokens
expect_grep "the message names pkcsslotd" "openCryptoki's slot daemon is not running: start /usr/sbin/pkcsslotd" \
	"$WORK/err"

# The daemon must not inherit the lock: it would hold it after the run.
ock_start() {
	/usr/sbin/pkcsslotd 9>&-
	for _ in $(seq 50); do
		ock_daemon_running && break
		sleep 0.1
	done
}

# A daemon that died leaves its pid file and shared memory behind, and the
# module then answers otherwise (CKR_FUNCTION_FAILED); the message still
# says the daemon is not running.
ock_start
dead=$(cat "$OCK_PID")
kill -KILL "$dead"
while kill -0 "$dead" 2>/dev/null; do sleep 0.1; done
expect_status 2 "openCryptoki after pkcsslotd died" "$P11ENROLL" --module "$MOD" tokens
expect_grep "the message still names pkcsslotd" "openCryptoki's slot daemon is not running: start /usr/sbin/pkcsslotd" \
	"$WORK/err"

ock_start

# A user outside group pkcs11 is told to join it, not to start the daemon.
# The binary is copied where that user can run it.
outsider=$(mktemp -d /tmp/p11enroll-outsider.XXXXXX)
chmod 755 "$outsider"
cp "$P11ENROLL_NATIVE" "$outsider/p11enroll"
expect_status 2 "openCryptoki for a user outside group pkcs11" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$outsider/p11enroll" --module "$MOD" tokens
expect_grep "the message names group pkcs11" "this user may not use openCryptoki: add it to group pkcs11" \
	"$WORK/err"
rm -rf "$outsider"

# The soft token's slot, as pkcsconf numbers it.
SLOT=$(pkcsconf -t 2>/dev/null | awk '
	/^Token #/ { n = $2; sub(/#/, "", n); sub(/:/, "", n) }
	/Model: IBM SoftTok/ { print n; exit }')
expect "the soft token has a slot" test -n "$SLOT"

# A fresh token: label, SO PIN from its first value, then the user PIN.
# (The PINs are test values of a throwaway token.)
MPIN=11223344
echo octok | pkcsconf -c "$SLOT" -I -S 87654321 >/dev/null
pkcsconf -c "$SLOT" -P -S 87654321 -n "$SO_PIN" >/dev/null
pkcsconf -c "$SLOT" -u -S "$SO_PIN" -n "$MPIN" >/dev/null
MPIN_FILE=$WORK/ock.pin
( umask 077; echo "$MPIN" >"$MPIN_FILE" )
TOK=octok
KIND=opencryptoki

# An EC role is refused before anything is generated.
expect_status 1 "an EC role on a token without EC" "$P11ENROLL" --module "$MOD" \
	--token "$TOK" --pin-source "file:$MPIN_FILE" enroll tls-server \
	--ca "exec:$TESTCA $WORK/ca" --set dns=ec.example.org
expect_grep "the refusal lists what the token offers" \
	'cannot generate ec-p256 keys and sign with them; it offers rsa-2048' "$WORK/err"

# The RSA copies of the shipped roles and sets.
mkdir "$WORK/profiles"
for p in "$top_srcdir"/profiles/*.profile; do
	sed 's/^algorithm *= *ec-p[0-9]*$/algorithm = rsa-2048/' "$p" \
		>"$WORK/profiles/$(basename "$p")"
done
cp "$top_srcdir"/profiles/*.set "$WORK/profiles/"
export P11ENROLL_PROFILES="$WORK/profiles"

. "$top_srcdir/tests/cli/module-scenario.sh"

finish
