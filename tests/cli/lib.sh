# SPDX-License-Identifier: MIT
# lib.sh - shared set-up for the command-line scenarios.
#
# Each scenario gets its own temporary directory with its own SoftHSM
# configuration and token directory, its own lock directory and its own
# test CA; nothing is shared between scenarios or with the machine.
set -eu

: "${P11ENROLL:?run the scenarios through make check}"
: "${SOFTHSM2_MODULE:?SoftHSM2 module not found by configure}"
: "${top_srcdir:?}"
TESTCA=${TESTCA:-$top_srcdir/tools/p11enroll-testca}
FIXTURES=$top_srcdir/tests/fixtures
# Debian's interpreter, where Debian's python3-jsonschema is found.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/p11enroll-test.XXXXXX")
# A scenario that starts servers sets on_exit to a function that stops
# them; it runs before the work directory goes.
cleanup() {
	"${on_exit:-:}" || :
	if [ "${failures:-0}" -ne 0 ] && [ -n "${KEEP_WORK:-}" ]; then
		echo "# work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$WORK/tokens" >"$SOFTHSM2_CONF"
export P11ENROLL_MODULE="$SOFTHSM2_MODULE"
export P11ENROLL_PROFILES="$top_srcdir/profiles"
export P11ENROLL_LOCK_DIR="$WORK"

# p11enroll itself, also in the valgrind pass: for a run that only
# proves what a module beneath it does.
P11ENROLL_NATIVE=$P11ENROLL

# The valgrind pass (configure --enable-valgrind): every run of p11enroll
# goes through memcheck, with one report per process in NAME.valgrind
# beside the scenario's log; finish fails the scenario on any report with
# errors, also from runs whose exit status nobody checks. Only p11enroll:
# pkcs11-tool, openssl and the CA helpers are not ours.
if [ -n "${P11E_VALGRIND:-}" ]; then
	P11E_VALGRIND_LOGS=$top_builddir/tests/cli/$(basename "$0" .sh).valgrind
	export P11E_VALGRIND_LOGS
	rm -rf "$P11E_VALGRIND_LOGS"
	printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$P11E_VALGRIND" "$P11ENROLL" \
		>"$WORK/p11enroll"
	chmod +x "$WORK/p11enroll"
	P11ENROLL=$WORK/p11enroll
fi

USER_PIN=1234
SO_PIN=12345678
PIN_FILE=$WORK/user.pin
( umask 077; printf '%s\n' "$USER_PIN" >"$PIN_FILE" )

failures=0
checks=0

# What every scenario needs to make and check a token, and the Debian
# package it comes in: missing, the scenario fails and says so.
for need in softhsm2-util:softhsm2 pkcs11-tool:opensc p11tool:gnutls-bin \
	openssl:openssl; do
	command -v "${need%%:*}" >/dev/null 2>&1 || {
		echo "not ok - ${need%%:*} is needed (Debian package ${need#*:}, tools/install-deps)"
		exit 1
	}
done

# skip_without PROGRAM PACKAGE: a program only this scenario needs (a
# CA's server, a module's tools); missing, the scenario is skipped (exit
# 77) with a line that says what to install.
skip_without() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "# SKIP: $1 is not installed (Debian package $2, tools/install-deps)"
	exit 77
}

# A fresh token labelled $1.
new_token() {
	softhsm2-util --init-token --free --label "$1" --so-pin "$SO_PIN" \
		--pin "$USER_PIN" >/dev/null
}

# A fresh test CA in $WORK/ca (or $1).
new_ca() {
	"$TESTCA" init "${1:-$WORK/ca}" >/dev/null
}

# p11enroll with the test token's PIN file.
p11e() {
	"$P11ENROLL" --pin-source "file:$PIN_FILE" "$@"
}

# pkcs11-tool on token $1, logged in; the rest are its arguments.
p11tool_on() {
	_label=$1
	shift
	pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$_label" \
		--login --pin "$USER_PIN" "$@" 2>/dev/null
}

# foreign_keypair TOKEN ID LABEL KEYTYPE [pkcs11-tool options...]: a key
# pair on TOKEN as another tool makes it.
foreign_keypair() {
	_token=$1 _id=$2 _label=$3 _type=$4
	shift 4
	p11tool_on "$_token" --keypairgen --key-type "$_type" --id "$_id" \
		--label "$_label" "$@" >/dev/null
}

