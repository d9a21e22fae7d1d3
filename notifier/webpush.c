/* webpush - Web Push delivery of alerts. See webpush.h.
 *
 * The cryptography (RFC 8291 payload, VAPID JWT, key file) is
 * pushcrypto.c's.
 *
 * Threads: subscribe/alert run on the loop thread with the notifier's
 * connection (db_handle); the delivery thread has its own connection and
 * is the only one that updates outbox rows and drops gone subscriptions. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "httppost.h"
#include "log.h"
#include "pushcrypto.h"
#include "util.h"
#include "webpush.h"

#define WP_PAYLOAD_MAX 3000
#define WP_TTL_S 86400

static struct {
	int open;
	EVP_PKEY *vapid;             /* owned */
	char pub[128];               /* base64url of the 65-byte point */
	char db_path[CONFIG_PATH_SIZE + 32];
	char subject[128];
	uint64_t bmin_us, bmax_us, keep_us;
	long timeout_ms;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, kicked;
	atomic_ullong ok, failed, gone;
} wp = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static const char webpush_schema[] =
    "CREATE TABLE IF NOT EXISTS webpush_subs (id INTEGER PRIMARY KEY, user TEXT NOT NULL,"
    " endpoint TEXT NOT NULL UNIQUE, p256dh TEXT NOT NULL, auth TEXT NOT NULL, cameras TEXT NOT NULL,"
    " reasons TEXT NOT NULL, created_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS webpush_outbox (id INTEGER PRIMARY KEY, sub_id INTEGER NOT NULL,"
    " payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_us INTEGER NOT NULL,"
    " delivered_us INTEGER, last_error TEXT);"
    "CREATE INDEX IF NOT EXISTS webpush_outbox_pending ON webpush_outbox (next_us) WHERE delivered_us IS NULL;";

void
webpush_counts(unsigned long long *ok, unsigned long long *failed, unsigned long long *gone)
{
	*ok = atomic_load(&wp.ok);
	*failed = atomic_load(&wp.failed);
	*gone = atomic_load(&wp.gone);
}

const char *
webpush_public_key(void)
{
	return wp.open ? wp.pub : "";
}


/* ---- delivery thread ---- */

struct webpush_row {
	int64_t id, sub;
	int attempts;
	char *payload, *endpoint, *p256dh, *auth; /* owned */
};

/* webpush_post - one delivery; returns the HTTP status, or 0 with err set. */
static long
webpush_post(const struct webpush_row *r, char *err, size_t errlen)
{
	unsigned char ua[80], auth[24], body[WP_PAYLOAD_MAX + 200];
	char aud[300], jwt[800], hdr[1000];
	struct httppost post = { r->endpoint, NULL, NULL, 0, wp.timeout_ms, NULL, NULL };
	struct curl_slist *h = NULL;
	const char *p;
	long code;
	int n;

	if (pushcrypto_unb64url(r->p256dh, ua, sizeof(ua)) != 65 || ua[0] != 4 ||
	    pushcrypto_unb64url(r->auth, auth, sizeof(auth)) != 16) {
		snprintf(err, errlen, "bad subscription keys");
		return 0;
	}
	if ((n = pushcrypto_encrypt(ua, auth, r->payload, strlen(r->payload), body)) < 0) {
		snprintf(err, errlen, "cannot encrypt");
		return 0;
	}
	/* aud: the endpoint's origin */
	p = strstr(r->endpoint, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	snprintf(aud, sizeof(aud), "%.*s", p ? (int)(p - r->endpoint) : (int)strlen(r->endpoint), r->endpoint);
	if (pushcrypto_jwt(wp.vapid, aud, wp.subject, jwt, sizeof(jwt)) != 0) {
		snprintf(err, errlen, "cannot sign the VAPID JWT");
		return 0;
	}
	snprintf(hdr, sizeof(hdr), "Authorization: vapid t=%s, k=%s", jwt, wp.pub);
	h = curl_slist_append(h, hdr);
	h = curl_slist_append(h, "Content-Encoding: aes128gcm");
	h = curl_slist_append(h, "Content-Type: application/octet-stream");
	h = curl_slist_append(h, "Urgency: high");
	snprintf(hdr, sizeof(hdr), "TTL: %d", WP_TTL_S);
	h = curl_slist_append(h, hdr);
	post.headers = h;
	post.body = body;
	post.len = (size_t)n;
	code = httppost_send(&post, err, errlen);
	curl_slist_free_all(h);
	return code;
}

static char *
webpush_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return strdup(s ? s : "");
}

