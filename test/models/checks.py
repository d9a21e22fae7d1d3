"""checks - what the models tests written in Python share: one line a case
("ok - what" or "not ok - what: why", as test/run.sh counts them), how many
failed (the exit status), and a script run with a time limit of its own.
Usage: sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)));
from checks import check, run_script; ...; sys.exit(checks.status())."""
import subprocess
import sys

failed = 0


def check(ok, what, why=""):
    """print one case's line; count it when it failed. Returns ok."""
    global failed
    failed += not ok
    print("%s - %s%s" % ("ok" if ok else "not ok", what, "" if ok or not why else ": " + why))
    return ok


def status():
    """the exit status: 1 when a case failed"""
    return 1 if failed else 0


def run_script(path, args, timeout=120):
    """python3 path args, its stdout and stderr as text: a CompletedProcess.
    A script still running after timeout seconds is killed and comes back
    with returncode -9 and the reason in stderr (the case then fails as any
    failing run does, instead of waiting on run.sh's limit for the file)."""
    cmd = [sys.executable, path] + list(args)
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return subprocess.CompletedProcess(cmd, -9, out, "killed after %d s (checks.run_script's limit)" % timeout)
