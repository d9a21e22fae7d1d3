#!/usr/bin/python3
"""test_install - `make install DESTDIR=tmp` lays out the tree an operator
gets, the systemd units pass `systemd-analyze verify` and score 4.0 or
better in `systemd-analyze security --offline=true`, and each daemon tells
systemd when it serves (sd_notify READY=1, STOPPING=1 on SIGTERM).

Env: GW_ROOT, B, BIN (the tree build), MODELS."""
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import BIN, GW_ROOT, MODELS, Report, free_port  # noqa: E402

rep = Report()
PREFIX = "/usr/local"
UNITS = ["gatewatch-notifier.service", "gatewatch-dispatcher.service", "gatewatch-ingest.service"]
MAX_EXPOSURE = 4.0


def make_install(dest, *extra):
    env = dict(os.environ)
    # -o all: the tree's own bin/ is not relinked under the other tests
    # running from it (install links its own set in $(B)/install/bin)
    cmd = ["make", "-s", "-C", GW_ROOT, "-o", "all", "install", "PREFIX=" + PREFIX, "DESTDIR=" + dest] + list(extra)
    for k in ("B", "BIN", "MODELS"):
        if os.environ.get(k):
            cmd.append("%s=%s" % (k, os.environ[k]))
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=900,
                          stdin=subprocess.DEVNULL)


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def check_tree(dest):
    d = lambda p: os.path.join(dest, p.lstrip("/"))  # noqa: E731
    rep.check(os.access(d(PREFIX + "/bin/gatewatch"), os.X_OK), "CLI in PREFIX/bin")
    for prog in ("ingest", "dispatcher", "worker", "notifier"):
        p = d("%s/libexec/gatewatch/gatewatch-%s" % (PREFIX, prog))
        rep.check(os.access(p, os.X_OK), "gatewatch-%s in PREFIX/libexec/gatewatch" % prog, p)
    www = d(PREFIX + "/share/gatewatch/www")
    missing = [f for f in os.listdir(os.path.join(GW_ROOT, "www"))
               if not f.startswith(".") and not os.path.exists(os.path.join(www, f))]
    rep.check(not missing and os.path.exists(os.path.join(www, "vendor", "uPlot.iife.min.js")),
              "www/ (with vendor/) in PREFIX/share/gatewatch/www", "missing: %s" % missing)
    models = d(PREFIX + "/share/gatewatch/models")
    want = sorted(f for f in os.listdir(MODELS) if f.endswith((".cfg", ".weights", ".labels", ".thresholds", ".region")))
    got = sorted(os.listdir(models)) if os.path.isdir(models) else []
    rep.check(want and got == want, "models in PREFIX/share/gatewatch/models", "got %s want %s" % (got, want))
    # the installed folder is one the worker can load (every network, the
    # mask classifier's thresholds): one photo through the worker stage
    r = subprocess.run([os.path.join(BIN, "gatewatch"), "replay", "--stage", "worker", "--set", "models.dir=" + models,
                        "/usr/share/darknet/data/person.jpg"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=300)
    out = r.stdout.decode(errors="replace")
    rep.check(r.returncode == 0 and '"persons"' in out, "the worker loads the installed models and reads a photo",
              "exit %d: %s" % (r.returncode, out[-600:]))
    for name in UNITS + ["gatewatch.target"]:
        rep.check(os.path.exists(d(PREFIX + "/lib/systemd/system/" + name)), "unit %s installed" % name)
    rep.check(os.path.exists(d(PREFIX + "/lib/sysusers.d/gatewatch.conf")) and
              "u gatewatch" in open(d(PREFIX + "/lib/sysusers.d/gatewatch.conf")).read(),
              "sysusers.d entry creates the gatewatch user")
    tmpf = d(PREFIX + "/lib/tmpfiles.d/gatewatch.conf")
    rep.check(os.path.exists(tmpf) and "/var/lib/gatewatch 0750 gatewatch gatewatch" in open(tmpf).read(),
              "tmpfiles.d entry for the state folder")
    conf = d("/etc/gatewatch/gatewatch.conf")
    rep.check(os.path.exists(conf) and mode(conf) == 0o640, "default config at /etc/gatewatch/gatewatch.conf, mode 0640",
              oct(mode(conf)) if os.path.exists(conf) else "absent")
    text = open(conf).read() if os.path.exists(conf) else ""
    rep.check('dir = "/var/lib/gatewatch"' in text and 'run.dir = "/run/gatewatch"' in text and "@" not in text,
              "default config names the state and run folders, all placeholders filled", text[:300])
    # Paths compiled in from PREFIX, not the tree's, not /proc/self/exe.
    blob = open(d(PREFIX + "/libexec/gatewatch/gatewatch-dispatcher"), "rb").read()
    rep.check(b"/usr/local/libexec/gatewatch\0" in blob and (os.path.abspath(BIN).encode() + b"\0") not in blob
              and b"/proc/self/exe" not in blob,
              "installed dispatcher has PREFIX's program folder compiled in, not the tree's")
    blob = open(d(PREFIX + "/bin/gatewatch"), "rb").read()
    rep.check(b"/usr/local/share/gatewatch/models\0" in blob and b"/var/lib/gatewatch\0" in blob,
              "installed CLI defaults to PREFIX's models and /var/lib/gatewatch")
    return conf


def check_units(dest):
    unitdir = os.path.join(dest, PREFIX.lstrip("/"), "lib/systemd/system")
    for name in UNITS:
        text = open(os.path.join(unitdir, name)).read()
        keys = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
        ok = (keys.get("Type") == "notify" and keys.get("PartOf") == "gatewatch.target" and
              keys.get("RestartPreventExitStatus") == "2" and keys.get("LimitNOFILE", "").isdigit() and
              keys.get("StateDirectory") == "gatewatch" and keys.get("RuntimeDirectory") == "gatewatch" and
              keys.get("LogsDirectory") == "gatewatch" and
              keys.get("ExecStart", "").startswith(PREFIX + "/libexec/gatewatch/gatewatch-"))
        rep.check(ok, "%s: Type=notify, PartOf, RestartPreventExitStatus=2, LimitNOFILE, directories" % name,
                  str(keys))
        if name == "gatewatch-dispatcher.service":
            rep.check(keys.get("KillMode") == "mixed", "dispatcher: KillMode=mixed (workers are its children)")
    analyze = shutil.which("systemd-analyze")
    if not rep.check(analyze is not None, "systemd-analyze is installed (deploy/install-deps.sh: systemd)"):
        return
    for name in UNITS:
        r = subprocess.run([analyze, "security", "--offline=true", "--root=" + dest, name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = r.stdout.decode(errors="replace")
        m = re.search(r"Overall exposure level for %s: ([0-9.]+)" % re.escape(name), out)
        score = float(m.group(1)) if m else None
        print("# %s exposure %s" % (name, score))
        rep.check(score is not None and score <= MAX_EXPOSURE,
                  "%s scores %s <= %.1f in systemd-analyze security --offline=true" % (name, score, MAX_EXPOSURE),
                  out[-1500:])
    # verify resolves the units' dependencies (sysinit.target, ...) inside
    # --root: give the root a copy of the system's own unit folder.
    sysunits = "/usr/lib/systemd/system" if os.path.isdir("/usr/lib/systemd/system") else "/lib/systemd/system"
    shutil.copytree(sysunits, os.path.join(dest, "usr/lib/systemd/system"), symlinks=True, dirs_exist_ok=True)
    r = subprocess.run([analyze, "verify", "--root=" + dest] + UNITS + ["gatewatch.target"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=unitdir, timeout=120)
    out = r.stdout.decode(errors="replace").strip()
    rep.check(r.returncode == 0 and out == "", "systemd-analyze verify passes with no complaint",
              "rc=%d: %s" % (r.returncode, out[-1500:]))


def notify_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.2)
    return s


def wait_msg(sock, word, timeout):
    end = time.monotonic() + timeout
    seen = []
    while time.monotonic() < end:
        try:
            m = sock.recv(4096).decode(errors="replace")
        except socket.timeout:
            continue
        seen.append(m)
        if word in m.split("\n"):
            return m
    print("# notifications seen: %r" % seen)
    return None


def check_sd_notify():
    """Tree-built daemons, each with its own NOTIFY_SOCKET, the way systemd
    runs them (sockets under a separate run.dir, as installed)."""
    tmp = tempfile.mkdtemp(prefix="gw-e2e-notify-")
    rundir = os.path.join(tmp, "run-elsewhere")
    conf = os.path.join(tmp, "gw.conf")
    with open(conf, "w") as f:
        f.write('dir = "%s/state"\nrun.dir = "%s"\nmodels.dir = "%s"\nlisten.address = 127.0.0.1\nmetrics.listen = ""\n'
                "http.port = %d\ningest.port = %d\ncamera.c1.token = tok-notify-1\n"
                % (tmp, rundir, MODELS, free_port(), free_port()))
    procs = []
    ok = True
    try:
        for prog in ("notifier", "dispatcher", "ingest"):
            sp = os.path.join(tmp, prog + ".notify")
            sock = notify_socket(sp)
            env = dict(os.environ, NOTIFY_SOCKET=sp)
            log = open(os.path.join(tmp, prog + ".log"), "wb")
            p = subprocess.Popen([os.path.join(BIN, "gatewatch-" + prog), "-c", conf], env=env,
                                 stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
            log.close()
            procs.append((prog, p, sock))
            m = wait_msg(sock, "READY=1", 90)
            ok &= rep.check(m is not None and p.poll() is None, "%s sends READY=1 once it serves" % prog,
                            open(os.path.join(tmp, prog + ".log"), errors="replace").read()[-800:])
        rep.check(os.path.exists(os.path.join(rundir, "notifier.sock")) and
                  os.path.exists(os.path.join(rundir, "dispatcher.sock")),
                  "sockets are made in run.dir")
        for prog, p, sock in reversed(procs):
            p.send_signal(signal.SIGTERM)
            m = wait_msg(sock, "STOPPING=1", 30)
            try:
                rc = p.wait(30)
            except subprocess.TimeoutExpired:
                rc = None
            ok &= rep.check(m is not None and rc == 0, "%s sends STOPPING=1 on SIGTERM and exits 0" % prog,
                            "rc=%s" % rc)
    finally:
        for prog, p, sock in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
            sock.close()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("# kept %s" % tmp)


def main():
    dest = tempfile.mkdtemp(prefix="gw-e2e-install-")
    try:
        r = make_install(dest)
        out = r.stdout.decode(errors="replace")
        if not rep.check(r.returncode == 0, "make install PREFIX=%s DESTDIR=tmp succeeds" % PREFIX, out[-2000:]):
            return
        conf = check_tree(dest)
        with open(conf, "a") as f:
            f.write("# changed by the operator\n")
        r = make_install(dest)
        rep.check(r.returncode == 0 and "# changed by the operator" in open(conf).read(),
                  "a second make install keeps the operator's configuration")
        check_units(dest)
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    check_sd_notify()


main()
sys.exit(rep.done())
