# SPDX-License-Identifier: MIT
# usage-errors.sh - every usage error of a run reported at once: all the
# missing variables of a role set, all the bad rows of a manifest (each
# with its line and column, by number and header name), a missing
# variable of a row pointing at the manifest's column; the JSON error
# document carries each with its stable code. Nothing is touched.
. "$top_srcdir/tests/cli/lib.sh"

SCHEMA=$top_srcdir/doc/error.schema.json

# valid: $WORK/out is an error document as doc/error.schema.json says.
valid() {
	"$PYTHON" -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
' "$WORK/out" "$SCHEMA"
}

new_token alpha
new_token beta
new_ca
CA="exec:$TESTCA $WORK/ca"
objects_of alpha >"$WORK/before"

# ---- enroll: every missing variable of every role, once ---------------------

expect_status 2 "smartcard-user and tls-server without --set" \
	p11e --token alpha enroll smartcard-user tls-server --ca "$CA"
expect_grep "the count of missing variables" \
	'^p11enroll: enroll: 4 template variables are missing, nothing was done:$' "$WORK/err"
expect_grep "name, with the three roles that need it" \
	'^  variable name, needed by roles user-auth, user-sign, user-encrypt: set it with --set name=VALUE$' \
	"$WORK/err"
expect_grep "upn, with its role" \
	'^  variable upn, needed by role user-auth: set it with --set upn=VALUE$' "$WORK/err"
expect_grep "email, with its two roles" \
	'^  variable email, needed by roles user-sign, user-encrypt: set it with --set email=VALUE$' \
	"$WORK/err"
expect_grep "dns, of the role after the set" \
	'^  variable dns, needed by role tls-server: set it with --set dns=VALUE$' "$WORK/err"
expect "each variable named once" test "$(grep -c '^  variable ' "$WORK/err")" -eq 4

expect_status 2 "the same with one variable set, as JSON" \
	p11e --json --token alpha enroll smartcard-user --set name=Alice --ca "$CA"
expect "the JSON error carries every missing variable with its code" "$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == "missing-variable" and e["exit"] == 2, e
got = [(x["code"], x["variable"], x["roles"]) for x in e["errors"]]
assert got == [("missing-variable", "upn", ["user-auth"]),
               ("missing-variable", "email", ["user-sign", "user-encrypt"])], got
assert all(x["message"].startswith("variable ") for x in e["errors"])
' "$WORK/out"
expect "it is valid against the schema" valid
expect_unchanged "after the missing variables" alpha

# ---- batch: every bad row, with line and column ----------------------------

printf '%s\n' 'token,roles,dns,cn' \
	',tls-server,a.example.org,a' \
	'alpha,tls-sever,b.example.org,b' \
	'beta,tls-server,,c' \
	'gamma,  ,d.example.org,d' \
	'delta,tls-server smartcard-user,e.example.org,e' \
	'epsilon,tls-server' >"$WORK/m.csv"
for how in "batch" "batch --check"; do
	# shellcheck disable=SC2086
	expect_status 2 "$how on a manifest with six bad rows" \
		p11e $how "$WORK/m.csv" --ca "$CA" --journal "$WORK/j"
	expect_grep "$how: the count" 'm.csv: 8 errors, nothing was done:$' "$WORK/err"
	expect_grep "$how: line 2, token column" 'm.csv:2:1 \(token\): no token given$' "$WORK/err"
	expect_grep "$how: line 3, roles column" "m.csv:3:2 \\(roles\\): unknown role 'tls-sever'" "$WORK/err"
	expect_grep "$how: line 4, the empty dns cell" \
		'm.csv:4:3 \(dns\): empty, but role tls-server needs variable dns: fill the cell$' "$WORK/err"
	expect_grep "$how: line 5, the blank roles cell" 'm.csv:5:2 \(roles\): no role given$' "$WORK/err"
	expect_grep "$how: line 6, the columns to add, not --set" \
		"m.csv:6:2 \\(roles\\): roles user-auth, user-sign, user-encrypt need variable name: add a column 'name' to the manifest$" \
		"$WORK/err"
	expect_grep "$how: line 6, upn" "m.csv:6:2 \\(roles\\): role user-auth needs variable upn: add a column 'upn'" "$WORK/err"
	expect_grep "$how: line 6, email" "m.csv:6:2 \\(roles\\): roles user-sign, user-encrypt need variable email: add a column 'email'" "$WORK/err"
	expect_grep "$how: line 7, the short row" 'm.csv:7: 2 fields where the header has 4$' "$WORK/err"
	expect_no_grep "$how: no --set advice for a manifest" '--set' "$WORK/err"
	expect "$how: in the order of the file" sh -c \
		"grep -o 'm.csv:[0-9]*' '$WORK/err' | tail -n +2 | cut -d: -f2 | sort -n -c"
	expect "$how: no journal was started" test ! -e "$WORK/j"
