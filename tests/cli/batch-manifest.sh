# SPDX-License-Identifier: MIT
# batch-manifest.sh - what a manifest may ask, checked before any token is
# touched: one row per token, however the rows name it.
. "$top_srcdir/tests/cli/lib.sh"

new_ca
CA="exec:$TESTCA $WORK/ca"
new_token alpha
new_token beta
# token_field LABEL FIELD: FIELD of token LABEL, as tokens --json gives it.
token_field() {
	p11e --json tokens | "$PYTHON" -c '
import json, sys
for t in json.load(sys.stdin)["tokens"]:
    if t["label"] == sys.argv[1]:
        print(t[sys.argv[2]])' "$1" "$2"
}
alpha_serial=$(token_field alpha serial)
alpha_uri=$(token_field alpha uri)
expect "alpha has a serial ($alpha_serial) and a URI" \
	test -n "$alpha_serial" -a -n "$alpha_uri"
objects_of alpha >"$WORK/before"

# refused WHAT PATTERN CSV: exit 2, the pattern on stderr, no journal,
# alpha untouched.
refused() {
	printf '%b' "$3" >"$WORK/m.csv"
	rm -f "$WORK/j"
	expect_status 2 "$1" p11e batch "$WORK/m.csv" --ca "$CA" --journal "$WORK/j"
	expect_grep "$1: both lines and the column" "$2" "$WORK/err"
	expect "$1: no journal was started" test ! -e "$WORK/j"
	expect_unchanged "$1" alpha
}

# ---- one token named twice --------------------------------------------------

refused "a label and the same token's serial" \
	"m.csv:3:1: token 'pkcs11:serial=$alpha_serial' is the token that line 2 names already \\(column 1\\): 'alpha'" \
	"token,roles,dns,cn\nalpha,tls-server,a.example.org,c\npkcs11:serial=$alpha_serial,tls-client,b.example.org,c\n"
refused "a serial URI and the token's full URI" \
	"m.csv:4:2: token '.*' is the token that line 2 names already \\(column 2\\): 'alpha'" \
	"roles,token,dns,cn\ntls-server,pkcs11:serial=$alpha_serial,a.example.org,c\ntls-server,beta,b.example.org,c\ntls-client,$alpha_uri,c.example.org,c\n"
refused "a label and the URI's token attribute" \
	"m.csv:3:1: token 'pkcs11:token=alpha' is the token that line 2 names already" \
	'token,roles,dns,cn\nalpha,tls-server,a.example.org,c\npkcs11:token=alpha,tls-client,b.example.org,c\n'
refused "the first repeat in the file is the one reported" \
	"m.csv:4:1: token 'beta' is the token that line 3 names already" \
	"token,roles,dns,cn\nalpha,tls-server,a,c\nbeta,tls-server,b,c\nbeta,tls-server,c,c\npkcs11:serial=$alpha_serial,tls-server,d,c\n"
refused "a token that is not present, twice as written" \
	"m.csv:3:1: token 'gone' is on line 2 already" \
	'token,roles,dns,cn\ngone,tls-server,a.example.org,c\ngone,tls-client,b.example.org,c\n'
refused "an init_label twice" \
	"m.csv:3:2: init_label 'card' is on line 2 already" \
	'token,init_label,roles,cn\npkcs11:slot-id=1,card,tls-client,a\npkcs11:slot-id=2,card,tls-client,b\n'

# ---- different tokens are fine ---------------------------------------------

printf 'token,roles,dns,cn\nalpha,tls-server,a.example.org,a\npkcs11:token=beta,tls-server,b.example.org,b\ngone,tls-server,c.example.org,c\n' \
	>"$WORK/ok.csv"
expect_status 3 "two tokens and a missing one: the missing row fails alone" \
	p11e batch "$WORK/ok.csv" --ca "$CA"
expect_grep "the missing token fails as its row" \
	"^line 4, token gone: failed: no token matches 'gone'" "$WORK/out"
expect_grep "the other two are done" '^batch: 3 rows: 2 done, 0 done earlier, 1 failed' \
	"$WORK/out"

# ---- PIN sources a manifest may give --------------------------------------

new_token gamma
objects_of gamma >"$WORK/before"
( umask 077; printf '%s\n' "$USER_PIN" >"$WORK/alpha.pin" )
printf 'token,roles,dns,cn,pin_source\ngamma,tls-server,a.example.org,a,file:%s\n' \
	"$WORK/alpha.pin" >"$WORK/pf.csv"
