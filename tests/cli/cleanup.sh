# SPDX-License-Identifier: MIT
# cleanup.sh - deleting a group and cleaning up after a failure, with the
# token made to fail part of the way (tests/faultmod): the private key
# goes first, so that a deletion stopped half-way leaves nothing that can
# still sign; the deletion goes on past a failure and reports it; and a
# clean-up that fails never replaces the error that made it necessary.
# pkcs11-tool, straight on SoftHSM, says what is left.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
export P11FAULT_TARGET="$SOFTHSM2_MODULE"
CONF=$WORK/fault.conf
TRACE=$WORK/fault.trace

new_token card
new_ca
CA="exec:$FIXTURES/ca-quick.sh $WORK/ca"

# conf LINE...: a fresh configuration and trace, one argument per line.
conf() {
	printf '%s\n' "$@" >"$CONF"
	: >"$TRACE"
}

# p11enroll through the fault module, with the configuration in force.
faulty_p11e() (
	export P11ENROLL_MODULE="$P11FAULT_MODULE" P11FAULT_CONF="$CONF"
	p11e "$@"
)

# count CLASS LABEL: how many objects of CLASS (privkey, pubkey, cert,
# data) are labelled LABEL on the token (pkcs11-tool quotes the label of
# a data object).
count() {
	p11tool_on card --list-objects --type "$1" </dev/null |
		grep -Ec "^ +label: +'?$2'?\$" || :
}

# ---- status --repair: the private key goes first --------------------------
# A pending group that cannot be finished (its certificate is not for its
# key), as a dead run leaves one; the second deletion fails.
p11tool_on card --keypairgen --key-type EC:prime256v1 --id 0a \
	--label pending:tls-server >/dev/null
openssl x509 -in "$WORK/ca/root.pem" -outform DER -out "$WORK/other.der"
p11tool_on card --write-object "$WORK/other.der" --type cert --id 0a \
	--label pending:tls-server >/dev/null
conf "fail C_DestroyObject 2 CKR_DEVICE_ERROR"
expect_status 1 "status --repair --yes with the second deletion failing" \
	faulty_p11e --token card status --repair --yes
expect_grep "the message names the object and the CKR" \
	'remove the pending tls-server: public key pending:tls-server: delete object [0-9]+ on token card: CKR_DEVICE_ERROR' \
	"$WORK/err"
expect "the private key is gone" test "$(count privkey pending:tls-server)" -eq 0
expect "the public key that failed is left" test "$(count pubkey pending:tls-server)" -eq 1
expect "the deletion went on to the certificate" \
	test "$(count cert pending:tls-server)" -eq 0
expect_status 0 "status --repair --yes again, without faults" \
	p11e --token card status --repair --yes
expect_grep "it removes what was left" '^remove the pending tls-server$' "$WORK/out"
objects_of card >"$WORK/after" </dev/null
expect_no_grep "nothing pending is left" 'pending:' "$WORK/after"

# ---- remove: every failure reported, the first one recorded --------------
# The role has four objects: its key pair, its certificate and its record.
expect_status 0 "enroll tls-client" p11e --token card enroll tls-client --ca "$CA" \
	--set cn=agent
conf "fail C_DestroyObject 2 CKR_DEVICE_ERROR" "fail C_DestroyObject 3 CKR_DEVICE_MEMORY"
expect_status 1 "remove with the second and third deletions failing" \
	faulty_p11e --token card remove tls-client --yes
expect_grep "the first failure is the message" \
	'^p11enroll: remove: remove tls-client on token card: 2 of 4 objects deleted: public key tls-client: delete object [0-9]+ on token card: CKR_DEVICE_ERROR' \
	"$WORK/err"
expect_grep "the second failure follows it" \
	'CKR_DEVICE_ERROR .*; certificate tls-client: delete object [0-9]+ on token card: CKR_DEVICE_MEMORY' \
	"$WORK/err"
expect "the private key is gone" test "$(count privkey tls-client)" -eq 0
expect_status 0 "remove again, without faults" p11e --token card remove tls-client --yes
expect_grep "it removes the other two" '^removed tls-client: 2 objects$' "$WORK/out"

