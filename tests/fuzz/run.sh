#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - build the libFuzzer harnesses and run each for FUZZ_TIME
# seconds on a scratch copy of its seed corpus; called by `make fuzz`
# (and `make fuzz-build`, with "build"), which passes the compiler, the
# flags and the core's sources in the environment. Exits 1 when a
# harness found a crash, a leak or a sanitizer report.
set -u

out=tests/fuzz/build
mkdir -p "$out/obj" || exit 1

cflags="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
$FUZZ_CPPFLAGS -DPROFILES_DIR=\"$FUZZ_PROFILES_DIR\" $FUZZ_PKG_CFLAGS"
headers=$(ls "$srcdir"/src/*/*.h) || exit 1

# $1 is newer than $2, or than any header of the core.
newer() {
	[ ! -e "$2" ] && return 0
	[ "$1" -nt "$2" ] && return 0
	for h in $headers config.h; do
		[ "$h" -nt "$2" ] && return 0
	done
	return 1
}

objs=
for src in $FUZZ_SOURCES; do
	case $src in *.c) ;; *) continue ;; esac
	obj="$out/obj/$(basename "$src" .c).o"
	objs="$objs $obj"
	if newer "$srcdir/$src" "$obj"; then
		echo "  CC (fuzz) $src"
		$FUZZ_CC $cflags -fsanitize=fuzzer-no-link,address,undefined \
			-c "$srcdir/$src" -o "$obj" || exit 1
	fi
done
for h in $FUZZ_HARNESSES; do
	bin="$out/fuzz_$h"
	src="$srcdir/tests/fuzz/fuzz_$h.c"
	rebuild=false
	newer "$src" "$bin" && rebuild=true
	for obj in $objs; do
		[ "$obj" -nt "$bin" ] && rebuild=true
	done
	if $rebuild; then
		echo "  CCLD (fuzz) $bin"
		$FUZZ_CC $cflags -fsanitize=fuzzer,address,undefined "$src" \
			$objs $FUZZ_LIBS -o "$bin" || exit 1
	fi
done
[ "${1:-}" = build ] && exit 0

status=0
for h in $FUZZ_HARNESSES; do
	run="$out/run/$h"
	rm -rf "$run"
	mkdir -p "$run/corpus" "$run/artifacts" || exit 1
	cp "$srcdir/tests/fuzz/corpus/$h"/* "$run/corpus/" || exit 1
	echo "fuzz_$h: running for $FUZZ_TIME s"
	"$out/fuzz_$h" -max_total_time="$FUZZ_TIME" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$run/artifacts/" "$run/corpus" \
		>"$run/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log")
	secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run/log")
	found=$(ls "$run/artifacts")
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		echo "fuzz_$h: ${execs:-?} executions: FOUND A CRASH (exit $rc):" \
			"$found; see $run/log"
		grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$run/log"
		status=1
	else
		echo "fuzz_$h: ${execs:-?} executions (${secs:-?}/s), no crash"
	fi
done
exit $status