static void
webpush_row_free(struct webpush_row *r)
{
	free(r->payload);
	free(r->endpoint);
	free(r->p256dh);
	free(r->auth);
}

static int
webpush_exec(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t c, const char *t)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, c);
	if (t)
		sqlite3_bind_text(st, 4, t, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* webpush_next - the oldest due row; 1 found, 0 none (*wait_us: until the next). */
static int
webpush_next(sqlite3 *db, uint64_t now, struct webpush_row *r, uint64_t *wait_us)
{
	sqlite3_stmt *st;
	int found = 0;

	*wait_us = 1000000;
	if (sqlite3_prepare_v2(db, "SELECT o.id, o.sub_id, o.attempts, o.payload, s.endpoint, s.p256dh, s.auth, o.next_us"
	    " FROM webpush_outbox o JOIN webpush_subs s ON s.id = o.sub_id WHERE o.delivered_us IS NULL"
	    " ORDER BY o.next_us, o.id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t next = (uint64_t)sqlite3_column_int64(st, 7);

		if (next <= now) {
			r->id = sqlite3_column_int64(st, 0);
			r->sub = sqlite3_column_int64(st, 1);
			r->attempts = sqlite3_column_int(st, 2);
			r->payload = webpush_col(st, 3);
			r->endpoint = webpush_col(st, 4);
			r->p256dh = webpush_col(st, 5);
			r->auth = webpush_col(st, 6);
			found = 1;
		} else if (next - now < *wait_us)
			*wait_us = next - now;
	}
	sqlite3_finalize(st);
	return found;
}

static void *
webpush_run(void *arg)
{
	sqlite3 *db = NULL;
	uint64_t last_prune = 0;

	(void)arg;
	if (sqlite3_open_v2(wp.db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		log_error(NULL, "webpush: cannot open %s: delivery stopped", wp.db_path);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	for (;;) {
		struct webpush_row r;
		uint64_t now = util_now_us(), wait_us;
		char err[256] = "";
		long code;

		pthread_mutex_lock(&wp.mu);
		if (wp.stop) {
			pthread_mutex_unlock(&wp.mu);
			break;
		}
		wp.kicked = 0;
		pthread_mutex_unlock(&wp.mu);
		if (wp.keep_us && now - last_prune > 3600ULL * 1000000ULL) {
			webpush_exec(db, "DELETE FROM webpush_outbox WHERE delivered_us IS NOT NULL AND delivered_us < ?1",
			    (int64_t)(now - wp.keep_us), 0, 0, NULL);
			last_prune = now;
		}
		memset(&r, 0, sizeof(r));
		if (!webpush_next(db, now, &r, &wait_us)) {
			struct timespec ts;

			pthread_mutex_lock(&wp.mu);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)(wait_us / 1000000);
			ts.tv_nsec += (long)(wait_us % 1000000) * 1000;
			if (ts.tv_nsec >= 1000000000L)
				ts.tv_sec++, ts.tv_nsec -= 1000000000L;
			if (!wp.stop && !wp.kicked)
				pthread_cond_timedwait(&wp.cv, &wp.mu, &ts);
			pthread_mutex_unlock(&wp.mu);
			continue;
		}
		code = webpush_post(&r, err, sizeof(err));
		now = util_now_us();
		if (code >= 200 && code < 300) {
			webpush_exec(db, "UPDATE webpush_outbox SET delivered_us = ?1, attempts = attempts + 1 WHERE id = ?2",
			    (int64_t)now, r.id, 0, NULL);
			atomic_fetch_add(&wp.ok, 1);
		} else if (code == 404 || code == 410) {
			webpush_exec(db, "DELETE FROM webpush_outbox WHERE sub_id = ?1", r.sub, 0, 0, NULL);
			webpush_exec(db, "DELETE FROM webpush_subs WHERE id = ?1", r.sub, 0, 0, NULL);
			atomic_fetch_add(&wp.gone, 1);
			log_info(NULL, "webpush: subscription %lld is gone (%ld from its push service): dropped",
			    (long long)r.sub, code);
		} else {
			uint64_t d = wp.bmin_us;
			int i;

			for (i = 0; i < r.attempts && d < wp.bmax_us; i++)
				d *= 2;
			if (d > wp.bmax_us)
				d = wp.bmax_us;
			if (code)
				snprintf(err, sizeof(err), "HTTP %ld", code);
			webpush_exec(db, "UPDATE webpush_outbox SET attempts = attempts + 1, next_us = ?1 + ?3, last_error = ?4"
			    " WHERE id = ?2", (int64_t)now, r.id, (int64_t)d, err);
			atomic_fetch_add(&wp.failed, 1);
			log_warnx(NULL, "webpush: delivery %lld to subscription %lld failed (%s); again in %llu ms",
			    (long long)r.id, (long long)r.sub, err, (unsigned long long)(d / 1000));
		}
		webpush_row_free(&r);
	}
	sqlite3_close(db);
	return NULL;
}

/* webpush_wake - wake the delivery thread: to look again, or to stop */
static void
webpush_wake(int stop)
{
	pthread_mutex_lock(&wp.mu);
	wp.kicked = 1;
	if (stop)
		wp.stop = 1;
	pthread_cond_signal(&wp.cv);
	pthread_mutex_unlock(&wp.mu);
}

void
webpush_kick(void)
{
	if (wp.open)
		webpush_wake(0);
}

/* ---- loop thread ---- */

/* webpush_list - a JSON array of ids into "a,b,c" ("" for none); -1 if bad. */
static int
webpush_list(json_t *a, char *out, size_t outlen)
{
	size_t i, n = 0;
	json_t *v;

	out[0] = '\0';
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL || !util_camera_id_valid(s) || n + strlen(s) + 2 > outlen)
			return -1;
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? "," : "", s);
	}
	return 0;
}

