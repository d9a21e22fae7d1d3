/* webhook - the alert outbox in SQLite and the one thread that delivers it
 * over HTTP(S) with retries; see webhook.h for the contract. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "log.h"
#include "webhook.h"

#define WEBHOOK_POLL_US 1000000ULL      /* look at the table at least this often */
#define WEBHOOK_PRUNE_US 3600000000ULL  /* prune delivered rows hourly */
#define WEBHOOK_BODY_MAX (1 << 20)      /* an alert is a few hundred bytes */
#define WEBHOOK_SLICE_MS 100            /* connect waits in slices to notice stop */

struct webhook {
	struct webhook_config c;   /* strings point at the owned copies below */
	char *url, *secret, *ca_file;   /* owned */
	int tls;
	char host[256];
	char port[8];
	char *path;                /* owned: path and query, from "/" */
	SSL_CTX *ssl_ctx;          /* owned, https only */
	sqlite3 *qdb;              /* caller's thread: enqueue, stats */
	sqlite3 *ddb;              /* delivery thread only */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;        /* guards the fields below */
	pthread_cond_t cv;
	int stop, kicked;
	int cur_fd;                /* socket in flight, -1; shut down by close */
	uint64_t ok, failed;
	char last_error[128];
};

struct outbox_row {
	int64_t id;
	int64_t created_us;
	int attempts;
	int64_t next_us;
	unsigned char *body;       /* owned */
	size_t len;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
webhook_config_default(struct webhook_config *c)
{
	memset(c, 0, sizeof(*c));
	c->backoff_min_us = 1000000;
	c->backoff_max_us = 60000000;
	c->timeout_ms = 10000;
	c->keep_delivered_us = 7ULL * 24 * 3600 * 1000000;
}

static uint64_t
backoff(const struct webhook *w, unsigned n)
{
	uint64_t d = w->c.backoff_min_us;

	while (n-- > 1 && d < w->c.backoff_max_us)
		d *= 2;
	return d < w->c.backoff_max_us ? d : w->c.backoff_max_us;
}

/* ---- the outbox table ---- */

int
webhook_schema(sqlite3 *db)
{
	static const char sql[] =
	    "CREATE TABLE IF NOT EXISTS webhook_outbox ("
	    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " created_us INTEGER NOT NULL,"
	    " body BLOB NOT NULL,"
	    " attempts INTEGER NOT NULL DEFAULT 0,"
	    " next_us INTEGER NOT NULL,"
	    " delivered_us INTEGER,"
	    " last_error TEXT);"
	    "CREATE INDEX IF NOT EXISTS webhook_outbox_pending"
	    " ON webhook_outbox(next_us) WHERE delivered_us IS NULL;";

	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int
db_open(const char *path, sqlite3 **dbp, char *err, size_t errlen)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "webhook: %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -EIO;
	}
	*dbp = db;
	return 0;
}

int64_t
webhook_enqueue(struct webhook *w, sqlite3 *db, const char *body, size_t len)
{
	sqlite3_stmt *st = NULL;
	uint64_t now = now_us();
	int64_t id = -EIO;
	int own = db == NULL;

	if (body == NULL || len == 0)
		return -EINVAL;
	if (len > WEBHOOK_BODY_MAX)
		return -EMSGSIZE;
	if (own) {
		pthread_mutex_lock(&w->mu);
		db = w->qdb;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO webhook_outbox(created_us, body, attempts, next_us)"
	    " VALUES (?, ?, 0, ?)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 1, (sqlite3_int64)now) == SQLITE_OK &&
	    sqlite3_bind_blob(st, 2, body, (int)len, SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 3, (sqlite3_int64)now) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	if (own)
		pthread_mutex_unlock(&w->mu);
	if (id > 0 && own)
		webhook_kick(w);
	return id;
}

static int64_t
count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -EIO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
webhook_stats(struct webhook *w, struct webhook_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&w->mu);
	out->pending = count_rows(w->qdb, "SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NULL");
	out->delivered = count_rows(w->qdb, "SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NOT NULL");
	out->attempts_ok = w->ok;
	out->attempts_failed = w->failed;
	memcpy(out->last_error, w->last_error, sizeof(out->last_error));
	pthread_mutex_unlock(&w->mu);
	return out->pending < 0 || out->delivered < 0 ? -EIO : 0;
}

/* the pending row due first: 1 and *r if due now, 0 with *wait_us until the
 * earliest if none is due (WEBHOOK_POLL_US if none at all), -1 on error */
