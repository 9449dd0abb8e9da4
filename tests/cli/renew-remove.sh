# SPDX-License-Identifier: MIT
# renew-remove.sh - renew rotates one role's key and certificate without
# touching the others; remove deletes one role's objects and nothing else;
# every refusal leaves the token as it was.
. "$top_srcdir/tests/cli/lib.sh"

new_token card
new_ca
CA="exec:$TESTCA $WORK/ca"

expect_status 0 "enroll the smartcard-user set" \
	p11e --token card enroll smartcard-user --ca "$CA" \
	--set "name=Alice Example" --set upn=alice@example.org \
	--set email=alice@example.org

# The ID of the object of TYPE ("Private Key", ...) labelled LABEL.
id_of() {
	role_blocks "$2" "$3" | grep "^$1 Object" | sed -n 's/.*|   ID: *\([0-9a-f]*\).*/\1/p'
}

# Save certificate labelled $1 on card as $2.der/.pem and what it says.
save_cert() {
	rm -f "$2.der"
	p11tool_on card --read-object --type cert --label "$1" -o "$2.der" >/dev/null
	openssl x509 -inform DER -in "$2.der" -out "$2.pem"
	openssl x509 -in "$2.pem" -noout -pubkey >"$2.pub"
	openssl x509 -in "$2.pem" -noout -subject -nameopt RFC2253 >"$2.subject"
	openssl x509 -in "$2.pem" -noout -ext subjectAltName,keyUsage,extendedKeyUsage \
		>"$2.ext"
}

# unchanged DESCRIPTION: the whole listing is as in $WORK/before.
unchanged() {
	expect_unchanged "$1" card
}

objects_of card >"$WORK/enrolled"
for role in user-auth user-sign user-encrypt; do
	save_cert "$role" "$WORK/old-$role"
done
old_sign_id=$(id_of "Private Key" user-sign "$WORK/enrolled")

# ---- renew one role ----
expect_status 0 "renew user-sign" p11e --token card --json renew user-sign --ca "$CA" \
	--trust "$WORK/ca/root.pem"
cp "$WORK/out" "$WORK/renew.json"
objects_of card >"$WORK/renewed"
new_sign_id=$(id_of "Private Key" user-sign "$WORK/renewed")

for role in user-auth user-encrypt; do
	role_blocks "$role" "$WORK/enrolled" >"$WORK/blocks-before"
	role_blocks "$role" "$WORK/renewed" >"$WORK/blocks-after"
	if [ "$(wc -l <"$WORK/blocks-before")" -eq 3 ] &&
		cmp -s "$WORK/blocks-before" "$WORK/blocks-after"; then
		ok "$role: its three objects are untouched"
	else
		not_ok "$role: its objects changed"
		diff "$WORK/blocks-before" "$WORK/blocks-after" | sed 's/^/#   /'
	fi
	save_cert "$role" "$WORK/new-$role"
	expect "$role: its certificate is the same DER" \
		cmp -s "$WORK/old-$role.der" "$WORK/new-$role.der"
done

save_cert user-sign "$WORK/new-user-sign"
if [ -n "$new_sign_id" ] && [ "$new_sign_id" != "$old_sign_id" ]; then
	ok "user-sign: a new CKA_ID ($new_sign_id)"
else
	not_ok "user-sign: CKA_ID '$new_sign_id', was '$old_sign_id'"
fi
for type in "Public Key" "Certificate"; do
	id=$(id_of "$type" user-sign "$WORK/renewed")
	if [ "$id" = "$new_sign_id" ]; then
		ok "user-sign: the $type object has the new key's CKA_ID"
	else
		not_ok "user-sign: the $type object has CKA_ID '$id'"
	fi
done
if cmp -s "$WORK/old-user-sign.pub" "$WORK/new-user-sign.pub"; then
	not_ok "user-sign: the certificate still certifies the old key"
else
	ok "user-sign: a new key"
fi
if cmp -s "$WORK/old-user-sign.der" "$WORK/new-user-sign.der"; then
	not_ok "user-sign: the certificate is the old one"
else
	ok "user-sign: a new certificate"
fi
expect "user-sign: same subject" cmp -s "$WORK/old-user-sign.subject" \
	"$WORK/new-user-sign.subject"