# ---- enroll: its clean-up deletes the new private key first ---------------
# A clean run first, traced: the write-back ends with three
# C_SetAttributeValue calls (private key, public key, certificate).
conf "trace $TRACE"
expect_status 0 "enroll tls-server (traced)" faulty_p11e --token card enroll \
	tls-server --ca "$CA" --set dns=www.example.org
sets=$(grep -c ' C_SetAttributeValue ' "$TRACE" || :)
expect "the trace has the write-back" test "$sets" -ge 3
expect_status 0 "remove it" p11e --token card remove tls-server --yes
conf "fail C_SetAttributeValue $((sets - 2)) CKR_DEVICE_MEMORY" \
	"fail C_DestroyObject 2 CKR_DEVICE_ERROR"
expect_status 1 "enroll whose write-back and clean-up fail" \
	faulty_p11e --token card enroll tls-server --ca "$CA" --set dns=www.example.org
expect_grep "the message starts with the write-back's failure" \
	"^p11enroll: enroll: enroll tls-server on token card: write back: label the key pair 'tls-server': [^;]*CKR_DEVICE_MEMORY" \
	"$WORK/err"
expect_grep "then says what is left and how to remove it" \
	'could not all be removed; run p11enroll status --repair to remove what is left under pending:tls-server; public key: delete object [0-9]+ on token card: CKR_DEVICE_ERROR' \
	"$WORK/err"
expect "the new private key is gone" test "$(count privkey 'pending:tls-server')" -eq 0
expect "so is its certificate" test "$(count cert 'pending:tls-server')" -eq 0
expect "the public key that failed is left" \
	test "$(count pubkey 'pending:tls-server')" -eq 1
expect_status 0 "status --repair --yes, as the message says" \
	p11e --token card status --repair --yes
objects_of card >"$WORK/after" </dev/null
expect_no_grep "nothing of tls-server is left" 'tls-server' "$WORK/after"

# ---- request: a failed clean-up keeps the error that called for it ---------
# A clean run first, traced, to find the last C_SetAttributeValue: the
# public key taking the awaiting label, after the request was stored.
conf "trace $TRACE"
expect_status 0 "request tls-server (traced)" faulty_p11e --token card request \
	tls-server --set dns=www.example.org --out "$WORK/req.csr"
last=$(grep -c ' C_SetAttributeValue ' "$TRACE" || :)
expect "the trace has the relabelling" test "$last" -ge 2
expect_status 0 "remove it" p11e --token card remove tls-server --yes
conf "fail C_SetAttributeValue $last CKR_DEVICE_MEMORY" \
	"fail C_DestroyObject 1 CKR_GENERAL_ERROR"
expect_status 1 "request whose relabelling and clean-up fail" \
	faulty_p11e --token card request tls-server --set dns=www.example.org \
	--out "$WORK/req2.csr"
expect_grep "the message starts with the relabelling's failure" \
	"^p11enroll: request: request tls-server on token card: label the key pair 'awaiting:tls-server': [^;]*CKR_DEVICE_MEMORY" \
	"$WORK/err"
expect_grep "then the clean-up's, with the way out" \
	'could not all be removed; run p11enroll remove tls-server to delete what is left under awaiting:tls-server: data awaiting:tls-server: delete object [0-9]+ on token card: CKR_GENERAL_ERROR' \
	"$WORK/err"
expect_grep "and the new key was removed" 'the new key was removed$' "$WORK/err"
expect "no key is left" test "$(count privkey 'awaiting:tls-server')" -eq 0
expect "the request is left" test "$(count data 'awaiting:tls-server')" -eq 1
expect_status 0 "remove, as the message says" p11e --token card remove tls-server --yes
expect_grep "it removes the request" '^removed tls-server: 1 objects$' "$WORK/out"
objects_of card >"$WORK/after" </dev/null
expect_no_grep "nothing of tls-server is left" 'tls-server' "$WORK/after"

finish
