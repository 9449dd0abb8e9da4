# SPDX-License-Identifier: MIT
# rerun.sh - running again what is partly done: a role already on the
# token has its own exit status and points to renew; enroll --missing and
# a batch rerun without its journal enroll only what is missing and leave
# the rest byte for byte; without --trust every enrolling command warns,
# once per run, that the chain is not checked, and its JSON says so.
. "$top_srcdir/tests/cli/lib.sh"

new_token alpha
new_token beta
new_token gamma
new_ca
CA="exec:$TESTCA $WORK/ca"
TRUST="$WORK/ca/root.pem"

# ---- a role already there ----------------------------------------------------

expect_status 0 "enroll tls-server" p11e --token alpha enroll tls-server \
	--ca "$CA" --trust "$TRUST" --set dns=a.example.org
expect_no_grep "with --trust, no chain warning" 'not checked' "$WORK/err"
objects_of alpha >"$WORK/before"
expect_status 6 "enroll tls-server again: exit 6, not a CA failure's 1" \
	p11e --token alpha enroll tls-server --ca "$CA" --trust "$TRUST" \
	--set dns=a.example.org
expect_grep "the message points to renew and --missing" \
	'role tls-server is already on the token .*p11enroll renew .*enroll --missing' "$WORK/err"
expect_status 6 "the same as JSON" p11e --json --token alpha enroll tls-server \
	--ca "$CA" --trust "$TRUST" --set dns=a.example.org
expect "its code is role-enrolled, exit 6" "$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert (e["role"], e["code"], e["exit"]) == ("tls-server", "role-enrolled", 6), e
' "$WORK/out"
expect_unchanged "after the refusals" alpha

# ---- enroll --missing --------------------------------------------------------

expect_status 0 "enroll --missing tls-server tls-client" p11e --token alpha \
	enroll --missing tls-server tls-client --ca "$CA" --trust "$TRUST" \
	--set dns=a.example.org --set cn=alpha
expect_grep "tls-server is said to be there" '^present tls-server: already on the token' "$WORK/out"
expect_grep "tls-client is enrolled" '^enrolled tls-client: ' "$WORK/out"
objects_of alpha >"$WORK/after"
role_blocks tls-server "$WORK/before" >"$WORK/server-before"
role_blocks tls-server "$WORK/after" >"$WORK/server-after"
expect "tls-server's objects are byte for byte the same (pkcs11-tool)" \
	cmp -s "$WORK/server-before" "$WORK/server-after"
expect "three tls-server objects, the same IDs" test "$(wc -l <"$WORK/server-after")" -eq 3
expect "tls-client has its key pair and certificate" \
	test "$(role_blocks tls-client "$WORK/after" | wc -l)" -eq 3

cp "$WORK/after" "$WORK/before"
expect_status 0 "enroll --missing when nothing is missing" p11e --json --token alpha \
	enroll --missing tls-server tls-client --ca "$CA" --trust "$TRUST" \
	--set dns=a.example.org --set cn=alpha
expect "JSON: both present, none enrolled" "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["enrolled"] == [] and "error" not in d, d
assert [p["role"] for p in d["present"]] == ["tls-server", "tls-client"], d
' "$WORK/out"
expect_unchanged "enroll --missing with everything there" alpha

# ---- batch rerun without its journal ----------------------------------------

printf '%s\n' 'token,roles,dns,cn' 'beta,tls-server,b.example.org,b' \
	'gamma,tls-server,c.example.org,c' >"$WORK/m.csv"
expect_status 0 "batch" p11e batch "$WORK/m.csv" --ca "$CA" --trust "$TRUST"
objects_of beta >"$WORK/beta-before"
objects_of gamma >"$WORK/before"
expect_status 0 "the same batch again, without a journal" \
	p11e batch "$WORK/m.csv" --ca "$CA" --trust "$TRUST" --report "$WORK/r.json"
expect_grep "every row done earlier" \
	'^batch: 2 rows: 0 done, 2 done earlier, 0 failed' "$WORK/out"
