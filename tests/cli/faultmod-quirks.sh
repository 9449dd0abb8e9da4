# SPDX-License-Identifier: MIT
# faultmod-quirks.sh - the fault module's quirks make SoftHSM behave where
# real modules differ from it (tpm2-pkcs11, ykcs11, tokens without data
# objects, modules that write handles on failure or fix a key's
# attributes). Each quirk is first shown with pkcs11-tool (or p11probe,
# for what pkcs11-tool cannot do) against real SoftHSM through the module,
# then, where p11enroll already copes with it, p11enroll is run through it
# and the token is checked with pkcs11-tool.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
: "${P11PROBE:?p11probe is built by make check}"
export P11FAULT_TARGET="$SOFTHSM2_MODULE"
CONF=$WORK/quirks.conf
TRACE=$WORK/quirks.trace

new_token quirks
new_ca
CA="exec:$TESTCA $WORK/ca"
printf 'some data\n' >"$WORK/data"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$WORK/cert.key" -subj /CN=quirks -days 1 -outform DER \
	-out "$WORK/cert.der" 2>/dev/null

# conf LINE...: a fresh configuration and trace, one argument per line.
conf() {
	printf '%s\n' "$@" >"$CONF"
	: >"$TRACE"
}

# pkcs11-tool through the module with the configuration in force, on
# token $1; the rest are its arguments.
quirk_tool_on() (
	_label=$1
	shift
	export P11FAULT_CONF="$CONF"
	pkcs11-tool --module "$P11FAULT_MODULE" --token-label "$_label" "$@"
)

# The same, logged in as the user.
quirk_user_on() {
	_label=$1
	shift
	quirk_tool_on "$_label" --login --pin "$USER_PIN" "$@"
}

# p11probe through the module with the configuration in force: TOKEN PIN
# COMMAND ARGS...
quirk_probe() (
	export P11FAULT_CONF="$CONF"
	"$P11PROBE" "$P11FAULT_MODULE" "$@"
)

# p11enroll through the module with the configuration in force.
quirk_p11e() (
	export P11ENROLL_MODULE="$P11FAULT_MODULE" P11FAULT_CONF="$CONF"
	"$P11ENROLL" --pin-source "file:$PIN_FILE" "$@"
)

# The trace lines of function $1 with answer $2.
traced() {
	grep -Ec "^[0-9]+ $1 [0-9]+ $2\$" "$TRACE" || :
}

# The number of objects of type $1 (privkey, pubkey, cert, data) labelled
# $3 on token $2, seen on plain SoftHSM.
count_label() {
	p11tool_on "$2" --list-objects --type "$1" | grep -Ec "^ +label: +'?$3'?\$" || :
}

# The object blocks of token $1 labelled $2, on plain SoftHSM.
blocks_of() {
	objects_of "$1" >"$WORK/listing"
	role_blocks "$2" "$WORK/listing"
}

# --- A bad quirk line stops C_Initialize like any bad line.
while IFS='	' read -r line why; do
	conf "# a comment" "trace $TRACE" "$line"
	expect_status 1 "bad line '$line'" quirk_tool_on quirks -L
	expect_grep "the message names line 3: $why" "^p11fault: $CONF:3: $why" "$WORK/err"
done <<'EOF'
quirk sticky	unknown quirk 'sticky'
quirk	quirk takes 1 argument, not 0
quirk no-data no-public-data	quirk takes 1 argument, not 2
quirk so-keygen	quirk so-keygen needs a so-keygen-user-pin line
so-keygen-user-pin 1234	so-keygen-user-pin needs a quirk so-keygen line
EOF
conf "quirk sticky"
expect_status 2 "p11enroll with an unknown quirk: a module that cannot start" quirk_p11e tokens
expect_grep "p11enroll's stderr names the quirk" "^p11fault: $CONF:1: unknown quirk 'sticky'" \
	"$WORK/err"

# --- verify-needs-decrypt: a public half that may verify needs a private
# half that may decrypt.
conf "quirk verify-needs-decrypt" "trace $TRACE"
expect_status 1 "an EC signing pair is refused" quirk_user_on quirks \
	--keypairgen --key-type EC:prime256v1 --usage-sign --label vnd-ec
