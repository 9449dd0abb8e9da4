# SPDX-License-Identifier: MIT
# sweep.sh - every PKCS#11 call of enroll, renew, renew --due and batch
# failed in turn.
#
# A token that already holds a role (user-auth) gets two more (enroll),
# has one of them renewed (renew), and the one that is due of two renewed
# by renew --due (renew-due), and two such tokens go through a batch;
# each scenario runs once per call position and fault kind through the
# fault module (tests/faultmod), and sweep.py checks every run: a clear
# error naming the step, the earlier role byte for byte as it was, and no
# pending or orphan objects, at once or after the clean-up the message
# asks for. The counts of runs and outcomes are printed.
#
# enroll and renew get every fault kind at every position; the batch,
# whose every run is a batch, its checks and its rerun, gets every
# position once with a rotating kind (sweep.py's "rotate"), unless
# SWEEP_MODE=full. SWEEP_MODE=rotate (for the sanitizer and valgrind
# passes) rotates all of them. The so-enroll scenario, an enroll on a
# token that writes only for its security officer, rotates as the batch
# does.
# SWEEP_SAMPLE=K makes only every Kth run (the sanitizer pass: 2).
# SWEEP_SCENARIOS picks among "enroll renew renew-due so-enroll batch";
# SWEEP_JOBS
# is how many runs go at once (2). SWEEP_SHARD=I/N
# does only every Nth run of each scenario, starting with the Ith: make
# check runs sweep-1.sh .. sweep-4.sh, the four quarters, side by side.
. "$top_srcdir/tests/cli/lib.sh"

: "${P11FAULT_MODULE:?the fault module is built by make check}"
new_ca
CA="exec:$FIXTURES/ca-quick.sh $WORK/ca"

# template NAME: $WORK/tmpl-NAME with the tokens as they are now, and the
# list of the object files of the role that must not change.
template() {
	mkdir "$WORK/tmpl-$1"
	cp -a "$WORK/tokens" "$WORK/tmpl-$1/tokens"
	cp "$WORK/before-files" "$WORK/tmpl-$1/before-files"
}

# enrolled_before LABEL...: user-auth on each token, and its objects
# listed in $WORK/before-files.
enrolled_before() {
	: >"$WORK/before-files"
	for _t in "$@"; do
		_seen=$(cd "$WORK/tokens" && ls -d */*.object)
		p11e --token "$_t" enroll user-auth --ca "$CA" \
			--set "name=Sweep User" --set upn=sweep@example.org >/dev/null
		(cd "$WORK/tokens" && ls -d */*.object) | grep -v '/token\.object$' |
			grep -vxF "$_seen" >>"$WORK/before-files" || :
	done
}

# The scenarios to run (all by default).
SCENARIOS=${SWEEP_SCENARIOS:-enroll renew renew-due so-enroll batch}

# sweep SPEC MODE: run sweep.py on the scenario described by the JSON
# SPEC, in MODE unless SWEEP_MODE says otherwise.
sweep() {
	case " $SCENARIOS " in
	*" $("$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])["name"])' "$1") "*) ;;
	*) return 0 ;;
	esac
	if SWEEP_WORK=$WORK PIN_FILE=$PIN_FILE SWEEP_MODE=${SWEEP_MODE:-$2} "$PYTHON" \
		"$top_srcdir/tests/cli/sweep.py" "$1" >"$WORK/sweep.out" 2>&1; then
		ok "$(tail -n 1 "$WORK/sweep.out" | sed 's/^# //')"
	else
		not_ok "sweep failed"
		sed 's/^/#   /' "$WORK/sweep.out" | head -n 200
	fi
	grep '^# ' "$WORK/sweep.out" || :
}

json_list() {
	"$PYTHON" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@"
}

# ---- enroll: two roles beside user-auth ---------------------------------------

