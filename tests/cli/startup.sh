# SPDX-License-Identifier: MIT
# startup.sh - a command does only what it needs before its first role:
# it reads the profiles it names and no other, asks the token about the
# mechanisms of its roles' key types alone, lists the slots once; and
# P11ENROLL_TRACE=1 times each phase on stderr, without a secret.
. "$top_srcdir/tests/cli/lib.sh"

new_ca
CA="exec:$TESTCA $WORK/ca"
CONF=$WORK/p11fault.conf
TRACE=$WORK/trace
new_token alpha

# A profiles directory with a profile that does not parse: naming other
# roles never reads it.
mkdir "$WORK/profiles"
cp "$top_srcdir/profiles/tls-client.profile" "$top_srcdir/profiles/tls-server.profile" \
	"$WORK/profiles/"
printf '[key\nalgorithm = nonsense\n' >"$WORK/profiles/broken.profile"

# traced ARG...: p11enroll through the fault module, every PKCS#11 call
# in $TRACE.
traced() (
	printf 'trace %s\n' "$TRACE" >"$CONF"
	: >"$TRACE"
	export P11ENROLL_MODULE="$P11FAULT_MODULE" P11FAULT_CONF="$CONF"
	p11e --profiles "$WORK/profiles" "$@"
)

calls() {
	awk -v f="$1" '$2 == f { n++ } END { print n + 0 }' "$TRACE"
}

# What a token listing asks about one slot: every key type's mechanisms.
expect_status 0 "tokens, traced" traced tokens
all=$(( $(calls C_GetMechanismInfo) * 2 / $(calls C_GetMechanismList) ))
expect_status 0 "enroll tls-client beside a profile that does not parse" \
	traced --token alpha enroll tls-client --ca "$CA" --set cn=alpha-user
expect_no_grep "no trace without P11ENROLL_TRACE" 'trace:' "$WORK/err"
# An EC P-256 role needs EC mechanisms alone: RSA's are not asked about.
expect "mechanism information for the EC mechanisms alone ($(calls C_GetMechanismInfo) calls, $all for every key type)" \
	test "$(calls C_GetMechanismInfo)" -lt "$all"
expect "the mechanism list is read once ($(calls C_GetMechanismList) calls, one to size it)" \
	test "$(calls C_GetMechanismList)" -le 2
expect "the slot list is read once ($(calls C_GetSlotList) calls, one to size it)" \
	test "$(calls C_GetSlotList)" -le 2
expect_status 2 "the broken profile is refused when named" \
	p11e --profiles "$WORK/profiles" --token alpha enroll broken --ca "$CA"

# ---- the timing trace ----------------------------------------------------------

expect_status 0 "enroll tls-server with P11ENROLL_TRACE=1" \
	env P11ENROLL_TRACE=1 "$P11ENROLL" --pin-source "file:$PIN_FILE" --profiles "$WORK/profiles" --token alpha enroll tls-server --ca "$CA" \
	--set dns=alpha.example.org
for phase in options profiles 'CA and trust' 'load module' 'open token' 'log in' \
	mechanisms 'tls-server: key pair and request' 'tls-server: CA' \
	'tls-server: check the certificate' 'tls-server: write the certificate' end; do
	expect_grep "the trace has '$phase'" \
		"^p11enroll\[[0-9]+\]: trace: +[0-9.]+ ms +[0-9.]+ ms  $phase\$" "$WORK/err"
done
expect "stderr holds the trace and the tool's own messages only" \
	test "$(grep -Evc '^p11enroll(\[[0-9]+\]: trace|: )' "$WORK/err")" = 0
expect_no_grep "the trace has no PIN" "$USER_PIN" "$WORK/err"
expect_grep "stdout says what was enrolled, as without the trace" \
	'^enrolled tls-server' "$WORK/out"
expect_status 0 "P11ENROLL_TRACE=0 is no trace" \
	env P11ENROLL_TRACE=0 "$P11ENROLL" --pin-source "file:$PIN_FILE" --profiles "$WORK/profiles" --token alpha status
expect_no_grep "no trace lines" 'trace:' "$WORK/err"

finish