expect "user-sign: same SANs, key usage and extended key usage" \
	cmp -s "$WORK/old-user-sign.ext" "$WORK/new-user-sign.ext"
expect_grep "user-sign: still e-mail protection" '^ +E-mail Protection$' \
	"$WORK/new-user-sign.ext"
expect_grep "user-sign: still the e-mail SAN" 'email:alice@example.org' \
	"$WORK/new-user-sign.ext"
expect "user-sign: the new certificate chains to the test CA" sh -c \
	'openssl verify -CAfile "$1" -untrusted "$2" "$3" >/dev/null' - \
	"$WORK/ca/root.pem" "$WORK/ca/ca.pem" "$WORK/new-user-sign.pem"
role_blocks user-sign "$WORK/renewed" | grep '^Private Key Object' >"$WORK/priv-sign"
expect_grep "user-sign: the new key's usage is exactly sign" '\|   Usage: +sign \|' \
	"$WORK/priv-sign"
expect_grep "user-sign: sensitive and never extractable" \
	'Access: +sensitive, always sensitive, never extractable, local' "$WORK/priv-sign"
if [ "$(role_blocks user-sign "$WORK/renewed" | wc -l)" -eq 3 ]; then
	ok "user-sign: one key pair and one certificate"
else
	not_ok "user-sign: not three objects"
fi
expect_no_grep "no pending or retired object is left" \
	'label: +(pending|retired):' "$WORK/renewed"
expect "the JSON document: renewed user-sign, nothing retired" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["token"]["label"] == "card", doc["token"]
r = doc["renewed"]
assert len(r) == 1 and r[0]["role"] == "user-sign", r
assert r[0]["id"] == sys.argv[2], (r[0]["id"], sys.argv[2])
assert r[0]["certificate"]["extended_key_usage"] == ["emailProtection"], r
assert doc["retired"] is None, doc["retired"]
assert "error" not in doc
' "$WORK/renew.json" "$new_sign_id"

# ---- --keep-old ----
expect_status 0 "renew user-sign --keep-old" \
	p11e --token card renew user-sign --ca "$CA" --keep-old
expect_grep "the line names the renewed role" '^renewed user-sign: ec-p256 key ' \
	"$WORK/out"
expect_grep "the line names the kept key" "kept the old key $new_sign_id" "$WORK/out"
objects_of card >"$WORK/kept"
role_blocks retired:user-sign "$WORK/kept" >"$WORK/retired"
if [ "$(wc -l <"$WORK/retired")" -eq 3 ] &&
	[ "$(grep -c "|   ID: *$new_sign_id" "$WORK/retired")" -eq 3 ]; then
	ok "the old key pair and certificate are under retired:user-sign"
else
	not_ok "retired:user-sign does not hold the old three objects"
	sed 's/^/#   /' "$WORK/retired"
fi
save_cert retired:user-sign "$WORK/retired-user-sign"
expect "the retired certificate is the one renewed" \
	cmp -s "$WORK/new-user-sign.der" "$WORK/retired-user-sign.der"
kept_id=$(id_of "Private Key" user-sign "$WORK/kept")
if [ -n "$kept_id" ] && [ "$kept_id" != "$new_sign_id" ]; then
	ok "user-sign has a third key"
else
	not_ok "user-sign key after --keep-old: '$kept_id'"
fi

# ---- --set: the templates, not the current certificate ----
expect_status 2 "renew --set with a variable missing is a usage error" \
	p11e --token card renew user-sign --ca "$CA" --set "name=Alice Renamed"
expect_grep "the missing variable is named" 'email' "$WORK/err"
expect_status 0 "renew user-sign with a new name" \
	p11e --token card renew user-sign --ca "$CA" --set "name=Alice Renamed" \
	--set email=alice.renamed@example.org
save_cert user-sign "$WORK/renamed"
expect_grep "the new subject" '^subject=CN=Alice Renamed$' "$WORK/renamed.subject"
expect_grep "the new e-mail SAN" 'email:alice.renamed@example.org' "$WORK/renamed.ext"
expect_grep "key usage from the profile" 'Digital Signature, Non Repudiation' \
	"$WORK/renamed.ext"

