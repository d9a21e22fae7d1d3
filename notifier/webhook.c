/* webhook - the one thread that delivers the outbox (outbox.c) over
 * HTTP(S) (httppost.c: libcurl); see webhook.h for the contract.
 *
 * Why a thread and curl's easy interface rather than curl multi on the
 * notifier's libuv loop: each delivery also reads and writes the outbox in
 * SQLite, which blocks as well, and deliveries go one at a time in order;
 * a thread that owns its own connection does both without touching the
 * loop, in straight-line code. The loop only enqueues (one INSERT inside
 * its own transaction) and kicks. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "httppost.h"
#include "log.h"
#include "outbox.h"
#include "util.h"
#include "webhook.h"

#define WEBHOOK_POLL_US 1000000ULL      /* look at the table at least this often */
#define WEBHOOK_PRUNE_US 3600000000ULL  /* prune delivered rows hourly */

struct webhook {
	struct webhook_config c;   /* strings point at the owned copies below */
	char *url, *secret, *ca_file;   /* owned */
	sqlite3 *qdb;              /* caller's thread: enqueue, stats */
	sqlite3 *ddb;              /* delivery thread only */
	pthread_t thread;
	int started;
	atomic_int stop;           /* read by curl's progress callback too */
	pthread_mutex_t mu;        /* guards the fields below and qdb */
	pthread_cond_t cv;
	int kicked;
	uint64_t ok, failed;
	char last_error[128];
};

void
webhook_config_default(struct webhook_config *c)
{
	memset(c, 0, sizeof(*c));
	c->backoff_min_us = 1000000;
	c->backoff_max_us = 60000000;
	c->timeout_ms = 10000;
	c->keep_delivered_us = 7ULL * 24 * 3600 * 1000000;
}

int64_t
webhook_enqueue(struct webhook *w, sqlite3 *db, const char *body, size_t len)
{
	int64_t id;

	if (db != NULL)
		return outbox_add(db, body, len, util_now_us());
	pthread_mutex_lock(&w->mu);
	id = outbox_add(w->qdb, body, len, util_now_us());
	pthread_mutex_unlock(&w->mu);
	if (id > 0)
		webhook_kick(w);
	return id;
}

int64_t
webhook_enqueue_json(struct webhook *w, sqlite3 *db, json_t *o)
{
	char *body = w && o ? json_dumps(o, JSON_COMPACT) : NULL;
	int64_t rc = o == NULL ? -EINVAL : w == NULL ? 0 : body == NULL ? -ENOMEM :
	    webhook_enqueue(w, db, body, strlen(body));

	free(body);
	json_decref(o);
	return rc;
}

int
webhook_stats(struct webhook *w, struct webhook_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&w->mu);
	out->pending = outbox_count(w->qdb, 0);
	out->delivered = outbox_count(w->qdb, 1);
	out->attempts_ok = w->ok;
	out->attempts_failed = w->failed;
	memcpy(out->last_error, w->last_error, sizeof(out->last_error));
	pthread_mutex_unlock(&w->mu);
	return out->pending < 0 || out->delivered < 0 ? -EIO : 0;
}

/* ---- one request ---- */

