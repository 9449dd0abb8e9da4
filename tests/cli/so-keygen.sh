# SPDX-License-Identifier: MIT
# so-keygen.sh - a token that generates keys and writes or removes objects
# only for its security officer (Yubico's ykcs11), reproduced by the fault
# module's so-keygen quirk over SoftHSM: p11enroll writes as the SO given
# by --so-pin-source and signs as the user, found out from the token's
# refusal or from a profile that says so; without an SO PIN it refuses,
# leaving the token as it was. The token is checked with pkcs11-tool on
# SoftHSM itself.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
export P11FAULT_TARGET="$SOFTHSM2_MODULE"
CONF=$WORK/so.conf
TRACE=$WORK/so.trace
SO_PIN_FILE=$WORK/so.pin
( umask 077; printf '%s\n' "$SO_PIN" >"$SO_PIN_FILE" )

new_ca
CA="exec:$TESTCA $WORK/ca"
printf '%s\n' "quirk so-keygen" "so-keygen-user-pin $USER_PIN" "trace $TRACE" >"$CONF"

# p11enroll through the quirk, with the user PIN; the trace starts afresh.
so_p11e() (
	: >"$TRACE"
	export P11ENROLL_MODULE="$P11FAULT_MODULE" P11FAULT_CONF="$CONF"
	"$P11ENROLL" --pin-source "file:$PIN_FILE" "$@"
)

# The same with the SO PIN.
so_p11e_so() {
	so_p11e --so-pin-source "file:$SO_PIN_FILE" "$@"
}

# The trace lines of function $1 with answer $2.
traced() {
	grep -Ec "^[0-9]+ $1 [0-9]+ $2\$" "$TRACE" || :
}

# The logins and writes of the trace, one word each: U (user login), S
# (SO login), O (logout), G (key generated), C (object made), D (object
# destroyed), s (signature begun), in order.
steps() {
	awk '$4 == "0x0" {
		if ($2 == "C_Logout") printf "O"
		else if ($2 == "C_GenerateKeyPair") printf "G"
		else if ($2 == "C_CreateObject") printf "C"
		else if ($2 == "C_DestroyObject") printf "D"
		else if ($2 == "C_SignInit") printf "s"
	}' "$TRACE"
}

# The object blocks of token $1 labelled $2, on plain SoftHSM.
blocks_of() {
	objects_of "$1" >"$WORK/listing"
	role_blocks "$2" "$WORK/listing"
}

# --- Without an SO PIN: a clear refusal, exit 2, nothing on the token.
new_token sk
objects_of sk >"$WORK/before"
expect_status 2 "enroll without --so-pin-source is refused" \
	so_p11e --token sk enroll tls-server --ca "$CA" --set dns=www.example.org
expect_grep "the message says the token needs its security officer" \
	'tls-server on token sk: .*token sk needs its security officer for writing: C_GenerateKeyPair answered CKR_USER_NOT_LOGGED_IN .*--so-pin-source' \
	"$WORK/err"
expect "the refusal was the token's, once" test "$(traced C_GenerateKeyPair 0x101)" -eq 1
expect "no SO login was tried" test "$(grep -c ' C_Login ' "$TRACE")" -eq 1
expect_unchanged "after the refused enroll" sk

# --- With it: generated as the SO, signed as the user, written as the SO.
expect_status 0 "enroll with --so-pin-source" \
	so_p11e_so --token sk enroll tls-server --ca "$CA" --set dns=www.example.org
expect "the key was generated once the SO was logged in" \
	test "$(traced C_GenerateKeyPair 0x101)" -eq 1 -a "$(traced C_GenerateKeyPair 0x0)" -eq 1
# Logins: the user, the SO (refused generation), the user (the request's
# signature), the SO (the certificate and the labels).
expect "four logins, the fewest the token allows" test "$(traced C_Login 0x0)" -eq 4
# The role's certificate, then the issuing CA's, then the role's
# enrollment record, in the one SO login.
expect "in the order generate, sign, write" test "$(steps)" = "OGOsOCCCO"
blocks_of sk tls-server >"$WORK/role"
expect_grep "the private key, sensitive, never extractable, that signs" \
	'Private Key Object; EC.*Usage: +sign \|.*Access: +sensitive, always sensitive, never extractable' \
	"$WORK/role"