new_token sweep
enrolled_before sweep
expect "user-auth's objects are known" test -s "$WORK/before-files"
template enroll
sweep "{\"name\": \"enroll\", \"template\": \"$WORK/tmpl-enroll\", \"command\": \"enroll\",
	\"argv\": $(json_list --token sweep enroll tls-server tls-client --ca "$CA" \
		--trust "$WORK/ca/root.pem" --set dns=sweep.example.org \
		--set cn=sweep-client),
	\"tokens\": [\"sweep\"], \"before_role\": \"user-auth\",
	\"new_roles\": [\"tls-server\", \"tls-client\"]}" full

# ---- renew: tls-server beside user-auth -------------------------------------

expect_status 0 "tls-server to renew" p11e --token sweep enroll tls-server \
	--ca "$CA" --set dns=sweep.example.org
template renew
sweep "{\"name\": \"renew\", \"template\": \"$WORK/tmpl-renew\", \"command\": \"renew\",
	\"argv\": $(json_list --token sweep renew tls-server --ca "$CA" \
		--trust "$WORK/ca/root.pem"),
	\"tokens\": [\"sweep\"], \"before_role\": \"user-auth\",
	\"new_roles\": [\"tls-server\"]}" full

# ---- renew-due: tls-server, 40 days left, due; user-auth, a year, not -------

rm -rf "$WORK/tokens"
mkdir "$WORK/tokens"
new_token duesweep
enrolled_before duesweep
expect_status 0 "tls-server for 40 days" p11e --token duesweep enroll tls-server \
	--ca "exec:$FIXTURES/ca-quick.sh $WORK/ca 40" --trust "$WORK/ca/root.pem" \
	--set dns=due.example.org
template renew-due
sweep "{\"name\": \"renew-due\", \"template\": \"$WORK/tmpl-renew-due\", \"command\": \"renew\",
	\"argv\": $(json_list --token duesweep renew --due 50),
	\"tokens\": [\"duesweep\"], \"before_role\": \"user-auth\",
	\"new_roles\": [\"tls-server\"], \"failed_exits\": [8]}" rotate

# ---- so-enroll: a token that writes only for its security officer ------------
# The fault module's so-keygen quirk (as Yubico's ykcs11): the key is
# generated and the certificate written as the SO, the request signed as
# the user, and every handle carried across the changes of login.

rm -rf "$WORK/tokens"
mkdir "$WORK/tokens"
new_token sosweep
enrolled_before sosweep
SO_PIN_FILE=$WORK/so.pin
( umask 077; printf '%s\n' "$SO_PIN" >"$SO_PIN_FILE" )
template so-enroll
sweep "{\"name\": \"so-enroll\", \"template\": \"$WORK/tmpl-so-enroll\", \"command\": \"enroll\",
	\"argv\": $(json_list --token sosweep --so-pin-source "file:$SO_PIN_FILE" \
		enroll tls-server --ca "$CA" --trust "$WORK/ca/root.pem" \
		--set dns=sosweep.example.org),
	\"tokens\": [\"sosweep\"], \"before_role\": \"user-auth\",
	\"new_roles\": [\"tls-server\"],
	\"fault_lines\": [\"quirk so-keygen\", \"so-keygen-user-pin $USER_PIN\"]}" rotate

# ---- batch: two tokens, each beside user-auth ---------------------------------

rm -rf "$WORK/tokens"
mkdir "$WORK/tokens"
new_token bat1
new_token bat2
enrolled_before bat1 bat2
printf 'token,roles,dns\nbat1,tls-server,bat1.example.org\nbat2,tls-server,bat2.example.org\n' \
	>"$WORK/m.csv"
template batch
sweep "{\"name\": \"batch\", \"template\": \"$WORK/tmpl-batch\", \"command\": \"batch\",
	\"argv\": $(json_list batch "$WORK/m.csv" -j 1 --ca "$CA" \
		--trust "$WORK/ca/root.pem"),
	\"tokens\": [\"bat1\", \"bat2\"], \"before_role\": \"user-auth\",
	\"new_roles\": [\"tls-server\"]}" rotate

finish
