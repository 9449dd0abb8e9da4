# SPDX-License-Identifier: MIT
"""sweep.py - fail every PKCS#11 call of a run in turn, and check the token.

Run by sweep.sh, which sets up the environment (see there). For one
scenario (enroll, renew, renew --due or batch), a first run through the fault module
records every PKCS#11 call it makes; then the scenario runs again from the
same token state once per recorded call position and fault kind, with
that one call failed (or the process signalled at it), and each run is
checked:

  - p11enroll ends with exit 0, or with its failure status and a message
    that names the step and the PKCS#11 error (or, for a signal, says it
    was interrupted); never a crash or a sanitizer report;
  - the role that was on the token before is identical byte for byte
    (its SoftHSM object files are compared with the starting state);
  - every role the run was to make is either complete or absent, and
    nothing pending or orphaned is left, either at once or, where the
    message says the clean-up itself failed, after status --repair.

Prints one line per failed run and the count of runs and outcomes.
"""
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys

P11ENROLL = os.environ["P11ENROLL"]
FAULTMOD = os.environ["P11FAULT_MODULE"]
SOFTHSM = os.environ["SOFTHSM2_MODULE"]
WORK = os.environ["SWEEP_WORK"]
PIN_FILE = os.environ["PIN_FILE"]
JOBS = int(os.environ.get("SWEEP_JOBS", "2"))

CKRS = [
    "CKR_GENERAL_ERROR", "CKR_DEVICE_ERROR", "CKR_DEVICE_REMOVED",
    "CKR_TOKEN_NOT_PRESENT", "CKR_DEVICE_MEMORY",
    "CKR_SESSION_HANDLE_INVALID", "CKR_PIN_INCORRECT",
]
# Calls that change the token: the device may fail after doing the work.
WRITES = {"C_GenerateKeyPair", "C_CreateObject", "C_SetAttributeValue",
          "C_DestroyObject"}
# Not a call into the token: the module hands out its function list.
SKIP = {"C_GetFunctionList"}


# "full": every fault kind at every position. "rotate", for the runs
# under sanitizers and valgrind where a run costs ten times as much: every
# position once with a CKR that rotates through the list (the code paths
# differ by position, not by the code a call fails with), a write also
# failed after the fact, and a signal at every fourth position.
MODE = os.environ.get("SWEEP_MODE", "full")


def kinds_for(func, index):
    if MODE == "rotate":
        kinds = [("fail", CKRS[index % len(CKRS)])]
    else:
        kinds = [("fail", ckr) for ckr in CKRS]
    if func in WRITES:
        kinds.append(("fail-after", "CKR_DEVICE_ERROR"))
    if MODE != "rotate" or index % 4 == 0:
        kinds.append(("signal", "SIGTERM"))
    return kinds


class Scenario:
    """One command run on a copy of a prepared token directory."""

    def __init__(self, name, template, command, argv, tokens, before_role,
                 new_roles, fault_lines=(), failed_exits=()):
        self.name = name
        # Lines every run's fault configuration starts with: the quirks
        # of the module the scenario is about.
        self.fault_lines = "".join(l + "\n" for l in fault_lines)
        self.command = command          # the command's name, for messages
        self.template = template        # directory holding tokens/
        self.argv = argv                # p11enroll arguments
        self.tokens = tokens            # token labels it works on
        self.before_role = before_role  # the role that must not change
        self.new_roles = new_roles      # roles the run may complete
        self.batch = command == "batch"
        # Exit statuses beside 1 and 2 that say a run failed (renew
        # --due's "a due role was not renewed").
        self.failed_exits = set(failed_exits)

    def prepare(self, rundir):
        shutil.copytree(os.path.join(self.template, "tokens"),
                        os.path.join(rundir, "tokens"), symlinks=True)
        conf = os.path.join(rundir, "softhsm2.conf")
        with open(conf, "w") as f:
            f.write("directories.tokendir = %s/tokens\n"
                    "objectstore.backend = file\nlog.level = ERROR\n" % rundir)
        return conf

    def env(self, rundir, conf, module, fault_conf=None):
        e = dict(os.environ)
        e.update(SOFTHSM2_CONF=conf, P11ENROLL_MODULE=module,
                 P11ENROLL_LOCK_DIR=rundir, P11FAULT_TARGET=SOFTHSM)
        e.pop("P11FAULT_CONF", None)
        if fault_conf is not None:
            e["P11FAULT_CONF"] = fault_conf
        return e

    def run(self, rundir, conf, fault_conf):
        argv = [P11ENROLL, "--pin-source", "file:" + PIN_FILE] + self.argv
        if self.batch:
            argv += ["--journal", os.path.join(rundir, "journal")]
        return subprocess.run(
            argv, env=self.env(rundir, conf, FAULTMOD, fault_conf),
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=120)

    def p11e(self, rundir, conf, *args):
        return subprocess.run(
            [P11ENROLL, "--pin-source", "file:" + PIN_FILE] + list(args),
            env=self.env(rundir, conf, SOFTHSM), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120)