expect_grep "the public key" 'Public Key Object; EC' "$WORK/role"
expect_grep "the certificate" 'Certificate Object; type = X.509 cert' "$WORK/role"
expect "one CKA_ID for the three" \
	test "$(grep -Eo 'ID: +[0-9a-f]*' "$WORK/role" | sort -u | wc -l)" -eq 1 -a \
	"$(grep -c 'ID:' "$WORK/role")" -eq 3
expect_no_grep "the SO PIN is not in the output" "$SO_PIN" "$WORK/out"
expect_no_grep "nor in the errors" "$SO_PIN" "$WORK/err"
expect_no_grep "nor in the trace" "$SO_PIN" "$TRACE"

# --- renew: the new pair as the SO, the old one removed as the SO, the
# record replaced.
id_before=$(grep -Eo 'ID: +[0-9a-f]*' "$WORK/role" | sort -u)
expect_status 0 "renew with --so-pin-source" so_p11e_so --token sk renew tls-server --ca "$CA"
expect "generated and written as the SO, the old pair destroyed" \
	test "$(steps)" = "OGOsOCDDDCDO"
blocks_of sk tls-server >"$WORK/role"
expect "one private key, a new one" \
	test "$(grep -c 'Private Key Object' "$WORK/role")" -eq 1 -a \
	"$(grep -Eo 'ID: +[0-9a-f]*' "$WORK/role" | sort -u)" != "$id_before"
expect_grep "and its certificate" 'Certificate Object' "$WORK/role"

# --- request and install.
expect_status 0 "request with --so-pin-source" so_p11e_so --token sk request user-sign \
	--out "$WORK/req.pem" --set name=Alice --set email=alice@example.org
expect "key and request written as the SO" test "$(steps)" = "OGOsOCO"
"$TESTCA" "$WORK/ca" <"$WORK/req.pem" >"$WORK/cert.pem"
expect_status 2 "install without --so-pin-source is refused" \
	so_p11e --token sk install user-sign "$WORK/cert.pem"
expect_grep "saying why" 'needs its security officer for writing: C_CreateObject' "$WORK/err"
expect "nothing was written" test "$(blocks_of sk user-sign | wc -l)" -eq 0
expect_status 0 "install with --so-pin-source" \
	so_p11e_so --token sk install user-sign "$WORK/cert.pem"
blocks_of sk user-sign >"$WORK/role"
expect "user-sign is whole: key pair and certificate" \
	test "$(grep -c 'Key Object\|Certificate Object' "$WORK/role")" -eq 3
expect "its request is gone" test "$(blocks_of sk awaiting:user-sign | wc -l)" -eq 0

# --- remove.
objects_of sk >"$WORK/before"
expect_status 2 "remove without --so-pin-source is refused" \
	so_p11e --token sk remove --yes user-sign
expect "the token refused one deletion, and no other was tried" \
	test "$(traced C_DestroyObject 0x101)" -eq 1 -a "$(traced C_DestroyObject 0x0)" -eq 0
expect_unchanged "after the refused remove" sk
expect_status 0 "remove with --so-pin-source" so_p11e_so --token sk remove --yes user-sign
expect "the three objects destroyed as the SO" test "$(steps)" = "ODDDO"
expect "user-sign is gone" test "$(blocks_of sk user-sign | wc -l)" -eq 0

# --- A profile that says so: the SO writes from the start.
mkdir "$WORK/profiles"
sed 's/^\[key\]$/[key]\nwrite_login = so/' "$top_srcdir/profiles/tls-client.profile" \
	>"$WORK/profiles/tls-client.profile"
expect_status 0 "the profile passes the lint" \
	"$P11ENROLL" profile lint "$WORK/profiles/tls-client.profile"