int64_t
webpush_subscribe(const char *user, const char *json, size_t len, char *err, size_t errlen)
{
	char cams[512], reasons[256];
	unsigned char tmp[80];
	const char *ep, *p256, *auth;
	sqlite3_stmt *st;
	json_t *o;
	int64_t id = -1;

	if (!wp.open) {
		snprintf(err, errlen, "Web Push is off");
		return -1;
	}
	if ((o = json_loadb(json, len, 0, NULL)) == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "body: a PushSubscription as JSON");
		json_decref(o);
		return -1;
	}
	ep = json_string_value(json_object_get(o, "endpoint"));
	p256 = json_string_value(json_object_get(json_object_get(o, "keys"), "p256dh"));
	auth = json_string_value(json_object_get(json_object_get(o, "keys"), "auth"));
	if (ep == NULL || (strncmp(ep, "https://", 8) != 0 && strncmp(ep, "http://", 7) != 0) || strlen(ep) > 600 ||
	    strpbrk(ep, " \r\n\t") != NULL) {
		snprintf(err, errlen, "endpoint: an http(s) URL");
	} else if (p256 == NULL || pushcrypto_unb64url(p256, tmp, sizeof(tmp)) != 65 || tmp[0] != 4) {
		snprintf(err, errlen, "keys.p256dh: a base64url P-256 point (65 bytes)");
	} else if (auth == NULL || pushcrypto_unb64url(auth, tmp, sizeof(tmp)) != 16) {
		snprintf(err, errlen, "keys.auth: 16 bytes, base64url");
	} else if (webpush_list(json_object_get(o, "cameras"), cams, sizeof(cams)) != 0 ||
	    webpush_list(json_object_get(o, "reasons"), reasons, sizeof(reasons)) != 0) {
		snprintf(err, errlen, "cameras, reasons: arrays of ids");
	} else if (sqlite3_prepare_v2(db_handle(), "INSERT INTO webpush_subs (user, endpoint, p256dh, auth, cameras,"
	    " reasons, created_us) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET user = excluded.user,"
	    " p256dh = excluded.p256dh, auth = excluded.auth, cameras = excluded.cameras, reasons = excluded.reasons"
	    " RETURNING id", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, user, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, ep, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, p256, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, auth, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, cams, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, reasons, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 7, (int64_t)util_now_us());
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		else
			snprintf(err, errlen, "database: %s", db_errmsg());
		sqlite3_finalize(st);
	} else
		snprintf(err, errlen, "database: %s", db_errmsg());
	json_decref(o);
	return id;
}

