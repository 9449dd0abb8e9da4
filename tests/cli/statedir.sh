# SPDX-License-Identifier: MIT
# statedir.sh - a token that keeps no data objects (the fault module's
# quirk no-data): the request of request/install and the ticket of a CA
# that asks to wait go to the state directory, 0700 with 0600 files named
# by the token's serial and the key's CKA_ID; install, the next enroll,
# status (text and JSON), status --repair, remove and batch find them
# there; a symbolic link, a directory others can write and an unwritable
# one are refused with the token left as it was.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
export P11FAULT_TARGET="$SOFTHSM2_MODULE"
export P11FAULT_CONF="$WORK/nodata.conf"
echo "quirk no-data" >"$P11FAULT_CONF"
export P11ENROLL_MODULE="$P11FAULT_MODULE"
SCHEMA=$top_srcdir/doc/status.schema.json

new_token nodata
new_ca
CA="exec:$TESTCA $WORK/ca"
STATE=$WORK/state

# p11enroll on the token with the state directory $STATE.
sd() {
	p11e --token nodata --state-dir "$STATE" "$@"
}

# count PATTERN FILE: lines of FILE matching the ERE.
count() {
	grep -Ec -- "$1" "$2" || :
}

# The CKA_ID (hex) of the private key labelled $1 on the token.
key_id() {
	p11tool_on nodata --list-objects --type privkey |
		awk -v l="$1" '/^  label:/ { ok = ($2 == l) } ok && /^  ID:/ { print $2; exit }'
}

# A new state directory for the fixture CA that asks to wait.
new_wait() {
	rm -rf "$WORK/wait"
	mkdir "$WORK/wait"
}

expect_status 0 "the token's serial" p11e --token nodata --json status
SERIAL=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"]["serial"])' \
	"$WORK/out")
expect "SoftHSM's serial is plain hex, as the file names take it" \
	sh -c 'printf %s "$1" | grep -Eq "^[0-9a-f]+$"' - "$SERIAL"

# ---- request, then install ----------------------------------------------

objects_of nodata >"$WORK/before"
expect_status 0 "request on a token without data objects" \
	sd request tls-server --out "$WORK/server.csr" --set dns=www.example.org
ID=$(key_id awaiting:tls-server)
expect "the key waits under the awaiting label" test -n "$ID"
REQ=$STATE/$SERIAL-$ID.request
expect "the request is in the state directory, named by serial and CKA_ID" test -f "$REQ"
expect "the state directory is 0700" test "$(stat -c %a "$STATE")" = 700
expect "the request file is 0600" test "$(stat -c %a "$REQ")" = 600
openssl req -in "$WORK/server.csr" -outform DER -out "$WORK/server.der"
expect "it holds the request, DER, as a data object would" cmp -s "$REQ" "$WORK/server.der"
expect "no temporary file is left" test "$(ls -A "$STATE" | wc -l)" = 1
objects_of nodata >"$WORK/objects"
expect "no data object reached the token" test "$(count 'Data object' "$WORK/objects")" = 0

expect_status 0 "status while awaiting" sd status
expect_grep "status shows the role awaiting" '^tls-server +awaiting-certificate ' "$WORK/out"
expect_grep "and where its request is" "^tls-server: request $REQ\$" "$WORK/out"
expect_grep "the finding is the usual one" '^tls-server: info: key-awaiting:' "$WORK/out"
expect_status 0 "status --json while awaiting" sd --json status
expect "the JSON names the state file and validates" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
[row] = [r for r in doc["roles"] if r["role"] == "tls-server"]
assert row["state"] == "awaiting-certificate", row
assert row["waiting"] == {"request": sys.argv[3], "ca_ticket": None}, row
assert doc["state_dir"] == {"path": sys.argv[4], "orphans": []}, doc["state_dir"]
' "$WORK/out" "$SCHEMA" "$REQ" "$STATE"

expect_status 1 "enroll refuses the role while it awaits" \
	sd enroll tls-server --ca "$CA" --set dns=www.example.org
expect_grep "the refusal says install" 'awaiting its certificate; install' "$WORK/err"

"$TESTCA" "$WORK/ca" <"$WORK/server.csr" >"$WORK/server.pem"
expect_status 0 "install finds the request in the state directory" \
	sd install tls-server "$WORK/server.pem"
expect "the request file is gone" test ! -e "$REQ"
objects_of nodata >"$WORK/objects"
expect_grep "the certificate is written under the role's label" \
	'^Certificate Object.*' "$WORK/objects"
expect_no_grep "nothing awaits" 'label: +(awaiting|pending):' "$WORK/objects"
expect "the key pair and certificate carry the role's label" \
	test "$(count '^  label: +tls-server$' "$WORK/objects")" = 3