expect_unchanged "gamma after the rerun" gamma
cp "$WORK/beta-before" "$WORK/before"
expect_unchanged "beta after the rerun" beta
expect "the report: both rows done, their roles earlier" "$PYTHON" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
rows, summary = lines[:-1], lines[-1]["summary"]
assert [r["state"] for r in rows] == ["done", "done"], rows
assert all(x["earlier"] for r in rows for x in r["roles"]), rows
assert summary["earlier"] == 2 and summary["failed"] == 0, summary
assert summary["chain_checked"] is True and rows[0]["chain_checked"] is True
' "$WORK/r.json"

# A role added to a row: only it is enrolled.
printf '%s\n' 'token,roles,dns,cn' 'beta,tls-server tls-client,b.example.org,b' \
	'gamma,tls-server,c.example.org,c' >"$WORK/m2.csv"
expect_status 0 "a rerun with a role added to one row" \
	p11e batch "$WORK/m2.csv" --ca "$CA" --trust "$TRUST"
expect_grep "one row done, one done earlier" '^batch: 2 rows: 1 done, 1 done earlier' "$WORK/out"
objects_of beta >"$WORK/beta-after"
role_blocks tls-server "$WORK/beta-before" >"$WORK/server-before"
role_blocks tls-server "$WORK/beta-after" >"$WORK/server-after"
expect "beta's tls-server is byte for byte the same" \
	cmp -s "$WORK/server-before" "$WORK/server-after"
expect "beta's tls-client is there" \
	test "$(role_blocks tls-client "$WORK/beta-after" | wc -l)" -eq 3

# ---- the chain is not checked without --trust --------------------------------

expect_status 0 "enroll two roles without --trust" p11e --json --token gamma \
	enroll tls-client user-sign --ca "$CA" --set cn=g --set name=G \
	--set email=g@example.org
expect "one warning for the run, on stderr" \
	test "$(grep -c 'warning: no --trust: the chain of the returned certificates is not checked' "$WORK/err")" -eq 1
expect "JSON: chain_checked is false for each" "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [e["chain_checked"] for e in d["enrolled"]] == [False, False], d
' "$WORK/out"
expect_status 0 "with --quiet, no warning" p11e --quiet --token gamma \
	enroll --missing tls-client --ca "$CA" --set cn=g
expect_no_grep "--quiet is quiet" 'not checked' "$WORK/err"
expect_status 0 "renew without --trust" p11e --json --token gamma renew tls-client \
	--ca "$CA"
expect_grep "renew warns" '^p11enroll: renew: warning: no --trust' "$WORK/err"
expect "renew's JSON says chain_checked false" "$PYTHON" -c '
import json, sys
assert json.load(open(sys.argv[1]))["renewed"][0]["chain_checked"] is False
' "$WORK/out"
expect_status 0 "renew with --trust" p11e --json --token gamma renew tls-client \
	--ca "$CA" --trust "$TRUST"
expect_no_grep "no warning with --trust" 'not checked' "$WORK/err"
expect "and chain_checked true" "$PYTHON" -c '
import json, sys
assert json.load(open(sys.argv[1]))["renewed"][0]["chain_checked"] is True
' "$WORK/out"

new_token zeta
expect_status 0 "request" p11e --token zeta request tls-server --out "$WORK/req.pem" \
	--set dns=z.example.org
CERTMONGER_CSR=$(cat "$WORK/req.pem") "$TESTCA" "$WORK/ca" >"$WORK/answer.pem"
expect_status 0 "install without --trust" p11e --token zeta install tls-server \
	"$WORK/answer.pem"
expect_grep "install warns" '^p11enroll: install: warning: no --trust' "$WORK/err"

new_token delta
new_token epsilon
printf '%s\n' 'token,roles,dns,cn' 'delta,tls-client,d,d' 'epsilon,tls-client,e,e' \
	>"$WORK/m3.csv"
expect_status 0 "batch of two rows without --trust" p11e batch "$WORK/m3.csv" \
	--ca "$CA" --report "$WORK/r3.json"
expect "batch warns once, not per row" \
	test "$(grep -c '^p11enroll: batch: warning: no --trust' "$WORK/err")" -eq 1
expect "the report says chain_checked false" "$PYTHON" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["chain_checked"] is False for r in lines[:-1]), lines
assert lines[-1]["summary"]["chain_checked"] is False
' "$WORK/r3.json"

finish