printf 'token,roles,dns,cn\npkcs11:token=gamma?pin-source=%s,tls-server,a.example.org,a\n' \
	"$WORK/alpha.pin" >"$WORK/pu.csv"
printf 'token,roles,dns,cn,pin_source\ngamma,tls-server,a.example.org,a,env:ALPHA_PIN\n' \
	>"$WORK/pe.csv"
expect_status 2 "--manifest-pin-sources=env refuses a file: pin_source" \
	p11e batch "$WORK/pf.csv" --ca "$CA" --manifest-pin-sources env
expect_grep "the refusal names line and column" \
	"pf.csv:2:5 \\(pin_source\\): pin_source 'file:.*' is refused by --manifest-pin-sources=env" "$WORK/err"
expect_status 2 "--manifest-pin-sources=env refuses a token URI's pin-source" \
	p11e batch "$WORK/pu.csv" --ca "$CA" --manifest-pin-sources env
expect_grep "that refusal names line and column" \
	"pu.csv:2:1 \\(token\\): the token URI's pin-source names a file" "$WORK/err"
expect_status 2 "--manifest-pin-sources=none refuses env: too" \
	env ALPHA_PIN=$USER_PIN "$P11ENROLL" --pin-source "file:$PIN_FILE" \
	batch "$WORK/pe.csv" --ca "$CA" --manifest-pin-sources none
expect_grep "and says where PINs come from" \
	"pe.csv:2:5 \\(pin_source\\): pin_source 'env:ALPHA_PIN' is refused by --manifest-pin-sources=none" "$WORK/err"
expect_status 2 "an unknown --manifest-pin-sources" \
	p11e batch "$WORK/pe.csv" --ca "$CA" --manifest-pin-sources some
expect_unchanged "after the refused PIN sources" gamma
expect_status 0 "--manifest-pin-sources=env takes env:" \
	env ALPHA_PIN=$USER_PIN "$P11ENROLL" batch "$WORK/pe.csv" --ca "$CA" \
	--manifest-pin-sources env
new_token delta
sed 's/^gamma,/delta,/' "$WORK/pf.csv" >"$WORK/pd.csv"
expect_status 0 "the default still reads a file: pin_source" \
	p11e batch "$WORK/pd.csv" --ca "$CA"

# ---- a CA per row ----------------------------------------------------------

new_ca "$WORK/ca2"
new_token eps
new_token zeta
# issued_by TOKEN CADIR: TOKEN's tls-server certificate verifies against
# the test CA in CADIR alone.
issued_by() {
	p11tool_on "$1" --read-object --type cert --label tls-server \
		-o "$WORK/$1.der" >/dev/null
	openssl x509 -inform DER -in "$WORK/$1.der" -out "$WORK/$1.pem"
	openssl verify -CAfile "$2/root.pem" -untrusted "$2/ca.pem" \
		"$WORK/$1.pem" >/dev/null 2>&1
}
printf 'token,roles,dns,ca\neps,tls-server,e.example.org,exec:%s %s\nzeta,tls-server,z.example.org,\n' \
	"$TESTCA" "$WORK/ca2" >"$WORK/ca.csv"
objects_of eps >"$WORK/before"
expect_status 2 "a row without ca needs --ca" p11e batch "$WORK/ca.csv"
expect_grep "that refusal says why" \
	'--ca is required: a row of the manifest has no ca' "$WORK/err"
expect_unchanged "without --ca" eps
expect_status 0 "a row with its own CA, a row with --ca" \
	p11e batch "$WORK/ca.csv" --ca "$CA"
expect "eps: issued by its row's CA" issued_by eps "$WORK/ca2"
expect "eps: not by --ca" eval '! issued_by eps "$WORK/ca"'
expect "zeta: issued by --ca" issued_by zeta "$WORK/ca"
expect "zeta: not by the other row's CA" eval '! issued_by zeta "$WORK/ca2"'

new_token eta
printf 'token,roles,dns,ca\neta,tls-server,h.example.org,exec:%s %s\n' \
	"$TESTCA" "$WORK/ca2" >"$WORK/ca-all.csv"
expect_status 0 "every row with its CA: no --ca needed" \
	p11e batch "$WORK/ca-all.csv"
expect "eta: issued by its row's CA" issued_by eta "$WORK/ca2"

finish
