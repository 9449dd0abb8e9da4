# SPDX-License-Identifier: MIT
# certificate-checks.sh - a CA answer wrong in any one way fails the check
# that covers it; nothing is written and the new key is removed.
. "$top_srcdir/tests/cli/lib.sh"

new_token dave
new_ca
TRUST=$WORK/ca/root.pem

# One role already there, which every failure below must leave alone.
expect_status 0 "enroll tls-client first" \
	p11e --token dave enroll tls-client --ca "exec:$TESTCA $WORK/ca" \
	--set cn=dave
objects_of dave >"$WORK/before"
expect_grep "tls-client is on the token" 'tls-client' "$WORK/before"

# MODE of tests/fixtures/ca-bad.sh, then the check it must fail. The loop
# reads the table on stdin, so the commands in it get /dev/null.
modes=0
while read -r mode check; do
	case $mode in
	''|'#'*) continue ;;
	esac
	modes=$((modes + 1))
	expect_status 1 "$mode is refused" \
		p11e --token dave enroll tls-server \
		--ca "exec:$FIXTURES/ca-bad.sh $mode $WORK/ca" \
		--trust "$TRUST" --set dns=www.example.org </dev/null
	cp "$WORK/err" "$WORK/err.$mode"
	expect_grep "$mode fails the $check check" \
		"certificate check $check failed" "$WORK/err.$mode"
	expect_grep "$mode: the new key was removed" \
		'the new key was removed' "$WORK/err.$mode"
	objects_of dave >"$WORK/now" </dev/null
	if cmp -s "$WORK/before" "$WORK/now"; then
		ok "$mode: token unchanged"
	else
		not_ok "$mode: token changed"
		diff "$WORK/before" "$WORK/now" | sed 's/^/#   /'
	fi
	expect_no_grep "$mode: no pending key is left" \
		'pending:tls-server' "$WORK/now"
done <<'EOF'
# mode              check
wrong-key           public-key
extra-eku           eku
mixed-eku           eku
any-eku             eku
ca-true             not-ca
key-cert-sign       not-ca
extra-ku            key-usage
expired             validity
not-yet-valid       validity
over-lifetime       lifetime
subject-changed     subject
san-changed         san
no-chain-to-trust   chain
out-of-order        chain
garbage             parse
empty               parse
EOF
echo "# $modes modes run"
if [ "$modes" -eq 16 ]; then ok "all 16 modes ran"; else not_ok "$modes modes ran, not 16"; fi

# The same enrolment through the good test CA succeeds, so the failures
# above were the answers', not the command's.
expect_status 0 "the good CA's certificate is accepted" \
	p11e --token dave enroll tls-server --ca "exec:$TESTCA $WORK/ca" \
	--trust "$TRUST" --set dns=www.example.org
objects_of dave >"$WORK/after"
expect_grep "tls-server is on the token" 'tls-server' "$WORK/after"
expect_no_grep "no pending key after success" 'pending:' "$WORK/after"

finish
