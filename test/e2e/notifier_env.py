"""notifier_env - start and stop a real gatewatch-notifier for tests, and
speak HTTP and the /live WebSocket to it (stdlib only).

Every page, API call and /live needs a login now: start() creates an
admin account with `gatewatch user add` (n.admin = (name, password)) and
the first request logs in (POST /api/session); n.get()/n.request() then
send its session cookie and the server's own Origin, and WS(port) does the
same for the notifier listening on port. Session(n, user, password) is a
second login; n.add_user(name, role) adds an account; pass auth=None to
n.get()/n.request() to ask as nobody.

Notifier(check_api=True) keeps every answer under /api that any request
of the test gets from it (http() and record()), and Cases.finish (or
Cases.check_api, for a second notifier) holds them all to the notifier's
/api/openapi.json in one run of test/e2e/openapi_check.mjs (pinned npm
validators); keep_answers(port) and check_answers() do the same for a
server started otherwise."""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import wsclient
from lib import Report, free_port

ROOT = os.environ.get("GW_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BIN", "bin")
NOTIFIER = os.path.join(ROOT, BIN, "gatewatch-notifier") if not os.path.isabs(BIN) else os.path.join(BIN, "gatewatch-notifier")
GATEWATCH = os.path.join(os.path.dirname(NOTIFIER), "gatewatch")

# port -> headers (Cookie, Origin) WS sends by default: the notifier's admin session.
_ws_headers = {}
# port -> the /api answers of a Notifier(check_api=True) there, for Cases.check_api.
_answers = {}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


_ssl_ctx = ssl.create_default_context()
_ssl_ctx.check_hostname = False
_ssl_ctx.verify_mode = ssl.CERT_NONE  # the tests' self-signed certificates
_opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=_ssl_ctx))


def http(url, method, path, body=None, headers=None, timeout=30.0):
    """(status, headers, body bytes) for one request to url + path
    (url: "http://127.0.0.1:PORT" or a port), redirects not followed."""
    if isinstance(url, int):
        url = "http://127.0.0.1:%d" % url
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url + path, data=data, method=method, headers=dict(headers or {}))
    if data is not None and "Content-Type" not in req.headers:
        req.add_header("Content-Type", "application/json")
    try:
        with _opener.open(req, timeout=timeout) as r:
            st, h, b = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        st, h, b = e.code, dict(e.headers), e.read()
    record(url, method, path, st, h, b)
    return st, h, b


def record(url, method, path, status, headers, body):
    """Keeps one answer (from url: a port or "http://host:port") for
    Cases.check_api when a checked notifier listens there and path is the
    API's; a test that speaks HTTP by other means calls this itself."""
    port = url if isinstance(url, int) else urllib.parse.urlsplit(url).port
    if port in _answers and re.match(r"/api($|[/?])", path):
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        _answers[port].append(dict(method=method, path=path, status=status, type=ctype,
                                   body=body.decode("utf-8", "replace")))


def keep_answers(port):
    """From now on record() keeps the /api answers of the server on port."""
    _answers.setdefault(port, [])


def check_answers(report, port, document):
    """Every answer record() kept for port, against document (the bytes of
    the server's /api/openapi.json), which is validated as OpenAPI 3.1:
    report gets one case per kind of answer (method, path template,
    status, media type), from one run of test/e2e/openapi_check.mjs."""
    answers = _answers.pop(port, None)
    if answers is None:
        return
    try:
        doc = json.loads(document)
    except (TypeError, ValueError) as e:
        report.fail("the server gave its /api/openapi.json", e)
        return
    r = subprocess.run(["node", os.path.join(ROOT, "test", "e2e", "openapi_check.mjs")],
                       input=json.dumps({"document": doc, "answers": answers}), capture_output=True,
                       text=True, timeout=120)
    bad = 0
    for line in r.stdout.splitlines():
        if line.startswith("ok - "):
            report.ok(line[5:])
        elif line.startswith("not ok - "):
            what, _, why = line[9:].partition(": ")
            report.fail(what, why)
            bad += 1
    if r.returncode != (1 if bad else 0) or not r.stdout:
        report.fail("openapi_check.mjs ran", "exit %d: %s" % (r.returncode, r.stderr[-1500:]))


