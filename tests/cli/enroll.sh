# SPDX-License-Identifier: MIT
# enroll.sh - tls-server and tls-client on one token, cross-checked with
# pkcs11-tool and openssl.
. "$top_srcdir/tests/cli/lib.sh"

new_token alice
new_ca
CA="exec:$TESTCA $WORK/ca"

expect_status 0 "enroll tls-server and tls-client" \
	p11e --token alice enroll tls-server tls-client --ca "$CA" \
	--trust "$WORK/ca/root.pem" --set dns=www.example.org --set cn=alice
expect_grep "tls-server reported" '^enrolled tls-server: ec-p256 key [0-9a-f]{40}' "$WORK/out"
expect_grep "tls-client reported" '^enrolled tls-client: ec-p256 key [0-9a-f]{40}' "$WORK/out"

# The token as pkcs11-tool sees it, logged in and not.
objects_of alice >"$WORK/objects"
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label alice -O \
	>"$WORK/public-objects" 2>/dev/null

# One block of pkcs11-tool's listing: the object of TYPE labelled LABEL.
block() {
	awk -v type="$1" -v label="$2" '
		/^[A-Z][a-zA-Z]* .*Object/ { if (keep) exit; cur = $0; inblk = index($0, type) == 1; next }
		inblk && $1 == "label:" && $2 == label { keep = 1; print cur }
		inblk && keep { print }
	' "$3"
}