expect_grep "with CKR_GENERAL_ERROR" 'CKR_GENERAL_ERROR' "$WORK/err"
expect "the refusal is the module's, not SoftHSM's" test "$(traced C_GenerateKeyPair 0x5)" -eq 1
expect "no EC key reached the token" test "$(count_label privkey quirks vnd-ec)" -eq 0
expect_status 0 "an RSA pair whose private half may decrypt is accepted" quirk_user_on quirks \
	--keypairgen --key-type rsa:2048 --usage-sign --usage-decrypt --label vnd-rsa
expect "the RSA key is on the token" test "$(count_label privkey quirks vnd-rsa)" -eq 1
conf ""
expect_status 0 "without the quirk the EC signing pair is accepted" quirk_user_on quirks \
	--keypairgen --key-type EC:prime256v1 --usage-sign --label vnd-ec
expect "the EC key is on the token" test "$(count_label privkey quirks vnd-ec)" -eq 1

# p11enroll tries again with a public template that asks for no rights, and
# the key it keeps may only sign. handle-on-failure makes the refused call
# name other objects; p11enroll must not touch them.
new_token vnd
expect_status 0 "a data object made beforehand" \
	p11tool_on vnd --write-object "$WORK/data" --type data --label bystander
conf "quirk verify-needs-decrypt" "quirk handle-on-failure" "trace $TRACE"
expect_status 0 "p11enroll enrolls tls-server through verify-needs-decrypt" \
	quirk_p11e --token vnd enroll tls-server --ca "$CA" --set dns=www.example.org
expect "the first key generation was refused" test "$(traced C_GenerateKeyPair 0x5)" -eq 1
expect "the second one went through" test "$(traced C_GenerateKeyPair 0x0)" -eq 1
blocks_of vnd tls-server >"$WORK/vnd"
expect_grep "the private key may sign" 'Private Key Object; EC.*\| +Usage: +sign \|' "$WORK/vnd"
expect "the private key may do nothing else" \
	test "$(grep -c 'Private Key Object' "$WORK/vnd")" -eq 1 -a \
	"$(grep -Ec 'Private Key Object.*Usage: +sign \|' "$WORK/vnd")" -eq 1
expect_grep "the certificate is written" 'Certificate Object' "$WORK/vnd"
expect "the bystander is still there" test "$(count_label data vnd bystander)" -eq 1

# --- narrowing-ignored: CKA_SIGN = FALSE is accepted, reads back FALSE in
# the process that set it, and the key goes on signing.
expect_status 0 "an RSA key that signs and decrypts" p11tool_on quirks \
	--keypairgen --key-type rsa:2048 --usage-sign --usage-decrypt --label narrow --id 41
conf "quirk narrowing-ignored" "trace $TRACE"
expect_status 0 "setting CKA_SIGN to FALSE is accepted" \
	quirk_probe quirks "$USER_PIN" set privkey narrow sign=false
expect_grep "and reads back FALSE" '^sign=false$' "$WORK/out"
expect_status 0 "setting CKA_VERIFY to FALSE on the public key is accepted" \
	quirk_probe quirks "$USER_PIN" set pubkey narrow verify=false
expect_grep "and reads back FALSE" '^verify=false$' "$WORK/out"
expect_status 0 "the rest of a template is forwarded" \
	quirk_probe quirks "$USER_PIN" set privkey narrow sign=false decrypt=false
expect_grep "both read back FALSE" '^sign=false decrypt=false$' "$WORK/out"
blocks_of quirks narrow >"$WORK/narrow"
expect_grep "SoftHSM still has CKA_SIGN" 'Private Key Object.*Usage: +[a-z, ]*sign' "$WORK/narrow"
expect_no_grep "but took CKA_DECRYPT away" 'Private Key Object.*Usage:.*decrypt' "$WORK/narrow"
expect_grep "and still has CKA_VERIFY" 'Public Key Object.*Usage: +[a-z, ]*verify' "$WORK/narrow"
expect_status 0 "the key still signs through the module" quirk_user_on quirks \
	--sign --mechanism SHA256-RSA-PKCS --id 41 -i "$WORK/data" -o "$WORK/sig"