# Without the directory's request, install has nothing to check against.
expect_status 0 "request tls-client" \
	sd request tls-client --out "$WORK/client.csr" --set cn=nodata
"$TESTCA" "$WORK/ca" <"$WORK/client.csr" >"$WORK/client.pem"
expect_status 1 "install with another state directory" \
	p11e --token nodata --state-dir "$WORK/elsewhere" install tls-client "$WORK/client.pem"
expect_grep "the refusal says the request is not found" 'has no request beside it' "$WORK/err"
expect_status 0 "install with the right one" sd install tls-client "$WORK/client.pem"

# ---- a CA that asks to wait --------------------------------------------

new_wait
SLOW="exec:$FIXTURES/ca-wait.sh $WORK/wait 2 $WORK/ca"
expect_status 5 "the CA asks to wait: exit 5" \
	sd enroll code-signing --ca "$SLOW" --set name=nodata --set org=Example
ID=$(key_id awaiting:code-signing)
TICKET=$STATE/$SERIAL-$ID.ca-ticket
expect "the request waits in the state directory" test -f "$STATE/$SERIAL-$ID.request"
expect "the CA's ticket too, 0600" test "$(stat -c %a "$TICKET")" = 600
expect "the ticket holds the CA and its cookie" "$PYTHON" -c '
import json, sys
t = json.load(open(sys.argv[1]))
assert t == {"ca": "exec:" + sys.argv[2], "cookie": "cookie-1"}, t
' "$TICKET" "$FIXTURES/ca-wait.sh"
objects_of nodata >"$WORK/objects"
expect "still no data object on the token" test "$(count 'Data object' "$WORK/objects")" = 0
expect_status 0 "status --json while the CA makes it wait" sd --json status
expect "the JSON names both files" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
[row] = [r for r in doc["roles"] if r["role"] == "code-signing"]
assert row["waiting"]["ca_ticket"] == sys.argv[3], row
' "$WORK/out" "$SCHEMA" "$TICKET"
expect_status 5 "the second run asks again with the cookie" \
	sd enroll code-signing --ca "$SLOW" --set name=nodata --set org=Example
expect_grep "the ticket holds the new cookie" '"cookie-2"' "$TICKET"
expect_status 0 "the third run gets the certificate" \
	sd enroll code-signing --ca "$SLOW" --set name=nodata --set org=Example
printf 'SUBMIT -\nPOLL cookie-1\nPOLL cookie-2\n' >"$WORK/calls"
expect "each run asked with the cookie the state file kept" \
	cmp -s "$WORK/calls" "$WORK/wait/calls"
expect "the request and the ticket are gone" \
	test ! -e "$TICKET" -a ! -e "$STATE/$SERIAL-$ID.request"
objects_of nodata >"$WORK/objects"
expect "code-signing is enrolled" \
	test "$(count '^  label: +code-signing$' "$WORK/objects")" = 3

# ---- remove deletes the state file too --------------------------------

expect_status 0 "request user-sign" sd request user-sign --out "$WORK/sign.csr" \
	--set name=nodata --set email=nodata@example.org
ID=$(key_id awaiting:user-sign)
expect "its request waits" test -f "$STATE/$SERIAL-$ID.request"
expect_status 0 "remove the awaiting role" sd remove user-sign --yes
expect "remove deleted the request file" test ! -e "$STATE/$SERIAL-$ID.request"
objects_of nodata >"$WORK/objects"
expect_no_grep "and the key" 'user-sign' "$WORK/objects"

# ---- status --repair ---------------------------------------------------

# A state file whose key is gone (another tool deleted it).
expect_status 0 "request user-sign again" sd request user-sign --out "$WORK/sign2.csr" \
	--set name=nodata --set email=nodata@example.org
ID=$(key_id awaiting:user-sign)
ORPHAN=$STATE/$SERIAL-$ID.request
p11tool_on nodata --delete-object --type privkey --label awaiting:user-sign >/dev/null
p11tool_on nodata --delete-object --type pubkey --label awaiting:user-sign >/dev/null
expect_status 0 "status with a state file whose key is gone" sd status
expect_grep "status names the orphaned state file" \
	"^state file $ORPHAN: its key does not await on the token" "$WORK/out"
expect_status 0 "status --json" sd --json status
expect "the JSON lists it among the orphans" "$PYTHON" -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
jsonschema.validate(doc, json.load(open(sys.argv[2])))
assert doc["state_dir"]["orphans"] == [{"file": sys.argv[3], "id": sys.argv[4], "kind": "request"}], doc
' "$WORK/out" "$SCHEMA" "$ORPHAN" "$ID"
expect_status 0 "status --repair (dry run)" sd status --repair
expect_grep "the dry run lists the file" "^would remove the state file $ORPHAN " "$WORK/out"
expect "the dry run keeps it" test -f "$ORPHAN"
expect_status 0 "status --repair --yes" sd --json status --repair --yes
expect "the JSON names the repair" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["repairs"] == [{"role": "", "action": "remove-state-file", "file": sys.argv[2]}], doc
' "$WORK/out" "$ORPHAN"
expect "the orphaned state file is gone" test ! -e "$ORPHAN"