for role in tls-server tls-client; do
	block "Private Key Object" "$role" "$WORK/objects" >"$WORK/priv-$role"
	block "Certificate Object" "$role" "$WORK/objects" >"$WORK/cert-$role"
	block "Public Key Object" "$role" "$WORK/objects" >"$WORK/pub-$role"
	expect_grep "$role: private key present" 'Private Key Object; EC' "$WORK/priv-$role"
	expect_grep "$role: private key sign-only" '^  Usage: +sign$' "$WORK/priv-$role"
	expect_grep "$role: private key sensitive, never extractable" \
		'^  Access: +sensitive, always sensitive, never extractable, local$' \
		"$WORK/priv-$role"
	block "Private Key Object" "$role" "$WORK/public-objects" >"$WORK/priv-public-$role"
	expect_no_grep "$role: private key not visible without login (CKA_PRIVATE)" \
		"label: +$role\$" "$WORK/priv-public-$role"
	expect_grep "$role: certificate present" 'Certificate Object; type = X.509 cert' "$WORK/cert-$role"
	key_id=$(sed -n 's/^  ID: *//p' "$WORK/priv-$role")
	cert_id=$(sed -n 's/^  ID: *//p' "$WORK/cert-$role")
	pub_id=$(sed -n 's/^  ID: *//p' "$WORK/pub-$role")
	if [ -n "$key_id" ] && [ "$key_id" = "$cert_id" ] && [ "$key_id" = "$pub_id" ]; then
		ok "$role: key, public key and certificate share CKA_ID $key_id"
	else
		not_ok "$role: CKA_ID differs: key '$key_id' cert '$cert_id' pub '$pub_id'"
	fi

	# The certificate and public key as openssl sees them.
	p11tool_on alice --read-object --type cert --label "$role" -o "$WORK/$role.der"
	p11tool_on alice --read-object --type pubkey --label "$role" -o "$WORK/$role.pub.der"
	openssl x509 -inform DER -in "$WORK/$role.der" -out "$WORK/$role.pem"
	openssl x509 -in "$WORK/$role.pem" -noout -ext extendedKeyUsage,keyUsage,basicConstraints \
		>"$WORK/$role.ext" 2>&1
	expect "$role: chains to the test CA" sh -c 'openssl verify -CAfile "$1" \
		-untrusted "$2" -purpose any "$3" >/dev/null' - "$WORK/ca/root.pem" \
		"$WORK/ca/ca.pem" "$WORK/$role.pem"
	openssl x509 -in "$WORK/$role.pem" -noout -pubkey >"$WORK/$role.certkey"
	openssl pkey -pubin -inform DER -in "$WORK/$role.pub.der" >"$WORK/$role.tokenkey"
	expect "$role: certificate key is the token's public key" \
		cmp -s "$WORK/$role.certkey" "$WORK/$role.tokenkey"
	# The request the CA received, kept by the test CA.
	found=
	for c in "$WORK"/ca/issued/*.csr; do
		openssl req -in "$c" -noout -pubkey >"$WORK/csrkey"
		if cmp -s "$WORK/csrkey" "$WORK/$role.certkey"; then
			found=$c
			openssl req -in "$c" -noout -verify >/dev/null 2>&1 && found="$c verified"
		fi
	done
	case $found in
	*verified) ok "$role: the request carried this key and its signature verifies" ;;
	*) not_ok "$role: no verified request for this key at the CA ($found)" ;;
	esac
done

# GnuTLS's p11tool finds each pair by its URI, sees the same flags, and
# signs with the private key against the public key and the certificate.
for role in tls-server tls-client; do
	GNUTLS_PIN=$USER_PIN p11tool --provider "$SOFTHSM2_MODULE" --login --list-privkeys \
		"pkcs11:token=alice;object=$role" >"$WORK/p11tool-$role" 2>/dev/null || :
	expect_grep "p11tool: $role private key is private, sensitive, never extractable" \
		'Flags: CKA_PRIVATE; CKA_NEVER_EXTRACTABLE; CKA_SENSITIVE;' "$WORK/p11tool-$role"
	uri=$(sed -n 's/^[[:space:]]*URL: //p' "$WORK/p11tool-$role")
	GNUTLS_PIN=$USER_PIN p11tool --provider "$SOFTHSM2_MODULE" --login --test-sign "$uri" \
		>"$WORK/p11tool-sign-$role" 2>&1 || :
	expect_grep "p11tool: $role key signs and verifies against its public key" \
		'Verifying against public key in the token\.\.\. ok' "$WORK/p11tool-sign-$role"
done

expect_grep "tls-server: serverAuth" 'TLS Web Server Authentication' "$WORK/tls-server.ext"
expect_no_grep "tls-server: no clientAuth" 'Client Authentication' "$WORK/tls-server.ext"
expect_grep "tls-client: clientAuth" 'TLS Web Client Authentication' "$WORK/tls-client.ext"
expect_no_grep "tls-client: no serverAuth" 'Server Authentication' "$WORK/tls-client.ext"
expect_grep "not a CA" 'CA:FALSE' "$WORK/tls-server.ext"
expect_grep "key usage digitalSignature only" '^ +Digital Signature$' "$WORK/tls-server.ext"
openssl x509 -in "$WORK/tls-server.pem" -noout -ext subjectAltName >"$WORK/san" 2>&1
expect_grep "tls-server: SAN as asked" 'DNS:www.example.org' "$WORK/san"

# Different keys for the two roles.
if cmp -s "$WORK/tls-server.certkey" "$WORK/tls-client.certkey"; then
	not_ok "the two roles share a key"
else
	ok "each role has its own key"
fi

# status shows both roles, as a table and as JSON.
expect_status 0 "status" p11e --token alice status
expect_grep "status lists tls-server" '^tls-server +enrolled +ec-p256 ' "$WORK/out"
expect_grep "status lists tls-client" '^tls-client +enrolled +ec-p256 ' "$WORK/out"
expect_status 0 "status --json" p11e --token alice --json status
expect "status --json is JSON with both roles" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
roles = {r["role"]: r for r in doc["roles"]}
assert set(roles) == {"tls-server", "tls-client"}, roles
assert [c["extended_key_usage"] for c in roles["tls-server"]["certificates"]] == [["serverAuth"]]
assert [c["extended_key_usage"] for c in roles["tls-client"]["certificates"]] == [["clientAuth"]]
assert all(r["state"] == "enrolled" and r["key"]["algorithm"] == "ec-p256" for r in roles.values())
assert all(r["key"]["capabilities"] == ["sign"] for r in roles.values())
assert all(r["findings"] == [] for r in roles.values()), roles
assert doc["summary"] == {"roles": 2, "errors": 0, "warnings": 0, "infos": 0}, doc["summary"]
assert doc["token"]["label"] == "alice"
' "$WORK/out"

# A role already on the token is never touched: the second run refuses.
objects_of alice >"$WORK/before"
expect_status 6 "enrolling tls-server again is refused" \
	p11e --token alice enroll tls-server --ca "$CA" --set dns=other.example.org
expect_grep "the refusal says why" 'role tls-server is already on the token and is left as it is' "$WORK/err"
objects_of alice >"$WORK/after"
expect "the token is unchanged" cmp -s "$WORK/before" "$WORK/after"

# RSA and P-384 through the same path, with --json.
new_token bob
for alg in rsa-2048 ec-p384; do
	mkdir -p "$WORK/profiles-$alg"
	sed "s/^algorithm = .*/algorithm = $alg/" "$top_srcdir/profiles/tls-server.profile" \
		>"$WORK/profiles-$alg/web-$alg.profile"
	expect_status 0 "enroll a $alg server key" \
		p11e --token bob --profiles "$WORK/profiles-$alg" --json enroll "web-$alg" \
		--ca "$CA" --trust "$WORK/ca/root.pem" --set dns=$alg.example.org
	expect "$alg: JSON names the algorithm and the certificate" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
r = doc["enrolled"][0]
assert r["key_algorithm"] == sys.argv[2], r
assert r["certificate"]["extended_key_usage"] == ["serverAuth"]
assert len(r["certificate"]["sha256"]) == 64
' "$WORK/out" "$alg"
done
objects_of bob >"$WORK/bob"
expect_grep "rsa-2048 key is on the token" 'Private Key Object; RSA' "$WORK/bob"

finish