# ---- the order of the writes, as OpenSC's pkcs11-spy sees the calls ----
# What a run did to object labels, in order: gen LABEL, create CLASS
# LABEL, label WHO LABEL, destroy WHO, where WHO is new-key, new-cert or
# old. The two halves of the new key pair may take their label in either
# order, so they make one line.
spy_events() {
	"$PYTHON" - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1], errors="replace").read().split("\n")
calls, cur = [], None
for i, line in enumerate(lines):
    m = re.match(r"^\d+: (C_\w+)", line)
    if m:
        cur = {"fn": m.group(1), "labels": []}
        calls.append(cur)
        continue
    if cur is None:
        continue
    m = re.match(r"^\[(in|out)\] \*?(\w+) = (0x[0-9a-f]+)", line)
    if m:
        cur[m.group(2)] = int(m.group(3), 16)
    m = re.match(r"^ +CKA_CLASS +(\w+)", line)
    if m:
        cur["class"] = m.group(1)
    if re.match(r"^ +CKA_LABEL ", line):
        cur["labels"].append(bytes.fromhex("".join(lines[i + 1].split())).decode())
new_keys, new_cert, out = set(), None, []
def who(h):
    return "new-key" if h in new_keys else "new-cert" if h == new_cert else "old"
for c in calls:
    if c["fn"] == "C_GenerateKeyPair" and "hPrivateKey" in c:
        new_keys = {c["hPublicKey"], c["hPrivateKey"]}
        out.append("gen " + c["labels"][0])
    elif c["fn"] == "C_CreateObject" and c["labels"]:
        if c.get("class") == "CKO_CERTIFICATE":
            new_cert = c.get("phObject")
        out.append("create %s %s" % (c.get("class"), c["labels"][0]))
    elif c["fn"] == "C_SetAttributeValue" and c["labels"]:
        ev = "label %s %s" % (who(c["hObject"]), c["labels"][0])
        if ev.startswith("label new-key") and out and out[-1] == ev:
            out[-1] = ev + " (pair)"
        else:
            out.append(ev)
    elif c["fn"] == "C_DestroyObject":
        out.append("destroy " + who(c["hObject"]))
print("\n".join(out))
PY
}

SPY=
for f in /usr/lib/*/pkcs11-spy.so /usr/lib/*/pkcs11/pkcs11-spy.so; do
	if [ -r "$f" ]; then SPY=$f; break; fi
done
# spied ARGS...: p11enroll through the spy, which logs to $WORK/spy.log.
# The spy itself leaks (the module is not finalised through it), so
# LeakSanitizer is off for these runs.
spied() {
	rm -f "$WORK/spy.log"
	ASAN_OPTIONS=detect_leaks=0 PKCS11SPY=$SOFTHSM2_MODULE \
		PKCS11SPY_OUTPUT=$WORK/spy.log \
		p11e --module "$SPY" "$@"
}
# expect_events DESCRIPTION: the events of $WORK/spy.log are the lines
# on stdin.
expect_events() {
	cat >"$WORK/events.want"
	spy_events "$WORK/spy.log" >"$WORK/events.got"
	if cmp -s "$WORK/events.want" "$WORK/events.got"; then
		ok "$1"
	else
		not_ok "$1"
		diff "$WORK/events.want" "$WORK/events.got" | sed 's/^/#   /'
	fi
}
if [ -n "$SPY" ]; then
	new_token spied
	expect_status 0 "enroll through pkcs11-spy" spied --token spied enroll tls-client \
		--ca "$CA" --set cn=agent
	# The issuing CA's certificate goes on the token once the role is in;
	# renew finds it there already.
	expect_events "enroll: certificate under pending, then keys, then certificate, then its CA" <<'EOF'
gen pending:tls-client
create CKO_CERTIFICATE pending:tls-client
label new-key tls-client (pair)
label new-cert tls-client
create CKO_CERTIFICATE p11enroll test issuing CA
create CKO_DATA tls-client
EOF
	expect_status 0 "renew through pkcs11-spy" spied --token spied renew tls-client \
		--ca "$CA"
	expect_events "renew: new pending, old retired, new labelled, old deleted" <<'EOF'
