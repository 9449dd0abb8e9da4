# SPDX-License-Identifier: MIT
# ca-exec.sh - exec:COMMAND end to end: certmonger's helper protocol with
# SUBMIT and POLL, --wait, a key left awaiting its certificate and finished
# by a rerun or by install, and helpers that fail, hang or flood.
. "$top_srcdir/tests/cli/lib.sh"

new_token erin
new_ca
CA="exec:$TESTCA $WORK/ca"

# count PATTERN FILE: lines of FILE matching the ERE.
count() {
	grep -Ec -- "$1" "$2" || :
}

# waiting_data FILE: the data objects in pkcs11-tool's listing FILE that
# hold a request or a CA's cookie (each enrolled role's record is one
# more data object, and not counted).
waiting_data() {
	awk '/^Data object/ { n++; d = 1; next } /^[^ ]/ { d = 0 }
		d && /application:/ && /p11enroll record/ { n-- }
		END { print n + 0 }' "$1"
}

# A fresh state directory for ca-wait.sh.
new_state() {
	rm -rf "$WORK/state"
	mkdir "$WORK/state"
}

# One role already there, so that "unchanged" means something (an EC
# one: under valgrind, which runs this test, an RSA key takes SoftHSM a
# minute to make).
expect_status 0 "enroll user-sign first" \
	p11e --token erin enroll user-sign --ca "$CA" --set name=erin \
	--set email=erin@example.org
objects_of erin >"$WORK/before"

# ---- the helper's environment --------------------------------------

# The PIN comes from our environment; the helper must not see it, nor
# anything else of ours.
new_state
export ERIN_PIN="$USER_PIN" P11ENROLL_TEST_MARKER=do-not-pass
expect_status 0 "enroll tls-server through a helper that issues at once" \
	"$P11ENROLL" --pin-source env:ERIN_PIN --token erin enroll tls-server \
	--ca "exec:$FIXTURES/ca-wait.sh $WORK/state 0 $WORK/ca" \
	--set dns=www.example.org
unset ERIN_PIN P11ENROLL_TEST_MARKER
printf '%s\n' CERTMONGER_CA_PROFILE CERTMONGER_CSR CERTMONGER_KEY_TYPE \
	CERTMONGER_OPERATION CERTMONGER_REQ_HOSTNAME CERTMONGER_REQ_SUBJECT \
	PATH PWD | sort >"$WORK/allowed"
# PWD is the shell's own, set by /bin/sh at start.
expect "the helper's environment holds only the protocol's variables" \
	cmp -s "$WORK/state/names.1" "$WORK/allowed"
expect_no_grep "the PIN's variable does not reach the helper" 'ERIN_PIN' "$WORK/state/env.1"
expect_no_grep "our other variables do not reach the helper" 'do-not-pass' "$WORK/state/env.1"
expect_grep "the helper is told the operation" '^CERTMONGER_OPERATION=SUBMIT$' "$WORK/state/env.1"
expect_grep "the helper is told the role" '^CERTMONGER_CA_PROFILE=tls-server$' "$WORK/state/env.1"
expect_grep "the helper is told the host name" '^CERTMONGER_REQ_HOSTNAME=www.example.org$' \
	"$WORK/state/env.1"
expect_grep "the helper is told the key type" '^CERTMONGER_KEY_TYPE=EC$' "$WORK/state/env.1"
expect "the request on stdin is the one in CERTMONGER_CSR" sh -c '
	sed -n "/^CERTMONGER_CSR=/,/END CERTIFICATE REQUEST/p" "$1" |
	sed "s/^CERTMONGER_CSR=//" | cmp -s - "$2"' - "$WORK/state/env.1" "$WORK/state/req.1"
objects_of erin >"$WORK/before"

# [ca] profile names the CA's profile the helper is told instead.
mkdir "$WORK/edge-profiles"
cp "$top_srcdir/profiles/tls-server.profile" "$WORK/edge-profiles/edge.profile"
printf '\n[ca]\nprofile = server-edge\n' >>"$WORK/edge-profiles/edge.profile"
new_state
expect_status 0 "enroll a role with [ca] profile" \
	p11e --token erin --profiles "$WORK/edge-profiles" enroll edge \
	--ca "exec:$FIXTURES/ca-wait.sh $WORK/state 0 $WORK/ca" \
	--set dns=edge.example.org