# A key whose request is gone: nothing can finish it.
objects_of nodata >"$WORK/before"
expect_status 0 "request user-auth" sd request user-auth --out "$WORK/auth1.csr" \
	--set name=nodata --set upn=nodata@example.org
ID=$(key_id awaiting:user-auth)
rm "$STATE/$SERIAL-$ID.request"
expect_status 0 "status with a key whose request is gone" sd status
expect_grep "status says the request is not found" \
	'^user-auth: request not found' "$WORK/out"
expect_grep "with a warning" '^user-auth: warning: key-awaiting-no-request:' "$WORK/out"
expect_status 0 "status --repair (dry run)" sd status --repair
expect_grep "the dry run lists the key" '^would remove the awaiting user-auth \(its request is lost\)$' \
	"$WORK/out"
expect_status 0 "status --repair --yes" sd status --repair --yes
expect_unchanged "the key without its request is removed" nodata
expect_status 0 "status --repair again" sd status --repair
expect_grep "nothing is left to repair" '^nothing to repair$' "$WORK/out"

# ---- refused directories and files ------------------------------------

objects_of nodata >"$WORK/before"
mkdir "$WORK/real"
chmod 700 "$WORK/real"
ln -s "$WORK/real" "$WORK/link"
expect_status 1 "a symbolic link as the state directory is refused" \
	p11e --token nodata --state-dir "$WORK/link" request user-auth \
	--out "$WORK/auth-link.csr" --set name=nodata --set upn=nodata@example.org
expect_grep "the message names the path and the way out" \
	"state directory $WORK/link is not a directory but a symbolic link; give --state-dir DIR" \
	"$WORK/err"
expect_grep "and says the key was removed" 'the new key was removed' "$WORK/err"
expect_unchanged "after the refused link" nodata
expect "nothing went into the link's target" test -z "$(ls -A "$WORK/real")"

chmod 770 "$WORK/real"
expect_status 1 "a directory the group can write is refused" \
	p11e --token nodata --state-dir "$WORK/real" request user-auth \
	--out "$WORK/auth-group.csr" --set name=nodata --set upn=nodata@example.org
expect_grep "the message says so" "state directory $WORK/real may be written by others \(mode 0770\): chmod 700 $WORK/real; give --state-dir DIR" \
	"$WORK/err"
expect_unchanged "after the refused directory" nodata

if [ "$(id -u)" != 0 ]; then
	chmod 500 "$WORK/real"
	expect_status 1 "a state directory that cannot be written" \
		p11e --token nodata --state-dir "$WORK/real" request user-auth \
		--out "$WORK/auth-ro.csr" --set name=nodata --set upn=nodata@example.org
	expect_grep "the message names the file and the way out" \
		"keeps no data objects, so the request 'awaiting:user-auth' goes to the state directory: cannot write $WORK/real/$SERIAL-[0-9a-f]+\.request: Permission denied; give --state-dir DIR" \
		"$WORK/err"
	expect_unchanged "after the unwritable directory" nodata
	chmod 700 "$WORK/real"
else
	ok "# SKIP an unwritable directory: root writes anyway"
fi

# A state file that is a symbolic link is never followed.
expect_status 0 "request user-auth" sd request user-auth --out "$WORK/auth3.csr" \
	--set name=nodata --set upn=nodata@example.org
ID=$(key_id awaiting:user-auth)
mv "$STATE/$SERIAL-$ID.request" "$WORK/moved.request"
ln -s "$WORK/moved.request" "$STATE/$SERIAL-$ID.request"
"$TESTCA" "$WORK/ca" <"$WORK/auth3.csr" >"$WORK/auth.pem"
expect_status 1 "install refuses a request file that is a symbolic link" \
	sd install user-auth "$WORK/auth.pem"
expect_grep "the message says so" 'is a symbolic link, which is refused' "$WORK/err"
objects_of nodata >"$WORK/objects"
expect_grep "the key still awaits" 'label: +awaiting:user-auth' "$WORK/objects"
rm "$STATE/$SERIAL-$ID.request"
mv "$WORK/moved.request" "$STATE/$SERIAL-$ID.request"
expect_status 0 "install once it is a file again" sd install user-auth "$WORK/auth.pem"

# ---- the default directory ---------------------------------------------

expect_status 0 "remove user-auth" sd remove user-auth --yes
mkdir "$WORK/home"
# status only reads: it shows the default without making it.
expect_status 0 "status --json with HOME and no XDG_STATE_HOME" \
	env -u XDG_STATE_HOME HOME="$WORK/home" "$P11ENROLL" \
	--pin-source "file:$PIN_FILE" --token nodata --json status