def raw_head(port, request, timeout=30.0):
    """The head of the answer (up to its blank line, as text) to request
    (bytes) sent on a raw loopback socket: what http.client hides, such
    as a status line without its reason phrase."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        got = b""
        while b"\r\n\r\n" not in got:  # bounded by the socket's timeout
            more = s.recv(4096)
            if not more:
                break
            got += more
    return got.split(b"\r\n\r\n", 1)[0].decode(errors="replace")


def cookie_of(headers, name="gw_session"):
    """The value a Set-Cookie header gives cookie name, or None."""
    for k, v in headers.items():
        if k.lower() == "set-cookie" and v.startswith(name + "="):
            return v.split(";", 1)[0].split("=", 1)[1]
    return None


class Session:
    """A login (POST /api/session) as user; headers() are what a browser
    on the server's own page would send."""

    def __init__(self, n, user, password):
        self.n, self.user = n, user
        self.origin = n.url("")
        st, h, b = http(self.origin, "POST", "/api/session", json.dumps({"user": user, "password": password}),
                        {"Origin": self.origin})
        self.status, self.login_headers, self.login_body = st, h, b
        self.cookie = cookie_of(h) if st == 201 else None
        if self.cookie is None:
            raise RuntimeError("login as %s: %d %r" % (user, st, b[:300]))

    def headers(self, extra=None):
        h = {"Cookie": "gw_session=%s" % self.cookie, "Origin": self.origin}
        h.update(extra or {})
        return h

    def request(self, method, path, body=None, headers=None):
        return http(self.origin, method, path, body, self.headers(headers))

    def json(self, method, path, body=None):
        st, _, b = self.request(method, path, None if body is None else json.dumps(body))
        return st, (json.loads(b) if b else None)