static int
next_row(struct webhook *w, uint64_t now, struct outbox_row *r, uint64_t *wait_us)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, s;

	*wait_us = WEBHOOK_POLL_US;
	if (sqlite3_prepare_v2(w->ddb, "SELECT id, created_us, attempts, next_us, body FROM webhook_outbox"
	    " WHERE delivered_us IS NULL ORDER BY next_us, id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	s = sqlite3_step(st);
	if (s == SQLITE_DONE) {
		rc = 0;
		goto out;
	}
	if (s != SQLITE_ROW)
		goto out;
	r->id = sqlite3_column_int64(st, 0);
	r->created_us = sqlite3_column_int64(st, 1);
	r->attempts = sqlite3_column_int(st, 2);
	r->next_us = sqlite3_column_int64(st, 3);
	if ((uint64_t)r->next_us > now) {
		if ((uint64_t)r->next_us - now < *wait_us)
			*wait_us = (uint64_t)r->next_us - now;
		rc = 0;
		goto out;
	}
	r->len = (size_t)sqlite3_column_bytes(st, 4);
	r->body = malloc(r->len + 1);
	if (r->body == NULL)
		goto out;
	if (r->len)
		memcpy(r->body, sqlite3_column_blob(st, 4), r->len);
	rc = 1;
out:
	sqlite3_finalize(st);
	return rc;
}

/* run sql once with ?1..?3 bound to a, b, c and ?4 to text, as far as the
 * statement has parameters; 0 or -EIO */
static int
db_run(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t c, const char *text)
{
	sqlite3_stmt *st = NULL;
	int ok, n;

	ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
	n = ok ? sqlite3_bind_parameter_count(st) : 0;
	ok = ok && (n < 1 || sqlite3_bind_int64(st, 1, a) == SQLITE_OK) &&
	    (n < 2 || sqlite3_bind_int64(st, 2, b) == SQLITE_OK) &&
	    (n < 3 || sqlite3_bind_int64(st, 3, c) == SQLITE_OK) &&
	    (n < 4 || sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT) == SQLITE_OK) &&
	    sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	return ok ? 0 : -EIO;
}

/* ---- one HTTP(S) request ---- */

struct conn {
	int fd;
	SSL *ssl;
};

static int
stopping(struct webhook *w)
{
	int s;

	pthread_mutex_lock(&w->mu);
	s = w->stop;
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* connect with a deadline, in slices so webhook_close is noticed; the
 * socket is blocking with send/receive timeouts afterwards */
static int
dial(struct webhook *w, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(w->host, w->port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "net: resolve %.100s: %s", w->host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "net: connect %.100s:%s: no address", w->host, w->port);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int waited = 0, soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			struct pollfd p = { fd, POLLOUT, 0 };

			while (waited < w->c.timeout_ms && !stopping(w)) {
				rc = poll(&p, 1, WEBHOOK_SLICE_MS);
				if (rc > 0)
					break;
				waited += WEBHOOK_SLICE_MS;
			}
			if (p.revents && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				break;
			errno = p.revents ? soerr : ETIMEDOUT;
		}
		snprintf(err, errlen, "net: connect %.100s:%s: %s", w->host, w->port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	tv.tv_sec = w->c.timeout_ms / 1000;
	tv.tv_usec = (w->c.timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	pthread_mutex_lock(&w->mu);
	w->cur_fd = fd;
	if (w->stop)
		shutdown(fd, SHUT_RDWR);
	pthread_mutex_unlock(&w->mu);
	return fd;
}

static void
hangup(struct webhook *w, struct conn *c)
{
	sigset_t pipe_set;
	struct timespec zero = { 0, 0 };

	/* the thread blocks every signal: a write to a closed peer inside
	 * OpenSSL leaves a SIGPIPE pending here instead of killing the
	 * notifier; consume it */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
		;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0) {
		pthread_mutex_lock(&w->mu);
		w->cur_fd = -1;
		pthread_mutex_unlock(&w->mu);
		close(c->fd);
	}
	c->ssl = NULL;
	c->fd = -1;
}

static void
tls_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[120];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "net: tls %s: %s", what, e ? buf : strerror(errno));
	ERR_clear_error();
}

