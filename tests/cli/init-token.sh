# SPDX-License-Identifier: MIT
# init-token.sh - initialising a blank token: the user PIN from a PIN
# source or at random into a private PIN mailer, and the refusals that
# keep a token from being wiped.
. "$top_srcdir/tests/cli/lib.sh"

SO_FILE=$WORK/so.pin
( umask 077; printf '%s\n' "$SO_PIN" >"$SO_FILE" )

# blank_slot: the slot id of SoftHSM's blank token.
blank_slot() {
	softhsm2-util --show-slots | awk '
		/^Slot [0-9]+/ { slot = $2 }
		/Initialized: *no/ { print slot; exit }'
}

# A token first, so that SoftHSM has its blank one beside it.
new_token other
expect_status 0 "init-token with the PIN from a file" \
	"$P11ENROLL" --so-pin-source "file:$SO_FILE" --pin-source "file:$PIN_FILE" \
	init-token --label alice
expect_grep "init-token says what it did" '^initialised token alice \(serial [0-9a-f]+\)$' \
	"$WORK/out"
expect "the user PIN logs in (pkcs11-tool)" sh -c \
	'pkcs11-tool --module "$1" --token-label alice --login --pin "$2" --list-objects >/dev/null 2>&1' \
	- "$SOFTHSM2_MODULE" "$USER_PIN"
# Setting the user PIN (to the same one) needs the security officer.
expect "the SO PIN logs in as the security officer (pkcs11-tool)" sh -c \
	'pkcs11-tool --module "$1" --token-label alice --login --login-type so --so-pin "$2" --init-pin --new-pin "$3" >/dev/null 2>&1' \
	- "$SOFTHSM2_MODULE" "$SO_PIN" "$USER_PIN"
new_ca
expect_status 0 "the new token is enrolled into" \
	p11e --token alice enroll tls-client --ca "exec:$TESTCA $WORK/ca" --set cn=alice
objects_of alice >"$WORK/before"

# Never a second time: that would wipe it.
expect_status 1 "an initialised token is not initialised again" \
	"$P11ENROLL" --so-pin-source "file:$SO_FILE" --pin-source "file:$PIN_FILE" \
	--token alice init-token --label alice2
expect_grep "the refusal says why" 'initialised already; initialising it again would wipe it' \
	"$WORK/err"
expect_unchanged "after the refusal" alice
expect_status 1 "a label already in use is refused" \
	"$P11ENROLL" --so-pin-source "file:$SO_FILE" --pin-source "file:$PIN_FILE" \
	init-token --label alice
expect_grep "the label refusal names it" 'another token is labelled alice already' "$WORK/err"

# A random PIN goes to the mailer, and nowhere else.
expect_status 0 "init-token with a PIN mailer, the blank token by slot" \
	"$P11ENROLL" --so-pin-source "file:$SO_FILE" --token "pkcs11:slot-id=$(blank_slot)" \
	init-token --label bob --pin-mailer "$WORK/mailer"
expect "the mailer is private (0600)" test "$(stat -c %a "$WORK/mailer")" = 600
expect_grep "the mailer has bob's label, serial and an 8-digit PIN" \
	'^"bob","[0-9a-f]+","[0-9]{8}"$' "$WORK/mailer"
pin=$(sed -n 's/^"bob","[0-9a-f]*","\([0-9]*\)"$/\1/p' "$WORK/mailer")
expect_no_grep "the PIN is not on stdout" "$pin" "$WORK/out"
expect_no_grep "the PIN is not on stderr" "$pin" "$WORK/err"
expect "the mailer's PIN logs in (pkcs11-tool)" sh -c \
	'pkcs11-tool --module "$1" --token-label bob --login --pin "$2" --list-objects >/dev/null 2>&1' \
	- "$SOFTHSM2_MODULE" "$pin"

# Usage errors, before anything is touched.
expect_status 2 "no --label" "$P11ENROLL" --so-pin-source "file:$SO_FILE" \
	--pin-source "file:$PIN_FILE" init-token
expect_status 2 "no --so-pin-source" "$P11ENROLL" --pin-source "file:$PIN_FILE" \
	init-token --label carol
expect_status 2 "no user PIN" "$P11ENROLL" --so-pin-source "file:$SO_FILE" \
	init-token --label carol
expect_status 2 "a label longer than 32 bytes" "$P11ENROLL" --so-pin-source "file:$SO_FILE" \
	--pin-source "file:$PIN_FILE" init-token --label 0123456789abcdef0123456789abcdef0
echo '"x","y","z"' >"$WORK/open-mailer"
chmod 644 "$WORK/open-mailer"
expect_status 2 "a mailer others may read is refused" \
	"$P11ENROLL" --so-pin-source "file:$SO_FILE" init-token --label carol \
	--pin-mailer "$WORK/open-mailer"
expect_grep "the mailer refusal says why" \
	'open-mailer: open to group or others \(mode 0644\); it must be private: chmod 600' \
	"$WORK/err"
expect "the blank token is still blank" test -n "$(blank_slot)"

# A token that cannot be selected: the mailer this run made goes again,
# and one that was there stays.
expect_status 1 "init-token of a token that is not there" \
	"$P11ENROLL" --so-pin-source "file:$SO_FILE" --token no-such-token \
	init-token --label carol --pin-mailer "$WORK/new-mailer"
expect "the mailer it made is gone" test ! -e "$WORK/new-mailer"
( umask 077; : >"$WORK/old-mailer" )
expect_status 1 "init-token of a token that is not there, an old mailer" \
	"$P11ENROLL" --so-pin-source "file:$SO_FILE" --token no-such-token \
	init-token --label carol --pin-mailer "$WORK/old-mailer"
expect "the mailer that was there stays" test -e "$WORK/old-mailer"

finish
