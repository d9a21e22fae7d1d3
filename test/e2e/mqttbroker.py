"""mqttbroker - a real mosquitto broker on a loopback port for the MQTT
tests (test_mqtt.py, test_mqtt_tls.py)."""
import os
import shutil
import signal
import socket
import subprocess

from lib import wait_until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
SUB = shutil.which("mosquitto_sub")


class Broker:
    """mosquitto listening on 127.0.0.1:port with conf (more config lines);
    its config and log in the folder d. start() waits until it listens."""

    def __init__(self, d, port, conf):
        self.port = port
        self.conf = os.path.join(d, "mosquitto.conf")
        self.log = os.path.join(d, "mosquitto.log")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\n%s" % (port, conf))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_until(self.listens, 60, 0.05):
            raise RuntimeError("mosquitto did not start: " + open(self.log).read()[-500:])

    def listens(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def kill(self):
        if self.proc:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            self.proc = None