expect_grep "the helper is told the CA profile" \
	'^CERTMONGER_CA_PROFILE=server-edge$' "$WORK/state/env.1"
objects_of erin >"$WORK/before"

# ---- waiting with --wait -----------------------------------------------

new_state
expect_status 0 "a helper that waits twice, then issues, within --wait" \
	p11e --token erin enroll tls-client --wait 30 \
	--ca "exec:$FIXTURES/ca-wait.sh $WORK/state 2 $WORK/ca" --set cn=erin
expect_grep "the role is enrolled" '^enrolled tls-client: ec-p256 key' "$WORK/out"
printf 'SUBMIT -\nPOLL cookie-1\nPOLL cookie-2\n' >"$WORK/calls"
expect "SUBMIT, then POLL with each cookie in turn" cmp -s "$WORK/calls" "$WORK/state/calls"
expect_grep "POLL carries the request too" '^CERTMONGER_CSR=-----BEGIN CERTIFICATE REQUEST' \
	"$WORK/state/env.3"
objects_of erin >"$WORK/objects"
expect_no_grep "nothing awaits" 'awaiting:|pending:' "$WORK/objects"
expect_grep "the certificate is written" 'label: +tls-client' "$WORK/objects"
expect_status 0 "remove tls-client" p11e --token erin remove tls-client --yes
objects_of erin >"$WORK/before"

# A CA that names no delay is asked again after --ca-retry seconds (two
# waits at the default 5 seconds would take 10).
# Timed between the helper's first and third calls (each leaves its
# env.N), so that a slow p11enroll (under valgrind) does not count.
new_state
expect_status 0 "a helper that waits twice without a delay, with --ca-retry 1" \
	p11e --token erin enroll tls-client --wait 30 --ca-retry 1 \
	--ca "exec:$FIXTURES/ca-wait.sh $WORK/state 2 $WORK/ca -" --set cn=erin
elapsed=$(( $(stat -c %Y "$WORK/state/env.3") - $(stat -c %Y "$WORK/state/env.1") ))
expect "--ca-retry 1 asks again within seconds ($elapsed s)" test "$elapsed" -lt 10
printf 'SUBMIT -\nPOLL cookie-1\nPOLL cookie-2\n' >"$WORK/calls"
expect "SUBMIT, then POLL with each cookie, after --ca-retry" cmp -s "$WORK/calls" "$WORK/state/calls"
expect_status 0 "remove tls-client" p11e --token erin remove tls-client --yes
objects_of erin >"$WORK/before"

# --wait shorter than the CA's delays: asked once, left awaiting.
new_state
expect_status 5 "--wait 0 leaves the key awaiting" \
	p11e --token erin enroll tls-client --wait 0 \
	--ca "exec:$FIXTURES/ca-wait.sh $WORK/state 2 $WORK/ca" --set cn=erin
expect_status 0 "remove the awaiting role" p11e --token erin remove tls-client --yes
expect_unchanged "after removing the awaiting role" erin

# ---- waiting across runs ----------------------------------------------

new_state
SLOW="exec:$FIXTURES/ca-wait.sh $WORK/state 2 $WORK/ca"
expect_status 5 "the CA asks to wait: exit 5" \
	p11e --token erin enroll tls-client --ca "$SLOW" --set cn=erin \
	--trust "$WORK/ca/root.pem"
expect_grep "the wait is reported with what to do" \
	'^awaiting tls-client: ec-p256 key [0-9a-f]+; the CA exec:.*ca-wait.sh has not issued the certificate yet and asks to be asked again in 1 seconds; enroll tls-client again' \
	"$WORK/out"
expect_no_grep "a wait is not an error" '.' "$WORK/err"
objects_of erin >"$WORK/objects"
expect_grep "the key waits under the awaiting label" 'label: +awaiting:tls-client' "$WORK/objects"
expect "the request and the CA's cookie wait beside it" \
	test "$(waiting_data "$WORK/objects")" = 2