static int
send_all(struct conn *c, const void *buf, size_t len, char *err, size_t errlen)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n;

		if (c->ssl) {
			int k = SSL_write(c->ssl, p, len > 65536 ? 65536 : (int)len);

			if (k <= 0) {
				tls_error(err, errlen, "write");
				return -1;
			}
			n = k;
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				snprintf(err, errlen, "net: send: %s", n < 0 ? strerror(errno) : "closed");
				return -1;
			}
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* the answer's status code, from its first line; -1 with err on failure */
static int
read_status(struct conn *c, char *err, size_t errlen)
{
	char buf[1024];
	size_t have = 0;
	int status = -1;

	while (have < sizeof(buf) - 1 && memchr(buf, '\n', have) == NULL) {
		ssize_t n;

		if (c->ssl) {
			int k = SSL_read(c->ssl, buf + have, (int)(sizeof(buf) - 1 - have));

			n = k > 0 ? k : (SSL_get_error(c->ssl, k) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
		} else {
			n = recv(c->fd, buf + have, sizeof(buf) - 1 - have, 0);
			if (n < 0 && errno == EINTR)
				continue;
		}
		if (n < 0) {
			snprintf(err, errlen, "net: no answer: %s",
			    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %3d", &status) != 1 || status < 100 || status > 999) {
		snprintf(err, errlen, "net: not an HTTP answer (%zu bytes)", have);
		return -1;
	}
	return status;
}

/* POST one row; 0 on a 2xx answer, else -1 with err ("net: ..." for
 * transport failures, "http NNN" for an answer that is not 2xx) */
static int
post(struct webhook *w, const struct outbox_row *r, char *err, size_t errlen)
{
	struct conn c = { -1, NULL };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char sig[2 * EVP_MAX_MD_SIZE + 64] = "";
	char head[1024 + 512];
	int n, status;

	if (w->secret[0] != '\0') {
		char *p;

		if (HMAC(EVP_sha256(), w->secret, (int)strlen(w->secret), r->body, r->len, md, &mdlen) == NULL) {
			snprintf(err, errlen, "hmac failed");
			return -1;
		}
		p = sig + sprintf(sig, "X-Gatewatch-Signature: sha256=");
		for (i = 0; i < mdlen; i++)
			p += sprintf(p, "%02x", md[i]);
		strcpy(p, "\r\n");
	}
	n = snprintf(head, sizeof(head),
	    "POST %s HTTP/1.1\r\n"
	    "Host: %s%s%s\r\n"
	    "User-Agent: gatewatch-notifier\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "X-Gatewatch-Delivery: %lld-%lld\r\n"
	    "X-Gatewatch-Attempt: %d\r\n"
	    "%s"
	    "Connection: close\r\n\r\n",
	    w->path, w->host,
	    (strcmp(w->port, w->tls ? "443" : "80") != 0) ? ":" : "",
	    (strcmp(w->port, w->tls ? "443" : "80") != 0) ? w->port : "",
	    r->len, (long long)r->created_us, (long long)r->id, r->attempts + 1, sig);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		snprintf(err, errlen, "request header too long");
		return -1;
	}

	c.fd = dial(w, err, errlen);
	if (c.fd < 0)
		return -1;
	if (w->tls) {
		c.ssl = SSL_new(w->ssl_ctx);
		if (c.ssl == NULL || SSL_set_fd(c.ssl, c.fd) != 1 ||
		    SSL_set_tlsext_host_name(c.ssl, w->host) != 1 || SSL_set1_host(c.ssl, w->host) != 1) {
			tls_error(err, errlen, "setup");
			goto fail;
		}
		if (SSL_connect(c.ssl) != 1) {
			long v = SSL_get_verify_result(c.ssl);

			if (v != X509_V_OK)
				snprintf(err, errlen, "net: tls: certificate: %s", X509_verify_cert_error_string(v));
			else
				tls_error(err, errlen, "handshake");
			goto fail;
		}
	}
	if (send_all(&c, head, (size_t)n, err, errlen) < 0 ||
	    send_all(&c, r->body, r->len, err, errlen) < 0)
		goto fail;
	status = read_status(&c, err, errlen);
	if (status < 0)
		goto fail;
	hangup(w, &c);
	if (status / 100 == 2)
		return 0;
	snprintf(err, errlen, "http %d", status);
	return -1;
fail:
	hangup(w, &c);
	return -1;
}

/* ---- the delivery thread ---- */

static void
deliver_one(struct webhook *w, struct outbox_row *r, unsigned *streak, uint64_t *hold_until)
{
	char err[256];
	uint64_t t, next;
	int rc;

	rc = post(w, r, err, sizeof(err));
	t = now_us();
	if (rc == 0) {
		if (db_run(w->ddb, "UPDATE webhook_outbox SET delivered_us = ?1, attempts = ?2"
		    " WHERE id = ?3", (int64_t)t, r->attempts + 1, r->id, NULL) < 0)
			log_warnx(NULL, "webhook: delivery %lld-%lld sent but not marked (%s); it will be sent again",
			    (long long)r->created_us, (long long)r->id, sqlite3_errmsg(w->ddb));
		if (*streak > 0 || r->attempts > 0) {
			log_info(NULL, "webhook: delivery %lld-%lld delivered after %d attempts",
			    (long long)r->created_us, (long long)r->id, r->attempts + 1);
			/* the receiver is back: what waited on it need not wait longer */
			db_run(w->ddb, "UPDATE webhook_outbox SET next_us = ?1 WHERE delivered_us IS NULL"
			    " AND next_us > ?1 AND last_error LIKE 'net:%'", (int64_t)t, 0, 0, NULL);
		}
		*streak = 0;
		*hold_until = 0;
		pthread_mutex_lock(&w->mu);
		w->ok++;
		pthread_mutex_unlock(&w->mu);
		return;
	}
	if (stopping(w))
		snprintf(err, sizeof(err), "net: interrupted by shutdown");
	(*streak)++;
	*hold_until = t + backoff(w, *streak);
	next = t + backoff(w, (unsigned)r->attempts + 1);
	if (next < *hold_until)
		next = *hold_until;
	if (db_run(w->ddb, "UPDATE webhook_outbox SET attempts = ?1, next_us = ?2, last_error = ?4"
	    " WHERE id = ?3", r->attempts + 1, (int64_t)next, r->id, err) < 0)
		log_warnx(NULL, "webhook: cannot record a failed attempt: %s", sqlite3_errmsg(w->ddb));
	log_warnx(NULL, "webhook: delivery %lld-%lld attempt %d failed: %s; next try in %.1f s",
	    (long long)r->created_us, (long long)r->id, r->attempts + 1, err, (double)(next - t) / 1e6);
	pthread_mutex_lock(&w->mu);
	w->failed++;
	snprintf(w->last_error, sizeof(w->last_error), "%.127s", err);
	pthread_mutex_unlock(&w->mu);
}

static void *
run(void *arg)
{
	struct webhook *w = arg;
	unsigned streak = 0;
	uint64_t hold_until = 0, last_prune = 0;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		uint64_t now, wait = WEBHOOK_POLL_US;
		struct timespec ts;

		w->kicked = 0;
		pthread_mutex_unlock(&w->mu);
		now = now_us();
		if (now >= hold_until) {
			struct outbox_row r;
			int got;

			memset(&r, 0, sizeof(r));
			got = next_row(w, now, &r, &wait);
			if (got == 1) {
				deliver_one(w, &r, &streak, &hold_until);
				free(r.body);
				pthread_mutex_lock(&w->mu);
				continue;
			}
			if (got < 0) {
				log_warnx(NULL, "webhook: reading the outbox: %s", sqlite3_errmsg(w->ddb));
				wait = WEBHOOK_POLL_US;
			}
		} else if (hold_until - now < wait) {
			wait = hold_until - now;
		}
		if (w->c.keep_delivered_us && now - last_prune >= WEBHOOK_PRUNE_US) {
			last_prune = now;
			db_run(w->ddb, "DELETE FROM webhook_outbox WHERE delivered_us IS NOT NULL"
			    " AND delivered_us < ?1", (int64_t)(now - w->c.keep_delivered_us), 0, 0, NULL);
		}
		pthread_mutex_lock(&w->mu);
		if (w->stop || w->kicked)
			continue;
		now = now_us() + wait;
		ts.tv_sec = (time_t)(now / 1000000);
		ts.tv_nsec = (long)(now % 1000000) * 1000;
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

void
webhook_kick(struct webhook *w)
{
	pthread_mutex_lock(&w->mu);
	w->kicked = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* ---- open and close ---- */

static int
parse_url(struct webhook *w, char *err, size_t errlen)
{
	const char *p = w->url, *h, *e;
	size_t hl;

	for (e = p; *e; e++)
		if ((unsigned char)*e <= ' ' || *e == 0x7f) {
			snprintf(err, errlen, "webhook.url: spaces or control characters in \"%s\"", w->url);
			return -EINVAL;
		}
	if (strncmp(p, "http://", 7) == 0) {
		w->tls = 0;
		h = p + 7;
		strcpy(w->port, "80");
	} else if (strncmp(p, "https://", 8) == 0) {
		w->tls = 1;
		h = p + 8;
		strcpy(w->port, "443");
	} else {
		snprintf(err, errlen, "webhook.url: \"%s\" is not an http:// or https:// URL", w->url);
		return -EINVAL;
	}
	hl = strcspn(h, ":/?#@");
	if (hl == 0 || hl >= sizeof(w->host) || h[hl] == '@') {
		snprintf(err, errlen, "webhook.url: no usable host in \"%s\"", w->url);
		return -EINVAL;
	}
	memcpy(w->host, h, hl);
	w->host[hl] = '\0';
	e = h + hl;
	if (*e == ':') {
		char *end;
		long port = strtol(e + 1, &end, 10);

		if (end == e + 1 || port < 1 || port > 65535 || (*end != '\0' && *end != '/' && *end != '?')) {
			snprintf(err, errlen, "webhook.url: bad port in \"%s\"", w->url);
			return -EINVAL;
		}
		snprintf(w->port, sizeof(w->port), "%ld", port);
		e = end;
	}
	if (*e == '#')
		e = "";
	if (asprintf(&w->path, "%s%.*s", *e == '/' ? "" : "/", (int)strcspn(e, "#"), e) < 0) {
		w->path = NULL;
		snprintf(err, errlen, "webhook: out of memory");
		return -ENOMEM;
	}
	return 0;
}

int
webhook_open(struct webhook **wp, const char *db_path, const struct webhook_config *c,
    char *err, size_t errlen)
{
	struct webhook *w;
	int rc;

	*wp = NULL;
	if (c->url == NULL || c->url[0] == '\0') {
		snprintf(err, errlen, "webhook.url: not set");
		return -EINVAL;
	}
	if (c->backoff_min_us == 0 || c->backoff_max_us < c->backoff_min_us || c->timeout_ms <= 0) {
		snprintf(err, errlen, "webhook: backoff_min must be > 0 and <= backoff_max, timeout > 0");
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(err, errlen, "webhook: out of memory");
		return -ENOMEM;
	}
	w->c = *c;
	w->cur_fd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->url = strdup(c->url);
	w->secret = strdup(c->secret ? c->secret : "");
	w->ca_file = c->ca_file && c->ca_file[0] ? strdup(c->ca_file) : NULL;
	if (w->url == NULL || w->secret == NULL || (c->ca_file && c->ca_file[0] && w->ca_file == NULL)) {
		snprintf(err, errlen, "webhook: out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	w->c.url = w->url;
	w->c.secret = w->secret;
	w->c.ca_file = w->ca_file;
	if ((rc = parse_url(w, err, errlen)) < 0)
		goto fail;
	if (w->tls) {
		w->ssl_ctx = SSL_CTX_new(TLS_client_method());
		if (w->ssl_ctx == NULL ||
		    SSL_CTX_set_min_proto_version(w->ssl_ctx, TLS1_2_VERSION) != 1 ||
		    (w->ca_file ? SSL_CTX_load_verify_locations(w->ssl_ctx, w->ca_file, NULL)
		                : SSL_CTX_set_default_verify_paths(w->ssl_ctx)) != 1) {
			tls_error(err, errlen, w->ca_file ? w->ca_file : "context");
			rc = -EINVAL;
			goto fail;
		}
		SSL_CTX_set_verify(w->ssl_ctx, SSL_VERIFY_PEER, NULL);
	}
	if ((rc = db_open(db_path, &w->qdb, err, errlen)) < 0 ||
	    (rc = db_open(db_path, &w->ddb, err, errlen)) < 0)
		goto fail;
	if (webhook_schema(w->qdb) < 0) {
		snprintf(err, errlen, "webhook: %s: creating webhook_outbox: %s", db_path, sqlite3_errmsg(w->qdb));
		rc = -EIO;
		goto fail;
	}
	{	/* the thread takes no signals: they belong to the loop thread */
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = pthread_create(&w->thread, NULL, run, w);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rc != 0) {
		snprintf(err, errlen, "webhook: starting the delivery thread: %s", strerror(rc));
		rc = -rc;
		goto fail;
	}
	w->started = 1;
	*wp = w;
	return 0;
fail:
	webhook_close(w);
	return rc;
}

void
webhook_close(struct webhook *w)
{
	if (w == NULL)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = 1;
		if (w->cur_fd >= 0)
			shutdown(w->cur_fd, SHUT_RDWR);
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	sqlite3_close(w->qdb);
	sqlite3_close(w->ddb);
	if (w->ssl_ctx)
		SSL_CTX_free(w->ssl_ctx);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->url);
	free(w->secret);
	free(w->ca_file);
	free(w->path);
	free(w);
}
