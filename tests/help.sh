#!/bin/sh
# SPDX-License-Identifier: MIT
# help.sh - --help describes every option: each long option in the
# sources' option tables appears in the help of its command (a global
# option in p11enroll --help, the CA options in the help of each command
# that takes them), and every command of the table has its help. A new
# option without its line of help fails here.
: "${P11ENROLL:?run through make check}"
exec python3 - "${top_srcdir:-.}/src/tool" "$P11ENROLL" <<'PY'
import os
import re
import subprocess
import sys

src, prog = sys.argv[1], sys.argv[2]
table = re.compile(r'static const struct option (\w+)\[\] = \{(.*?)\n\};', re.S)
longopt = re.compile(r'\{ "([a-z][a-z-]*)", (?:required|no)_argument')
ca = set(longopt.findall(open(os.path.join(src, "cmd-ca.h")).read()))


def helptext(*args):
    return subprocess.run([prog, *args, "--help"], capture_output=True,
                          text=True).stdout


failures = 0
checks = 0
for name in sorted(os.listdir(src)):
    if not name.endswith(".c"):
        continue
    text = open(os.path.join(src, name)).read()
    for m in table.finditer(text):
        opts = set(longopt.findall(m.group(2)))
        if "CMD_CA_LONG_OPTIONS" in m.group(2):
            opts |= ca
        if name == "cmd-opts.c":
            command, shown = "p11enroll", helptext()
            shown = shown[shown.index("Global options:"):shown.index("Commands:")]
        else:
            command = name[len("cmd-"):-len(".c")]
            shown = helptext(command)
        for opt in sorted(opts):
            checks += 1
            if not re.search(r"^ +(-., )?--%s\b" % re.escape(opt), shown, re.M):
                failures += 1
                print("not ok - %s --help does not describe --%s" % (command, opt))
            else:
                print("ok - %s --help describes --%s" % (command, opt))
print("# %d checks, %d failed" % (checks, failures))
sys.exit(1 if failures or checks == 0 else 0)
PY