if [ "$(id -u)" = 0 ]; then
	DEFAULT=/var/lib/p11enroll
else
	DEFAULT=$WORK/home/.local/state/p11enroll
fi
expect "the default is $DEFAULT" "$PYTHON" -c '
import json, sys
assert json.load(open(sys.argv[1]))["state_dir"]["path"] == sys.argv[2]
' "$WORK/out" "$DEFAULT"
expect "status made no directory" test ! -e "$WORK/home/.local"
expect_status 0 "status --json with XDG_STATE_HOME" \
	env XDG_STATE_HOME="$WORK/xdg" HOME="$WORK/home" "$P11ENROLL" \
	--pin-source "file:$PIN_FILE" --token nodata --json status
[ "$(id -u)" = 0 ] || DEFAULT=$WORK/xdg/p11enroll
expect "the default is $DEFAULT" "$PYTHON" -c '
import json, sys
assert json.load(open(sys.argv[1]))["state_dir"]["path"] == sys.argv[2]
' "$WORK/out" "$DEFAULT"

# root's default is the machine's /var/lib/p11enroll, which a test leaves
# alone; a user's is under the fake HOME.
if [ "$(id -u)" != 0 ]; then
	expect_status 0 "request with HOME and no XDG_STATE_HOME" \
		env -u XDG_STATE_HOME HOME="$WORK/home" "$P11ENROLL" \
		--pin-source "file:$PIN_FILE" --token nodata request user-auth \
		--out "$WORK/auth4.csr" --set name=nodata --set upn=nodata@example.org
	ID=$(key_id awaiting:user-auth)
	expect "the request is under ~/.local/state/p11enroll" \
		test -f "$WORK/home/.local/state/p11enroll/$SERIAL-$ID.request"
	expect "which was made 0700" \
		test "$(stat -c %a "$WORK/home/.local/state/p11enroll")" = 700
	expect_status 0 "remove it with the same default" \
		env -u XDG_STATE_HOME HOME="$WORK/home" "$P11ENROLL" \
		--pin-source "file:$PIN_FILE" --token nodata remove user-auth --yes
	expect "the default directory's file went too" \
		test ! -e "$WORK/home/.local/state/p11enroll/$SERIAL-$ID.request"
	expect_status 0 "request with XDG_STATE_HOME" \
		env XDG_STATE_HOME="$WORK/xdg" HOME="$WORK/home" "$P11ENROLL" \
		--pin-source "file:$PIN_FILE" --token nodata request user-auth \
		--out "$WORK/auth5.csr" --set name=nodata --set upn=nodata@example.org
	ID=$(key_id awaiting:user-auth)
	expect "the request is under XDG_STATE_HOME/p11enroll" \
		test -f "$WORK/xdg/p11enroll/$SERIAL-$ID.request"
	expect_status 0 "remove it" env XDG_STATE_HOME="$WORK/xdg" "$P11ENROLL" \
		--pin-source "file:$PIN_FILE" --token nodata remove user-auth --yes
else
	ok "# SKIP a request in the default directory: root's is the machine's"
fi

# ---- batch: the workers use the same directory -------------------------

new_token nodata2
printf 'token,roles,cn\nnodata2,tls-client,nodata2\n' >"$WORK/manifest.csv"
new_wait
SLOW="exec:$FIXTURES/ca-wait.sh $WORK/wait 1 $WORK/ca"
expect_status 5 "a batch whose CA asks to wait exits 5" \
	p11e --state-dir "$STATE" batch "$WORK/manifest.csv" --ca "$SLOW"
SERIAL2=$(p11e --token nodata2 --json status | "$PYTHON" -c \
	'import json,sys; print(json.load(sys.stdin)["token"]["serial"])')
ID=$(p11tool_on nodata2 --list-objects --type privkey |
	awk '/^  label: +awaiting:tls-client/ { ok = 1 } ok && /^  ID:/ { print $2; exit }')
expect "the worker left the request in the state directory" \
	test -f "$STATE/$SERIAL2-$ID.request"
expect "and the CA's ticket" test -f "$STATE/$SERIAL2-$ID.ca-ticket"
expect_status 0 "the batch run again collects the certificate" \
	p11e --state-dir "$STATE" batch "$WORK/manifest.csv" --ca "$SLOW"
expect "the state files are gone" \
	test ! -e "$STATE/$SERIAL2-$ID.request" -a ! -e "$STATE/$SERIAL2-$ID.ca-ticket"
objects_of nodata2 >"$WORK/objects"
expect "tls-client is enrolled on the batch's token" \
	test "$(count '^  label: +tls-client$' "$WORK/objects")" = 3

finish