class Checker:
    def __init__(self, sc):
        self.sc = sc
        root = os.path.join(sc.template, "tokens")
        # The object files of the role that was there before, as
        # "TOKENDIR/FILE" lines written when it was enrolled.
        self.start = {}
        for line in open(os.path.join(sc.template, "before-files")):
            path = line.strip()
            with open(os.path.join(root, path), "rb") as f:
                self.start[path] = f.read()

    def untouched(self, rundir):
        root = os.path.join(rundir, "tokens")
        for path, data in self.start.items():
            try:
                with open(os.path.join(root, path), "rb") as f:
                    now = f.read()
            except OSError:
                now = None
            if now != data:
                return "object %s of %s changed or went" % (
                    path, self.sc.before_role)
        return None

    def leftovers(self, rundir, conf, complete=False):
        """None when every token holds its earlier role and complete new
        roles only (with COMPLETE, every new role); else what is wrong."""
        for label in self.sc.tokens:
            st = self.sc.p11e(rundir, conf, "--token", label, "--json",
                              "status")
            try:
                doc = json.loads(st.stdout)
            except ValueError:
                return "status on %s failed: %s" % (label, st.stderr.strip())
            for row in doc["roles"]:
                role, state = row.get("role"), row.get("state")
                if role == self.sc.before_role and state == "enrolled":
                    continue
                if role in self.sc.new_roles and state == "enrolled" and \
                        not row["findings"]:
                    continue
                return "%s: %s %s %s" % (label, role, state,
                                         [f["id"] for f in row["findings"]])
            done = {r["role"] for r in doc["roles"] if r["state"] == "enrolled"}
            if complete and not set(self.sc.new_roles) <= done:
                return "%s: the run ended without error but has only %s" % (
                    label, sorted(done))
        return None


def expected_message(kind, arg, stderr, name, batch):
    said = [l for l in stderr.splitlines() if l.startswith("p11enroll: ")]
    if not batch and not (said and said[0].startswith("p11enroll: %s: " % name)):
        return "no message of the form 'p11enroll: %s: ...'" % name
    if kind == "signal":
        if "interrupted by SIGTERM" not in stderr:
            return "the message does not say it was interrupted"
    elif arg not in stderr and "interrupted" not in stderr:
        return "the message does not name %s" % arg
    # The step: words before the error, "...: STEP: CKR_...".
    if kind != "signal" and not re.search(r": [A-Za-z][^:]*: %s" % arg, stderr):
        return "the message does not name the step before %s" % arg
    return None


def one_run(sc, checker, index, func, n, kind, arg):
    rundir = os.path.join(WORK, "run-%s-%d" % (sc.name, index))
    os.mkdir(rundir)
    try:
        conf = sc.prepare(rundir)
        fault_conf = os.path.join(rundir, "fault.conf")
        with open(fault_conf, "w") as f:
            f.write(sc.fault_lines + "%s %s %d %s\n" % (kind, func, n, arg))
        res = sc.run(rundir, conf, fault_conf)
        what = "%s %s #%d %s" % (kind, func, n, arg)
        rc = res.returncode
        said = res.stderr + res.stdout
        journal = os.path.join(rundir, "journal")
        if sc.batch and os.path.exists(journal):
            said += open(journal).read()
        if "Sanitizer" in said or "runtime error:" in said:
            return what, "bad", "sanitizer report: " + res.stderr[-600:]
        ok_codes = ({0, 1, 2, 3} if sc.batch else {0, 1, 2}) | sc.failed_exits
        if kind == "signal":
            # A batch worker that signals itself ends its row alone; the
            # batch goes on with a new worker for the rows left.
            ok_codes = {-15, 0, 3} if sc.batch else {-15}
        if rc not in ok_codes:
            return what, "bad", "exit %s: %s" % (rc, res.stderr.strip()[-400:])
        # A signal after the last step ends a finished run: no message.
        quiet = kind == "signal" and rc == -15 and \
            "p11enroll:" not in res.stderr
        if rc != 0 and not quiet:
            bad = expected_message(kind, arg, said if sc.batch else
                                   res.stderr, sc.command, sc.batch)
            if bad:
                return what, "bad", "%s: %s" % (bad, res.stderr.strip()[-400:])
        bad = checker.untouched(rundir)
        if bad:
            return what, "bad", bad
        left = checker.leftovers(rundir, conf, complete=rc == 0 or quiet)
        outcome = "succeeded" if rc == 0 else \
            "finished, then ended by the signal" if quiet else \
            "interrupted" if kind == "signal" else "failed"
        if left:
            # Only a failed clean-up may leave anything, and it says how
            # to finish: status --repair, or remove --only-retired after
            # renew.
            repair = "status --repair" in said
            retired = "--only-retired" in said
            if not repair and not retired:
                return what, "bad", "left on the token with no word of " \
                    "repair: " + left
            for label in sc.tokens:
                if repair:
                    sc.p11e(rundir, conf, "--token", label, "status",
                            "--repair", "--yes")
                if retired:
                    for role in sc.new_roles:
                        sc.p11e(rundir, conf, "--token", label, "remove",
                                "--only-retired", "--yes", role)
            left = checker.leftovers(rundir, conf, complete=rc == 0)
            if left:
                return what, "bad", "after the clean-up it asked for: " + left
            outcome += ", cleaned up as told"
        if sc.batch and rc != 0:
            # The same batch again, without faults, does the rest.
            again = sc.p11e(rundir, conf, *(sc.argv + [
                "--journal", os.path.join(rundir, "journal")]))
            if again.returncode != 0:
                return what, "bad", "the rerun failed: " + again.stderr[-400:]
            left = checker.leftovers(rundir, conf)
            if left:
                return what, "bad", "after the rerun: " + left
            outcome += ", rerun done"
        return what, outcome, None
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