gen pending:tls-client
create CKO_CERTIFICATE pending:tls-client
label old retired:tls-client
label old retired:tls-client
label old retired:tls-client
label new-key tls-client (pair)
label new-cert tls-client
destroy old
destroy old
destroy old
create CKO_DATA tls-client
destroy old
EOF
	expect_status 0 "renew --keep-old through pkcs11-spy" spied --token spied renew \
		tls-client --ca "$CA" --keep-old
	expect_events "renew --keep-old: the old objects stay retired, the record is the new one's" <<'EOF'
gen pending:tls-client
create CKO_CERTIFICATE pending:tls-client
label old retired:tls-client
label old retired:tls-client
label old retired:tls-client
label new-key tls-client (pair)
label new-cert tls-client
create CKO_DATA tls-client
destroy old
EOF
	expect_status 1 "renew with a failing check through pkcs11-spy" spied --token spied \
		renew tls-client --ca "exec:$FIXTURES/ca-bad.sh mixed-eku $WORK/ca" </dev/null
	expect_events "a failed renew touches only its own new key" <<'EOF'
gen pending:tls-client
destroy new-key
destroy new-key
EOF
else
	not_ok "OpenSC's pkcs11-spy.so not found (package opensc-pkcs11): the order of the writes is not checked"
fi

# ---- refusals: nothing changes ----
objects_of card >"$WORK/before"
expect_status 1 "renew of a role not on the token" \
	p11e --token card renew tls-server --ca "$CA"
expect_grep "it says so and points at enroll" \
	'role tls-server is not on token card; use enroll' "$WORK/err"
unchanged "renew of a role not on the token"

expect_status 2 "renew of a role set" \
	p11e --token card renew smartcard-user --ca "$CA" </dev/null
expect_grep "renew takes one role" 'role set.*one role' "$WORK/err"
unchanged "renew of a role set"

expect_status 1 "renew whose CA rejects" \
	p11e --token card renew user-sign --ca "exec:$FIXTURES/ca-exit.sh 2 request denied by policy" </dev/null
expect_grep "the CA's refusal is reported" 'rejected' "$WORK/err"
expect_grep "the old role is as it was" 'the new key was removed; the old key and certificate are as they were' "$WORK/err"
unchanged "renew whose CA rejects"

expect_status 1 "renew whose CA adds extended key usages" \
	p11e --token card renew user-sign --ca "exec:$FIXTURES/ca-bad.sh extra-eku $WORK/ca" \
	</dev/null
expect_grep "the eku check fails" 'certificate check eku failed' "$WORK/err"
unchanged "renew whose CA adds extended key usages"

expect_status 1 "renew whose CA mixes TLS server and client" \
	p11e --token card renew user-auth --ca "exec:$FIXTURES/ca-bad.sh mixed-eku $WORK/ca" \
	</dev/null
expect_grep "the eku check fails on serverAuth" \
	'certificate check eku failed: serverAuth' "$WORK/err"
unchanged "renew whose CA mixes TLS server and client"

# user-auth's EC key: the check is the same for every role, and the
# user-encrypt's RSA-2048 key takes minutes under valgrind.
expect_status 1 "renew whose CA certifies another key" \
	p11e --token card renew user-auth --ca "exec:$FIXTURES/ca-bad.sh wrong-key $WORK/ca" \
	</dev/null
expect_grep "the public-key check fails" 'certificate check public-key failed' "$WORK/err"
unchanged "renew whose CA certifies another key"

expect_status 1 "remove of a role not on the token" \
	p11e --token card remove tls-server --yes </dev/null
expect_grep "it says so" '^p11enroll: remove: role tls-server is not on token card$' \
	"$WORK/err"
unchanged "remove of a role not on the token"

expect_status 2 "remove without --yes and no terminal" \
	p11e --token card remove user-encrypt </dev/null
expect_grep "it asks for --yes" 'remove deletes keys; give --yes when not on a terminal' \
	"$WORK/err"
unchanged "remove without --yes"

expect_status 2 "remove of a label with a state prefix" \
	p11e --token card remove pending:user-sign --yes </dev/null
unchanged "remove pending:user-sign"

# A role whose objects are not a whole role: a key pair without a
# certificate, made by another tool.
p11tool_on card --keypairgen --key-type EC:prime256v1 --label tls-client --id 0c >/dev/null
objects_of card >"$WORK/before"
expect_status 1 "renew of a key without certificate" \
	p11e --token card renew tls-client --ca "$CA" --set cn=agent </dev/null
