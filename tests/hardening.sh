#!/bin/sh
# SPDX-License-Identifier: MIT
# hardening.sh - the binary is built as configure says: with hardening
# (the default) a position-independent executable, bound at start-up with
# read-only relocations (full RELRO), with the stack protector and the
# fortified libc calls; with --disable-hardening nothing is checked.
set -eu
: "${P11ENROLL:?run through make check}"
if [ "${HARDENING:-yes}" != yes ]; then
	echo "# SKIP: configured with --disable-hardening"
	exit 77
fi
if ! command -v readelf >/dev/null; then
	echo "# SKIP: readelf (binutils) is not installed"
	exit 77
fi
failures=0
check() {
	if eval "$2"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		failures=$((failures + 1))
	fi
}
headers=$(readelf -h -l -d "$P11ENROLL")
symbols=$(readelf --dyn-syms -W "$P11ENROLL")
check "position-independent (ELF type DYN)" \
	'printf "%s\n" "$headers" | grep -Eq "Type: +DYN"'
check "read-only relocations (GNU_RELRO)" \
	'printf "%s\n" "$headers" | grep -q GNU_RELRO'
check "bound at start-up (BIND_NOW)" \
	'printf "%s\n" "$headers" | grep -Eq "BIND_NOW|Flags: NOW"'
check "the stack protector (__stack_chk_fail)" \
	'printf "%s\n" "$symbols" | grep -q __stack_chk_fail'
check "fortified libc calls (__*_chk)" \
	'printf "%s\n" "$symbols" | grep -Eq "__[a-z]+_chk"'
[ "$failures" -eq 0 ]