int
webpush_unsubscribe(const char *json, size_t len)
{
	const char *ep;
	sqlite3_stmt *st;
	json_t *o;
	int rc = -1;

	if (!wp.open || (o = json_loadb(json, len, 0, NULL)) == NULL)
		return -1;
	if ((ep = json_string_value(json_object_get(o, "endpoint"))) != NULL &&
	    sqlite3_prepare_v2(db_handle(), "DELETE FROM webpush_subs WHERE endpoint = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, ep, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db_handle()) > 0 : -1;
		sqlite3_finalize(st);
	}
	json_decref(o);
	return rc;
}

static const char *
webpush_reason_text(const char *reason)
{
	static const char *const t[][2] = {
		{ "no_mask", "No mask" }, { "mask_chin", "Mask below the nose" },
		{ "temperature", "Temperature" }, { "camera_offline", "Camera stopped sending" },
		{ "spool_low", "Spool disk nearly full" }, { "worker_failing", "Camera worker failing" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i][0], reason) == 0)
			return t[i][1];
	return reason;
}

int
webpush_alert(int64_t alert_id, const char *camera, const char *camera_name, const char *reason)
{
	char title[128], tag[32], *payload;
	sqlite3_stmt *st;
	json_t *o;
	int rc = -1;

	if (!wp.open)
		return 0;
	snprintf(title, sizeof(title), "gatewatch: %s", camera_name[0] ? camera_name : camera);
	snprintf(tag, sizeof(tag), "alert-%lld", (long long)alert_id);
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "title", title, "body", webpush_reason_text(reason),
	    "tag", tag, "alert_id", (json_int_t)alert_id, "camera", camera, "reason", reason, "url", "/");
	payload = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (payload == NULL || strlen(payload) > WP_PAYLOAD_MAX) {
		free(payload);
		return -1;
	}
	if (sqlite3_prepare_v2(db_handle(), "INSERT INTO webpush_outbox (sub_id, payload, next_us)"
	    " SELECT id, ?1, ?2 FROM webpush_subs WHERE (cameras = '' OR instr(',' || cameras || ',', ',' || ?3 || ',') > 0)"
	    " AND (reasons = '' OR instr(',' || reasons || ',', ',' || ?4 || ',') > 0)", -1, &st, NULL) != SQLITE_OK) {
		free(payload);
		return -1;
	}
	sqlite3_bind_text(st, 1, payload, -1, SQLITE_TRANSIENT);
	free(payload);
	sqlite3_bind_int64(st, 2, (int64_t)util_now_us());
	sqlite3_bind_text(st, 3, camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = sqlite3_changes(db_handle());
	sqlite3_finalize(st);
	return rc;
}

int
webpush_open(const struct config *c, char *err, size_t errlen)
{
	char path[CONFIG_PATH_SIZE + 32], *msg = NULL;

	if (c->webpush_subject[0] == '\0')
		return 0;
	if (config_path(c, "webpush-vapid.pem", path, sizeof(path)) != 0 ||
	    config_path(c, "gatewatch.db", wp.db_path, sizeof(wp.db_path)) != 0) {
		snprintf(err, errlen, "webpush: path too long");
		return -1;
	}
	if ((wp.vapid = pushcrypto_key(path, wp.pub, sizeof(wp.pub), err, errlen)) == NULL)
		return -1;
	if (sqlite3_exec(db_handle(), webpush_schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "webpush tables: %s", msg ? msg : db_errmsg());
		sqlite3_free(msg);
		return -1;
	}
	util_strlcpy(wp.subject, c->webpush_subject, sizeof(wp.subject));
	wp.bmin_us = (uint64_t)c->webhook_backoff_min_ms * 1000u;
	wp.bmax_us = (uint64_t)c->webhook_backoff_max_ms * 1000u;
	wp.keep_us = (uint64_t)c->webhook_keep_days * 86400ULL * 1000000ULL;
	wp.timeout_ms = c->webhook_timeout_ms;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	wp.stop = 0;
	if (pthread_create(&wp.th, NULL, webpush_run, NULL) != 0) {
		snprintf(err, errlen, "webpush: cannot start its thread");
		return -1;
	}
	wp.open = 1;
	log_info(NULL, "webpush: on, VAPID public key %s", wp.pub);
	return 0;
}

void
webpush_close(void)
{
	if (!wp.open)
		return;
	webpush_wake(1);
	pthread_join(wp.th, NULL);
	EVP_PKEY_free(wp.vapid);
	wp.vapid = NULL;
	curl_global_cleanup();
	wp.open = 0;
}