def positions(sc):
    """(FUNC, N) of every call of a clean run, in order."""
    rundir = os.path.join(WORK, "trace-" + sc.name)
    os.mkdir(rundir)
    conf = sc.prepare(rundir)
    trace = os.path.join(rundir, "trace")
    fault_conf = os.path.join(rundir, "fault.conf")
    with open(fault_conf, "w") as f:
        f.write(sc.fault_lines + "trace %s\n" % trace)
    res = sc.run(rundir, conf, fault_conf)
    if res.returncode != 0:
        sys.exit("%s: the run without faults failed: %s" % (sc.name, res.stderr))
    seen, out = set(), []
    for line in open(trace):
        _pid, func, n, _rv = line.split()
        if func in SKIP or (func, n) in seen:
            continue
        seen.add((func, n))
        out.append((func, int(n)))
    shutil.rmtree(rundir)
    return out


# SWEEP_SHARD=I/N: only the runs I, I+N, I+2N, ... (counting from 1) of
# the scenario's list, so that N shards side by side do every run once.
# The list is the same in every shard (one clean run records it), and
# runs rather than positions are dealt out: "rotate" puts every signal
# at a position that is a multiple of 4, which would load one shard.
def shard():
    spec = os.environ.get("SWEEP_SHARD", "1/1")
    m = re.fullmatch(r"([1-9][0-9]*)/([1-9][0-9]*)", spec)
    if not m or int(m.group(1)) > int(m.group(2)):
        sys.exit("SWEEP_SHARD=%s: expected I/N with 1 <= I <= N" % spec)
    return int(m.group(1)), int(m.group(2))


# SWEEP_SAMPLE=K: of the runs, only every Kth (1: all), taken before
# the shards deal them out. The sanitizer pass takes every other run:
# under AddressSanitizer a run and its checks cost about five times as
# much, and the plain pass makes every run.
def sample():
    spec = os.environ.get("SWEEP_SAMPLE", "1")
    if not re.fullmatch(r"[1-9][0-9]*", spec):
        sys.exit("SWEEP_SAMPLE=%s: expected a whole number from 1" % spec)
    return int(spec)


def main():
    spec = json.loads(sys.argv[1])
    sc = Scenario(**spec)
    checker = Checker(sc)
    part, parts = shard()
    every = sample()
    calls = positions(sc)
    jobs = []
    for index, (func, n) in enumerate(calls):
        for kind, arg in kinds_for(func, index):
            jobs.append((func, n, kind, arg))
    jobs = jobs[::every]
    total = len(jobs)
    jobs = jobs[part - 1::parts]
    outcomes = collections.Counter()
    failures = []
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        futs = [pool.submit(one_run, sc, checker, i, *job)
                for i, job in enumerate(jobs)]
        for fut in futs:
            what, outcome, why = fut.result()
            outcomes[outcome] += 1
            if why:
                failures.append("%s: %s" % (what, why))
    for line in failures:
        print("not ok - %s: %s" % (sc.name, line))
    print("# %s: %d call positions, %d runs (%s%s)%s: %s" % (
        sc.name, len(calls), len(jobs), MODE,
        "" if every == 1 else ", every %s run" % (
            {2: "other"}.get(every, "%dth" % every)),
        "" if parts == 1 else ", shard %d/%d of %d" % (part, parts, total),
        ", ".join("%s %d" % kv for kv in sorted(outcomes.items()))))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