expect_no_grep "no pending objects" 'pending:' "$WORK/objects"
expect_status 0 "status while awaiting" p11e --token erin status
expect_grep "status shows the role awaiting" '^tls-client +awaiting-certificate ' "$WORK/out"

expect_status 1 "enroll again with another CA is refused" \
	p11e --token erin enroll tls-client --ca "$CA" --set cn=erin
expect_grep "the refusal names the CA that holds the request" \
	"its key awaits the certificate from CA exec:.*ca-wait.sh, not exec:.*p11enroll-testca" \
	"$WORK/err"
expect_grep "the key is kept" 'the key still awaits its certificate' "$WORK/err"

expect_status 5 "the second run asks again and is told to wait again" \
	p11e --token erin --json enroll tls-client --ca "$SLOW" --set cn=erin
expect "the JSON document lists the awaiting role" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["enrolled"] == [], doc
[w] = doc["awaiting"]
assert w["role"] == "tls-client" and w["retry_seconds"] == 1, w
assert w["ca"].startswith("exec:") and w["ca"].endswith("ca-wait.sh"), w
assert "error" not in doc, doc
' "$WORK/out"
expect_status 0 "the third run gets the certificate" \
	p11e --token erin enroll tls-client --ca "$SLOW" --set cn=erin
expect_grep "the role is enrolled" '^enrolled tls-client: ec-p256 key' "$WORK/out"
printf 'SUBMIT -\nPOLL cookie-1\nPOLL cookie-2\n' >"$WORK/calls"
expect "each run asked with the cookie of the one before" \
	cmp -s "$WORK/calls" "$WORK/state/calls"
objects_of erin >"$WORK/objects"
expect_no_grep "nothing awaits after the certificate came" 'awaiting:|pending:' "$WORK/objects"
expect "the request and the cookie are gone" \
	test "$(waiting_data "$WORK/objects")" = 0
p11tool_on erin --read-object --type cert --label tls-client -o "$WORK/client.der"
openssl x509 -inform DER -in "$WORK/client.der" -noout -ext extendedKeyUsage \
	>"$WORK/client.txt" 2>&1
expect_grep "the certificate is a client certificate" 'TLS Web Client Authentication' \
	"$WORK/client.txt"
expect_no_grep "and only that" 'Server' "$WORK/client.txt"
expect_status 0 "remove tls-client again" p11e --token erin remove tls-client --yes

# The certificate may also come another way: install finishes the role.
new_state
SLOWER="exec:$FIXTURES/ca-wait.sh $WORK/state 99 $WORK/ca"
expect_status 5 "a CA that keeps the request" \
	p11e --token erin enroll user-auth --ca "$SLOWER" --set name=Erin \
	--set upn=erin@example.org
"$TESTCA" "$WORK/ca" <"$WORK/state/req.1" >"$WORK/user-auth.pem"
expect_status 0 "install finishes the awaiting role" \
	p11e --token erin install user-auth "$WORK/user-auth.pem"
objects_of erin >"$WORK/objects"
expect_no_grep "nothing awaits after install" 'awaiting:' "$WORK/objects"
expect "install removed the cookie with the request" \
	test "$(waiting_data "$WORK/objects")" = 0
expect_status 0 "remove user-auth" p11e --token erin remove user-auth --yes

# renew needs the certificate in the same run.
objects_of erin >"$WORK/before"
new_state
expect_status 1 "renew with a CA that asks to wait" \
	p11e --token erin renew tls-server --ca "$SLOW"
expect_grep "renew says why and what to do" \
	'has not issued the certificate yet \(it asked to wait\); renew again later, or with --wait' \
	"$WORK/err"
expect_grep "the new key was removed" 'the new key was removed' "$WORK/err"
expect_unchanged "renew with a waiting CA" erin

# ---- failures ------------------------------------------------------------