class Notifier:
    """A notifier in its own process group, state in a temp dir."""

    def __init__(self, tmp=None, cameras=(("gate1", "Front gate", "gate"), ("hall", "Hall", "indoor")), extra=(),
                 check_api=False):
        self.own_tmp = tmp is None   # made here: Cases.finish removes it after a clean run
        self.tmp = tmp or tempfile.mkdtemp(prefix="gw-notifier-")
        self.dir = os.path.join(self.tmp, "var")
        self.http_port = free_port()
        self.ingest_port = free_port()
        self.sock = os.path.join(self.dir, "run", "notifier.sock")
        self.args = [NOTIFIER, "--dir", self.dir, "--set", "http.port=%d" % self.http_port,
                     "--set", "ingest.port=%d" % self.ingest_port,
                     "--set", "www.dir=%s" % os.path.join(ROOT, "www"),
                     # no listener on the default 127.0.0.1:9469 (a developer's `make run`
                     # may hold it); a test that wants one sets it in extra (the later --set wins)
                     "--set", "metrics.listen=",
                     # Nothing edits what a test fed behind its back (extra may set these):
                     # gwmsg.feed's workers leave at once, and the notifier ends their open
                     # people track.max_missing_ms + dispatcher.worker_backoff_max_ms after
                     # (13 s; a loaded machine is past that mid-test: extra "ended" events
                     # and "left" messages); the first frame starts camera.offline_after_ms
                     # (an extra camera_offline alert after 60 s); a disk with less than
                     # twice spool.min_free_mb free (400 MB) raises spool_low
                     "--set", "dispatcher.worker_backoff_max_ms=3600000",
                     "--set", "camera.offline_after_ms=0", "--set", "spool.min_free_mb=0"]
        for i, (cid, name, mode) in enumerate(cameras):
            self.args += ["--set", "camera.%s.token=token-%s-%d" % (cid, cid, i),
                          "--set", "camera.%s.name=%s" % (cid, name), "--set", "camera.%s.mode=%s" % (cid, mode)]
        self.args += list(extra)
        self.proc = None
        self.log = os.path.join(self.tmp, "notifier.log")
        self.admin = ("admin", "pw-" + os.urandom(9).hex())
        self.admin_made = False
        self.session = None
        self.document = None  # /api/openapi.json as served, with check_api
        if check_api:
            keep_answers(self.http_port)

    def add_user(self, name, role, password=None):
        """Create an account with the CLI (as an operator would); returns its password."""
        password = password or "pw-" + os.urandom(9).hex()
        r = subprocess.run([GATEWATCH, "user", "add", name, "--role", role, "--dir", self.dir],
                           input=password + "\n", capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("gatewatch user add %s: %s" % (name, r.stderr))
        return password

    def login(self, user=None, password=None):
        """A new Session (default: the admin)."""
        if user is None:
            user, password = self.admin
        return Session(self, user, password)

    def auth(self):
        """The admin's session, logged in on first use."""
        if self.session is None:
            self.session = self.login()
            _ws_headers[self.http_port] = self.session.headers()
        return self.session

    def start(self, timeout=60.0):
        if not self.admin_made:  # (a test may have made the database already)
            self.add_user(self.admin[0], "admin", self.admin[1])
            self.admin_made = True
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.logf, stderr=self.logf, start_new_session=True)
        try:
            return self._wait_ready(timeout)
        except BaseException:
            self.stop()  # a notifier that never answered must not outlive the test
            raise

    def _wait_ready(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("notifier exited with %s: %s" % (self.proc.returncode, self.log_text()[-2000:]))
            try:
                # Without a login /api/health is 401: the server is up.
                if self.get("/api/health", auth=None)[0] == 401 and os.path.exists(self.sock):
                    self.auth()
                    if self.http_port in _answers and self.document is None:
                        self.document = self.get("/api/openapi.json")[2]
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("notifier did not answer /api/health in %.0f s" % timeout)

    def stop(self, timeout=60.0):
        """SIGTERM, wait; returns the exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        rc = None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        except ProcessLookupError:
            rc = self.proc.wait(5)
        self.proc = None
        self.logf.close()
        return rc

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def request(self, method, path, body=None, headers=None, auth="admin", timeout=30.0):
        """(status, headers, body bytes) without raising on 4xx/5xx; as the
        admin's session unless auth is None (nobody) or a Session."""
        h = {}
        if auth == "admin":
            auth = self.auth()
        if auth is not None:
            h.update(auth.headers())
        h.update(headers or {})
        return http(self.url(""), method, path, body, h, timeout)

    def get(self, path, timeout=30.0, auth="admin"):
        """(status, headers, body bytes) without raising on 4xx/5xx."""
        return self.request("GET", path, auth=auth, timeout=timeout)

    def get_json(self, path, auth="admin"):
        st, _, body = self.get(path, auth=auth)
        return st, json.loads(body)


def WS(port, path="/live", protocol="gatewatch-live", timeout=30.0, headers="default"):
    """wsclient.WS to the notifier's /live. headers: extra request headers;
    "default" = the login of the Notifier on port (see the top), None = none."""
    if headers == "default":
        headers = _ws_headers.get(port, {})
    return wsclient.WS(port, protocol=protocol, timeout=timeout, path=path, headers=headers)


class Cases(Report):
    """lib.Report (one line per case, failures counted) plus eq()."""

    def eq(self, got, want, what):
        return self.check(got == want, what, "got %r, want %r" % (got, want))

    def check_api(self, n):
        """check_answers for notifier n (made with check_api=True) and the
        document it served when it started."""
        check_answers(self, n.http_port, n.document)

    def finish(self, n, check_exit=True, log_lines=None):
        """The end of a test with notifier n (None: nothing to do): holds
        its answers to its document (check_api), stops it (unless stopped
        already), checking it exits 0 unless check_exit is false; when a case failed, shows the end of its log (lines
        log_lines keeps) and keeps its temp dir, else removes the temp dir
        it made."""
        if n is not None:
            self.check_api(n)
        if n is not None and n.proc is not None:
            rc = n.stop()
            if check_exit:
                self.eq(rc, 0, "notifier exits 0 on SIGTERM")
        if n is not None and self.failed:
            text = n.log_text()
            if log_lines is not None:
                text = "".join(line for line in text.splitlines(True) if log_lines(line))
            sys.stderr.write(text[-3000:])
            print("# notifier state kept in %s" % n.tmp)
        elif n is not None and n.own_tmp:
            shutil.rmtree(n.tmp, ignore_errors=True)
