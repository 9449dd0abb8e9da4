# SPDX-License-Identifier: MIT
# three-way.sh - one scenario run three ways: on SoftHSM's module
# directly, on SoftHSM through p11-kit's proxy module, and on SoftHSM
# behind OpenSC's pkcs11-spy. Once what must differ between runs is
# normalised (keys, serials, times, slots), the three must give the same
# exit statuses, the same output and the same objects on the token.
. "$top_srcdir/tests/cli/lib.sh"

new_ca
CA="exec:$TESTCA $WORK/ca"

# ---- the modules ----
# configure passes p11-kit's own answer (pkg-config's proxy_module); when
# it had none, the usual places.
PROXY=
for f in "${P11KIT_PROXY:-}" /usr/lib/*/p11-kit-proxy.so /usr/lib/p11-kit-proxy.so \
	/usr/lib64/p11-kit-proxy.so /usr/lib/*/pkcs11/p11-kit-proxy.so; do
	case $f in /*) ;; *) continue ;; esac
	if [ -r "$f" ]; then PROXY=$f; break; fi
done
SPY=
for f in /usr/lib/*/pkcs11-spy.so /usr/lib/*/pkcs11/pkcs11-spy.so; do
	if [ -r "$f" ]; then SPY=$f; break; fi
done

ways=direct
if [ -z "$PROXY" ]; then
	not_ok "p11-kit's proxy module not found (package p11-kit-modules): no run through it"
elif [ "$(id -u)" -eq 0 ] && ! unshare --user true; then
	# See confined, below.
	not_ok "running as root and no user namespace (unshare --user): no run through p11-kit's proxy"
else
	ways="$ways proxy"
fi
if [ -n "$SPY" ]; then
	ways="$ways spy"
else
	not_ok "OpenSC's pkcs11-spy.so not found (package opensc-pkcs11): no run behind it"
fi

# ---- p11-kit with the test's configuration and nothing else ----
# p11-kit reads ~/.config/pkcs11 (pkcs11.conf(5)); there, user-config:
# only makes it ignore the system's configuration and every module the
# system registers (/usr/share/p11-kit/modules, /etc/pkcs11/modules). The
# test's module has a name that no system file has, so a listing shows
# whose configuration was read. HOME-LOG is the same with log-calls, which
# makes p11-kit log every call it forwards on stderr.
for home in home home-log; do
	mkdir -p "$WORK/$home/.config/pkcs11/modules"
	printf 'user-config: only\n' >"$WORK/$home/.config/pkcs11/pkcs11.conf"
	printf 'module: %s\n' "$SOFTHSM2_MODULE" \
		>"$WORK/$home/.config/pkcs11/modules/p11enroll-test.module"
done
printf 'log-calls: yes\n' >>"$WORK/home-log/.config/pkcs11/modules/p11enroll-test.module"

# confined HOME COMMAND...: COMMAND with p11-kit's configuration from
# $WORK/HOME. p11-kit skips the user's configuration in a process running
# as root, so as root COMMAND runs in a new user namespace, where its uid
# is not 0; its files keep their owner, so it reads and writes the work
# directory as before.
confined() {
	_home=$WORK/$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		set -- unshare --user "$@"
	fi
	env HOME="$_home" XDG_CONFIG_HOME="$_home/.config" "$@"
}

# ---- the scenario ----
# way_p11e ARGS...: p11enroll the current way ($way), with the token's
# PIN file; behind the spy, the calls go to $spylog. The state directory
# is named: its default differs between root and the confined user.
way_p11e() {
	case $way in
	direct)
		env P11ENROLL_MODULE="$SOFTHSM2_MODULE" \
			"$P11ENROLL" --pin-source "file:$PIN_FILE" --state-dir "$WORK/state" "$@"
		;;
	proxy)
		# No module named: p11enroll's default is p11-kit's proxy.
		confined home env -u P11ENROLL_MODULE \
			"$P11ENROLL" --pin-source "file:$PIN_FILE" --state-dir "$WORK/state" "$@"
		;;
	spy)
		# The spy leaks (see renew-remove.sh): LeakSanitizer is off.
		env ASAN_OPTIONS=detect_leaks=0 PKCS11SPY="$SOFTHSM2_MODULE" \
			PKCS11SPY_OUTPUT="$spylog" P11ENROLL_MODULE="$SPY" \
			"$P11ENROLL" --pin-source "file:$PIN_FILE" --state-dir "$WORK/state" "$@"
		;;
	esac
}

# step NAME WANT COMMAND...: a step of the scenario, which must exit with
# WANT; its output goes to $D/NAME.out and .err, its status to
# $D/statuses, and behind the spy the calls it made to $D/NAME.spy.
step() {
	_name=$1
	_want=$2
	shift 2
	spylog=$D/$_name.spy
	_got=0
	"$@" >"$D/$_name.out" 2>"$D/$_name.err" </dev/null || _got=$?
	echo "$_name $_got" >>"$D/statuses"
	if [ "$_got" -eq "$_want" ]; then
		ok "$way: $_name (exit $_got)"
	else
		not_ok "$way: $_name: exit $_got, expected $_want"
		sed 's/^/#   /' "$D/$_name.out" "$D/$_name.err"
	fi
}

# The token's objects, one pkcs11-tool block per object, in the order of
# their class and label: SoftHSM lists them in no fixed order.
sorted_objects() {
	objects_of "$1" | "$PYTHON" -c '
import sys
blocks = []
for line in sys.stdin:
    if line[:1] not in (" ", "\t") or not blocks:
        blocks.append([])
    blocks[-1].append(line)
def key(b):
    label = [l for l in b if l.strip().startswith("label:")]
    return (b[0], label)
for b in sorted(blocks, key=key):
    sys.stdout.write("".join(b))
'
}

for way in $ways; do
	D=$WORK/$way
	mkdir -p "$D/tokens"
	# Each way its own token directory, so that every way has a token
	# called card and sees no other.
	SOFTHSM2_CONF=$D/softhsm2.conf
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$D/tokens" >"$SOFTHSM2_CONF"
	new_token card

	if [ "$way" = proxy ]; then
		# Only the test's module, from the test's configuration.
		if command -v p11-kit >/dev/null; then
			confined home p11-kit list-modules >"$WORK/modules" 2>&1 || :
			grep -v '^[[:space:]]' "$WORK/modules" >"$WORK/modules.names" || :
			printf 'p11enroll-test: %s\n' "$SOFTHSM2_MODULE" >"$WORK/modules.want"
			if cmp -s "$WORK/modules.want" "$WORK/modules.names"; then
				ok "p11-kit loads only the test's module, from the test's configuration"
			else
				not_ok "p11-kit does not load only the test's module"
				sed 's/^/#   /' "$WORK/modules"
			fi
			expect_grep "p11-kit reaches the test's token" '^    token: card$' \
				"$WORK/modules"
		else
			not_ok "p11-kit not found (package p11-kit): its modules are not checked"
		fi

		# Through the proxy, the same tokens as SoftHSM's own, with
		# p11-kit forwarding each call to SoftHSM's slot.
		expect_status 0 "tokens through SoftHSM's module" \
			env P11ENROLL_MODULE="$SOFTHSM2_MODULE" "$P11ENROLL" --json tokens
		cp "$WORK/out" "$WORK/tokens-direct.json"
		# Not under valgrind: p11-kit's log of C_Initialize formats
		# uninitialised memory of its own (p11-kit 0.24).
		expect_status 0 "tokens through p11-kit's proxy (the default), which logs its calls" \
			confined home-log env -u P11ENROLL_MODULE "$P11ENROLL_NATIVE" \
			--json tokens
		cp "$WORK/out" "$WORK/tokens-proxy.json"
		cp "$WORK/err" "$WORK/tokens-proxy.err"
		expect "the default module was the proxy, and it shows SoftHSM's tokens" "$PYTHON" -c '
import json, re, sys
direct = json.load(open(sys.argv[1]))
proxy = json.load(open(sys.argv[2]))
calls = open(sys.argv[3]).read()
assert direct["module"] == sys.argv[4], direct["module"]
assert proxy["module"] == sys.argv[5], proxy["module"]
pairs = lambda doc: [(t["label"], t["serial"]) for t in doc["tokens"]]
assert pairs(proxy) == pairs(direct), (pairs(proxy), pairs(direct))
card = [t for t in direct["tokens"] if t["label"] == "card"]
assert len(card) == 1, direct["tokens"]
# p11-kit logged the slot list it got from SoftHSM: SoftHSM'\''s own slot
# numbers, which it maps to its own.
m = re.search(r"OUT: pSlotList = \(\d+\) \[ (.*) \]", calls)
assert m, "no C_GetSlotList logged by p11-kit"
assert "SL%d" % card[0]["slot"] in m.group(1).split(", "), m.group(0)
' "$WORK/tokens-direct.json" "$WORK/tokens-proxy.json" "$WORK/tokens-proxy.err" \
			"$SOFTHSM2_MODULE" "$PROXY"
	fi

	: >"$D/statuses"
	step enroll 0 way_p11e --token card --json enroll smartcard-user --ca "$CA" \
		--trust "$WORK/ca/root.pem" --set "name=Alice Example" \
		--set upn=alice@example.org --set email=alice@example.org
	step status 0 way_p11e --token card --json status
	step renew 0 way_p11e --token card renew user-sign --ca "$CA"
	step remove 0 way_p11e --token card remove user-encrypt --yes
	step status-after 0 way_p11e --token card --json status
	step objects 0 sorted_objects card
done

# ---- what the spy saw ----
# count FUNCTION FILE: how many calls of FUNCTION the spy logged.
count() {
	grep -Ec "^[0-9]+: $1\$" "$2" || :
}
if [ -n "$SPY" ]; then
	D=$WORK/spy
	# STEP C_GenerateKeyPair C_Sign C_CreateObject C_DestroyObject; each
	# request is signed with two C_Sign, the length and the signature;
	# enroll writes the issuing CA's certificate once for its three
	# roles, and remove leaves it for the roles that still need it; each
	# role written has its enrollment record, a data object, which renew
	# replaces and remove deletes.
	while read -r name gen sign create destroy; do
		got="$(count C_GenerateKeyPair "$D/$name.spy") $(count C_Sign "$D/$name.spy")"
		got="$got $(count C_CreateObject "$D/$name.spy") $(count C_DestroyObject "$D/$name.spy")"
		if [ "$got" = "$gen $sign $create $destroy" ]; then
			ok "spy: $name made its calls through the spy ($got)"
		else
			not_ok "spy: $name: C_GenerateKeyPair C_Sign C_CreateObject C_DestroyObject $got, expected $gen $sign $create $destroy"
		fi
	done <<'EOF'
enroll 3 6 7 0
status 0 0 0 0
renew 1 2 2 4
remove 0 0 0 4
status-after 0 0 0 0
EOF
	expect_grep "spy: the log shows the login" '^[0-9]+: C_Login$' "$D/enroll.spy"
fi

# ---- the three ways give the same ----
# normalise DIR: the scenario's results in DIR, with what differs from
# run to run replaced: key IDs (SHA-1 of fresh keys), certificate and token
# serials, fingerprints, public key values and slots by numbered
# placeholders, in order of first appearance, so that which value recurs
# where is still compared; times and days left by TIME and DAYS; the
# module's path by MODULE.
normalise() {
	"$PYTHON" - "$1" <<'PY'
import json, re, sys
d = sys.argv[1]
tables = {}
def num(kind, value):
    t = tables.setdefault(kind, {})
    if value not in t:
        t[value] = "%s#%d" % (kind, len(t) + 1)
    return t[value]

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
def text(s):
    s = re.sub(r"\bserial=([0-9a-fA-F]+)", lambda m: "serial=" + num("SERIAL", m.group(1).upper()), s)
    s = re.sub(r"(?m)^(  serial: +)([0-9A-Fa-f]+)$", lambda m: m.group(1) + num("SERIAL", m.group(2).upper()), s)
    s = re.sub(r"\bid=((?:%[0-9A-Fa-f]{2})+)",
               lambda m: "id=" + num("ID", m.group(1).replace("%", "").lower()), s)
    s = re.sub(r"\b[0-9a-f]{40}\b", lambda m: num("ID", m.group(0)), s)
    s = re.sub(r"\b[0-9a-f]{64,}\b", lambda m: num("BLOB", m.group(0)), s)
    s = re.sub(TIME, "TIME", s)
    s = re.sub(r"(?m)^Data object \d+$", "Data object N", s)
    s = re.sub(r"-----BEGIN ([A-Z ]+)-----[^-]*-----END ",
               lambda m: "-----BEGIN %s-----PEM-----END " % m.group(1), s)
    return s

def data_sorted(s):
    """pkcs11-tool's listing S with each run of data objects in one order:
    a module lists its objects in an order of its own (SoftHSM's follows
    where they sit in memory), and data objects differ only by label."""
    lines, out, run = s.split("\n"), [], []
    i = 0
    while i < len(lines):
        if lines[i] == "Data object N":
            j = i + 1
            while j < len(lines) and lines[j].startswith(" "):
                j += 1
            run.append("\n".join(lines[i:j]))
            i = j
            continue
        out.extend(sorted(run))
        run = []
        out.append(lines[i])
        i += 1
    out.extend(sorted(run))
    return "\n".join(out)

def walk(v, key=None):
    if isinstance(v, dict):
        return {k: walk(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x, key) for x in v]
    if key == "id" and isinstance(v, str):
        return num("ID", v)
    if key == "serial" and isinstance(v, str):
        return num("SERIAL", v.upper())
    if key in ("sha256", "sha1", "fingerprint"):
        return num("BLOB", v)
    if key == "slot":
        return num("SLOT", v)
    if key in ("not_before", "not_after") and re.fullmatch(TIME, str(v)):
        return "TIME"
    if key == "days_left" and isinstance(v, int) and 360 <= v <= 366:
        return "DAYS"
    if key == "module":
        return "MODULE"
    if isinstance(v, str):
        return text(v)
    return v

for name in ("statuses", "enroll.out", "enroll.err", "status.out", "status.err",
             "renew.out", "renew.err", "remove.out", "remove.err",
             "status-after.out", "status-after.err", "objects.out", "objects.err"):
    raw = open("%s/%s" % (d, name), errors="replace").read()
    print("==== " + name)
    if name.endswith(".out") and raw.lstrip().startswith("{"):
        try:
            doc = json.loads(raw)
        except ValueError as e:
            print("not JSON: %s" % e)
            print(text(raw), end="")
        else:
            print(json.dumps(walk(doc), indent=1))
    elif name == "objects.out":
        print(data_sorted(text(raw)), end="")
    else:
        print(text(raw), end="")
PY
}

for way in $ways; do
	normalise "$WORK/$way" >"$WORK/$way.normalised"
done

# The normalised results still say what happened: three roles enrolled
# (ID#1 to ID#3; ID#4 is the CA certificate kept with them, which status
# lists), a fourth key for user-sign (ID#5), four objects removed (the
# key pair, certificate and enrollment record of user-encrypt), two roles
# left.
expect "the normalised results are the scenario's" "$PYTHON" -c '
import sys
s = open(sys.argv[1]).read()
for want in ("enroll 0\n", "objects 0\n", "\"role\": \"user-encrypt\"", "ID#3",
             "renewed user-sign: ec-p256 key ID#5, certificate CN=Alice Example valid until TIME",
             "removed user-encrypt: 4 objects", "label:      user-auth", "ID:         ID#5",
             "label:      p11enroll test issuing CA"):
    assert want in s, want
after = s.split("==== status-after.out")[1].split("==== status-after.err")[0]
assert after.count("\"state\": \"enrolled\"") == 2, after
assert "user-encrypt" not in after, after
assert "ID#3" not in s.split("==== objects.out")[1], "user-encrypt still on the token"
' "$WORK/direct.normalised"

for way in $ways; do
	[ "$way" != direct ] || continue
	if cmp -s "$WORK/direct/statuses" "$WORK/$way/statuses"; then
		ok "$way: every step exits as it does on SoftHSM directly"
	else
		not_ok "$way: exit statuses differ from SoftHSM directly"
		diff "$WORK/direct/statuses" "$WORK/$way/statuses" | sed 's/^/#   /'
	fi
	if cmp -s "$WORK/direct.normalised" "$WORK/$way.normalised"; then
		ok "$way: the same output and the same token as on SoftHSM directly"
	else
		not_ok "$way: results differ from SoftHSM directly"
		diff -u "$WORK/direct.normalised" "$WORK/$way.normalised" | sed 's/^/#   /'
	fi
done

finish
