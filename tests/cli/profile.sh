# SPDX-License-Identifier: MIT
# profile.sh - profile list, show and lint, and a profile the policy
# refuses: refused by lint, by enroll before the token is touched, and
# allowed by a justified waiver.
. "$top_srcdir/tests/cli/lib.sh"

SHIPPED=$top_srcdir/profiles

# ---- list and show ----

expect_status 0 "profile list" "$P11ENROLL" profile list
expect_grep "list: header" '^NAME +KIND +KEY +EXTENDED KEY USAGE / ROLES +FROM$' "$WORK/out"
expect_grep "list: tls-server is a role with serverAuth" \
	"^tls-server +role +ec-p256 +serverAuth +$SHIPPED\$" "$WORK/out"
expect_grep "list: tls-client is a role with clientAuth" \
	"^tls-client +role +ec-p256 +clientAuth +$SHIPPED\$" "$WORK/out"

expect_status 0 "profile list --json" "$P11ENROLL" --json profile list
expect "list --json parses, shipped roles clean, sets expand to shipped roles" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
roles = {p["name"]: p for p in doc["profiles"]}
assert roles["tls-server"]["kind"] == "role"
assert roles["tls-server"]["key_algorithm"] == "ec-p256"
assert roles["tls-server"]["extended_key_usage"] == ["serverAuth"]
assert roles["tls-client"]["extended_key_usage"] == ["clientAuth"]
for p in doc["profiles"]:
    assert p["error"] is None, p
    assert not [f for f in p["findings"] if f["severity"] == "error"], p
for s in doc["sets"]:
    assert s["kind"] == "set" and s["error"] is None, s
    assert s["roles"] and all(r in roles for r in s["roles"]), s
assert doc["path"] == [sys.argv[2]], doc["path"]
assert roles["tls-server"]["file"] == sys.argv[2] + "/tls-server.profile"
' "$WORK/out" "$SHIPPED"

# ---- the profiles path: --profiles adds a directory in front ----
# An administrator's own tls-server (RSA) hides the shipped one, a role set
# of theirs names shipped roles, and everything else stays in view.
mkdir "$WORK/own"
sed 's/^algorithm = .*/algorithm = rsa-3072/' "$SHIPPED/tls-server.profile" \
	>"$WORK/own/tls-server.profile"
printf '[set]\nroles = tls-server tls-client\n' >"$WORK/own/web.set"
expect_status 0 "profile list with a directory of one's own" \
	"$P11ENROLL" --profiles "$WORK/own" profile list
expect_grep "list: the own tls-server hides the shipped one" \
	"^tls-server +role +rsa-3072 +serverAuth +$WORK/own\$" "$WORK/out"
expect "list: tls-server is listed once" \
	test "$(grep -c '^tls-server ' "$WORK/out")" -eq 1
expect_grep "list: the shipped roles stay in view" \
	"^tls-client +role +ec-p256 +clientAuth +$SHIPPED\$" "$WORK/out"
expect_grep "list: the own set expands to the roles it names" \
	"^web +set +- +tls-server tls-client +$WORK/own\$" "$WORK/out"
expect_status 0 "show takes the own tls-server" \
	"$P11ENROLL" --profiles "$WORK/own" profile show tls-server
expect_grep "show: the own key algorithm" '^key algorithm: +rsa-3072$' "$WORK/out"
expect_status 2 "a --profiles that is not a directory is refused" \
	"$P11ENROLL" --profiles "$WORK/no-such-dir" profile list
expect_grep "the refusal names the directory" \
	"--profiles $WORK/no-such-dir: not a directory" "$WORK/err"
# P11ENROLL_PROFILES is a path of its own: the first directory wins.
expect_status 0 "P11ENROLL_PROFILES with two directories" \
	env P11ENROLL_PROFILES="$WORK/own:$SHIPPED" "$P11ENROLL" profile show tls-server
expect_grep "the first directory of P11ENROLL_PROFILES wins" \
	'^key algorithm: +rsa-3072$' "$WORK/out"