expect_grep "which notes the SO" 'write-login-so' "$WORK/out"
new_token skp
objects_of skp >"$WORK/before"
expect_status 2 "without --so-pin-source such a role is refused" \
	so_p11e --profiles "$WORK/profiles" --token skp enroll tls-client --ca "$CA" --set cn=alice
expect_grep "naming the profile's key" 'role tls-client: its profile says token skp needs its security officer .*write_login = so' \
	"$WORK/err"
expect "before any login" test "$(grep -c ' C_Login ' "$TRACE")" -eq 0
expect_unchanged "after the refusal" skp
expect_status 0 "with it the role is enrolled" so_p11e_so --profiles "$WORK/profiles" \
	--token skp enroll tls-client --ca "$CA" --set cn=alice
expect "no write was refused: the SO was there first" \
	test "$(traced '(C_GenerateKeyPair|C_CreateObject)' 0x101)" -eq 0
expect "generated, signed, written" test "$(steps)" = "OGOsOCCCO"
blocks_of skp tls-client >"$WORK/role"
expect "the role is on the token" \
	test "$(grep -c 'Key Object\|Certificate Object' "$WORK/role")" -eq 3

# --- A wrong SO PIN: said, not retried, nothing made.
new_token skw
objects_of skw >"$WORK/before"
( umask 077; printf '87654321\n' >"$WORK/wrong.pin" )
expect_status 1 "a wrong SO PIN" so_p11e --so-pin-source "file:$WORK/wrong.pin" --token skw \
	enroll tls-server user-sign --ca "$CA" --set dns=www.example.org --set name=A \
	--set email=a@example.org
expect_grep "is said, with what the token says of the tries left" \
	'log in to token skw as its security officer: CKR_PIN_INCORRECT .*(not retried|few tries are left)' \
	"$WORK/err"
expect "and tried once" test "$(traced C_Login 0xa0)" -eq 1
expect_no_grep "the wrong PIN is not printed" '87654321' "$WORK/err"
expect_unchanged "after the wrong SO PIN" skw

# --- status --repair: what a dead run left pending goes as the SO.
expect_status 0 "a pending key pair made beforehand" p11tool_on skw --keypairgen \
	--key-type EC:prime256v1 --label pending:tls-server --id 77
expect_status 0 "status --repair with --so-pin-source" so_p11e_so --token skw status --repair --yes
expect "the pending pair destroyed as the SO" test "$(traced C_DestroyObject 0x0)" -eq 2
expect "nothing pending is left" test "$(blocks_of skw pending:tls-server | wc -l)" -eq 0

# --- batch: the SO PIN reaches every worker.
new_token skb1
new_token skb2
printf 'token,roles,dns\nskb1,tls-server,skb1.example.org\nskb2,tls-server,skb2.example.org\n' \
	>"$WORK/m.csv"
expect_status 3 "a batch without --so-pin-source fails its rows" \
	so_p11e batch "$WORK/m.csv" --ca "$CA" -j 2
expect_grep "saying why" 'token skb1: failed: .*needs its security officer for writing' \
	"$WORK/out"
expect "and leaves the tokens empty" test "$(objects_of skb1 | wc -l)" -eq 0 -a \
	"$(objects_of skb2 | wc -l)" -eq 0
expect_status 0 "a batch with --so-pin-source" so_p11e_so batch "$WORK/m.csv" --ca "$CA" -j 2
for tok in skb1 skb2; do
	blocks_of "$tok" tls-server >"$WORK/role"
	expect "$tok has its key pair and certificate" \
		test "$(grep -c 'Key Object\|Certificate Object' "$WORK/role")" -eq 3
done
expect "every key generated as the SO" test "$(traced C_GenerateKeyPair 0x0)" -eq 2
expect_no_grep "the SO PIN is not in the batch's output" "$SO_PIN" "$WORK/out"
expect_no_grep "nor in its trace" "$SO_PIN" "$TRACE"

finish
