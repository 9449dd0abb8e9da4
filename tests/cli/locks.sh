# SPDX-License-Identifier: MIT
# locks.sh - per-token locks belong to the user who takes them: root's
# lock does not shut the token's own user out, no other user can take a
# lock first or forge its holder, and a lock directory someone else made
# is refused. It runs p11enroll as root and as nobody, so it needs root.
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null ||
   ! id nobody >/dev/null 2>&1; then
	echo "# SKIP: needs root, setpriv and a user nobody"
	exit 77
fi
. "$top_srcdir/tests/cli/lib.sh"

# The default lock directories are what this scenario is about.
unset P11ENROLL_LOCK_DIR

# A token nobody owns, in a place nobody can reach: SoftHSM's files, the
# PIN and a copy of the binary.
SHARED=$(mktemp -d /tmp/p11enroll-locks.XXXXXX)
holder=
stop_shared() {
	[ -z "$holder" ] || kill "$holder" 2>/dev/null || :
	rm -rf "$SHARED"
}
on_exit=stop_shared
chmod 755 "$SHARED"
mkdir "$SHARED/tokens" "$SHARED/home"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$SHARED/tokens" >"$SHARED/softhsm2.conf"
chmod 644 "$SHARED/softhsm2.conf"
printf '%s\n' "$USER_PIN" >"$SHARED/pin"
chmod 600 "$SHARED/pin"
cp "$P11ENROLL_NATIVE" "$SHARED/p11enroll"
chmod 755 "$SHARED/p11enroll"
chown nobody "$SHARED/tokens" "$SHARED/home" "$SHARED/pin"
export SOFTHSM2_CONF="$SHARED/softhsm2.conf"
NOBODY_UID=$(id -u nobody)

# nobody's environment: no runtime directory unless one is given.
as_nobody() {
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		env -u XDG_RUNTIME_DIR HOME="$SHARED/home" "$@"
}
as_nobody softhsm2-util --init-token --free --label lockcard \
	--so-pin "$SO_PIN" --pin "$USER_PIN" >/dev/null

# root's status of the token, with its locks in $LOCKS when set.
LOCKS=
status_as_root() {
	env ${LOCKS:+P11ENROLL_LOCK_DIR="$LOCKS"} "$P11ENROLL" --token lockcard \
		--pin-source "file:$SHARED/pin" status
}

# ---- root's lock does not shut the token's own user out ----
expect_status 0 "root looks at the token" status_as_root
expect "root's lock directory is /run/p11enroll, 0700 and root's" \
	test "$(stat -c '%a %u' /run/p11enroll)" = "700 0"
expect_status 0 "nobody looks at the token after root" \
	as_nobody "$SHARED/p11enroll" --token lockcard \
	--pin-source "file:$SHARED/pin" status
nobody_dir=/tmp/p11enroll-$NOBODY_UID
expect "nobody's locks are in $nobody_dir, 0700 and nobody's" \
	test "$(stat -c '%a %u' "$nobody_dir")" = "700 $NOBODY_UID"
# The newest: the directory outlives this run, with earlier tokens' locks.
lock_name=$(cd "$nobody_dir" && ls -t p11enroll-*.lock | head -n 1)
expect "nobody's lock file is 0600 and nobody's" \
	test "$(stat -c '%a %u' "$nobody_dir/$lock_name")" = "600 $NOBODY_UID"

# ---- a lock directory that is not the user's own is refused ----
mkdir -m 700 "$SHARED/run"
chown nobody "$SHARED/run"
mkdir -m 755 "$SHARED/run/p11enroll"
expect_status 1 "nobody refuses a lock directory root made" \
	as_nobody env XDG_RUNTIME_DIR="$SHARED/run" "$SHARED/p11enroll" \
	--token lockcard --pin-source "file:$SHARED/pin" status
expect_grep "the message says whose it is" \
	"lock directory $SHARED/run/p11enroll belongs to another user \\(uid 0\\)" \
	"$WORK/err"
rm -r "$SHARED/run/p11enroll"
as_nobody ln -s "$nobody_dir" "$SHARED/run/p11enroll"
expect_status 1 "a lock directory that is a symbolic link is refused" \
	as_nobody env XDG_RUNTIME_DIR="$SHARED/run" "$SHARED/p11enroll" \
	--token lockcard --pin-source "file:$SHARED/pin" status
expect_grep "the message says it is a link" "is not a directory but a symbolic link" \
	"$WORK/err"
rm "$SHARED/run/p11enroll"
as_nobody mkdir -m 755 "$SHARED/run/p11enroll"
expect_status 1 "a lock directory others may read is refused" \
	as_nobody env XDG_RUNTIME_DIR="$SHARED/run" "$SHARED/p11enroll" \
	--token lockcard --pin-source "file:$SHARED/pin" status
expect_grep "the message says how to fix it" "\\(mode 0755\\): chmod 700" "$WORK/err"

# ---- a lock file another user made cannot hold the token ----
# In a shared lock directory, nobody plants the token's lock file with a
# holder text that would clear the screen, and holds it.
mkdir -m 1777 "$SHARED/shared"
as_nobody sh -c 'printf "\033[2J666\n" >"$1"' sh "$SHARED/shared/$lock_name"
as_nobody flock "$SHARED/shared/$lock_name" sleep 600 &
holder=$!
for _ in $(seq 50); do
	flock -n "$SHARED/shared/$lock_name" true || break
	sleep 0.1
done
LOCKS=$SHARED/shared
expect_status 1 "root refuses a lock file nobody made" status_as_root
expect_grep "the message says whose it is" \
	"token lockcard: lock file $SHARED/shared/$lock_name: owned by another user" \
	"$WORK/err"
expect_no_grep "no escape sequence reaches the message" "$(printf '\033')" "$WORK/err"
kill "$holder"
wait "$holder" 2>/dev/null || :
holder=

# A lock file of root's own with a forged holder text: the token is in
# use, and the message shows no holder rather than that text.
rm "$SHARED/shared/$lock_name"
printf '\033[2J666\n' >"$SHARED/shared/$lock_name"
chmod 600 "$SHARED/shared/$lock_name"
flock "$SHARED/shared/$lock_name" sleep 600 &
holder=$!
for _ in $(seq 50); do
	flock -n "$SHARED/shared/$lock_name" true || break
	sleep 0.1
done
expect_status 1 "a held lock keeps root out" status_as_root
expect_grep "the token is in use" \
	"^p11enroll: status: token lockcard \\(serial [0-9a-f]+\\) is in use by another p11enroll process; try again" \
	"$WORK/err"
expect_no_grep "the forged holder text is not shown" "$(printf '\033')|666" "$WORK/err"
kill "$holder"
wait "$holder" 2>/dev/null || :
holder=

finish