# Without P11ENROLL_PROFILES: the user's directory comes before the
# administrator's and the shipped ones.
mkdir -p "$WORK/config/p11enroll/profiles"
cp "$WORK/own/tls-server.profile" "$WORK/config/p11enroll/profiles/"
expect_status 0 "the user's profiles directory" \
	env -u P11ENROLL_PROFILES XDG_CONFIG_HOME="$WORK/config" \
	"$P11ENROLL" --json profile list
expect "list --json: the user's directory comes first" "$PYTHON" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["path"][0] == sys.argv[2] + "/p11enroll/profiles", doc["path"]
assert len(doc["path"]) == 3, doc["path"]
roles = {p["name"]: p for p in doc["profiles"]}
assert roles["tls-server"]["file"].startswith(sys.argv[2]), roles["tls-server"]
assert roles["tls-server"]["key_algorithm"] == "rsa-3072"
' "$WORK/out" "$WORK/config"

expect_status 0 "profile show tls-server" "$P11ENROLL" profile show tls-server
expect_grep "show: extended key usage serverAuth" '^extended key usage: +serverAuth$' "$WORK/out"
expect_grep "show: key usage" '^key usage: +digitalSignature$' "$WORK/out"
expect_grep "show: subject template" '^subject: +CN=\$\{dns\}$' "$WORK/out"
expect_grep "show: dns SAN template" '^dns: +\$\{dns\}$' "$WORK/out"
expect_grep "show: no findings" '^findings: +none$' "$WORK/out"
expect_grep "show: the CA profile is the role's name" '^CA profile: +tls-server$' "$WORK/out"

expect_status 0 "profile show --json" "$P11ENROLL" --json profile show tls-server
expect "show --json parses" "$PYTHON" -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert p["name"] == "tls-server" and p["kind"] == "role", p
assert p["extended_key_usage"] == ["serverAuth"], p
assert p["key_usage"] == ["digitalSignature"], p
assert p["subject_alt_names"] == [{"type": "dns", "template": "${dns}"}], p
assert p["max_lifetime_days"] == 398 and p["findings"] == [], p
assert p["allow_mixed_roles"] is False and p["justification"] is None, p
assert p["ca_profile"] == "tls-server", p
' "$WORK/out"

expect_status 2 "profile show of an unknown role" "$P11ENROLL" profile show no-such-role
expect_grep "show: unknown role named, known roles listed" \
	"unknown role 'no-such-role'.*tls-client.*tls-server" "$WORK/err"
# A binary run before make install finds no profile anywhere: the message
# names the directories searched and how to get the shipped roles.
mkdir "$WORK/empty"
expect_status 2 "a role when no directory holds a profile" \
	env P11ENROLL_PROFILES="$WORK/empty" "$P11ENROLL" profile show tls-server
expect_grep "no profile anywhere: directory named, make install suggested" \
	"unknown role 'tls-server' \\(no tls-server.profile or tls-server.set in $WORK/empty, which holds no profiles: install the shipped roles with make install, or name a directory of profiles with --profiles DIR\\)" \
	"$WORK/err"
expect_status 0 "profile list when no directory holds a profile" \
	env P11ENROLL_PROFILES="$WORK/empty" "$P11ENROLL" profile list
expect_grep "list: says there are none, and how to get the shipped roles" \
	"^no profiles in $WORK/empty: install the shipped roles with make install, or name a directory of profiles with --profiles DIR\$" \
	"$WORK/out"
expect_status 2 "profile without a subcommand" "$P11ENROLL" profile
expect_status 2 "profile with an unknown subcommand" "$P11ENROLL" profile frobnicate
expect_status 2 "profile lint without files" "$P11ENROLL" profile lint

# ---- lint ----