expect_grep "it says the role is not complete" \
	'role tls-client on token card is not complete' "$WORK/err"
unchanged "renew of a key without certificate"

# ---- remove ----
if command -v script >/dev/null 2>&1; then
	# On a terminal it lists what goes and asks; anything but y keeps it.
	printf 'n\n' | script -qec "\"$P11ENROLL\" --pin-source file:$PIN_FILE \
		--token card remove tls-client" /dev/null >"$WORK/tty" 2>&1 || :
	expect_grep "on a terminal it asks" \
		'Delete 2 objects of role tls-client from token card\? \[y/N\]' "$WORK/tty"
	expect_grep "it lists the private key" 'private key +tls-client +0c' "$WORK/tty"
	unchanged "remove answered n"
	printf 'y\n' | script -qec "\"$P11ENROLL\" --pin-source file:$PIN_FILE \
		--token card remove tls-client" /dev/null >"$WORK/tty" 2>&1 || :
	expect_grep "y deletes" 'removed tls-client: 2 objects' "$WORK/tty"
else
	p11e --token card remove tls-client --yes >/dev/null
fi

objects_of card >"$WORK/before"
expect_status 0 "remove --yes user-encrypt" \
	p11e --token card --json remove user-encrypt --yes </dev/null
expect "the JSON document counts four objects: key pair, certificate, record" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["token"]["label"] == "card"
assert doc["removed"] == {"role": "user-encrypt", "objects": 4}, doc["removed"]
' "$WORK/out"
objects_of card >"$WORK/removed"
expect_no_grep "no user-encrypt object is left" 'label: +user-encrypt$' "$WORK/removed"
for label in user-auth user-sign retired:user-sign; do
	role_blocks "$label" "$WORK/before" >"$WORK/blocks-before"
	role_blocks "$label" "$WORK/removed" >"$WORK/blocks-after"
	expect "$label: unchanged by remove user-encrypt" \
		cmp -s "$WORK/blocks-before" "$WORK/blocks-after"
done
if [ "$(grep -c '^[A-Z].*[Oo]bject' "$WORK/before")" -eq \
	$(($(grep -c '^[A-Z].*[Oo]bject' "$WORK/removed") + 4)) ]; then
	ok "exactly four objects went"
else
	not_ok "not exactly four objects went"
fi

# A pending key (as a killed run leaves it) is status --repair's, never
# remove's; retired objects go only with --retired.
p11tool_on card --keypairgen --key-type EC:prime256v1 --label pending:user-sign \
	--id ee >/dev/null
expect_status 1 "renew with a pending key is refused" \
	p11e --token card renew user-sign --ca "$CA" </dev/null
expect_grep "it points at status --repair" 'status --repair' "$WORK/err"
expect_status 0 "remove --yes user-sign" p11e --token card remove user-sign --yes
expect_grep "four objects" '^removed user-sign: 4 objects$' "$WORK/out"
objects_of card >"$WORK/after-remove"
expect_no_grep "no user-sign object is left" 'label: +user-sign$' "$WORK/after-remove"
if [ "$(role_blocks pending:user-sign "$WORK/after-remove" | wc -l)" -eq 2 ]; then
	ok "the pending key pair is left alone"
else
	not_ok "the pending key pair was touched"
fi
if [ "$(role_blocks retired:user-sign "$WORK/after-remove" | wc -l)" -eq 3 ]; then
	ok "the retired objects are kept without --retired"
else
	not_ok "the retired objects went without --retired"
fi
expect_status 1 "remove again: nothing of the role is left" \
	p11e --token card remove user-sign --yes
expect_grep "it mentions the retired and pending objects" \
	'give --retired.*status --repair' "$WORK/err"
expect_status 0 "remove --retired" p11e --token card remove user-sign --yes --retired
expect_grep "the three retired objects" '^removed user-sign: 3 objects$' "$WORK/out"
objects_of card >"$WORK/after-retired"
if [ "$(role_blocks pending:user-sign "$WORK/after-retired" | wc -l)" -eq 2 ] &&
	! grep -Eq 'label: +retired:' "$WORK/after-retired"; then
	ok "retired gone, pending still there"