/* webhook_headers - the request's own headers for row r; NULL if out of memory */
static struct curl_slist *
webhook_headers(const struct webhook *w, const struct outbox_row *r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char line[2 * EVP_MAX_MD_SIZE + 64], *p;
	struct curl_slist *h = NULL, *t;
	int ok = 1;

#define WEBHOOK_ADD(s) do { if (ok && (t = curl_slist_append(h, (s))) != NULL) h = t; else ok = 0; } while (0)
	WEBHOOK_ADD("Content-Type: application/json");
	WEBHOOK_ADD("Expect:"); /* no 100-continue round trip */
	snprintf(line, sizeof(line), "X-Gatewatch-Delivery: %lld-%lld", (long long)r->created_us, (long long)r->id);
	WEBHOOK_ADD(line);
	snprintf(line, sizeof(line), "X-Gatewatch-Attempt: %d", r->attempts + 1);
	WEBHOOK_ADD(line);
	if (w->secret[0] != '\0') {
		if (HMAC(EVP_sha256(), w->secret, (int)strlen(w->secret), r->body, r->len, md, &mdlen) == NULL)
			ok = 0;
		p = line + sprintf(line, "X-Gatewatch-Signature: sha256=");
		for (i = 0; ok && i < mdlen; i++)
			p += sprintf(p, "%02x", md[i]);
		WEBHOOK_ADD(line);
	}
#undef WEBHOOK_ADD
	if (!ok) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/* webhook_post - POST one row; 0 on a 2xx answer, else -1 with err ("net:
 * ..." for transport failures, "http NNN" for an answer that is not 2xx) */
static int
webhook_post(struct webhook *w, const struct outbox_row *r, char *err, size_t errlen)
{
	struct httppost p = { w->url, NULL, r->body, r->len, w->c.timeout_ms, w->ca_file, &w->stop };
	long status;

	if ((p.headers = webhook_headers(w, r)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	status = httppost_send(&p, err, errlen);
	curl_slist_free_all(p.headers);
	if (status == 0)
		return -1;
	if (status / 100 == 2)
		return 0;
	snprintf(err, errlen, "http %ld", status);
	return -1;
}

/* ---- the delivery thread ---- */

static void
webhook_deliver(struct webhook *w, struct outbox_row *r, unsigned *streak, uint64_t *hold_until)
{
	char err[256];
	uint64_t t, next;

	if (webhook_post(w, r, err, sizeof(err)) == 0) {
		t = util_now_us();
		if (outbox_delivered(w->ddb, r, t) < 0)
			log_warnx(NULL, "webhook: delivery %lld-%lld sent but not marked (%s); it will be sent again",
			    (long long)r->created_us, (long long)r->id, sqlite3_errmsg(w->ddb));
		if (*streak > 0 || r->attempts > 0) {
			log_info(NULL, "webhook: delivery %lld-%lld delivered after %d attempts",
			    (long long)r->created_us, (long long)r->id, r->attempts + 1);
			/* the receiver is back: what waited on it need not wait longer */
			outbox_resume(w->ddb, t);
		}
		*streak = 0;
		*hold_until = 0;
		pthread_mutex_lock(&w->mu);
		w->ok++;
		pthread_mutex_unlock(&w->mu);
		return;
	}
	t = util_now_us();
	(*streak)++;
	*hold_until = t + outbox_backoff(w->c.backoff_min_us, w->c.backoff_max_us, *streak);
	next = t + outbox_backoff(w->c.backoff_min_us, w->c.backoff_max_us, (unsigned)r->attempts + 1);
	if (next < *hold_until)
		next = *hold_until;
	if (outbox_failed(w->ddb, r, next, err) < 0)
		log_warnx(NULL, "webhook: cannot record a failed attempt: %s", sqlite3_errmsg(w->ddb));
	log_warnx(NULL, "webhook: delivery %lld-%lld attempt %d failed: %s; next try in %.1f s",
	    (long long)r->created_us, (long long)r->id, r->attempts + 1, err, (double)(next - t) / 1e6);
	pthread_mutex_lock(&w->mu);
	w->failed++;
	snprintf(w->last_error, sizeof(w->last_error), "%.127s", err);
	pthread_mutex_unlock(&w->mu);
}

/* webhook_step - deliver what is due, prune; returns how long to sleep */
static uint64_t
webhook_step(struct webhook *w, unsigned *streak, uint64_t *hold_until, uint64_t *last_prune)
{
	uint64_t now = util_now_us(), wait = WEBHOOK_POLL_US;

	if (w->c.keep_delivered_us && now - *last_prune >= WEBHOOK_PRUNE_US) {
		*last_prune = now;
		outbox_prune(w->ddb, now - w->c.keep_delivered_us);
	}
	if (now < *hold_until)
		return *hold_until - now < wait ? *hold_until - now : wait;
	for (;;) {
		struct outbox_row r;
		int got;

		memset(&r, 0, sizeof(r));
		got = outbox_next(w->ddb, util_now_us(), WEBHOOK_POLL_US, &r, &wait);
		if (got < 0)
			log_warnx(NULL, "webhook: reading the outbox: %s", sqlite3_errmsg(w->ddb));
		if (got != 1)
			return got < 0 ? WEBHOOK_POLL_US : wait;
		webhook_deliver(w, &r, streak, hold_until);
		free(r.body);
		if (atomic_load(&w->stop) || *hold_until != 0)
			return 0; /* look at stop, and at the hold, again */
	}
}

static void *
webhook_run(void *arg)
{
	struct webhook *w = arg;
	unsigned streak = 0;
	uint64_t hold_until = 0, last_prune = 0;

	while (!atomic_load(&w->stop)) {
		uint64_t wait = webhook_step(w, &streak, &hold_until, &last_prune), at;
		struct timespec ts;

		pthread_mutex_lock(&w->mu);
		if (!atomic_load(&w->stop) && !w->kicked && wait > 0) {
			clock_gettime(CLOCK_REALTIME, &ts);
			at = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000 + wait;
			ts.tv_sec = (time_t)(at / 1000000);
			ts.tv_nsec = (long)(at % 1000000) * 1000;
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		}
		w->kicked = 0;
		pthread_mutex_unlock(&w->mu);
	}
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

/* webhook_check_url - libcurl's own parser: http or https, a host, no user
 * name or password (the secret signs; credentials do not belong in a URL
 * that is logged), nothing curl would have to guess */
static int
webhook_check_url(const char *url, char *err, size_t errlen)
{
	char *scheme = NULL, *host = NULL, *user = NULL, *port = NULL;
	CURLU *u = curl_url();
	int rc = -EINVAL;

	if (u == NULL) {
		snprintf(err, errlen, "webhook: out of memory");
		return -ENOMEM;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
		snprintf(err, errlen, "webhook.url: \"%s\" is not a URL with a host", url);
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		snprintf(err, errlen, "webhook.url: \"%s\" is not an http:// or https:// URL", url);
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		snprintf(err, errlen, "webhook.url: no user name in \"%s\" (webhook.secret signs)", url);
	else if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && atoi(port) == 0)
		snprintf(err, errlen, "webhook.url: bad port in \"%s\"", url);
	else
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static int
webhook_start(struct webhook *w, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc;

	/* the thread takes no signals: they belong to the loop thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, webhook_run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "webhook: starting the delivery thread: %s", strerror(rc));
		return -rc;
	}
	w->started = 1;
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
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "webhook: libcurl would not start");
		return -ENOMEM;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		curl_global_cleanup();
		snprintf(err, errlen, "webhook: out of memory");
		return -ENOMEM;
	}
	w->c = *c;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->url = strdup(c->url);
	w->secret = strdup(c->secret ? c->secret : "");
	w->ca_file = c->ca_file && c->ca_file[0] ? strdup(c->ca_file) : NULL;
	rc = -ENOMEM;
	if (w->url == NULL || w->secret == NULL || (c->ca_file && c->ca_file[0] && w->ca_file == NULL)) {
		snprintf(err, errlen, "webhook: out of memory");
		goto fail;
	}
	w->c.url = w->url;
	w->c.secret = w->secret;
	w->c.ca_file = w->ca_file;
	if ((rc = webhook_check_url(w->url, err, errlen)) < 0 ||
	    (rc = outbox_open(db_path, &w->qdb, err, errlen)) < 0 ||
	    (rc = outbox_open(db_path, &w->ddb, err, errlen)) < 0)
		goto fail;
	if ((rc = outbox_schema(w->qdb)) < 0) {
		snprintf(err, errlen, "webhook: %s: creating webhook_outbox: %s", db_path, sqlite3_errmsg(w->qdb));
		goto fail;
	}
	if ((rc = webhook_start(w, err, errlen)) < 0)
		goto fail;
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
		atomic_store(&w->stop, 1);
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	sqlite3_close(w->qdb);
	sqlite3_close(w->ddb);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->url);
	free(w->secret);
	free(w->ca_file);
	free(w);
	curl_global_cleanup();
}
