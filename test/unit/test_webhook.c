/* test_webhook - alert delivery against a real HTTP(S) receiver on
 * 127.0.0.1 (python's http.server in a child process, which checks each
 * signature with python's hmac): deliveries arrive signed, survive the
 * receiver being down and answering 503, and survive a close + reopen of
 * the module on the same database. Every wait is bounded. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "../../notifier/webhook.h"

#define SECRET "s3cret-for-tests"

static const char receiver_py[] =
"import hashlib, hmac, http.server, os, ssl, sys\n"
"dir, port, secret, fail_first, tls = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4]), sys.argv[5]\n"
"count = [0]\n"
"class H(http.server.BaseHTTPRequestHandler):\n"
"    def do_POST(self):\n"
"        n = int(self.headers.get('Content-Length', '0'))\n"
"        body = self.rfile.read(n)\n"
"        want = 'sha256=' + hmac.new(secret, body, hashlib.sha256).hexdigest()\n"
"        ok = hmac.compare_digest(self.headers.get('X-Gatewatch-Signature', ''), want)\n"
"        count[0] += 1\n"
"        status = 503 if count[0] <= fail_first else 200\n"
"        line = '\\t'.join([self.headers.get('X-Gatewatch-Delivery', '-'), 'sig_ok' if ok else 'sig_bad',\n"
"            self.headers.get('X-Gatewatch-Attempt', '-'), self.headers.get('Content-Type', '-'), self.path,\n"
"            str(status), body.decode('utf-8', 'replace')])\n"
"        with open(os.path.join(dir, 'received'), 'a') as f:\n"
"            f.write(line + '\\n')\n"
"        self.send_response(status)\n"
"        self.send_header('Content-Length', '3')\n"
"        self.end_headers()\n"
"        self.wfile.write(b'ok\\n')\n"
"    def log_message(self, *a):\n"
"        pass\n"
"srv = http.server.HTTPServer(('127.0.0.1', port), H)\n"
"if tls != '-':\n"
"    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
"    ctx.load_cert_chain(os.path.join(dir, 'cert.pem'), os.path.join(dir, 'key.pem'))\n"
"    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
"with open(os.path.join(dir, 'port.tmp'), 'w') as f:\n"
"    f.write(str(srv.server_address[1]))\n"
"os.rename(os.path.join(dir, 'port.tmp'), os.path.join(dir, 'port'))\n"
"srv.serve_forever()\n";

static char dir[64];

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* start the receiver; port 0 = any. Returns its pid and sets *port, or -1. */
static pid_t
receiver_start(int *port, int fail_first, int tls)
{
	char script[128], portfile[128], portarg[16], failarg[16];
	pid_t pid;
	int i;

	path(script, sizeof(script), "receiver.py");
	path(portfile, sizeof(portfile), "port");
	unlink(portfile);
	snprintf(portarg, sizeof(portarg), "%d", *port);
	snprintf(failarg, sizeof(failarg), "%d", fail_first);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a crashed test */
		execl("/usr/bin/python3", "python3", script, dir, portarg, SECRET, failarg,
		    tls ? "tls" : "-", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) { /* 10 s */
		FILE *f = fopen(portfile, "r");

		if (f != NULL) {
			int ok = fscanf(f, "%d", port) == 1;

			fclose(f);
			if (ok)
				return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		msleep(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void
receiver_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

struct rec {
	char delivery[64];
	int sig_ok;
	int attempt;
	char ctype[64];
	char path[64];
	int status;
	char body[256];
};

/* the receiver's log, one struct rec per request */
static int
records(struct rec *r, int max)
{
	char p[128], line[1024];
	FILE *f;
	int n = 0;

	path(p, sizeof(p), "received");
	f = fopen(p, "r");
	if (f == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char sig[16];

		line[strcspn(line, "\n")] = '\0';
		memset(&r[n], 0, sizeof(r[n]));
		if (sscanf(line, "%63[^\t]\t%15[^\t]\t%d\t%63[^\t]\t%63[^\t]\t%d\t%255[^\n]", r[n].delivery, sig,
		    &r[n].attempt, r[n].ctype, r[n].path, &r[n].status, r[n].body) == 7) {
			r[n].sig_ok = strcmp(sig, "sig_ok") == 0;
			n++;
		}
	}
	fclose(f);
	return n;
}

/* requests whose body is b, and whether they all had the same delivery id */
static int
count_body(const struct rec *r, int n, const char *b, int *same_id)
{
	int i, k = 0;
	const char *id = NULL;

	*same_id = 1;
	for (i = 0; i < n; i++)
		if (strcmp(r[i].body, b) == 0) {
			if (id && strcmp(id, r[i].delivery) != 0)
				*same_id = 0;
			id = r[i].delivery;
			k++;
		}
	return k;
}

/* wait up to ms for the outbox to have no pending row; returns pending */
static int64_t
wait_pending(struct webhook *w, int64_t want, int ms)
{
	struct webhook_stats st;
	int waited = 0;

	for (;;) {
		if (webhook_stats(w, &st) < 0)
			return -1;
		if (st.pending == want || waited >= ms)
			return st.pending;
		msleep(50);
		waited += 50;
	}
}

static uint64_t
wait_failed(struct webhook *w, uint64_t want, int ms)
{
	struct webhook_stats st;
	int waited = 0;

	for (;;) {
		webhook_stats(w, &st);
		if (st.attempts_failed >= want || waited >= ms)
			return st.attempts_failed;
		msleep(50);
		waited += 50;
	}
}

static void
config(struct webhook_config *c, const char *url)
{
	webhook_config_default(c);
	c->url = url;
	c->secret = SECRET;
	c->backoff_min_us = 100000;
	c->backoff_max_us = 800000;
	c->timeout_ms = 3000;
}

static void
test_bad_config(const char *db)
{
	static const char *bad[] = { "ftp://127.0.0.1/x", "http://", "http://host:0/", "http://host:99999/",
	    "http://host:12ab/", "http://user@host/", "http://ho st/", "" };
	struct webhook_config c;
	struct webhook *w;
	char err[256], what[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		config(&c, bad[i]);
		err[0] = '\0';
		rc = webhook_open(&w, db, &c, err, sizeof(err));
		snprintf(what, sizeof(what), "bad url \"%s\" is refused with a message", bad[i]);
		CHECK(rc == -EINVAL && w == NULL && strstr(err, "webhook.url") != NULL, what);
	}
	config(&c, "http://127.0.0.1:1/");
	c.backoff_min_us = 0;
	CHECK_INT(webhook_open(&w, db, &c, err, sizeof(err)), -EINVAL, "backoff_min 0 is refused");
}

int
main(void)
{
	struct webhook_config c;
	struct webhook *w = NULL;
	struct webhook_stats st;
	struct rec r[64];
	char db[128], url[128], err[256], p[128];
	int port = 0, n, i, same;
	pid_t rx;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("test_webhook", LOG_LEVEL_INFO);
	snprintf(dir, sizeof(dir), "/tmp/gw-webhook-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		printf("not ok - mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	path(p, sizeof(p), "receiver.py");
	f = fopen(p, "w");
	if (f == NULL || fputs(receiver_py, f) < 0 || fclose(f) != 0) {
		printf("not ok - writing the receiver script\n");
		return 1;
	}
	path(db, sizeof(db), "gatewatch.db");
	test_bad_config(db);

	/* 1. three alerts, delivered and signed */
	rx = receiver_start(&port, 0, 0);
	CHECK(rx > 0, "receiver started on 127.0.0.1");
	if (rx < 0)
		return 1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks/gw?team=a", port);
	config(&c, url);
	CHECK_INT(webhook_open(&w, db, &c, err, sizeof(err)), 0, "webhook_open");
	if (w == NULL) {
		printf("# %s\n", err);
		receiver_stop(rx);
		return 1;
	}
	CHECK(webhook_enqueue(w, NULL, "{\"alert\":1}", 11) > 0, "enqueue 1");
	CHECK(webhook_enqueue(w, NULL, "{\"alert\":2}", 11) > 0, "enqueue 2");
	CHECK(webhook_enqueue(w, NULL, "{\"alert\":3,\"text\":\"caf\xc3\xa9\"}", 26) > 0, "enqueue 3 (utf-8)");
	CHECK_INT(webhook_enqueue(w, NULL, "", 0), -EINVAL, "an empty body is refused");
	{
		static char big[(1 << 20) + 1];

		memset(big, ' ', sizeof(big));
		CHECK_INT(webhook_enqueue(w, NULL, big, sizeof(big)), -EMSGSIZE, "a body over 1 MiB is refused");
	}
	CHECK_INT(wait_pending(w, 0, 10000), 0, "three alerts delivered");
	n = records(r, 64);
	CHECK_INT(n, 3, "receiver got three requests");
	for (i = 0; i < n; i++)
		if (!r[i].sig_ok || r[i].attempt != 1 || strcmp(r[i].ctype, "application/json") != 0 ||
		    strcmp(r[i].path, "/hooks/gw?team=a") != 0)
			break;
	CHECK(n == 3 && i == n, "each signed (python hmac agrees), first attempt, JSON, path and query kept");
	CHECK(n == 3 && strcmp(r[0].delivery, r[1].delivery) && strcmp(r[1].delivery, r[2].delivery) &&
	    strcmp(r[0].delivery, r[2].delivery), "distinct delivery ids");
	CHECK_INT(count_body(r, n, "{\"alert\":3,\"text\":\"caf\xc3\xa9\"}", &same), 1, "body bytes arrive exactly");

	/* 2. enqueued inside the caller's transaction: sent only after COMMIT */
	{
		sqlite3 *cdb = NULL;

		CHECK_INT(sqlite3_open(db, &cdb), SQLITE_OK, "caller's own connection");
		sqlite3_busy_timeout(cdb, 5000);
		sqlite3_exec(cdb, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		CHECK(webhook_enqueue(w, cdb, "{\"alert\":4}", 11) > 0, "enqueue in the caller's transaction");
		webhook_kick(w);
		msleep(300);
		CHECK_INT(records(r, 64), 3, "nothing sent before the caller commits");
		CHECK_INT(sqlite3_exec(cdb, "COMMIT", NULL, NULL, NULL), SQLITE_OK, "caller commits");
		webhook_kick(w);
		CHECK_INT(wait_pending(w, 0, 10000), 0, "delivered after the commit");
		sqlite3_close(cdb);
	}

	/* 3. the receiver is down for a while: retries, then all delivered */
	receiver_stop(rx);
	webhook_stats(w, &st);
	{
		uint64_t failed0 = st.attempts_failed;

		webhook_enqueue(w, NULL, "{\"alert\":5}", 11);
		webhook_enqueue(w, NULL, "{\"alert\":6}", 11);
		webhook_enqueue(w, NULL, "{\"alert\":7}", 11);
		CHECK(wait_failed(w, failed0 + 3, 10000) >= failed0 + 3, "receiver down: attempts fail and are retried");
	}
	webhook_stats(w, &st);
	CHECK_INT(st.pending, 3, "receiver down: all three still pending");
	CHECK(strncmp(st.last_error, "net: connect", 12) == 0, "receiver down: last error is the connection");
	rx = receiver_start(&port, 0, 0);
	CHECK(rx > 0, "receiver back on the same port");
	CHECK_INT(wait_pending(w, 0, 15000), 0, "receiver back: everything delivered");
	n = records(r, 64);
	for (i = 5; i <= 7; i++) {
		char b[32], what[64];

		snprintf(b, sizeof(b), "{\"alert\":%d}", i);
		snprintf(what, sizeof(what), "alert %d arrived, one delivery id", i);
		CHECK(count_body(r, n, b, &same) >= 1 && same, what);
	}

	/* 4. the receiver answers 503 twice: retried with the same id */
	receiver_stop(rx);
	rx = receiver_start(&port, 2, 0);
	webhook_enqueue(w, NULL, "{\"alert\":8}", 11);
	CHECK_INT(wait_pending(w, 0, 15000), 0, "503, 503, 200: delivered");
	n = records(r, 64);
	CHECK_INT(count_body(r, n, "{\"alert\":8}", &same), 3, "503 twice: three requests");
	CHECK(same, "503 twice: same delivery id each time");
	CHECK(n >= 3 && r[n - 1].attempt == 3 && r[n - 2].attempt == 2 && r[n - 3].attempt == 1,
	    "X-Gatewatch-Attempt counts 1, 2, 3");

	/* 5. notifier restart: close with pending deliveries, reopen, resumed */
	receiver_stop(rx);
	webhook_stats(w, &st);
	webhook_enqueue(w, NULL, "{\"alert\":9}", 11);
	webhook_enqueue(w, NULL, "{\"alert\":10}", 12);
	wait_failed(w, st.attempts_failed + 1, 10000);
	webhook_close(w);
	w = NULL;
	{
		sqlite3 *cdb = NULL;
		sqlite3_stmt *q = NULL;
		int pending = -1;

		sqlite3_open(db, &cdb);
		if (sqlite3_prepare_v2(cdb, "SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NULL",
		    -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
			pending = sqlite3_column_int(q, 0);
		sqlite3_finalize(q);
		sqlite3_close(cdb);
		CHECK_INT(pending, 2, "after close: both still pending in webhook_outbox");
	}
	rx = receiver_start(&port, 0, 0);
	CHECK_INT(webhook_open(&w, db, &c, err, sizeof(err)), 0, "reopen on the same database");
	if (w != NULL) {
		CHECK_INT(wait_pending(w, 0, 15000), 0, "reopened: pending deliveries resumed");
		n = records(r, 64);
		CHECK(count_body(r, n, "{\"alert\":9}", &same) >= 1 && same, "alert 9 arrived after the restart");
		CHECK(count_body(r, n, "{\"alert\":10}", &same) >= 1 && same, "alert 10 arrived after the restart");
		webhook_stats(w, &st);
		CHECK_INT(st.delivered, 10, "ten rows delivered in the outbox");
		webhook_close(w);
		w = NULL;
	}
	receiver_stop(rx);

	/* 6. https with the receiver's certificate trusted, and not trusted */
	{
		char cmd[512], tdb[128], udb[128], cert[128];
		struct webhook *w2 = NULL, *w3 = NULL;

		snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
		    " -addext subjectAltName=DNS:localhost -keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
		    dir, dir);
		CHECK_INT(system(cmd), 0, "https: a self-signed certificate for localhost");
		path(tdb, sizeof(tdb), "tls.db");
		path(udb, sizeof(udb), "untrusted.db");
		path(cert, sizeof(cert), "cert.pem");
		port = 0;
		rx = receiver_start(&port, 0, 1);
		CHECK(rx > 0, "https receiver started");
		snprintf(url, sizeof(url), "https://localhost:%d/tls", port);
		config(&c, url);
		c.ca_file = cert;
		CHECK_INT(webhook_open(&w2, tdb, &c, err, sizeof(err)), 0, "https: open with ca_file");
		c.ca_file = NULL;
		CHECK_INT(webhook_open(&w3, udb, &c, err, sizeof(err)), 0, "https: open with the system CAs");
		if (w2 && w3) {
			webhook_enqueue(w2, NULL, "{\"alert\":\"tls\"}", 15);
			webhook_enqueue(w3, NULL, "{\"alert\":\"untrusted\"}", 21);
			CHECK_INT(wait_pending(w2, 0, 10000), 0, "https: delivered to the trusted receiver");
			n = records(r, 64);
			CHECK(count_body(r, n, "{\"alert\":\"tls\"}", &same) == 1 && r[n - 1].sig_ok,
			    "https: arrived once, signed");
			wait_failed(w3, 1, 10000);
			webhook_stats(w3, &st);
			CHECK(st.pending == 1 && strstr(st.last_error, "certificate") != NULL,
			    "https: an untrusted certificate is refused and the alert kept");
			printf("# untrusted: %s\n", st.last_error);
			CHECK_INT(count_body(r, records(r, 64), "{\"alert\":\"untrusted\"}", &same), 0,
			    "https: nothing sent to the untrusted receiver");
		}
		webhook_close(w2);
		webhook_close(w3);
		receiver_stop(rx);
	}

	snprintf(p, sizeof(p), "rm -rf %s", dir);
	if (system(p) != 0)
		printf("# could not remove %s\n", dir);
	return CHECK_DONE();
}
