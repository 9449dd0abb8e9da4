#!/bin/sh
# SPDX-License-Identifier: MIT
# license.sh - every source file says its license: an SPDX line
# (SPDX-License-Identifier: MIT, as in LICENSE) in its first three lines.
# Data (profiles, fixtures' keys, fuzz corpora, JSON, Markdown) is covered
# by LICENSE as a whole.
top=${top_srcdir:-.}
failures=0
checks=0
for f in $(cd "$top" && { find src tests man \( -name '*.c' -o -name '*.h' \
	-o -name '*.sh' -o -name '*.py' -o -name '*.mk' -o -name '*.supp' \
	-o -name '*.[15]' \) -type f ! -path '*/corpus/*'
	find tools bench completion .ci -type f ! -name '*.md'
	printf '%s\n' Makefile.am configure.ac autogen.sh tests/valgrind-run; } \
	2>/dev/null); do
	[ -f "$top/$f" ] || continue
	case $f in
	*.o | *.log | *.trs) continue ;;
	esac
	checks=$((checks + 1))
	if ! head -n 3 "$top/$f" | grep -q 'SPDX-License-Identifier: MIT'; then
		failures=$((failures + 1))
		echo "not ok - $f has no SPDX-License-Identifier line"
	fi
done
grep -q '^MIT License$' "$top/LICENSE" || {
	failures=$((failures + 1))
	echo "not ok - LICENSE is not the MIT License"
}
echo "# $checks files, $failures without their license"
[ "$failures" -eq 0 ] && [ "$checks" -gt 0 ]
