# SPDX-License-Identifier: MIT
# pin-sources.sh - every way a PIN can arrive, and none that shows it.
. "$top_srcdir/tests/cli/lib.sh"

new_token pins

# Type the PIN once the prompt shows in $WORK/tty, as a user would: typed
# earlier, the terminal drops it. A minute at most, however slowly
# p11enroll starts (under valgrind, seconds).
type_pin_at_prompt() {
	for _ in $(seq 600); do
		grep -q 'Enter the user PIN' "$WORK/tty" 2>/dev/null && break
		sleep 0.1
	done
	printf '%s\n' "$USER_PIN"
}

# On a terminal (a pseudo-terminal from script(1)), prompt asks and does
# not echo; without any source, a terminal means prompt too.
for how in "--pin-source prompt" ""; do
	rm -f "$WORK/tty"
	type_pin_at_prompt |
		script -qec "\"$P11ENROLL\" --token pins $how status" /dev/null \
		>"$WORK/tty" 2>&1 && rc=0 || rc=$?
	if [ "$rc" -eq 0 ]; then ok "prompt (${how:-no source}) logs in"; else not_ok "prompt (${how:-no source}): exit $rc"; fi
	expect_grep "the prompt names the token" '^Enter the user PIN of token pins: ' "$WORK/tty"
	expect_no_grep "the PIN is not echoed" "$USER_PIN" "$WORK/tty"
done

# The PIN typed at a pseudo-terminal (ptyrun.py) logs in, unechoed, and
# leaves the terminal echoing again.
PTYRUN="$PYTHON $top_srcdir/tests/cli/ptyrun.py"
expect_status 0 "a PIN typed on a pseudo-terminal" $PTYRUN \
	--answer 'Enter the user PIN of token pins: ' "$USER_PIN" "$WORK/tty" \
	"$P11ENROLL" --token pins --pin-source prompt status
expect_no_grep "the PIN is not echoed" "$USER_PIN" "$WORK/tty"
expect_grep "echo is back on after the prompt" '^echo$' "$WORK/tty.stty"

# A signal at the prompt ends the run by that signal with the terminal as
# it was: ^C (SIGINT, which p11enroll catches to clean up) and ^\
# (SIGQUIT, which used to end it at once with echo off).
for key in 'INT 003 130' 'QUIT 034 131'; do
	# shellcheck disable=SC2086
	set -- $key
	expect_status "$3" "^$1 at the prompt ends the run by SIG$1" $PTYRUN \
		--answer 'Enter the user PIN of token pins: ' "$(printf "\\$2")" \
		"$WORK/tty" "$P11ENROLL" --token pins --pin-source prompt status
	expect_grep "SIG$1 at the prompt: echo is back on" '^echo$' "$WORK/tty.stty"
	[ "$1" != INT ] || expect_grep "SIGINT at the prompt: the message says so" \
		'cannot prompt for the user PIN of token pins: interrupted by SIGINT' \
		"$WORK/tty"
done

# prompt without a terminal is refused, not hung (setsid: no controlling
# terminal, even when the suite is run from one).
expect_status 2 "prompt without a terminal" setsid -w "$P11ENROLL" --token pins \
	--pin-source prompt status </dev/null
expect_grep "the refusal says why" 'cannot prompt for the user PIN of token pins: no terminal' \
	"$WORK/err"

# env:VAR and fd:N.
expect_status 0 "env:VAR" env P11E_TEST_PIN="$USER_PIN" "$P11ENROLL" --token pins \
	--pin-source env:P11E_TEST_PIN status
expect_status 0 "fd:N" sh -c 'exec 3<"$1"; shift; "$@"' - "$PIN_FILE" "$P11ENROLL" \
	--token pins --pin-source fd:3 status
expect_status 2 "env:VAR unset" env -u P11E_TEST_PIN "$P11ENROLL" --token pins \
	--pin-source env:P11E_TEST_PIN status
expect_grep "the missing variable is named" 'P11E_TEST_PIN' "$WORK/err"
expect_status 2 "a missing PIN file" "$P11ENROLL" --token pins \
	--pin-source "file:$WORK/nonexistent" status
expect_grep "the missing file is named" "$WORK/nonexistent" "$WORK/err"

# The token URI's pin-value and pin-source, and the order: --pin-source
# first, then pin-value, then pin-source (with or without "file:").
( umask 077; echo 999999 >"$WORK/wrong-pin" )
expect_status 0 "the URI's pin-source, a plain path" "$P11ENROLL" \
	--token "pkcs11:token=pins?pin-source=$PIN_FILE" status
expect_status 0 "the URI's pin-source, as file:PATH" "$P11ENROLL" \
	--token "pkcs11:token=pins?pin-source=file:$PIN_FILE" status
expect_status 0 "the URI's pin-value" "$P11ENROLL" \
	--token "pkcs11:token=pins?pin-value=$USER_PIN" status
expect_status 0 "--pin-source before the URI's pin-value" "$P11ENROLL" \
	--pin-source "file:$PIN_FILE" --token "pkcs11:token=pins?pin-value=999999" status
expect_status 0 "pin-value before the URI's pin-source" "$P11ENROLL" \
	--token "pkcs11:token=pins?pin-value=$USER_PIN&pin-source=$WORK/wrong-pin" status
new_ca
printf 'token,roles,dns\n%s,tls-server,pins.example.org\n' \
	"pkcs11:token=pins?pin-source=file:$PIN_FILE" >"$WORK/uri-pin.csv"
expect_status 0 "a batch row whose token URI names the PIN file" "$P11ENROLL" \
	batch "$WORK/uri-pin.csv" --ca "exec:$TESTCA $WORK/ca"
objects_of pins >"$WORK/objects"
expect_grep "its role is on the token" "label: *tls-server" "$WORK/objects"

finish