for case in "3 unreachable|the CA could not be reached: connection refused by ca.example.org" \
	    "4 unconfigured|the CA helper is not configured correctly: no signing key configured" \
	    "2 rejected|the CA rejected the request: request denied by policy" \
	    "6 unknown-operation|the CA helper does not know this operation"; do
	code=${case%% *}
	rest=${case#* }
	name=${rest%%|*}
	message=${rest#*|}
	words=${message#*: }
	[ "$code" = 6 ] && words=
	expect_status 1 "exit $code ($name) fails the enrollment" \
		p11e --token erin enroll tls-client --set cn=erin \
		--ca "exec:$FIXTURES/ca-exit.sh $code $words"
	expect_grep "exit $code has its own message" "$message" "$WORK/err"
	expect_grep "exit $code: the new key was removed" 'the new key was removed' "$WORK/err"
	expect_unchanged "exit $code" erin
done

# without_bytes BYTES FILE: FILE holds none of BYTES (printf escapes).
without_bytes() {
	! LC_ALL=C grep -q -- "$(printf "$1")" "$2"
}

# The helper's reason is quoted, but nothing in it that a terminal would
# act on: ESC, a C1 CSI as a lone byte and as UTF-8, a bidi override.
expect_status 1 "a helper that rejects with control characters" \
	p11e --token erin enroll tls-client --set cn=erin \
	--ca "exec:$FIXTURES/ca-control.sh"
expect_grep "the reason is quoted with the controls escaped" \
	'rejected the request: denied \\x1b\[2J \\x9b2J \\xc2\\x9b2J \\xe2\\x80\\xaegnp\.exe' \
	"$WORK/err"
expect "no ESC reaches the terminal" without_bytes '\033' "$WORK/err"
expect "no C1 CSI byte reaches the terminal" without_bytes '\233' "$WORK/err"
expect "no right-to-left override reaches the terminal" \
	without_bytes '\342\200\256' "$WORK/err"
expect_unchanged "a helper that rejects with control characters" erin

# A helper that never answers is stopped after --ca-timeout, with its
# children. The time counts from the helper's start (its pid file), not
# from the run's: under valgrind the key generation before it takes long.
expect_status 1 "a hanging helper" p11e --token erin enroll tls-client --set cn=erin \
	--ca-timeout 2 --ca "exec:$FIXTURES/ca-hang.sh $WORK/hang.pid"
elapsed=$(( $(date +%s) - $(stat -c %Y "$WORK/hang.pid") ))
expect "the hanging helper is given up within seconds ($elapsed s)" test "$elapsed" -lt 15
expect_grep "the timeout is reported" 'the CA helper did not answer within 2 seconds' "$WORK/err"
expect_grep "the new key was removed after the timeout" 'the new key was removed' "$WORK/err"
sleep_pid=$(cat "$WORK/hang.pid")
gone=no
# Up to ten seconds: on a loaded machine the killed child is reaped late.
for _ in $(seq 50); do
	if ! kill -0 "$sleep_pid" 2>/dev/null; then gone=yes; break; fi
	sleep 0.2
done
expect "the helper's own child was killed too" test "$gone" = yes
expect_unchanged "a hanging helper" erin

# A helper that prints 10 MB is cut off at the answer limit.
expect_status 1 "a flooding helper" p11e --token erin enroll tls-client --set cn=erin \
	--ca "exec:$FIXTURES/ca-flood.sh"
expect_grep "the flood is reported" "the CA helper's answer is larger than 1048576 bytes" \
	"$WORK/err"
expect_unchanged "a flooding helper" erin

# Bad --wait values are usage errors before the token is touched.
for bad in -1 86401 soon ""; do
	expect_status 2 "--wait '$bad' is refused" \
		p11e --token erin enroll tls-client --wait "$bad" --ca "$CA" --set cn=erin
	expect_grep "--wait '$bad' is explained" '--wait takes seconds from 0 to 86400' "$WORK/err"
done
expect_unchanged "bad --wait values" erin
for bad in 0 -1 86401 soon ""; do
	expect_status 2 "--ca-retry '$bad' is refused" \
		p11e --token erin enroll tls-client --ca-retry "$bad" --ca "$CA" --set cn=erin
	expect_grep "--ca-retry '$bad' is explained" '--ca-retry takes seconds from 1 to 86400' \
		"$WORK/err"
done
expect_unchanged "bad --ca-retry values" erin

finish
