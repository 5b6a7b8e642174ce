#!/usr/bin/env python3
"""Run a command and report its wall time and peak resident memory.

    python3 benches/measure.py [--label NAME] [--append FILE] [--ok CODES] [--quiet] [--json] -- CMD [ARGS...]

Prints one line on stdout:

    label=NAME exit=0 ok=1 wall_s=1.234 cpu_s=2.101 maxrss_kb=56789 maxrss_mb=55.5

(or the same fields as one JSON object with --json), and appends a tab-separated
row `label  exit  ok  wall_s  maxrss_kb  cpu_s` to FILE with --append. cpu_s is
the user + system CPU time of the command and its descendants: steadier than
wall time on a busy machine. ok is 1 when the
exit status is one of --ok (comma-separated, default 0). The peak RSS is
getrusage(RUSAGE_CHILDREN).ru_maxrss taken in this fresh process after the child
exits: the largest resident set of the command or any of its waited-for
descendants (kilobytes on Linux). --quiet sends the command's stdout and stderr
to /dev/null (stderr is kept in a temporary file and its tail shown when the
command fails). Exits with the command's exit status.

    python3 benches/measure.py --report FILE

prints, for every label in FILE, the number of runs, the number that failed
(not ok) and the median wall time and peak RSS of the ok ones.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run(args):
    cmd = args.cmd
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        print("measure.py: no command given", file=sys.stderr)
        return 2
    label = args.label or os.path.basename(cmd[0])
    err_file = None
    stdout = stderr = None
    if args.quiet:
        stdout = subprocess.DEVNULL
        err_file = tempfile.TemporaryFile()
        stderr = err_file
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=stdout, stderr=stderr)
        code = proc.returncode
    except OSError as e:
        print("measure.py: cannot run %s: %s" % (cmd[0], e), file=sys.stderr)
        code = 127
    wall = time.perf_counter() - start
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_kb = ru.ru_maxrss
    cpu = ru.ru_utime + ru.ru_stime
    if sys.platform == "darwin":
        rss_kb //= 1024  # bytes there
    if err_file is not None:
        if code != 0:
            err_file.seek(0)
            tail = err_file.read().decode("utf-8", "replace").splitlines()[-15:]
            for line in tail:
                print("  | " + line, file=sys.stderr)
        err_file.close()
    ok = int(code in [int(c) for c in args.ok.split(",") if c.strip()])
    rec = dict(label=label, exit=code, ok=ok, wall_s=round(wall, 4), cpu_s=round(cpu, 4), maxrss_kb=rss_kb,
               maxrss_mb=round(rss_kb / 1024.0, 1))
    if args.json:
        print(json.dumps(rec))
    else:
        print("label=%s exit=%d ok=%d wall_s=%.4f cpu_s=%.4f maxrss_kb=%d maxrss_mb=%.1f"
              % (label, code, ok, wall, cpu, rss_kb, rss_kb / 1024.0))
    sys.stdout.flush()
    if args.append:
        with open(args.append, "a", encoding="utf-8") as f:
            f.write("%s\t%d\t%d\t%.4f\t%d\t%.4f\n" % (label, code, ok, wall, rss_kb, cpu))
    return code


def report(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 6:
                continue
            label, ok, wall, rss, cpu = parts[0], int(parts[2]), float(parts[3]), int(parts[4]), float(parts[5])
            rows.setdefault(label, []).append((ok, wall, rss, cpu))
    print("%-22s %5s %6s %13s %12s %14s" % ("label", "runs", "failed", "median_wall_s", "median_cpu_s", "median_rss_mb"))
    for label, rs in rows.items():
        ok = [r for r in rs if r[0]]
        if ok:
            print("%-22s %5d %6d %13.3f %12.3f %14.1f" % (label, len(rs), len(rs) - len(ok),
                                                         statistics.median(r[1] for r in ok),
                                                         statistics.median(r[3] for r in ok),
                                                         statistics.median(r[2] for r in ok) / 1024.0))
        else:
            print("%-22s %5d %6d %13s %12s %14s" % (label, len(rs), len(rs), "n/a", "n/a", "n/a"))
    return 0


def main():
    ap = argparse.ArgumentParser(description="Run a command; print wall time and peak RSS.")
    ap.add_argument("--label", help="name for this measurement (default: the program name)")
    ap.add_argument("--append", metavar="FILE", help="append a tab-separated result row to FILE")
    ap.add_argument("--quiet", action="store_true", help="discard the command's output")
    ap.add_argument("--ok", default="0", help="exit statuses that count as success (default 0)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--report", metavar="FILE", help="summarise a file written with --append, then exit")
    ap.add_argument("cmd", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = ap.parse_args()
    if args.report:
        return report(args.report)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
