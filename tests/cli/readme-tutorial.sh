#!/bin/sh
# SPDX-License-Identifier: MIT
# readme-tutorial.sh - the README's tutorial, run as written. The blocks
# it runs are the ```sh blocks that follow a line "<!-- tutorial -->" (for
# every reader) or "<!-- tutorial: FLOW -->" (for one kind of reader),
# in the README's order, every command unchanged, in one bash of the
# reader's with a fresh HOME and an ordinary PATH and nothing else of
# the test's environment, in a copy of the source tree.
#
# FLOW (the first argument, default user) is "user": an ordinary user
# builds and installs into ~/.local; make check runs it, as the user
# nobody when run as root. "root" installs into /usr/local as root and
# so runs only on a machine that may be changed (CI runs it there:
# tests/cli/readme-tutorial.sh root).
#
# A command that exits non-zero fails the test, naming its README line.
# Under the sanitizers the test skips: it builds a plain copy of its own,
# which the other passes test already.
set -eu

: "${top_srcdir:?run through make check, or set top_srcdir}"
flow=${1:-user}
readme=$top_srcdir/README.md

case $flow in
user | root) ;;
*)
	echo "usage: readme-tutorial.sh [user|root]" >&2
	exit 2
	;;
esac
if [ "${P11E_SANITIZERS:-}" = yes ]; then
	echo "# skip: a build of its own is no test of the sanitizers' build"
	exit 77
fi
if [ "$flow" = root ] && [ "$(id -u)" -ne 0 ]; then
	echo "# skip: the root flow needs root"
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/p11enroll-tutorial.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
home=$WORK/home
src=$home/p11enroll
mkdir -p "$src"

# The script the reader types: each command (a line, with its
# backslash-continued lines) as it stands in the README, then a check of
# its exit status that names the line.
/usr/bin/python3 - "$readme" "$flow" >"$WORK/tutorial.sh" <<'EOF'
import re, shlex, sys

readme, flow = sys.argv[1], sys.argv[2]
lines = open(readme, encoding="utf-8").read().split("\n")
marker = re.compile(r"^<!-- tutorial(?:: (user|root))? -->$")
out = ["cd ~/p11enroll"]
blocks = 0
i = 0
while i < len(lines):
    m = marker.match(lines[i])
    i += 1
    if not m:
        if lines[i - 1].startswith("<!-- tutorial"):
            sys.exit("README.md:%d: a tutorial mark is <!-- tutorial --> "
                     "or <!-- tutorial: user|root -->" % i)
        continue
    if i >= len(lines) or lines[i] != "```sh":
        sys.exit("README.md:%d: a tutorial mark is not followed by "
                 "a ```sh block" % i)
    i += 1
    wanted = m.group(1) in (None, flow)
    if wanted:
        blocks += 1
    while True:
        if i >= len(lines):
            sys.exit("README.md: a tutorial block does not end")
        if lines[i] == "```":
            i += 1
            break
        first = i + 1
        command = lines[i]
        while command.endswith("\\"):
            i += 1
            command += "\n" + lines[i]
        i += 1
        if not wanted or not command.strip() or command.lstrip().startswith("#"):
            continue
        out.append("echo %s" % shlex.quote("$ " + command))
        out.append(command)
        out.append('st=$?; [ "$st" -eq 0 ] || { echo "not ok - README.md '
                   'line %d exits $st" >&2; exit 1; }' % first)
if blocks < 3:
    sys.exit("README.md: only %d tutorial blocks for %s" % (blocks, flow))
print("\n".join(out))
print("echo 'ok - the %s tutorial'" % flow)
EOF

# A copy of the source tree as a reader has it: a git checkout's files
# (tracked, and new ones not ignored), or the whole of an unpacked
# tarball (a tarball unpacked inside a checkout, as make distcheck does, is
# one).
toplevel=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null) || toplevel=
if [ -n "$toplevel" ] && [ "$toplevel" = "$(cd "$top_srcdir" && pwd -P)" ]; then
	git -C "$top_srcdir" ls-files -z -c -o --exclude-standard |
		(cd "$top_srcdir" && tar -c --null -T - --ignore-failed-read -f -) |
		tar -x -f - -C "$src"
else
	(cd "$top_srcdir" && tar -c -f - .) | tar -x -f - -C "$src"
fi
chmod -R u+w "$src"

path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ "$flow" = root ]; then
	run() { env -i HOME="$home" PATH="$path" USER=root LOGNAME=root \
		SHELL=/bin/bash LANG=C.UTF-8 "$@"; }
elif [ "$(id -u)" -eq 0 ]; then
	user=nobody
	chown -R "$user:$(id -gn "$user")" "$home"
	run() { setpriv --reuid="$user" --regid="$(id -g "$user")" \
		--clear-groups env -i HOME="$home" PATH="$path" USER="$user" \
		LOGNAME="$user" SHELL=/bin/bash LANG=C.UTF-8 "$@"; }
else
	user=$(id -un)
	run() { env -i HOME="$home" PATH="$path" USER="$user" \
		LOGNAME="$user" SHELL=/bin/bash LANG=C.UTF-8 "$@"; }
fi

echo "# the $flow tutorial as $(run id -un), HOME=$home"
chmod 644 "$WORK/tutorial.sh"
run bash --noprofile --norc "$WORK/tutorial.sh" </dev/null
