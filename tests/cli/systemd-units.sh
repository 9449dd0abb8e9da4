# SPDX-License-Identifier: MIT
# systemd-units.sh - the unit templates of scheduled renewal: an instance
# of the service and of the timer passes systemd-analyze verify (and a
# broken one does not), and the service's command line, run as systemd
# would run it (its environment file, the PIN as a credential file), renews
# the due role and says "nothing due" with the exit status the unit takes
# for success.
. "$top_srcdir/tests/cli/lib.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "# systemd-analyze not found: skipped"
	exit 77
fi

UNITS=$WORK/units
ETC=$WORK/etc
mkdir -p "$UNITS" "$ETC/p11enroll/renew" "$WORK/cred"
sed -e "s|@bindir@|$(dirname "$P11ENROLL_NATIVE")|g" -e "s|@sysconfdir@|$ETC|g" \
	"$top_srcdir/systemd/p11enroll-renew@.service.in" \
	>"$UNITS/p11enroll-renew@web.service"
cp "$top_srcdir/systemd/p11enroll-renew@.timer" "$UNITS/p11enroll-renew@web.timer"

# verify UNIT...: systemd-analyze verify, its complaints into $WORK/verify.
verify() {
	systemd-analyze verify --man=no "$@" >"$WORK/verify" 2>&1
}

expect "the service and timer instances verify" \
	verify "$UNITS/p11enroll-renew@web.service" "$UNITS/p11enroll-renew@web.timer"
sed 's/^/#   /' "$WORK/verify"

# The check bites: a timer that never fires, a service whose binary is
# not there.
sed 's/^OnCalendar=.*/OnCalendar=someday/' "$UNITS/p11enroll-renew@web.timer" \
	>"$UNITS/p11enroll-renew@bad.timer"
cp "$UNITS/p11enroll-renew@web.service" "$UNITS/p11enroll-renew@bad.service"
expect_status 1 "a timer with a bad calendar does not verify" \
	verify "$UNITS/p11enroll-renew@bad.timer"
sed "s|^ExecStart=[^ ]*|ExecStart=$WORK/nowhere/p11enroll|" \
	"$UNITS/p11enroll-renew@web.service" >"$UNITS/p11enroll-renew@gone.service"
expect_status 1 "a service whose program is missing does not verify" \
	verify "$UNITS/p11enroll-renew@gone.service"

expect_grep "the PIN is a credential, from a file beside the environment file" \
	"^LoadCredential=pin:$ETC/p11enroll/renew/%i.pin\$" \
	"$UNITS/p11enroll-renew@web.service"
expect_grep "nothing due is success for the unit" '^SuccessExitStatus=7$' \
	"$UNITS/p11enroll-renew@web.service"

# ---- the service's command, as systemd runs it ----
new_token web
new_ca
cp "$PIN_FILE" "$WORK/cred/pin"
cat >"$ETC/p11enroll/renew/web.env" <<ENV
P11ENROLL_TOKEN=web
P11ENROLL_MODULE=$SOFTHSM2_MODULE
P11ENROLL_RENEW_OPTIONS=30
ENV
expect_status 0 "enroll tls-server for 20 days" \
	p11e --token web enroll tls-server --ca "exec:$TESTCA $WORK/ca --days 20" \
	--set dns=web.example.org

# run_service: the unit's ExecStart with %d the credentials directory and
# the environment file's variables, without a terminal.
run_service() {
	_line=$(sed -n 's/^ExecStart=//p' "$UNITS/p11enroll-renew@web.service" |
		sed "s|%d|$WORK/cred|g")
	(
		unset P11ENROLL_MODULE
		set -a
		. "$ETC/p11enroll/renew/web.env"
		set +a
		eval "set -- $_line"
		"$@" </dev/null
	)
}

objects_of web >"$WORK/before"
expect_status 0 "the service renews the role within 30 days of its end" run_service
expect_grep "it says what it renewed" '^renewed tls-server: ' "$WORK/out"
# The record's CA issues for 20 days again: due within 30 days, not 10.
sed -i 's/^P11ENROLL_RENEW_OPTIONS=.*/P11ENROLL_RENEW_OPTIONS=10/' \
	"$ETC/p11enroll/renew/web.env"
expect_status 7 "a run with 10 days finds nothing due" run_service
expect_grep "it says so" '^nothing is due on token web$' "$WORK/out"
objects_of web >"$WORK/after"
if cmp -s "$WORK/before" "$WORK/after"; then
	not_ok "the token changed with the renewal"
else
	ok "the token changed with the renewal"
fi

finish
