#!/usr/bin/python3
"""test_mqtt_tls - mqtts:// against a real mosquitto with TLS on a loopback
port and a password file (the test makes a throwaway CA, a server
certificate for 127.0.0.1 and a second, unrelated CA with openssl in its
temp dir):

  good     mqtt.ca_file = the CA, mqtt.user/mqtt.password right: the
           notifier connects over TLS, says online (retained), publishes
           the discovery configs and person events
  bad CA   mqtt.ca_file = the other CA: the handshake is refused; one clear
           log line per try naming the certificate, tries 1 s, 2 s, ...
           apart (backoff), and the pipeline goes on (every frame
           answered, results committed)
  bad pw   the right CA, a wrong password: the broker refuses, the log
           says "not authorised", nothing is published

Env: GW_ROOT, BIN, MODELS."""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import PER_PHOTO_TRACKING, Gatewatch, Report, free_port, images_masks, wait_until  # noqa: E402
from mqttbroker import MOSQUITTO, SUB, Broker  # noqa: E402

rep = Report()
PASSWD = shutil.which("mosquitto_passwd")
USER, PASSWORD = "gatewatch", "s3cret-for-the-test"


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=60)


def make_pki(d):
    """ca.pem signs server.pem (for 127.0.0.1); other.pem is a CA that signed nothing here."""
    p = lambda n: os.path.join(d, n)  # noqa: E731
    for ca in ("ca", "other"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p(ca + ".key"), "-out", p(ca + ".pem"),
                "-days", "1", "-subj", "/CN=gatewatch test %s" % ca)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server.key"), "-out", p("server.csr"),
            "-subj", "/CN=127.0.0.1")
    with open(p("ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial",
            "-out", p("server.pem"), "-days", "1", "-extfile", p("ext.cnf"))
    subprocess.run([PASSWD, "-c", "-b", p("passwd"), USER, PASSWORD], check=True, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class TlsBroker(Broker):
    def __init__(self, d, port):
        self.d = d
        conf = ("persistence false\nper_listener_settings true\ncafile %s/ca.pem\ncertfile %s/server.pem\n"
                "keyfile %s/server.key\nallow_anonymous false\npassword_file %s/passwd\n" % (d, d, d, d))
        if os.geteuid() == 0:  # as root mosquitto would switch to its own user, who cannot read our temp dir
            conf += "user root\n"
        Broker.__init__(self, d, port, conf)
        self.start()

    def sub(self, topic, ca="ca.pem", password=PASSWORD, wait=None):
        args = [SUB, "-h", "127.0.0.1", "-p", str(self.port), "--cafile", os.path.join(self.d, ca),
                "-u", USER, "-P", password, "-t", topic, "-F", "%r %t %p", "-q", "1"]
        return args + (["-W", str(wait)] if wait else [])

    def retained(self, topic, timeout=3):
        r = subprocess.run(self.sub(topic, wait=timeout), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, timeout=timeout + 10)
        return {p[1]: p[2] for p in (ln.split(" ", 2) for ln in r.stdout.splitlines()) if len(p) == 3 and p[0] == "1"}


def mqtt_connected(port):
    """gatewatch_mqtt_connected from metrics.listen on port, or None."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            page = r.read().decode()
    except OSError:
        return None
    return next((ln.split(" ")[1] for ln in page.splitlines() if ln.startswith("gatewatch_mqtt_connected ")), None)


def committed(gw):
    try:
        return sqlite3.connect(os.path.join(gw.dir, "gatewatch.db")).execute(
            "SELECT count(*) FROM track_events").fetchone()[0]
    except sqlite3.Error:
        return 0


def main():
    if not rep.check(os.path.exists(MOSQUITTO) and SUB and PASSWD and shutil.which("openssl"),
                     "mosquitto, mosquitto_sub, mosquitto_passwd and openssl are installed"):
        return
    tmp = tempfile.mkdtemp(prefix="gw-e2e-mqtt-tls-")
    make_pki(tmp)
    broker = TlsBroker(tmp, free_port())
    files = images_masks(4)
    try:
        # The broker is really strict: the test's own client is refused a
        # wrong password and a CA that did not sign the server's certificate.
        for what, kw in (("a wrong password", {"password": "wrong"}), ("another CA", {"ca": "other.pem"})):
            r = subprocess.run(broker.sub("x", wait=2, **kw), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=20)
            rep.check(r.returncode != 0, "the broker refuses mosquitto_sub with %s" % what, r.stdout[-200:])

        sets = dict(PER_PHOTO_TRACKING)
        mport = free_port()
        sets.update({"metrics.listen": "127.0.0.1:%d" % mport, "mqtt.url": "mqtts://127.0.0.1:%d" % broker.port,
                     "mqtt.user": USER, "mqtt.password": PASSWORD,
                     "mqtt.ca_file": os.path.join(tmp, "ca.pem")})
        with Gatewatch("mqtt-tls", cameras=("cam1",), sets=sets) as gw:
            live = subprocess.Popen(broker.sub("gatewatch/camera/cam1/event"), stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True, start_new_session=True)
            lines = []
            threading.Thread(target=lambda: lines.extend(live.stdout), daemon=True).start()
            gw.start()
            st = wait_until(lambda: broker.retained("gatewatch/status").get("gatewatch/status"), 60, 0.5)
            rep.check(st == "online", "mqtts with the CA and the password: gatewatch/status = online (retained)", st)
            disc = wait_until(lambda: (lambda d: d if len(d) >= 6 else None)(broker.retained("homeassistant/#")),
                              60, 0.5) or {}
            rep.check(len(disc) == 6 and all("gatewatch_cam1_" in t for t in disc),
                      "mqtts: cam1's discovery configs", str(sorted(disc)))
            gw.push("cam1", files)
            ev = wait_until(lambda: [ln for ln in lines if " gatewatch/camera/cam1/event " in ln], 60, 0.3) or []
            evs = [json.loads(ln.split(" ", 2)[2]) for ln in ev]
            rep.check(evs and all(e.get("camera") == "cam1" for e in evs), "mqtts: person events published",
                      str(evs[:2]))
            rep.check("mqtt: connected to 127.0.0.1:%d" % broker.port in gw.log("notifier"),
                      "the notifier logs the connect")
            rep.check(mqtt_connected(mport) == "1", "/metrics: gatewatch_mqtt_connected 1", mqtt_connected(mport))
            os.killpg(live.pid, signal.SIGKILL)
            live.wait(5)

        # A CA that did not sign the broker's certificate: refused, said, retried, and nothing waits for it.
        sets["mqtt.ca_file"] = os.path.join(tmp, "other.pem")
        with Gatewatch("mqtt-tls-badca", cameras=("cam1",), sets=sets) as gw:
            gw.start()
            answers = gw.push("cam1", files)
            rep.check(len(answers) == len(files) and all(a.get("status") for a in answers),
                      "certificate refused: every frame still answered")
            rep.check(wait_until(lambda: committed(gw) > 0, 60, 0.3), "certificate refused: results still committed")
            refused = re.compile(r"warn .*mqtt: 127\.0\.0\.1:%d: .*certificate verify failed.*mqtt\.ca_file.*"
                                 r"retrying in (\d+) s" % broker.port)
            tries = wait_until(lambda: (lambda t: t if len(t) >= 3 else None)(
                [int(m.group(1)) for m in refused.finditer(gw.log("notifier"))]), 60, 0.5) or []
            rep.check(len(tries) >= 3, "one warning per refused handshake, naming the certificate and mqtt.ca_file",
                      gw.log("notifier")[-800:])
            rep.check(tries[:3] == [1, 2, 4], "retries back off: 1 s, 2 s, 4 s", str(tries))
            rep.check(broker.retained("gatewatch/status").get("gatewatch/status") != "online",
                      "certificate refused: nothing published")
            rep.check(mqtt_connected(mport) == "0", "/metrics: gatewatch_mqtt_connected 0", mqtt_connected(mport))

        # The right CA, a wrong password.
        sets["mqtt.ca_file"], sets["mqtt.password"] = os.path.join(tmp, "ca.pem"), "not-the-password"
        with Gatewatch("mqtt-tls-badpw", cameras=("cam1",), sets=sets) as gw:
            gw.start()
            said = wait_until(lambda: "refused the connection: Connection Refused: not authorised" in
                              gw.log("notifier"), 60, 0.3)
            rep.check(said, "a wrong password: the log says the broker refused it (not authorised)",
                      gw.log("notifier")[-600:])
            rep.check(broker.retained("gatewatch/status").get("gatewatch/status") != "online",
                      "a wrong password: nothing published")
    finally:
        broker.kill()
        shutil.rmtree(tmp, ignore_errors=True)


main()
sys.exit(rep.done())
