#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""token-ops.py - where the token work of a run goes, counted.

    token-ops.py ROLES FLOOR-TRACE P11ENROLL-TRACE

Each trace is the output of `strace -f -k -e trace=openat` of one run
(floor-all, then p11enroll batch -j 1, on fresh SoftHSM tokens alike).
SoftHSM's file store opens an object's file for every attribute it reads
or compares (to see whether another process changed it) and its lock
file for every change it writes, so these opens count the module's work
exactly, where times on a shared machine do not. Each open of a token
file (".object", ".lock", "generation") is charged to the part of
p11enroll that made the call, from the stack strace shows; the table
gives the opens per role (ROLES: the roles of the run) and, of them,
the writes (lock files), with the floor's totals for comparison.
Counts, not times: they come out the same on a busy machine.
"""
import re
import sys

# The part of p11enroll a call belongs to: the first pattern that
# matches the chain of its p11enroll frames, innermost first.
PARTS = [
    ("module load and slot list", r"module_load|token_describe|token_list\b|token_select"),
    ("log in", r"token_login"),
    ("enrollment record (a data object): looked up, written",
     r"rolerecord|waitstore"),
    ("label checks before the key (role, pending and awaiting labels; "
     "a rerun's complete role; a waiting request)",
     r"rolestate_check_free|batch_worker_check_complete|enroll_has_ticket|"
     r"enroll_check_free|certstore_find_label<enroll_role"),
    ("reads of the new key (rights, public key, modifiable, subject)",
     r"keyrights_read|keygen_public_key|keygen_fixed|keygen_subject_change|"
     r"token_get_fixed<keygen"),
    ("CKA_ID (and CKA_PUBLIC_KEY_INFO) on both halves",
     r"keygen_set_id|keygen_prove_modifiable|token_set_attrs<keygen_generate"),
    ("the three objects relabelled", r"enroll_promote|keygen_relabel"),
    ("key pair generation", r"keygen_generate"),
    ("request signed on the token", r"keysign|csr_build"),
    ("certificate object (under the pending label)", r"certstore_write"),
    ("other", r"."),
]

TOKEN_FILE = re.compile(r'openat\(.*"[^"]*(\.object|\.lock|/generation)"')
FRAME = re.compile(r"\((\w+)\+0x[0-9a-f]+\)")


def charge(path):
    """{part: [opens, writes]} and the totals of one trace."""
    parts = {}
    total = [0, 0]
    call = None
    frames = []

    def flush():
        if call is None or not TOKEN_FILE.search(call):
            return
        ours = [m.group(1) for f in frames if "p11enroll(" in f
                for m in [FRAME.search(f)] if m]
        chain = "<".join(ours)
        write = 1 if '.lock"' in call else 0
        total[0] += 1
        total[1] += write
        for name, pattern in PARTS:
            if re.search(pattern, chain):
                counts = parts.setdefault(name, [0, 0])
                counts[0] += 1
                counts[1] += write
                break

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(" > "):
                frames.append(line)
                continue
            flush()
            call, frames = line, []
    flush()
    return parts, total


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    roles = int(sys.argv[1])
    _, floor = charge(sys.argv[2])
    parts, ours = charge(sys.argv[3])
    per = lambda n: "%.1f" % (n / roles)
    print("| part | token file opens per role | of them, writes |")
    print("| --- | ---: | ---: |")
    for name, _ in PARTS:
        if name in parts:
            print("| %s | %s | %s |" % (name, per(parts[name][0]), per(parts[name][1])))
    print("| **p11enroll batch -j 1, all** | **%s** | **%s** |" % (per(ours[0]), per(ours[1])))
    print("| floor-all, all | %s | %s |" % (per(floor[0]), per(floor[1])))
    if floor[0]:
        print("| p11enroll / floor-all | %.2f | %.2f |" % (
            ours[0] / floor[0], ours[1] / floor[1] if floor[1] else 0))


if __name__ == "__main__":
    main()
