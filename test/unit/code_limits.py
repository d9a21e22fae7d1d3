#!/usr/bin/python3
"""code_limits - the size rules of docs/HACKING.md, checked on the tree
(issue 10): no C file outside test/ over 600 lines, no C function over 80
lines (from its name line at column 0 to its closing brace at column 0,
the style every file here follows), no file name shared by two
program folders (main.c aside), and pool work queued only through
common/daemon.c (daemon_pool_run/daemon_pool_try: one way). Prints TAP-style ok / not ok lines."""
import os
import re
import subprocess
import sys

ROOT = os.environ.get("GW_ROOT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FILE_MAX, FUNC_MAX = 600, 80
PROGRAMS = ("ingest", "dispatcher", "worker", "notifier", "cli")


def c_files():
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "--cached", "--others", "--exclude-standard",
                          "*.c", "*.h"], capture_output=True, text=True, check=True).stdout.split()
    return sorted(f for f in set(out) if not f.startswith(("test/", "node_modules/"))
                  and os.path.exists(os.path.join(ROOT, f)))


def functions(lines):
    """(name, first line, length) of each function of a C file."""
    name = start = None
    for i, line in enumerate(lines):
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\(", line)
        if m and start is None:
            name, name_line = m.group(1), i
        if line == "{" and name is not None and start is None:
            start = name_line
        elif line.startswith("}") and start is not None:
            yield name, start + 1, i - start + 1
            name = start = None


def main():
    files = c_files()
    long_files, long_funcs, nfuncs = [], [], 0
    for f in files:
        with open(os.path.join(ROOT, f), errors="replace") as fh:
            lines = fh.read().split("\n")
        if f.endswith(".c") and len(lines) - 1 > FILE_MAX:
            long_files.append("%s (%d lines)" % (f, len(lines) - 1))
        for name, first, n in functions(lines):
            nfuncs += 1
            if n > FUNC_MAX:
                long_funcs.append("%s:%d %s (%d lines)" % (f, first, name, n))
    bad = 0
    for ok, what, why in (
            (bool(files) and not long_files, "no C file outside test/ over %d lines (%d files)" % (FILE_MAX, len(files)),
             "; ".join(long_files) or "no C files found"),
            (nfuncs > 0 and not long_funcs, "no C function over %d lines (%d functions)" % (FUNC_MAX, nfuncs),
             "; ".join(long_funcs) or "no functions found")):
        print(("ok - %s" % what) if ok else ("not ok - %s: %s" % (what, why)))
        bad += not ok
    seen = {}
    for f in files:
        top, base = f.split("/")[0], os.path.basename(f)
        if top in PROGRAMS and base not in ("main.c",):
            seen.setdefault(base, set()).add(top)
    shared = sorted("%s in %s" % (b, ", ".join(sorted(d))) for b, d in seen.items() if len(d) > 1)
    print(("ok - no file name shared by two program folders (main.c aside)") if not shared
          else "not ok - no file name shared by two program folders: %s" % "; ".join(shared))
    bad += bool(shared)
    queue = []
    for f in files:
        if f == "common/daemon.c":
            continue
        with open(os.path.join(ROOT, f), errors="replace") as fh:
            queue += ["%s:%d" % (f, i + 1) for i, line in enumerate(fh) if "uv_queue_work(" in line]
    print("ok - pool work queued only through daemon_pool_run/daemon_pool_try" if not queue
          else "not ok - pool work queued only through daemon_pool_run/daemon_pool_try: uv_queue_work at %s"
          % ", ".join(queue))
    bad += bool(queue)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
