# SPDX-License-Identifier: MIT
# tokens.sh - listing tokens, as a table and as JSON.
. "$top_srcdir/tests/cli/lib.sh"

new_token first
new_token second

expect_status 0 "tokens" "$P11ENROLL" tokens
expect_grep "first is listed with its key algorithms and URI" \
	'^[0-9]+ +first +[0-9a-f]+ +SoftHSM v2 +ok +ec-p256,ec-p384,rsa-2048,rsa-3072,rsa-4096 +pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=[0-9a-f]+;token=first$' \
	"$WORK/out"
expect_grep "second is listed" ' second ' "$WORK/out"

expect_status 0 "tokens --json" "$P11ENROLL" --json tokens
expect "the JSON lists both tokens with their state" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
labels = [t["label"] for t in doc["tokens"]]
assert "first" in labels and "second" in labels, labels
for t in doc["tokens"]:
    if t["label"] in ("first", "second"):
        assert t["uri"].startswith("pkcs11:") and "token=" + t["label"] in t["uri"]
        assert t["user_pin"]["initialized"] and not t["user_pin"]["locked"]
        assert t["login_required"] and t["initialized"]
    # SoftHSM does every algorithm: all five, RSA decryption, EC ECDH.
    assert t["key_algorithms"] == {
        "generate": ["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"],
        "decrypt": ["rsa-2048", "rsa-3072", "rsa-4096"],
        "derive": ["ec-p256", "ec-p384"]}, t["key_algorithms"]
' "$WORK/out"

# The URI printed selects exactly that token.
uri=$("$PYTHON" -c '
import json, sys
print([t["uri"] for t in json.load(open(sys.argv[1]))["tokens"] if t["label"] == "second"][0])
' "$WORK/out")
expect_status 0 "the listed URI selects the token" \
	"$P11ENROLL" --pin-source "file:$PIN_FILE" --token "$uri" status
expect_grep "status names the selected token" '^token second ' "$WORK/out"
expect_grep "status shows the user PIN's state" '^user PIN: ok$' "$WORK/out"
expect_grep "status shows the key algorithms" \
	'^key algorithms: ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096; decrypts with rsa-2048, rsa-3072, rsa-4096; ECDH with ec-p256, ec-p384$' \
	"$WORK/out"

# A URI with the PIN in pin-source selects and logs in.
expect_status 0 "URI with pin-source" "$P11ENROLL" \
	--token "pkcs11:token=first?pin-source=$PIN_FILE" status
expect_grep "status of first" '^token first ' "$WORK/out"

# With no --module and no $P11ENROLL_MODULE, p11-kit's proxy loads every
# registered module; Debian's softhsm2 package registers SoftHSM.
expect_status 0 "tokens through p11-kit's proxy (the default module)" \
	env -u P11ENROLL_MODULE "$P11ENROLL" --json tokens
expect "the proxy's list holds both test tokens" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["module"].endswith("p11-kit-proxy.so"), doc["module"]
labels = [t["label"] for t in doc["tokens"]]
assert "first" in labels and "second" in labels, labels
' "$WORK/out"

# --module that is not a PKCS#11 module.
expect_status 2 "a bad module" "$P11ENROLL" --module /nonexistent/module.so tokens
expect_grep "the module error names the path" 'cannot load PKCS#11 module /nonexistent/module.so' "$WORK/err"

# A module that will not start is a set-up error (exit 2), and the
# message says what to check, by module and by answer.
printf 'fail C_Initialize 1 CKR_ARGUMENTS_BAD\n' >"$WORK/init-args.conf"
expect_status 2 "a module that wants initialisation arguments" env \
	P11FAULT_CONF="$WORK/init-args.conf" "$P11ENROLL" --module "$P11FAULT_MODULE" tokens
expect_grep "the message names the CKR" 'C_Initialize: CKR_ARGUMENTS_BAD' "$WORK/err"
expect_grep "and points to p11-kit's x-init-reserved" 'x-init-reserved' "$WORK/err"
printf 'fail C_Initialize 1 CKR_DEVICE_ERROR\n' >"$WORK/init-dev.conf"
expect_status 2 "a module that fails to start" env \
	P11FAULT_CONF="$WORK/init-dev.conf" "$P11ENROLL" --module "$P11FAULT_MODULE" tokens
expect_grep "the message says what to check" "check that the module's service or daemon is running" "$WORK/err"
expect_status 2 "SoftHSM without its configuration" env \
	SOFTHSM2_CONF="$WORK/no-such.conf" "$P11ENROLL" --module "$SOFTHSM2_MODULE" tokens
expect_grep "the message points to SOFTHSM2_CONF" 'check that SOFTHSM2_CONF names a readable file' "$WORK/err"
SOFTOKN=/usr/lib/x86_64-linux-gnu/libsoftokn3.so
if [ -f "$SOFTOKN" ]; then
	expect_status 2 "NSS's softokn loaded directly" "$P11ENROLL" \
		--module "$SOFTOKN" tokens
	expect_grep "the message points to x-init-reserved" 'x-init-reserved' "$WORK/err"
else
	echo "# skip: NSS's softokn is not installed (Debian package libnss3, tools/install-deps)"
fi

finish
