# SPDX-License-Identifier: MIT
# bad-input.sh - each bad input is a clear error with its exit status, and
# the token is left exactly as it was.
. "$top_srcdir/tests/cli/lib.sh"

new_token carol
new_ca
CA="exec:$TESTCA $WORK/ca"
SPY=$(dirname "$SOFTHSM2_MODULE")/../x86_64-linux-gnu/pkcs11/pkcs11-spy.so
for s in /usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so /usr/lib/*/pkcs11/pkcs11-spy.so; do
	[ -f "$s" ] && SPY=$s && break
done

# One role already there, so that "unchanged" means something.
expect_status 0 "enroll tls-client first" \
	p11e --token carol enroll tls-client --ca "$CA" --set cn=carol
objects_of carol >"$WORK/before"

unchanged() {
	expect_unchanged "$1" carol
}

# Wrong PIN: one C_Login, a clear message, no retry.
( umask 077; printf '9999\n' >"$WORK/wrong.pin" )
PKCS11SPY=$SOFTHSM2_MODULE PKCS11SPY_OUTPUT=$WORK/spy.log \
	expect_status 1 "wrong PIN is refused" "$P11ENROLL" --module "$SPY" \
	--pin-source "file:$WORK/wrong.pin" --token carol enroll tls-server \
	--ca "$CA" --set dns=a.example.org
expect_grep "wrong PIN names the token and the CKR" \
	'log in to token carol: CKR_PIN_INCORRECT \(the PIN is wrong\)' "$WORK/err"
expect_grep "wrong PIN is not retried" 'not retried' "$WORK/err"
logins=$(grep -c 'C_Login' "$WORK/spy.log" || :)
if [ "$logins" = 1 ]; then ok "exactly one C_Login"; else not_ok "C_Login called $logins times"; fi
expect_no_grep "the PIN is not in the message" '9999' "$WORK/err"
unchanged "wrong PIN"

# Unknown role: a usage error before the token is touched.
expect_status 2 "unknown role" p11e --token carol enroll no-such-role --ca "$CA"
expect_grep "unknown role is named, known roles listed" \
	"unknown role 'no-such-role'.*tls-client.*tls-server" "$WORK/err"
unchanged "unknown role"

# A missing template variable.
expect_status 2 "missing variable" p11e --token carol enroll tls-server --ca "$CA"
expect_grep "missing variable is named" 'variable dns, needed by role tls-server: set it with --set dns=VALUE' "$WORK/err"
unchanged "missing variable"

# A CA helper that rejects.
expect_status 1 "CA rejects" p11e --token carol enroll tls-server \
	--ca "exec:$FIXTURES/ca-exit.sh 2 request denied by policy" --set dns=a.example.org
expect_grep "rejection is reported with the CA's reason" \
	'enroll tls-server on token carol: .*rejected the request: request denied by policy' "$WORK/err"
expect_grep "the new key was removed" 'the new key was removed' "$WORK/err"
unchanged "CA rejects"

# A CA helper that prints garbage.
expect_status 1 "CA prints garbage" p11e --token carol enroll tls-server \
	--ca "exec:$FIXTURES/ca-garbage.sh" --set dns=a.example.org
expect_grep "garbage fails the parse check" 'certificate check parse failed' "$WORK/err"
unchanged "CA prints garbage"

# A helper that asks to wait (exit 5) without saying for how long.
expect_status 1 "malformed wait answer" p11e --token carol enroll tls-server \
	--ca "exec:$FIXTURES/ca-exit.sh 5 cookie-without-delay" --set dns=a.example.org
expect_grep "the malformed wait is explained" \
	'asked to wait \(exit 5\) but did not begin its answer with a delay' "$WORK/err"
expect_grep "the new key was removed after the malformed wait" \
	'the new key was removed' "$WORK/err"
unchanged "malformed wait answer"

# A CA that adds clientAuth to a server certificate.
expect_status 1 "mixed EKU is refused" p11e --token carol enroll tls-server \
	--ca "exec:$FIXTURES/ca-mixed-eku.sh $WORK/ca" --set dns=a.example.org
expect_grep "the eku check names the extra usage" \
	'certificate check eku failed: .*clientAuth' "$WORK/err"
unchanged "mixed EKU"

# A chain that does not lead to --trust.
"$TESTCA" init "$WORK/other-ca" >/dev/null
expect_status 1 "unknown issuer is refused" p11e --token carol enroll tls-server \
	--ca "$CA" --trust "$WORK/other-ca/root.pem" --set dns=a.example.org
expect_grep "the chain check fails" 'certificate check chain failed' "$WORK/err"
unchanged "unknown issuer"

# Token not found: the candidates are listed.
expect_status 1 "token not found" p11e --token nosuch enroll tls-server \
	--ca "$CA" --set dns=a.example.org
expect_grep "token not found lists the tokens" \
	"no token matches 'nosuch'; tokens present:" "$WORK/err"
expect_grep "the candidate's URI is listed" 'pkcs11:.*token=carol' "$WORK/err"

# No --token: the one initialised token is taken, the blank one SoftHSM
# always offers is no choice; with several, each is listed, and no blank.
expect_status 0 "no --token, one initialised token and a blank one" p11e status
expect_grep "the initialised token is taken" '^token carol ' "$WORK/out"

# Two tokens with one label: ambiguous, not a guess.
new_token twin
new_token twin
expect_status 1 "ambiguous label" p11e --token twin status
expect_grep "ambiguity is explained" "'twin' matches 2 tokens" "$WORK/err"
expect_status 1 "no --token, three initialised tokens" p11e status
expect_grep "the choice is explained" \
	'^p11enroll: status: 3 tokens are present; choose one with --token' "$WORK/err"
expect_no_grep "the blank token is not offered" 'serial=;token=$' "$WORK/err"

# No PIN source and no terminal.
expect_status 2 "no PIN source without a terminal" \
	"$P11ENROLL" --token carol renew --due </dev/null
expect_grep "the PIN message says what to do" 'use --pin-source' "$WORK/err"

# Usage errors.
expect_status 2 "enroll without --ca" p11e --token carol enroll tls-server
expect_status 2 "unknown command" p11e frobnicate
expect_status 2 "bad PIN source" "$P11ENROLL" --pin-source 1234 --token carol status
expect_no_grep "a bad PIN source is not echoed" '1234' "$WORK/err"

# Errors as JSON on stdout.
expect_status 1 "a JSON error" p11e --json --token nosuch status
expect "the JSON error document" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["error"]["exit"] == 1 and doc["error"]["command"] == "status", doc
assert "no token matches" in doc["error"]["message"]
' "$WORK/out"

unchanged "after every failure"
finish