done

expect_status 2 "batch --check as JSON" p11e --json batch "$WORK/m.csv" --check
expect "every bad row in the JSON error, with code, line and column" "$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == "manifest-invalid" and e["exit"] == 2, e
got = [(x["code"], x["line"], x.get("column"), x.get("column_name"))
       for x in e["errors"]]
assert got == [("manifest-invalid", 2, 1, "token"),
               ("unknown-role", 3, 2, "roles"),
               ("missing-variable", 4, 3, "dns"),
               ("manifest-invalid", 5, 2, "roles"),
               ("missing-variable", 6, 2, "roles"),
               ("missing-variable", 6, 2, "roles"),
               ("missing-variable", 6, 2, "roles"),
               ("manifest-invalid", 7, 0, None)], got
' "$WORK/out"
expect "it is valid against the schema" valid
expect_unchanged "after the bad manifests" alpha

# A good manifest checks clean, without a CA, and touches nothing.
printf '%s\n' 'token,roles,dns,cn' 'alpha,tls-server,a.example.org,a' \
	'beta,tls-client,b.example.org,b' >"$WORK/good.csv"
expect_status 0 "batch --check on a good manifest" p11e batch "$WORK/good.csv" --check
expect_grep "it says the rows are good" 'good.csv: 2 rows, all good$' "$WORK/out"
expect_unchanged "after batch --check" alpha

# ---- stable codes in JSON error documents -----------------------------------

json_code() {
	"$PYTHON" -c '
import json, sys, jsonschema
d = json.load(open(sys.argv[1]))
jsonschema.validate(d, json.load(open(sys.argv[2])))
e = d["error"]
assert e["code"] == sys.argv[3], e
assert e["exit"] == int(sys.argv[4]), e
' "$WORK/out" "$SCHEMA" "$@"
}
expect_status 2 "an unknown option" p11e --json --token alpha enroll --bogus
expect "its code is usage" json_code usage 2
expect_status 2 "an unknown role" p11e --json --token alpha enroll no-such-role --ca "$CA"
expect "its code is unknown-role" json_code unknown-role 2
expect_status 1 "a token that is not there" \
	p11e --json --token no-such-token enroll tls-client --set cn=x --ca "$CA"
expect "its code is token-not-found" json_code token-not-found 1
( umask 077; printf '9999\n' >"$WORK/wrong.pin" )
expect_status 1 "a wrong PIN" "$P11ENROLL" --json --pin-source "file:$WORK/wrong.pin" \
	--token beta enroll tls-client --set cn=x --ca "$CA"
expect "its code is pin-incorrect" json_code pin-incorrect 1

# The CA's answers: a helper that says no, one that cannot reach its CA.
cat >"$WORK/ca-no" <<'EOF'
#!/bin/sh
echo "no such customer"
exit 2
EOF
cat >"$WORK/ca-down" <<'EOF'
#!/bin/sh
echo "connection refused"
exit 3
EOF
chmod +x "$WORK/ca-no" "$WORK/ca-down"
expect_status 1 "a CA that rejects" p11e --json --token beta enroll tls-client \
	--set cn=x --ca "exec:$WORK/ca-no"
expect "the role's error is ca-rejected" "$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert (e["role"], e["code"], e["exit"]) == ("tls-client", "ca-rejected", 1), e
' "$WORK/out"
expect_status 1 "a CA that cannot be reached" p11e --json --token beta enroll \
	tls-client --set cn=x --ca "exec:$WORK/ca-down"
expect "the role's error is ca-unreachable" "$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert (e["code"], e["exit"]) == ("ca-unreachable", 1), e
' "$WORK/out"

# One closed set: the codes err.c names, the schema's and the man page's.
expect "err.c, doc/error.schema.json and p11enroll(1) list the same codes" \
	"$PYTHON" -c '
import json, re, sys
src = open(sys.argv[1]).read()
table = src[src.index("err_code_names[ERR_CODE_COUNT]"):]
table = table[:table.index("};")]
code = set(re.findall(r"\] = \"([a-z-]+)\"", table))
schema = set(json.load(open(sys.argv[2]))["definitions"]["code"]["enum"])
man = open(sys.argv[3]).read()
man = man[man.index("is one of a closed set"):]
man = set(re.findall(r"^\.It Li ([a-z-]+)$", man[:man.index(".El")], re.M))
assert code == schema == man, (code ^ schema, code ^ man)
' "$top_srcdir/src/common/err.c" "$SCHEMA" "$top_srcdir/man/p11enroll.1"

finish