else
	not_ok "after remove --retired"
fi

# A key awaiting its certificate goes with the request stored beside it.
expect_status 0 "request tls-server" p11e --token card request tls-server \
	--set dns=www.example.org --out "$WORK/tls-server.csr"
expect_status 1 "renew of a role that only awaits its certificate" \
	p11e --token card renew tls-server --ca "$CA" </dev/null
expect_status 0 "remove the awaiting role" p11e --token card remove tls-server --yes
expect_grep "key pair and request" '^removed tls-server: 3 objects$' "$WORK/out"
objects_of card >"$WORK/after-awaiting"
expect_no_grep "nothing awaits any more" 'awaiting:' "$WORK/after-awaiting"

# Objects that another tool made: the name is their label.
p11tool_on card --keypairgen --key-type EC:prime256v1 --label 'vpn key' --id 0f >/dev/null
expect_status 0 "remove a label that is no profile" \
	p11e --token card remove 'vpn key' --yes
expect_grep "its two objects" "^removed vpn key: 2 objects$" "$WORK/out"

# A profile with a label of its own: renew and remove go by the label.
mkdir "$WORK/profiles"
cp "$top_srcdir"/profiles/*.profile "$WORK/profiles/"
sed 's/^algorithm = ec-p256$/&\nlabel = sig-key/' "$top_srcdir/profiles/user-sign.profile" \
	>"$WORK/profiles/signer.profile"
expect_status 0 "enroll a role labelled sig-key" \
	p11e --profiles "$WORK/profiles" --token card enroll signer --ca "$CA" \
	--set "name=Bob Example" --set email=bob@example.org
expect_status 0 "renew it" p11e --profiles "$WORK/profiles" --token card renew signer \
	--ca "$CA"
objects_of card >"$WORK/signer"
if [ "$(role_blocks sig-key "$WORK/signer" | wc -l)" -eq 3 ]; then
	ok "renewed under its label"
else
	not_ok "sig-key does not hold three objects"
fi
expect_status 0 "remove it" p11e --profiles "$WORK/profiles" --token card remove signer \
	--yes
expect_grep "four objects" '^removed signer: 4 objects$' "$WORK/out"

# What renew keeps (or could not delete) goes alone with --only-retired,
# which is what renew's warning and status's finding say to run.
# code-signing with an EC key: the key type plays no part here, and
# under valgrind (the valgrind pass runs this test) SoftHSM takes minutes
# to make its two RSA-3072 keys.
sed 's/^algorithm = rsa-3072$/algorithm = ec-p384/' "$top_srcdir/profiles/code-signing.profile" \
	>"$WORK/profiles/code-signing.profile"
expect_status 0 "enroll code-signing" p11e --profiles "$WORK/profiles" --token card \
	enroll code-signing --ca "$CA" --set name=builder --set org=Example
expect_status 0 "renew it, keeping the old pair" p11e --profiles "$WORK/profiles" \
	--token card renew code-signing --ca "$CA" --keep-old
p11e --profiles "$WORK/profiles" --token card status >"$WORK/status" || :
expect_grep "status points at --only-retired" \
	'key-retired: .*p11enroll remove --only-retired deletes it' "$WORK/status"
expect_status 2 "--retired and --only-retired together are refused" \
	p11e --profiles "$WORK/profiles" --token card remove code-signing --yes --retired \
	--only-retired
expect_status 0 "remove --only-retired" \
	p11e --profiles "$WORK/profiles" --token card remove code-signing --yes --only-retired
expect_grep "the three retired objects" '^removed code-signing: 3 objects$' "$WORK/out"
objects_of card >"$WORK/only-retired"
if [ "$(role_blocks code-signing "$WORK/only-retired" | wc -l)" -eq 3 ] &&
	! grep -Eq 'label: +retired:code-signing' "$WORK/only-retired"; then
	ok "the renewed role stays whole, the retired pair is gone"
else
	not_ok "after remove --only-retired"
fi
expect_status 1 "remove --only-retired with nothing retired" \
	p11e --profiles "$WORK/profiles" --token card remove code-signing --yes --only-retired
expect_grep "it says so" 'role code-signing has no retired objects on token card' \
	"$WORK/err"

finish