conf ""
expect_status 0 "an RSA key to narrow without the quirk" p11tool_on quirks \
	--keypairgen --key-type rsa:2048 --usage-sign --usage-decrypt --label narrowed --id 42
expect_status 0 "SoftHSM takes CKA_SIGN away" \
	quirk_probe quirks "$USER_PIN" set privkey narrowed sign=false
expect_status 1 "and the key no longer signs" quirk_user_on quirks \
	--sign --mechanism SHA256-RSA-PKCS --id 42 -i "$WORK/data" -o "$WORK/sig"
expect_grep "CKR_KEY_FUNCTION_NOT_PERMITTED" 'CKR_KEY_FUNCTION_NOT_PERMITTED' "$WORK/err"

# p11enroll proves the narrowing: an encryption-only key that still signs
# is refused, and the token is left as it was (empty).
new_token narrow
conf "quirk narrowing-ignored" "trace $TRACE"
expect_status 1 "p11enroll refuses user-encrypt where the narrowing is ignored" \
	quirk_p11e --token narrow enroll user-encrypt --ca "$CA" \
	--set name=x --set email=x@example.org
expect_grep "the message says the module ignores the narrowing" \
	'user-encrypt.*ignores the narrowing' "$WORK/err"
objects_of narrow >"$WORK/left"
expect "the token holds no object afterwards" test ! -s "$WORK/left"
expect "the narrowing was accepted" test "$(traced C_SetAttributeValue 0x0)" -ge 1