expect_status 0 "lint the shipped profiles" "$P11ENROLL" profile lint "$SHIPPED"/*.profile
expect_grep "lint: tls-server ok" "^$SHIPPED/tls-server.profile: ok\$" "$WORK/out"
expect_grep "lint: tls-client ok" "^$SHIPPED/tls-client.profile: ok\$" "$WORK/out"
expect_no_grep "lint: no error in the shipped profiles" ': error: ' "$WORK/out"

# A role that is both TLS server and TLS client, without a waiver.
mkdir "$WORK/mixed" "$WORK/waived"
cat >"$WORK/mixed/tls-both.profile" <<'PROFILE'
[key]
algorithm = ec-p256

[request]
subject = CN=${dns}
dns = ${dns}

[certificate]
key_usage = digitalSignature
extended_key_usage = serverAuth, clientAuth
max_lifetime_days = 398
PROFILE
expect_status 2 "lint refuses serverAuth with clientAuth" \
	"$P11ENROLL" profile lint "$WORK/mixed/tls-both.profile"
expect_grep "lint names eku-mixed-tls as an error" \
	"^$WORK/mixed/tls-both.profile: error: eku-mixed-tls: serverAuth and clientAuth" "$WORK/out"

expect_status 2 "lint --json of the mixed profile" \
	"$P11ENROLL" --json profile lint "$WORK/mixed/tls-both.profile" "$SHIPPED/tls-server.profile"
expect "lint --json parses: one file refused, one ok" "$PYTHON" -c '
import json, sys
files = json.load(open(sys.argv[1]))["files"]
assert [f["ok"] for f in files] == [False, True], files
assert [x["id"] for x in files[0]["findings"]] == ["eku-mixed-tls"], files
assert files[0]["findings"][0]["severity"] == "error", files
assert files[0]["error"] is None and files[1]["findings"] == [], files
' "$WORK/out"

# A parse error is reported as FILE:LINE: key: message.
printf '[key]\nalgorithm = ec-p521\n' >"$WORK/mixed/broken.profile"
expect_status 2 "lint reports a parse error" \
	"$P11ENROLL" profile lint "$SHIPPED/tls-client.profile" "$WORK/mixed/broken.profile"
expect_grep "the parse error has file, line and key" \
	"^$WORK/mixed/broken.profile:2: algorithm: unknown key algorithm 'ec-p521'" "$WORK/out"
expect_grep "the good file is still reported" "^$SHIPPED/tls-client.profile: ok\$" "$WORK/out"
expect_status 2 "lint --json of a parse error" \
	"$P11ENROLL" --json profile lint "$WORK/mixed/broken.profile"
expect "lint --json carries the parse error" "$PYTHON" -c '
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
assert f["ok"] is False and f["findings"] == [], f
assert ":2: algorithm: unknown key algorithm" in f["error"], f
' "$WORK/out"
rm "$WORK/mixed/broken.profile"

# ---- files that are not profiles: refused at once, never read ----
# A symlink to /dev/zero never ends and a FIFO without a writer blocks the
# open; both are refused as not regular files. timeout turns a hang into a
# failed check.
mkdir "$WORK/odd"
ln -s /dev/zero "$WORK/odd/zero.profile"
mkfifo "$WORK/odd/fifo.profile"
ln -s /dev/zero "$WORK/odd/zeros.set"
for name in zero fifo; do
	expect_status 2 "show refuses $name.profile" \
		timeout 30 "$P11ENROLL" --profiles "$WORK/odd" profile show "$name"
	expect_grep "show says $name.profile is not a file" \
		"$WORK/odd/$name.profile is not a regular file" "$WORK/err"
	expect_status 2 "lint refuses $name.profile" \
		timeout 30 "$P11ENROLL" profile lint "$WORK/odd/$name.profile"
	expect_grep "lint says $name.profile is not a file" \
		"$WORK/odd/$name.profile is not a regular file" "$WORK/out"
done
expect_status 2 "a role set that is /dev/zero is refused" \
	timeout 30 "$P11ENROLL" --profiles "$WORK/odd" profile show zeros
expect_grep "the role set is named" "$WORK/odd/zeros.set is not a regular file" \
	"$WORK/err"
# A regular file of comment lines past the size bound.
rm "$WORK/odd/zero.profile" "$WORK/odd/fifo.profile" "$WORK/odd/zeros.set"
yes '#' | head -c 300000 >"$WORK/odd/huge.profile"
expect_status 2 "lint refuses a profile over 256 KiB" \
	timeout 30 "$P11ENROLL" profile lint "$WORK/odd/huge.profile"
expect_grep "lint names the bound" "huge.profile: larger than 262144 bytes" "$WORK/out"

# The same role with a justified waiver: allowed, and the waiver reported.
sed 's/^max_lifetime_days = 398$/&\nallow_mixed_roles = yes\njustification = the appliance holds one certificate/' \
	"$WORK/mixed/tls-both.profile" >"$WORK/waived/tls-both.profile"
expect_status 0 "lint allows a justified waiver" \
	"$P11ENROLL" profile lint "$WORK/waived/tls-both.profile"
expect_grep "lint reports the waiver in force" \
	"^$WORK/waived/tls-both.profile: info: waiver-in-force: .*the appliance holds one certificate" \
	"$WORK/out"
expect_no_grep "no error with the waiver" ': error: ' "$WORK/out"
expect_status 0 "list shows the waiver" "$P11ENROLL" --profiles "$WORK/waived" profile list
expect_grep "list: the waiver is reported under the table" \
	'^tls-both: info: waiver-in-force: ' "$WORK/out"

# ---- enroll refuses the mixed profile before the token is touched ----

new_token dora
new_ca
CA="exec:$TESTCA $WORK/ca"
expect_status 0 "enroll tls-client first" \
	p11e --token dora enroll tls-client --ca "$CA" --set cn=dora
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label dora -O >"$WORK/before" 2>/dev/null
objects_of dora >"$WORK/before-private"

expect_status 2 "enroll with the mixed profile is refused" \
	p11e --token dora --profiles "$WORK/mixed" enroll tls-both --ca "$CA" \
	--set dns=both.example.org
expect_grep "enroll names the file and eku-mixed-tls" \
	"$WORK/mixed/tls-both.profile: eku-mixed-tls: serverAuth and clientAuth" "$WORK/err"
expect_status 2 "enroll --json with the mixed profile is refused" \
	p11e --token dora --profiles "$WORK/mixed" --json enroll tls-both --ca "$CA" \
	--set dns=both.example.org
expect "the JSON error names eku-mixed-tls, exit 2" "$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["exit"] == 2 and "eku-mixed-tls" in e["message"], e
' "$WORK/out"

# Not even the module is loaded: a module that does not exist changes
# nothing about the answer.
expect_status 2 "the refusal comes before the module is loaded" \
	p11e --module "$WORK/no-such-module.so" --token dora --profiles "$WORK/mixed" \
	enroll tls-both --ca "$CA" --set dns=both.example.org
expect_grep "still the policy's refusal" 'eku-mixed-tls' "$WORK/err"

pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label dora -O >"$WORK/after" 2>/dev/null
objects_of dora >"$WORK/after-private"
expect "the token's objects are unchanged (pkcs11-tool -O)" cmp -s "$WORK/before" "$WORK/after"
expect "the token's private objects are unchanged" \
	cmp -s "$WORK/before-private" "$WORK/after-private"
expect_grep "the listing is not empty" 'tls-client' "$WORK/after"

# request takes one role: a set of several is a usage error.
printf '[set]\nroles = tls-server tls-client\n' >"$WORK/tls-pair.set"
mkdir "$WORK/pair"
cp "$SHIPPED/tls-server.profile" "$SHIPPED/tls-client.profile" "$WORK/pair/"
mv "$WORK/tls-pair.set" "$WORK/pair/"
expect_status 0 "profile show of a set" "$P11ENROLL" --profiles "$WORK/pair" profile show tls-pair
expect_grep "show: the set's roles in order" '^roles: +tls-server tls-client$' "$WORK/out"
expect_status 2 "request refuses a set of two roles" \
	p11e --token dora --profiles "$WORK/pair" request tls-pair --out "$WORK/pair.csr" \
	--set dns=x.example.org --set cn=x
expect_grep "request says why" 'role set tls-pair stands for 2 roles' "$WORK/err"
if [ -e "$WORK/pair.csr" ]; then not_ok "request wrote a file"; else ok "request wrote nothing"; fi

finish