# foreign_certify TOKEN ID OUT SUBJECT EXTENSIONS DAYS: a certificate (DER,
# into OUT) for TOKEN's public key ID, issued by the test CA in $WORK/ca
# with openssl.
foreign_certify() {
	p11tool_on "$1" --read-object --type pubkey --id "$2" -o "$WORK/pub.der" \
		>/dev/null
	openssl pkey -pubin -inform DER -in "$WORK/pub.der" -out "$WORK/pub.pem"
	printf '%s\n' "$5" >"$WORK/ext.cnf"
	openssl x509 -new -force_pubkey "$WORK/pub.pem" -subj "$4" \
		-CA "$WORK/ca/ca.pem" -CAkey "$WORK/ca/ca.key" -days "$6" \
		-extfile "$WORK/ext.cnf" -outform DER -out "$3" 2>/dev/null
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT PID: until something accepts on PORT (about 10 s at most),
# or until PID has died.
wait_port() {
	_tries=0
	while [ "$_tries" -lt 100 ]; do
		if "$PYTHON" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		_tries=$((_tries + 1))
	done
	return 1
}

ok() {
	checks=$((checks + 1))
	echo "ok - $*"
}

not_ok() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "not ok - $*"
}

# expect DESCRIPTION COMMAND...: the command must succeed.
expect() {
	_what=$1
	shift
	if "$@"; then ok "$_what"; else not_ok "$_what"; fi
}

# expect_status N DESCRIPTION COMMAND...: the command must exit with N;
# its stdout and stderr are kept in $WORK/out and $WORK/err.
expect_status() {
	_want=$1
	_what=$2
	shift 2
	_got=0
	"$@" >"$WORK/out" 2>"$WORK/err" || _got=$?
	if [ "$_got" -eq "$_want" ]; then
		ok "$_what (exit $_got)"
	else
		not_ok "$_what: exit $_got, expected $_want"
		sed 's/^/#   /' "$WORK/out" "$WORK/err"
		[ "$_got" -ne 99 ] || [ -z "${P11E_VALGRIND:-}" ] ||
			echo "#   exit 99 is valgrind's: the reports are in $P11E_VALGRIND_LOGS"
	fi
}

# expect_grep DESCRIPTION PATTERN FILE: FILE must match the ERE.
expect_grep() {
	if grep -Eq -- "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1: no match for '$2' in"
		sed 's/^/#   /' "$3"
	fi
}

# expect_no_grep DESCRIPTION PATTERN FILE
expect_no_grep() {
	if grep -Eq -- "$2" "$3"; then
		not_ok "$1: unexpected match for '$2' in"
		sed 's/^/#   /' "$3"
	else
		ok "$1"
	fi
}

# Objects on token $1 as pkcs11-tool lists them.
objects_of() {
	p11tool_on "$1" --list-objects
}

# role_blocks LABEL LISTING: every object of LISTING (objects_of's
# output) labelled exactly LABEL, one per line (the lines
# of an object joined), sorted: the listing's order is the module's.
role_blocks() {
	awk -v label="$1" '
		function flush() { if (keep) print blk; blk = ""; keep = 0 }
		/^[^ ]/ { flush(); blk = $0; next }
		{
			blk = blk " | " $0
			if ($0 ~ /^  label:/) {
				l = $0
				sub(/^  label: +/, "", l)
				if (l == label) keep = 1
			}
		}
		END { flush() }
	' "$2" | sort
}

# wait_output FILE PATTERN PID: until FILE has a line matching PATTERN
# (about 10 s at most), or until PID has died.
wait_output() {
	_tries=0
	while [ "$_tries" -lt 100 ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
		_tries=$((_tries + 1))
	done
	return 1
}

# expect_unchanged WHAT TOKEN: TOKEN's objects are exactly those listed in
# $WORK/before (objects_of TOKEN >"$WORK/before" takes that snapshot).
expect_unchanged() {
	objects_of "$2" >"$WORK/now" </dev/null
	if cmp -s "$WORK/before" "$WORK/now"; then
		ok "$1: token unchanged"
	else
		not_ok "$1: token changed"
		diff "$WORK/before" "$WORK/now" | sed 's/^/#   /'
	fi
}

finish() {
	if [ -n "${P11E_VALGRIND:-}" ]; then
		expect "valgrind found no errors and no leaks in p11enroll" \
			"$P11E_VALGRIND" --check-logs "$P11E_VALGRIND_LOGS"
	fi
	echo "# $checks checks, $failures failed"
	[ "$failures" -eq 0 ]
}