# status reports a key's real rights: for a role that does not sign it
# asks the token, in its read-only session, whether the key still signs.
SCHEMA=$top_srcdir/doc/status.schema.json
mkdir "$WORK/waived"
cp "$P11ENROLL_PROFILES"/* "$WORK/waived/"
sed -i 's/^algorithm = rsa-2048$/&\nallow_unnarrowed = yes\njustification = the TPM is the only key store/' \
	"$WORK/waived/user-encrypt.profile"
new_token rights
conf "quirk narrowing-ignored"
expect_status 0 "p11enroll keeps the unnarrowed user-encrypt key under the waiver" \
	quirk_p11e --profiles "$WORK/waived" --token rights enroll user-encrypt \
	--ca "$CA" --set name=x --set email=x@example.org

# check_role_json FILE ROLE PROBE RIGHTS FINDINGS: in the status document
# FILE, which validates, ROLE's sign probe is PROBE (None: not asked), its
# rights are RIGHTS (comma-separated) and its findings are FINDINGS
# (id:severity, comma-separated), the last one's message ending in WHY
# when given.
check_role_json() {
	"$PYTHON" - "$SCHEMA" "$@" <<'PY'
import json, sys, jsonschema
schema, path, role, probe, rights, findings = sys.argv[1:7]
why = sys.argv[7] if len(sys.argv) > 7 else ""
doc = json.load(open(path))
jsonschema.validate(doc, json.load(open(schema)))
row = [r for r in doc["roles"] if r["role"] == role][0]
assert str(row["key"]["sign_probe"]) == probe, row["key"]
assert row["key"]["rights"] == rights.split(","), row["key"]
got = ",".join(f["id"] + ":" + f["severity"] for f in row["findings"])
assert got == findings, got
assert not why or row["findings"][-1]["message"].endswith(why), row["findings"]
PY
}

conf "quirk narrowing-ignored" "trace $TRACE"
expect_status 0 "status with the waiver: no error (exit 0)" \
	quirk_p11e --profiles "$WORK/waived" --token rights status
expect_grep "the waiver is shown as unnarrowed-in-force, with its justification" \
	'^user-encrypt: info: unnarrowed-in-force: the key still signs although its role does not.*: the TPM is the only key store$' \
	"$WORK/out"
expect_grep "its rights say that it signs" '^user-encrypt +enrolled .* sign,decrypt,unwrap$' "$WORK/out"
expect_no_grep "no other finding" '^user-encrypt: (error|warning)' "$WORK/out"
expect "status signed with the key to find out" test "$(traced C_SignInit 0x0)" -eq 1 -a \
	"$(traced C_Sign 0x0)" -eq 1
expect_status 0 "status --json with the waiver" \
	quirk_p11e --profiles "$WORK/waived" --token rights --json status
expect "JSON: the probe signed, the rights say so, one info finding with the justification" \
	check_role_json "$WORK/out" user-encrypt signs sign,decrypt,unwrap \
	unnarrowed-in-force:info "the TPM is the only key store"

# The same key judged by the shipped profile, which has no waiver.
expect_status 4 "status without the waiver: an error (exit 4)" quirk_p11e --token rights status
expect_grep "key-unnarrowed says what is wrong and what to do" \
	'^user-encrypt: error: key-unnarrowed: the key still signs although its role does not: it can do more than its certificate says; renew the role on a module that takes the signing right away, or accept it .* allow_unnarrowed = yes' \
	"$WORK/out"
expect "and nothing else" test "$(grep -c '^user-encrypt: ' "$WORK/out")" -eq 1
expect_status 4 "status --json without the waiver" quirk_p11e --token rights --json status
expect "JSON: one error finding, key-unnarrowed" \
	check_role_json "$WORK/out" user-encrypt signs sign,decrypt,unwrap key-unnarrowed:error

# A key the module narrowed: the probe is refused, no finding.
new_token narrowed
conf "trace $TRACE"
expect_status 0 "user-encrypt where the narrowing holds" \
	quirk_p11e --token narrowed enroll user-encrypt --ca "$CA" --set name=x \
	--set email=x@example.org
: >"$TRACE"
expect_status 0 "status on the narrowed key (exit 0)" quirk_p11e --token narrowed status
expect_grep "its rights are its role's" '^user-encrypt +enrolled .* decrypt,unwrap$' "$WORK/out"
expect_no_grep "no finding" '^user-encrypt: ' "$WORK/out"
expect "the key refused to sign" test "$(traced C_SignInit 0x68)" -eq 1 -a \
	"$(traced C_Sign '0x[0-9a-f]+')" -eq 0
expect_status 0 "status --json on the narrowed key" quirk_p11e --token narrowed --json status
expect "JSON: the probe refused, the rights are decrypt and unwrap, no finding" \
	check_role_json "$WORK/out" user-encrypt refused decrypt,unwrap ""

# --- no-public-data: only private data objects.
conf "quirk no-public-data" "trace $TRACE"
expect_status 1 "a public data object is refused" quirk_user_on quirks \
	--write-object "$WORK/data" --type data --label npd-public
expect_grep "with CKR_ATTRIBUTE_VALUE_INVALID" 'CKR_ATTRIBUTE_VALUE_INVALID' "$WORK/err"
expect "the refusal is the module's" test "$(traced C_CreateObject 0x13)" -eq 1
expect "nothing reached the token" test "$(count_label data quirks npd-public)" -eq 0
expect_status 0 "a private data object is accepted" quirk_user_on quirks \
	--write-object "$WORK/data" --type data --label npd-private --private
expect_status 0 "a certificate is accepted" quirk_user_on quirks \
	--write-object "$WORK/cert.der" --type cert --label npd-cert
expect "both are on the token" test "$(count_label data quirks npd-private)" -eq 1 -a \
	"$(count_label cert quirks npd-cert)" -eq 1
conf ""
expect_status 0 "without the quirk a public data object is accepted" quirk_user_on quirks \
	--write-object "$WORK/data" --type data --label npd-public

# --- no-data: no data objects at all.
conf "quirk no-data" "trace $TRACE"
expect_status 1 "a public data object is refused" quirk_user_on quirks \
	--write-object "$WORK/data" --type data --label nd-public
expect_grep "with CKR_TEMPLATE_INCONSISTENT" 'CKR_TEMPLATE_INCONSISTENT' "$WORK/err"
expect_status 1 "a private data object is refused" quirk_user_on quirks \
	--write-object "$WORK/data" --type data --label nd-private --private
expect_grep "with CKR_TEMPLATE_INCONSISTENT" 'CKR_TEMPLATE_INCONSISTENT' "$WORK/err"
expect "both refusals are the module's" test "$(traced C_CreateObject 0xd1)" -eq 2
expect "nothing reached the token" test "$(count_label data quirks nd-public)" -eq 0 -a \
	"$(count_label data quirks nd-private)" -eq 0
expect_status 0 "a certificate is accepted" quirk_user_on quirks \
	--write-object "$WORK/cert.der" --type cert --label nd-cert

# --- handle-on-failure: a failed call names somebody else's object.
conf "quirk handle-on-failure" "fail C_CreateObject 1 CKR_DEVICE_MEMORY"
expect_status 1 "a data object write made to fail" \
	quirk_probe quirks "$USER_PIN" create-data hof
expect_grep "answers CKR_DEVICE_MEMORY" '^rv=0x31 ' "$WORK/out"
expect_grep "yet its handle names a live object" '^rv=0x31 handle-label=[^(]' "$WORK/out"
expect_no_grep "not the one asked for" 'handle-label=hof$' "$WORK/out"
conf "quirk handle-on-failure" "fail-after C_CreateObject 1 CKR_DEVICE_MEMORY"
expect_status 1 "a write whose answer is lost" \
	quirk_probe quirks "$USER_PIN" create-data hof-lost
expect_grep "names another object than the one it made" \
	'^rv=0x31 handle-label=[^(]' "$WORK/out"
expect_no_grep "not the one it made" 'handle-label=hof-lost$' "$WORK/out"
conf "fail C_CreateObject 1 CKR_DEVICE_MEMORY"
expect_status 1 "without the quirk" quirk_probe quirks "$USER_PIN" create-data hof
expect_grep "the handle of the failed call names nothing" '^rv=0x31 handle-label=\(none\)$' \
	"$WORK/out"

# p11enroll never destroys what a failed certificate write names: the
# objects made beforehand are still there, and the role's key is gone.
new_token hof
expect_status 0 "a data object made beforehand" \
	p11tool_on hof --write-object "$WORK/data" --type data --label bystander
expect_status 0 "a key pair made beforehand" \
	p11tool_on hof --keypairgen --key-type EC:prime256v1 --id 99 --label bystander
objects_of hof >"$WORK/before"
conf "quirk handle-on-failure" "trace $TRACE" "fail C_CreateObject 1 CKR_DEVICE_MEMORY"
expect_status 1 "p11enroll whose certificate write fails" \
	quirk_p11e --token hof enroll tls-server --ca "$CA" --set dns=www.example.org
expect_grep "says the write failed" 'CKR_DEVICE_MEMORY' "$WORK/err"
expect "the failed write was the only object write" test "$(traced C_CreateObject '0x[0-9a-f]+')" -eq 1
expect_unchanged "after the failed enroll" hof

# The same where a key is parked for install: the request's data object
# cannot be written.
conf "quirk handle-on-failure" "trace $TRACE" "fail C_CreateObject 1 CKR_DEVICE_MEMORY"
expect_status 1 "p11enroll request whose request write fails" \
	quirk_p11e --token hof request tls-server --out "$WORK/hof-req.pem" \
	--set dns=www.example.org
expect_grep "says the write failed" 'CKR_DEVICE_MEMORY' "$WORK/err"
expect "the failed write was the only object write" test "$(traced C_CreateObject '0x[0-9a-f]+')" -eq 1
expect_unchanged "after the failed request" hof

# --- attrs-read-only: a key's attributes are fixed once it exists.
conf "quirk attrs-read-only" "trace $TRACE"
expect_status 1 "CKA_SIGN of a private key cannot change" \
	quirk_probe quirks "$USER_PIN" set privkey vnd-rsa sign=false
expect_grep "CKR_ATTRIBUTE_READ_ONLY" 'C_SetAttributeValue: 0x10$' "$WORK/err"
expect_status 1 "nor a public key's CKA_VERIFY" \
	quirk_probe quirks "$USER_PIN" set pubkey vnd-rsa verify=false
expect_grep "CKR_ATTRIBUTE_READ_ONLY" 'C_SetAttributeValue: 0x10$' "$WORK/err"
expect_status 1 "nor a key's CKA_ID" quirk_user_on quirks --type privkey --label vnd-rsa --set-id 4242
expect_grep "CKR_ATTRIBUTE_READ_ONLY" 'CKR_ATTRIBUTE_READ_ONLY' "$WORK/err"
expect "the refusals are the module's" test "$(traced C_SetAttributeValue 0x10)" -eq 3
blocks_of quirks vnd-rsa >"$WORK/ro"
expect_grep "the key still signs on SoftHSM" 'Private Key Object.*Usage: +[a-z, ]*sign' "$WORK/ro"
expect_no_grep "and kept its ID" 'ID: +4242 ' "$WORK/ro"
expect_status 0 "a certificate's attributes still change" quirk_user_on quirks \
	--type cert --label npd-cert --set-id 43

# p11enroll finds it right after generating the key, before the CA is
# asked (the role's label comes only after the certificate), and leaves
# the token as it was. The CA helper records each call.
CALLS=$WORK/ca.calls
printf '#!/bin/sh\necho called >>"%s"\nexec "%s" "%s" "$@"\n' "$CALLS" "$TESTCA" \
	"$WORK/ca" >"$WORK/recording-ca"
chmod +x "$WORK/recording-ca"
new_token fixed
conf ""
expect_status 0 "the recording CA issues without the quirk" quirk_p11e --token fixed \
	enroll user-sign --ca "exec:$WORK/recording-ca" --set name=x --set email=x@example.org
expect "and records its call" test "$(wc -l <"$CALLS")" -eq 1
objects_of fixed >"$WORK/before"
for role in tls-server piv-auth; do
	conf "quirk attrs-read-only" "trace $TRACE"
	: >"$CALLS"
	expect_status 1 "$role is refused where a key's attributes are fixed" quirk_p11e \
		--token fixed enroll "$role" --ca "exec:$WORK/recording-ca" \
		--set dns=www.example.org --set name=x --set upn=x@example.org
	expect_grep "$role: the message says why" \
		"enroll $role on token fixed: .*CKR_ATTRIBUTE_READ_ONLY.*: this module cannot change a key's label or rights once it has generated it, so it cannot hold a role that is complete or absent" \
		"$WORK/err"
	expect_grep "$role: and that the new key was removed" 'the new key was removed$' "$WORK/err"
	expect "$role: the CA was never asked" test ! -s "$CALLS"
	# The first write after generation: CKA_ID with CKA_PUBLIC_KEY_INFO,
	# and once refused CKA_ID alone, which decides; a fixed id
	# (piv-auth) writes its pending label once.
	case $role in piv-auth) writes=1 ;; *) writes=2 ;; esac
	expect "$role: $writes writes, each refused by the module" \
		test "$(traced C_SetAttributeValue '0x[0-9a-f]+')" -eq "$writes" -a \
		"$(traced C_SetAttributeValue 0x10)" -eq "$writes"
	expect_unchanged "$role refused" fixed
done

# --- so-keygen: keys and objects are made and removed by the SO only.
conf "quirk so-keygen" "so-keygen-user-pin $USER_PIN" "trace $TRACE"
expect_status 1 "the user cannot generate a key pair" quirk_user_on quirks \
	--keypairgen --key-type EC:prime256v1 --label sk-user
expect_grep "CKR_USER_NOT_LOGGED_IN" 'CKR_USER_NOT_LOGGED_IN' "$WORK/err"
expect_status 1 "nor write an object" quirk_user_on quirks \
	--write-object "$WORK/data" --type data --label sk-user --private
expect_grep "CKR_USER_NOT_LOGGED_IN" 'CKR_USER_NOT_LOGGED_IN' "$WORK/err"
expect_status 1 "nor delete one" quirk_user_on quirks --delete-object --type data --label npd-public
expect_grep "CKR_USER_NOT_LOGGED_IN" 'CKR_USER_NOT_LOGGED_IN' "$WORK/err"
expect "the refusals are the module's" test "$(traced '(C_GenerateKeyPair|C_CreateObject|C_DestroyObject)' 0x101)" -eq 3
expect_status 1 "nor can anyone logged out" quirk_tool_on quirks \
	--write-object "$WORK/data" --type data --label sk-nobody
expect_status 0 "the SO generates a key pair" quirk_tool_on quirks --login --login-type so \
	--so-pin "$SO_PIN" --keypairgen --key-type EC:prime256v1 --label sk-so
blocks_of quirks sk-so >"$WORK/so"
expect_grep "a private key, as SoftHSM's user made it" 'Private Key Object; EC' "$WORK/so"
expect_status 0 "the SO writes a private data object" quirk_tool_on quirks --login \
	--login-type so --so-pin "$SO_PIN" --write-object "$WORK/data" --type data \
	--label sk-so-data --private
expect_status 0 "the SO deletes an object" quirk_tool_on quirks --login --login-type so \
	--so-pin "$SO_PIN" --delete-object --type data --label npd-public
expect "it is gone" test "$(count_label data quirks npd-public)" -eq 0
expect_status 1 "a wrong SO PIN is refused" quirk_tool_on quirks --login --login-type so \
	--so-pin 00000000 --keypairgen --key-type EC:prime256v1 --label sk-wrong
expect_grep "with CKR_PIN_INCORRECT" 'CKR_PIN_INCORRECT' "$WORK/err"
expect "and made nothing" test "$(count_label privkey quirks sk-wrong)" -eq 0
expect_status 1 "a user login over the SO's" \
	quirk_probe quirks "so:$SO_PIN" login-user "$USER_PIN"
expect_grep "answers CKR_USER_ANOTHER_ALREADY_LOGGED_IN, the session in SO state" \
	'^rv=0x104 state=4$' "$WORK/out"
expect_status 0 "the SO's session makes objects" \
	quirk_probe quirks "so:$SO_PIN" create-data sk-probe
conf "quirk so-keygen" "so-keygen-user-pin 9999" "trace $TRACE"
expect_status 1 "a so-keygen-user-pin the target refuses" quirk_tool_on quirks --login \
	--login-type so --so-pin "$SO_PIN" --keypairgen --key-type EC:prime256v1 --label sk-bad
expect_grep "is said on stderr" '^p11fault: so-keygen: the target refused' "$WORK/err"
expect_grep "and the SO login fails" 'CKR_GENERAL_ERROR' "$WORK/err"
expect_status 0 "the real token still takes the user PIN" p11tool_on quirks --list-objects

# ---- null-unavailable: NULL over the buffer of a missing attribute --------
# tpm2-pkcs11 writes NULL into pValue of an attribute the object lacks
# (an EC key's CKA_MODULUS); status reads every object's attributes in one
# call and must not lose its buffers to it (the sanitizer passes see a
# leak).
new_token nullattr
expect_status 0 "enroll tls-server for the status that follows" \
	p11e --token nullattr enroll tls-server --ca "$CA" --set dns=nullattr.example.org
conf "quirk null-unavailable" "trace $TRACE"
expect_status 0 "status through a module that writes NULL over missing attributes" \
	quirk_p11e --token nullattr status
expect_grep "the role is seen whole" '^tls-server +enrolled +ec-p256 ' "$WORK/out"
expect "the object reads went through the module" \
	test "$(traced C_GetAttributeValue 0x12)" -gt 0

# ---- no-mechanism-list: a module older than CKA_ALLOWED_MECHANISMS ----------
# The quirk alone, with pkcs11-tool: a key pair with a list is refused;
# p11enroll through it is in mechanisms.sh.
new_token nolist
conf "quirk no-mechanism-list" "trace $TRACE"
expect_status 1 "a key pair with a list of mechanisms is refused" quirk_user_on nolist \
	--keypairgen --key-type EC:prime256v1 --label nl-list --allowed-mechanisms ECDSA
expect "with CKR_ATTRIBUTE_TYPE_INVALID, by the module" \
	test "$(traced C_GenerateKeyPair 0x12)" -eq 1
expect "nothing was made" test "$(count_label privkey nolist nl-list)" -eq 0
expect_status 0 "one without is made" quirk_user_on nolist --keypairgen \
	--key-type EC:prime256v1 --label nl-plain
conf "trace $TRACE"
expect_status 0 "without the quirk the list is taken" quirk_user_on nolist \
	--keypairgen --key-type EC:prime256v1 --label nl-list --allowed-mechanisms ECDSA
expect_grep "and kept" 'Allowed mechanisms: ECDSA' "$WORK/out"

finish
