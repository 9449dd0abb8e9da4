#!/bin/sh
# SPDX-License-Identifier: MIT
# manlint.sh - every man page lints clean (mandoc -Tlint -Wwarning: no
# warning, no error) and renders without the misrenderings mdoc makes of
# an option value that starts with a dash or of quotes nested on one line.
top=${top_srcdir:-.}
command -v mandoc >/dev/null 2>&1 || { echo "mandoc is missing: skipped"; exit 77; }
failures=0
checks=0
for page in "$top"/man/*.[1-8]; do
	checks=$((checks + 1))
	name=${page##*/}
	if out=$(mandoc -Tlint -Wwarning "$page" 2>&1) && [ -z "$out" ]; then
		echo "ok - $name lints clean"
	else
		echo "not ok - $name: mandoc -Tlint -Wwarning says"
		printf '%s\n' "$out" | sed 's/^/#   /'
		failures=$((failures + 1))
	fi
	checks=$((checks + 1))
	# "(-j, -default -1)": Fl took the words after it for flags; '""': a
	# quote macro took the rest of the line. Wide, so that no line break
	# hides one.
	bad=$(mandoc -Tascii -O width=1000 "$page" | col -b |
		grep -nE '\(-[A-Za-z-]+, -[a-z]+ -|""' || :)
	if [ -z "$bad" ]; then
		echo "ok - $name renders without dash-led words or nested quotes"
	else
		echo "not ok - $name renders wrongly:"
		printf '%s\n' "$bad" | sed 's/^/#   /'
		failures=$((failures + 1))
	fi
done
echo "# $checks checks, $failures failed"
[ "$failures" -eq 0 ]
