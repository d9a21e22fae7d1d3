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

static void
test_webhook_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
test_webhook_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", check_tmpdir(), name);
}

/* start the receiver; port 0 = any. Returns its pid and sets *port, or -1. */
static pid_t
test_webhook_receiver_start(int *port, int fail_first, int tls)
{
	char script[128], portfile[128], portarg[16], failarg[16];
	pid_t pid;
	int i;

	test_webhook_path(script, sizeof(script), "receiver.py");
	test_webhook_path(portfile, sizeof(portfile), "port");
	unlink(portfile);
	snprintf(portarg, sizeof(portarg), "%d", *port);
	snprintf(failarg, sizeof(failarg), "%d", fail_first);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a crashed test */
		execl("/usr/bin/python3", "python3", script, check_tmpdir(), portarg, SECRET, failarg,
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
		test_webhook_msleep(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void
test_webhook_receiver_stop(pid_t pid)
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
test_webhook_records(struct rec *r, int max)
{
	char p[128], line[1024];
	FILE *f;
	int n = 0;

	test_webhook_path(p, sizeof(p), "received");
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
test_webhook_count_body(const struct rec *r, int n, const char *b, int *same_id)
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
test_webhook_wait_pending(struct webhook *w, int64_t want, int ms)
{
	struct webhook_stats st;
	int waited = 0;

	for (;;) {
		if (webhook_stats(w, &st) < 0)
			return -1;
		if (st.pending == want || waited >= ms)
			return st.pending;
		test_webhook_msleep(50);
		waited += 50;
	}
}

static uint64_t
test_webhook_wait_failed(struct webhook *w, uint64_t want, int ms)
{
	struct webhook_stats st;
	int waited = 0;

	for (;;) {
		webhook_stats(w, &st);
		if (st.attempts_failed >= want || waited >= ms)
			return st.attempts_failed;
		test_webhook_msleep(50);
		waited += 50;
	}
}

static void
test_webhook_config(struct webhook_config *c, const char *url)
{
	webhook_config_default(c);
	c->url = url;
	c->secret = SECRET;
	c->backoff_min_us = 100000;
	c->backoff_max_us = 800000;
	c->timeout_ms = 3000;
}

CASE(bad_config)
{
	char db[128];

	static const char *bad[] = { "ftp://127.0.0.1/x", "http://", "http://host:0/", "http://host:99999/",
	    "http://host:12ab/", "http://user@host/", "http://ho st/", "" };
	struct webhook_config c;
	struct webhook *w;
	char err[256], what[128];
	size_t i;

	test_webhook_path(db, sizeof(db), "gatewatch.db");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		test_webhook_config(&c, bad[i]);
		err[0] = '\0';
		rc = webhook_open(&w, db, &c, err, sizeof(err));
		snprintf(what, sizeof(what), "bad url \"%s\" is refused with a message", bad[i]);
		CHECK(rc == -EINVAL && w == NULL && strstr(err, "webhook.url") != NULL, what);
	}
	test_webhook_config(&c, "http://127.0.0.1:1/");
	c.backoff_min_us = 0;
	CHECK_INT(webhook_open(&w, db, &c, err, sizeof(err)), -EINVAL, "backoff_min 0 is refused");
}

/* Writes the receiver's script into the case's dir; 0 or -1 (reported). */
static int
test_webhook_write_receiver(void)
{
	char p[128];
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("test_webhook", LOG_LEVEL_INFO);
	test_webhook_path(p, sizeof(p), "receiver.py");
	f = fopen(p, "w");
	if (f == NULL || fputs(receiver_py, f) < 0 || fclose(f) != 0) {
		CHECK(0, "writing the receiver script");
		return -1;
	}
	return 0;
}

/* The case's receiver (its script written into the case's dir) and a
 * webhook on the case's database delivering to it. */
struct test_webhook_fx {
	pid_t rx;
	int port;
	char db[128], url[128];
	struct webhook_config c;
	struct webhook *w;
};

/* Starts the receiver (answering 503 fail_first times), opens the webhook;
 * 0, or -1 after a failed check. */
static int
test_webhook_setup(struct test_webhook_fx *fx, int fail_first)
{
	char err[256];

	memset(fx, 0, sizeof(*fx));
	if (test_webhook_write_receiver() < 0)
		return -1;
	test_webhook_path(fx->db, sizeof(fx->db), "gatewatch.db");
	fx->rx = test_webhook_receiver_start(&fx->port, fail_first, 0);
	CHECK(fx->rx > 0, "receiver started on 127.0.0.1");
	if (fx->rx < 0)
		return -1;
	snprintf(fx->url, sizeof(fx->url), "http://127.0.0.1:%d/hooks/gw?team=a", fx->port);
	test_webhook_config(&fx->c, fx->url);
	CHECK_INT(webhook_open(&fx->w, fx->db, &fx->c, err, sizeof(err)), 0, "webhook_open");
	if (fx->w == NULL) {
		printf("# %s\n", err);
		test_webhook_receiver_stop(fx->rx);
		return -1;
	}
	return 0;
}

static void
test_webhook_teardown(struct test_webhook_fx *fx)
{
	webhook_close(fx->w);
	test_webhook_receiver_stop(fx->rx);
}

/* three alerts, delivered and signed; one enqueued inside the caller's
 * transaction is sent only after COMMIT */
CASE(delivery)
{
	struct test_webhook_fx fx;
	struct webhook *w;
	struct rec r[64];
	char *db;
	int n, i, same;

	if (test_webhook_setup(&fx, 0) < 0)
		return;
	w = fx.w;
	db = fx.db;
	CHECK(webhook_enqueue(w, NULL, "{\"alert\":1}", 11) > 0, "enqueue 1");
	CHECK(webhook_enqueue(w, NULL, "{\"alert\":2}", 11) > 0, "enqueue 2");
	CHECK(webhook_enqueue(w, NULL, "{\"alert\":3,\"text\":\"caf\xc3\xa9\"}", 26) > 0, "enqueue 3 (utf-8)");
	CHECK_INT(webhook_enqueue(w, NULL, "", 0), -EINVAL, "an empty body is refused");
	{
		static char big[(1 << 20) + 1];

		memset(big, ' ', sizeof(big));
		CHECK_INT(webhook_enqueue(w, NULL, big, sizeof(big)), -EMSGSIZE, "a body over 1 MiB is refused");
	}
	CHECK_INT(test_webhook_wait_pending(w, 0, 10000), 0, "three alerts delivered");
	n = test_webhook_records(r, 64);
	CHECK_INT(n, 3, "receiver got three requests");
	for (i = 0; i < n; i++)
		if (!r[i].sig_ok || r[i].attempt != 1 || strcmp(r[i].ctype, "application/json") != 0 ||
		    strcmp(r[i].path, "/hooks/gw?team=a") != 0)
			break;
	CHECK(n == 3 && i == n, "each signed (python hmac agrees), first attempt, JSON, path and query kept");
	CHECK(n == 3 && strcmp(r[0].delivery, r[1].delivery) && strcmp(r[1].delivery, r[2].delivery) &&
	    strcmp(r[0].delivery, r[2].delivery), "distinct delivery ids");
	CHECK_INT(test_webhook_count_body(r, n, "{\"alert\":3,\"text\":\"caf\xc3\xa9\"}", &same), 1, "body bytes arrive exactly");

	/* enqueued inside the caller's transaction: sent only after COMMIT */
	{
		sqlite3 *cdb = NULL;

		CHECK_INT(sqlite3_open(db, &cdb), SQLITE_OK, "caller's own connection");
		sqlite3_busy_timeout(cdb, 5000);
		sqlite3_exec(cdb, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		CHECK(webhook_enqueue(w, cdb, "{\"alert\":4}", 11) > 0, "enqueue in the caller's transaction");
		webhook_kick(w);
		test_webhook_msleep(300);
		CHECK_INT(test_webhook_records(r, 64), 3, "nothing sent before the caller commits");
		CHECK_INT(sqlite3_exec(cdb, "COMMIT", NULL, NULL, NULL), SQLITE_OK, "caller commits");
		webhook_kick(w);
		CHECK_INT(test_webhook_wait_pending(w, 0, 10000), 0, "delivered after the commit");
		sqlite3_close(cdb);
	}
	test_webhook_teardown(&fx);
}

/* the receiver is down for a while: retries, then all delivered */
CASE(receiver_down)
{
	struct test_webhook_fx fx;
	struct webhook_stats st;
	struct webhook *w;
	struct rec r[64];
	int n, i, same;

	if (test_webhook_setup(&fx, 0) < 0)
		return;
	w = fx.w;
	test_webhook_receiver_stop(fx.rx);
	webhook_stats(w, &st);
	{
		uint64_t failed0 = st.attempts_failed;

		webhook_enqueue(w, NULL, "{\"alert\":5}", 11);
		webhook_enqueue(w, NULL, "{\"alert\":6}", 11);
		webhook_enqueue(w, NULL, "{\"alert\":7}", 11);
		CHECK(test_webhook_wait_failed(w, failed0 + 3, 10000) >= failed0 + 3, "receiver down: attempts fail and are retried");
	}
	webhook_stats(w, &st);
	CHECK_INT(st.pending, 3, "receiver down: all three still pending");
	CHECK(strncmp(st.last_error, "net: connect", 12) == 0, "receiver down: last error is the connection");
	fx.rx = test_webhook_receiver_start(&fx.port, 0, 0);
	CHECK(fx.rx > 0, "receiver back on the same port");
	CHECK_INT(test_webhook_wait_pending(w, 0, 15000), 0, "receiver back: everything delivered");
	n = test_webhook_records(r, 64);
	for (i = 5; i <= 7; i++) {
		char b[32], what[64];

		snprintf(b, sizeof(b), "{\"alert\":%d}", i);
		snprintf(what, sizeof(what), "alert %d arrived, one delivery id", i);
		CHECK(test_webhook_count_body(r, n, b, &same) >= 1 && same, what);
	}
	test_webhook_teardown(&fx);
}

/* the receiver answers 503 twice: retried with the same id */
CASE(retry_503)
{
	struct test_webhook_fx fx;
	struct webhook *w;
	struct rec r[64];
	int n, same;

	if (test_webhook_setup(&fx, 2) < 0)
		return;
	w = fx.w;
	webhook_enqueue(w, NULL, "{\"alert\":8}", 11);
	CHECK_INT(test_webhook_wait_pending(w, 0, 15000), 0, "503, 503, 200: delivered");
	n = test_webhook_records(r, 64);
	CHECK_INT(test_webhook_count_body(r, n, "{\"alert\":8}", &same), 3, "503 twice: three requests");
	CHECK(same, "503 twice: same delivery id each time");
	CHECK(n >= 3 && r[n - 1].attempt == 3 && r[n - 2].attempt == 2 && r[n - 3].attempt == 1,
	    "X-Gatewatch-Attempt counts 1, 2, 3");
	test_webhook_teardown(&fx);
}

/* notifier restart: close with pending deliveries, reopen, resumed */
CASE(reopen)
{
	struct test_webhook_fx fx;
	struct webhook_stats st;
	struct webhook *w;
	struct rec r[64];
	char err[256], *db;
	int n, same;

	if (test_webhook_setup(&fx, 0) < 0)
		return;
	w = fx.w;
	db = fx.db;
	test_webhook_receiver_stop(fx.rx);
	webhook_stats(w, &st);
	webhook_enqueue(w, NULL, "{\"alert\":9}", 11);
	webhook_enqueue(w, NULL, "{\"alert\":10}", 12);
	test_webhook_wait_failed(w, st.attempts_failed + 1, 10000);
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
	fx.rx = test_webhook_receiver_start(&fx.port, 0, 0);
	CHECK_INT(webhook_open(&w, db, &fx.c, err, sizeof(err)), 0, "reopen on the same database");
	if (w != NULL) {
		CHECK_INT(test_webhook_wait_pending(w, 0, 15000), 0, "reopened: pending deliveries resumed");
		n = test_webhook_records(r, 64);
		CHECK(test_webhook_count_body(r, n, "{\"alert\":9}", &same) >= 1 && same, "alert 9 arrived after the restart");
		CHECK(test_webhook_count_body(r, n, "{\"alert\":10}", &same) >= 1 && same, "alert 10 arrived after the restart");
		webhook_stats(w, &st);
		CHECK_INT(st.delivered, 2, "two rows delivered in the outbox");
		webhook_close(w);
		w = NULL;
	}
	test_webhook_receiver_stop(fx.rx);
}

/* https with the receiver's certificate trusted, and not trusted */
CASE(https)
{
	char cmd[PATH_MAX * 2 + 256], url[128], err[256], tdb[128], udb[128], cert[128];
	struct webhook *w2 = NULL, *w3 = NULL;
	struct webhook_config c;
	struct webhook_stats st;
	struct rec r[64];
	int port, n, same;
	pid_t rx;

	if (test_webhook_write_receiver() < 0)
		return;
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
	    " -addext subjectAltName=DNS:localhost -keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
	    check_tmpdir(), check_tmpdir());
	CHECK_INT(system(cmd), 0, "https: a self-signed certificate for localhost");
	test_webhook_path(tdb, sizeof(tdb), "tls.db");
	test_webhook_path(udb, sizeof(udb), "untrusted.db");
	test_webhook_path(cert, sizeof(cert), "cert.pem");
	port = 0;
	rx = test_webhook_receiver_start(&port, 0, 1);
	CHECK(rx > 0, "https receiver started");
	snprintf(url, sizeof(url), "https://localhost:%d/tls", port);
	test_webhook_config(&c, url);
	c.ca_file = cert;
	CHECK_INT(webhook_open(&w2, tdb, &c, err, sizeof(err)), 0, "https: open with ca_file");
	c.ca_file = NULL;
	CHECK_INT(webhook_open(&w3, udb, &c, err, sizeof(err)), 0, "https: open with the system CAs");
	if (w2 && w3) {
		webhook_enqueue(w2, NULL, "{\"alert\":\"tls\"}", 15);
		webhook_enqueue(w3, NULL, "{\"alert\":\"untrusted\"}", 21);
		CHECK_INT(test_webhook_wait_pending(w2, 0, 10000), 0, "https: delivered to the trusted receiver");
		n = test_webhook_records(r, 64);
		CHECK(test_webhook_count_body(r, n, "{\"alert\":\"tls\"}", &same) == 1 && r[n - 1].sig_ok,
		    "https: arrived once, signed");
		test_webhook_wait_failed(w3, 1, 10000);
		webhook_stats(w3, &st);
		CHECK(st.pending == 1 && strstr(st.last_error, "certificate") != NULL,
		    "https: an untrusted certificate is refused and the alert kept");
		printf("# untrusted: %s\n", st.last_error);
		CHECK_INT(test_webhook_count_body(r, test_webhook_records(r, 64), "{\"alert\":\"untrusted\"}", &same), 0,
		    "https: nothing sent to the untrusted receiver");
	}
	webhook_close(w2);
	webhook_close(w3);
	test_webhook_receiver_stop(rx);
}

CHECK_MAIN()
