#!/bin/sh
# SPDX-License-Identifier: MIT
# chain.sh - the issuing CA certificates kept on the token: written once
# whatever the number of roles, shown by status as the roles' chain and
# not as a finding, kept by status --repair, removed with the last role
# that needs them, skipped with --no-chain; export and the object URIs.
. "${top_srcdir:?}/tests/cli/lib.sh"

SCHEMA=$top_srcdir/doc/status.schema.json
new_ca
new_token chain
CA="exec:$TESTCA $WORK/ca"

# ca_count TOKEN: how many certificate objects labelled as the test
# CA's intermediate TOKEN holds.
ca_count() {
	objects_of "$1" >"$WORK/objects" </dev/null
	grep -c '^  label: *p11enroll test issuing CA$' "$WORK/objects" || :
}

# expect_ca_count WHAT TOKEN N
expect_ca_count() {
	_n=$(ca_count "$2")
	if [ "$_n" = "$3" ]; then
		ok "$1: $_n"
	else
		not_ok "$1: $_n, expected $3"
	fi
}

expect_status 0 "enroll tls-server and tls-client" p11e --token chain enroll \
	tls-server tls-client --ca "$CA" --set dns=www.example.org --set cn=c1
expect_ca_count "one intermediate for two roles" chain 1

# status: the intermediate is the roles' chain, not a finding.
expect_status 0 "status (no findings)" p11e --token chain status
expect_grep "status lists the CA certificates apart" \
	'^CA certificates kept for the chains:$' "$WORK/out"
expect_grep "the intermediate is listed" \
	'^  p11enroll test issuing CA +CN=p11enroll test issuing CA,O=p11enroll test CA, until ' \
	"$WORK/out"
expect_no_grep "no certificate-without-key" 'certificate-without-key|cert-without-key' \
	"$WORK/out"
expect_status 0 "status --json" p11e --token chain --json status
expect "status --json validates and shows chain and URIs" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
roles = {r["role"]: r for r in doc["roles"]}
assert set(roles) == {"tls-server", "tls-client"}, roles
assert doc["summary"]["roles"] == 2, doc["summary"]
assert [a["state"] for a in doc["authorities"]] == ["authority"], doc["authorities"]
assert doc["authorities"][0]["findings"] == []
for r in roles.values():
    assert [c["subject"] for c in r["chain"]] == ["CN=p11enroll test issuing CA,O=p11enroll test CA"]
    assert r["uris"]["private_key"].endswith(";object=%s;type=private" % r["label"]), r["uris"]
    assert "token=chain" in r["uris"]["certificate"]
' "$WORK/out" "$SCHEMA"
expect_status 0 "status -v" p11e -v --token chain status
expect_grep "status -v shows the key's URI" '"private_key": "pkcs11:.*;object=tls-server;type=private"' \
	"$WORK/out"
expect_no_grep "no URI holds a PIN" 'pin-value|pin-source' "$WORK/out"

expect_status 0 "status --repair leaves the chain alone" p11e --token chain status --repair --yes
expect_grep "nothing to repair" '^nothing to repair$' "$WORK/out"
expect_ca_count "the intermediate stays after the repair" chain 1

# export: leaf, leaf and chain, DER; no login needed.
expect_status 0 "export without a PIN" "$P11ENROLL" --token chain export tls-server
grep -c 'BEGIN CERTIFICATE' "$WORK/out" >"$WORK/n" || :
expect_grep "export: one certificate" '^1$' "$WORK/n"
p11tool_on chain --read-object --type cert --label tls-server -o "$WORK/leaf.der"
openssl x509 -inform DER -in "$WORK/leaf.der" -out "$WORK/leaf.pem"
expect "export writes the role's certificate" cmp -s "$WORK/out" "$WORK/leaf.pem"
expect_status 0 "export --chain -o FILE" "$P11ENROLL" --token chain export tls-server \
	--chain -o "$WORK/full.pem"
awk '/BEGIN CERT/ { n++ } n == 1' "$WORK/full.pem" >"$WORK/first.pem"
awk '/BEGIN CERT/ { n++ } n == 2' "$WORK/full.pem" >"$WORK/second.pem"
expect "export --chain: the leaf first" cmp -s "$WORK/first.pem" "$WORK/leaf.pem"
expect "export --chain: then the intermediate" cmp -s "$WORK/second.pem" "$WORK/ca/ca.pem"
ls -l "$WORK/full.pem" >"$WORK/mode"
expect_grep "the file is 0600" '^-rw------- ' "$WORK/mode"
expect "the exported chain verifies to the root alone" sh -c \
	'openssl verify -CAfile "$1" -untrusted "$2" "$3" >/dev/null' - \
	"$WORK/ca/root.pem" "$WORK/second.pem" "$WORK/first.pem"
expect_status 0 "export --der" "$P11ENROLL" --token chain export tls-server --der \
	-o "$WORK/leaf-export.der"
expect "export --der writes the DER" cmp -s "$WORK/leaf-export.der" "$WORK/leaf.der"
expect_status 2 "export --der --chain is refused" "$P11ENROLL" --token chain export \
	tls-server --der --chain
ln -s "$WORK/elsewhere" "$WORK/link.pem"
expect_status 2 "export -o refuses a symbolic link" "$P11ENROLL" --token chain export \
	tls-server -o "$WORK/link.pem"
expect "the link's target is not written" test ! -e "$WORK/elsewhere"
expect_status 1 "export of a role that is not there" "$P11ENROLL" --token chain export \
	user-sign
expect_status 0 "export --json" "$P11ENROLL" --token chain --json export tls-client --chain
expect "export --json: PEMs and URIs" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["certificate"]["pem"].startswith("-----BEGIN CERTIFICATE-----\n")
assert len(doc["chain"]) == 1 and doc["chain"][0]["pem"].startswith("-----BEGIN")
assert doc["uris"]["certificate"].endswith(";object=tls-client;type=cert"), doc["uris"]
' "$WORK/out"

# renew: the chain stays, still once.
expect_status 0 "renew tls-server" p11e --token chain renew tls-server --ca "$CA"
expect_ca_count "after renew, the intermediate once" chain 1

# remove: the chain stays while another role needs it, goes with the last.
expect_status 0 "remove tls-server" p11e --token chain remove tls-server --yes
expect_ca_count "tls-client still needs the intermediate" chain 1
expect_status 0 "remove tls-client" p11e --token chain remove tls-client --yes
expect_ca_count "the last role took the intermediate with it" chain 0

# --no-chain: for a card with little room.
new_token nochain
expect_status 0 "enroll --no-chain" p11e --token nochain --no-chain --json enroll \
	tls-client --ca "$CA" --set cn=c2
expect_ca_count "no CA certificate on the token" nochain 0
expect "the JSON still carries the chain, not on the token" "$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))["enrolled"][0]
assert len(r["chain"]) == 1 and r["chain_on_token"] is False, r
' "$WORK/out"

finish
