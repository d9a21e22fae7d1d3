"""test_help_version - every binary we build answers --help (usage on
stdout, exit 0) and --version ("gatewatch-NAME VERSION", the one version of
common/version.h), and every daemon refuses a bad command line or config
with exit 2, a message naming what is wrong, and nothing created (the
daemon skeleton, common/daemon.h). No daemon is started for real.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import BIN, GW_ROOT, Report  # noqa: E402

rep = Report()
DAEMONS = ["ingest", "dispatcher", "worker", "notifier"]
B = os.path.join(GW_ROOT, os.environ.get("B", "build"))
# the model tools (models/tools/*.c) are built by `make test` / `make model-tools`, not `make all`
MODEL_TOOLS = ["maskaug", "maskfeat", "facecheck", "maskeval", "nnbench", "train"]


def version():
    text = open(os.path.join(GW_ROOT, "common", "version.h")).read()
    return re.search(r'#define GW_VERSION "([^"]+)"', text).group(1)


def run(argv):
    r = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def help_and_version(name, exe, help_argv=("--help",), want_usage=None):
    rc, out, err = run([exe] + list(help_argv))
    rep.check(rc == 0 and out.startswith(want_usage or "usage: ") and err == "",
              "%s %s: usage on stdout, exit 0" % (name, " ".join(help_argv)),
              "rc=%d out=%r err=%r" % (rc, out[:200], err[:200]))
    rc, out, err = run([exe, "--version"])
    rep.check(rc == 0 and out == "%s %s\n" % (name, version()), "%s --version: \"%s %s\"" % (name, name, version()),
              "rc=%d out=%r err=%r" % (rc, out[:200], err[:200]))


def refused(what, argv, state, needle):
    """argv must exit 2 with needle on stderr, and state must not exist."""
    rc, out, err = run(argv)
    rep.check(rc == 2 and needle in err and not os.path.exists(state),
              "%s: exit 2 naming %s, nothing created" % (what, needle),
              "rc=%d err=%r created=%s" % (rc, err[-300:], os.path.exists(state)))


tmp = tempfile.mkdtemp(prefix="gw-test-help.")
for d in DAEMONS:
    exe = os.path.join(BIN, "gatewatch-" + d)
    help_and_version("gatewatch-" + d, exe, want_usage="usage: gatewatch-" + d)
    rc, out, _ = run([exe, "-h"])
    rep.check(rc == 0 and "--config FILE" in out and "--set KEY=VALUE" in out and "--version" in out,
              "gatewatch-%s -h lists the config flags and --version" % d, out[:300])
    state = os.path.join(tmp, d)
    refused("gatewatch-%s --set bogus.key=1" % d, [exe, "--dir", state, "--set", "bogus.key=1"], state, "bogus.key")
    refused("gatewatch-%s --no-such-flag" % d, [exe, "--dir", state, "--no-such-flag"], state, "--no-such-flag")
    refused("gatewatch-%s --set without a value" % d, [exe, "--dir", state, "--set"], state, "--set")
    refused("gatewatch-%s -c missing file" % d, [exe, "--dir", state, "-c", os.path.join(tmp, "none.conf")],
            state, "none.conf")

# Settings the notifier used to check only after creating its database.
state = os.path.join(tmp, "notifier-url")
notifier = os.path.join(BIN, "gatewatch-notifier")
refused("notifier webhook.url without a host", [notifier, "--dir", state, "--set", "webhook.url=http:///x"],
        state, "webhook.url")
refused("notifier webhook.url with a space", [notifier, "--dir", state, "--set", "webhook.url=http://a b/"],
        state, "webhook.url")
refused("notifier mqtt.url not mqtt://", [notifier, "--dir", state, "--set", "mqtt.url=http://broker"],
        state, "mqtt.url")
refused("notifier mqtt.url with a path", [notifier, "--dir", state, "--set", "mqtt.url=mqtt://broker/x"],
        state, "mqtt.url")
refused("worker without --camera/--fd", [os.path.join(BIN, "gatewatch-worker"), "--dir", state], state, "--camera")

# The CLI and each of its commands (the list is the one `gatewatch --help` prints).
cli = os.path.join(BIN, "gatewatch")
help_and_version("gatewatch", cli, want_usage="usage: gatewatch ")
rc, out, _ = run([cli, "--help"])
cmds = re.findall(r"^  (\w+) ", out.split("commands:")[-1], re.M)
cmds = [c for c in cmds if c not in ("help", "version")]
rep.check(len(cmds) >= 7, "gatewatch --help lists the commands", repr(cmds))
for c in cmds:
    rc, o, e = run([cli, c, "--help"])
    rep.check(rc == 0 and "usage: gatewatch %s" % c in o, "gatewatch %s --help: usage on stdout, exit 0" % c,
              "rc=%d out=%r err=%r" % (rc, o[:200], e[:200]))
    rc, o2, _ = run([cli, "help", c])
    rep.check(rc == 0 and o2 == o, "gatewatch help %s is gatewatch %s --help" % (c, c), "rc=%d" % rc)
for sub in (["user", "add"], ["user", "list"], ["token", "add"], ["token", "list"]):
    rc, o, e = run([cli] + sub + ["--help"])
    rep.check(rc == 0 and "usage: gatewatch %s" % sub[0] in o, "gatewatch %s --help: exit 0" % " ".join(sub),
              "rc=%d err=%r" % (rc, e[:200]))
rc, out, err = run([cli, "no-such-command"])
rep.check(rc == 2 and "no-such-command" in err, "gatewatch no-such-command: exit 2 naming it", err[:200])

# The model tools, where this build has them.
for t in MODEL_TOOLS:
    exe = os.path.join(B, "models", t)
    if os.path.exists(exe):
        help_and_version(t, exe, want_usage="usage: " + t)

shutil.rmtree(tmp, ignore_errors=True)
sys.exit(rep.done())
