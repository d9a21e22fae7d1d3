/* api - JSON answers for /api/...; see api.h for the list. Every answer is
 * built whole in memory (bounded: at most 500 items) and handed to web
 * for writing. */
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "auth.h"
#include "cams.h"
#include "db.h"
#include "events.h"
#include "fanout.h"
#include "live.h"
#include "log.h"
#include "problem.h"
#include "util.h"
#include "webpush.h"

static const struct config *cfg;

void
api_init(const struct config *c)
{
	cfg = c;
}

static int
api_error(struct jbuf *out, int status, const char *msg)
{
	return problem_json(out, status, msg);
}

/* api_arg - the value of name (without '='), or NULL if absent or empty. */
const char *
api_arg(struct lws *wsi, const char *name, char *buf, int len)
{
	char key[32];
	const char *v;

	snprintf(key, sizeof(key), "%s=", name);
	v = lws_get_urlarg_by_name(wsi, key, buf, len);
	return v && *v ? v : NULL;
}

/* api_int - parse a decimal integer in [min, max]; -1 if malformed. */
static int
api_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
api_tracks(struct lws *wsi, struct jbuf *out)
{
	char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64];
	const char *v;
	struct db_query q;
	long long n;

	memset(&q, 0, sizeof(q));
	q.limit = 50;
	if ((v = api_arg(wsi, "camera", b1, sizeof(b1))) != NULL) {
		if (!util_camera_id_valid(v))
			return api_error(out, 400, "camera: not a camera id");
		q.camera = v;
	}
	if ((v = api_arg(wsi, "verdict", b2, sizeof(b2))) != NULL) {
		if (strcmp(v, "PASS") != 0 && strcmp(v, "DENY") != 0 && strcmp(v, "none") != 0)
			return api_error(out, 400, "verdict: PASS, DENY or none");
		q.verdict = v;
	}
	if ((v = api_arg(wsi, "since", b3, sizeof(b3))) != NULL) {
		if (api_int(v, 1, 100000000000000LL, &n) != 0)
			return api_error(out, 400, "since: unix milliseconds");
		q.since_ms = n;
	}
	if ((v = api_arg(wsi, "until", b4, sizeof(b4))) != NULL) {
		if (api_int(v, 1, 100000000000000LL, &n) != 0)
			return api_error(out, 400, "until: unix milliseconds");
		q.until_ms = n;
	}
	if ((v = api_arg(wsi, "limit", b5, sizeof(b5))) != NULL) {
		if (api_int(v, 1, 500, &n) != 0)
			return api_error(out, 400, "limit: 1..500");
		q.limit = (int)n;
	}
	if ((v = api_arg(wsi, "before", b6, sizeof(b6))) != NULL) {
		if (api_int(v, 1, 1LL << 62, &n) != 0)
			return api_error(out, 400, "before: a positive item id");
		q.before = n;
	}
	if (db_tracks_json(out, &q) < 0) {
		log_warnx(NULL, "api tracks: %s", db_errmsg());
		return api_error(out, 500, "database error");
	}
	return 200;
}

static int
api_alerts(struct lws *wsi, struct jbuf *out)
{
	char b1[32], b2[32];
	const char *v;
	int open_only = 1;
	long long limit = 100;

	if ((v = api_arg(wsi, "state", b1, sizeof(b1))) != NULL) {
		if (strcmp(v, "open") != 0 && strcmp(v, "all") != 0)
			return api_error(out, 400, "state: open or all");
		open_only = strcmp(v, "open") == 0;
	}
	if ((v = api_arg(wsi, "limit", b2, sizeof(b2))) != NULL && api_int(v, 1, 500, &limit) != 0)
		return api_error(out, 400, "limit: 1..500");
	if (db_alerts_json(out, open_only, (int)limit) < 0) {
		log_warnx(NULL, "api alerts: %s", db_errmsg());
		return api_error(out, 500, "database error");
	}
	return 200;
}

/* api_ack_path - the id in /api/alerts/<id>/ack, or 0. */
static int64_t
api_ack_path(const char *path)
{
	const char *p = path + strlen("/api/alerts/"), *slash;
	char num[24];
	long long id;

	if (strncmp(path, "/api/alerts/", 12) != 0 || (slash = strchr(p, '/')) == NULL ||
	    strcmp(slash, "/ack") != 0 || slash - p < 1 || (size_t)(slash - p) >= sizeof(num))
		return 0;
	memcpy(num, p, (size_t)(slash - p));
	num[slash - p] = '\0';
	return api_int(num, 1, 1LL << 62, &id) == 0 ? id : 0;
}

int
api_is_post(const char *path)
{
	return strncmp(path, "/api/alerts/", 12) == 0 || strncmp(path, "/api/tracks/", 12) == 0 ||
	    strcmp(path, "/api/push/subscriptions") == 0 || strcmp(path, "/api/push/unsubscribe") == 0;
}

/* api_push - POST /api/push/subscriptions (a browser's PushSubscription
 * with optional "cameras" and "reasons" lists) and /api/push/unsubscribe
 * ({"endpoint"}), for the signed-in supervisor (webpush.h). */
static int
api_push(const char *path, const char *body, size_t len, struct jbuf *out)
{
	char err[128];
	int64_t id;
	int rc;

	if (webpush_public_key()[0] == '\0')
		return api_error(out, 404, "Web Push is off (webpush.subject is empty)");
	if (strcmp(path, "/api/push/unsubscribe") == 0) {
		if ((rc = webpush_unsubscribe(body, len)) < 0)
			return api_error(out, 400, "body: {\"endpoint\":\"...\"}");
		jbuf_add(out, "{\"dropped\":%s}", rc ? "true" : "false");
		return 200;
	}
	if ((id = webpush_subscribe(auth_who_label(), body, len, err, sizeof(err))) < 0)
		return api_error(out, strncmp(err, "database", 8) == 0 ? 500 : 400, err);
	log_info(NULL, "webpush: subscription %lld for %s", (long long)id, auth_who_label());
	jbuf_add(out, "{\"id\":%lld}", (long long)id);
	return 201;
}

/* api_members - parse body, a flat JSON object whose values are all
 * strings without escapes ({"verdict":"PASS","note":"..."}), into up to
 * max key/value pairs pointing into buf (NUL-terminated there). Returns
 * the number of members, or -1 for anything else. */
static int
api_members(const char *body, size_t len, char *buf, const char **keys, const char **vals, int max)
{
	char *p, *q;
	int n = 0;

	if (len > API_POST_MAX)
		return -1;
	memcpy(buf, body, len);
	buf[len] = '\0';
	for (p = buf; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if (*p == '\0')
		return 0;
	if (*p++ != '{')
		return -1;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '}' && n == 0)
			break;
		for (int kv = 0; kv < 2; kv++) {
			if (*p++ != '"' || (q = strchr(p, '"')) == NULL)
				return -1;
			*q = '\0';
			for (char *c = p; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == '\\')
					return -1;
			if (kv == 0) {
				if (n == max)
					return -1;
				keys[n] = p;
			} else
				vals[n++] = p;
			p = q + 1;
			while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
				p++;
			if (kv == 0 && *p++ != ':')
				return -1;
			while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
				p++;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p != '}')
			return -1;
		break;
	}
	p++;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return *p == '\0' ? n : -1;
}

/* api_override - POST /api/tracks/<camera>/<track>/override with
 * {"verdict":"PASS"|"DENY","note":"...","by":"..."} (note and by optional).
 * Who overrode is who is logged in (auth.h), whatever "by" says; "by" is
 * only used when nobody is (never through web.c, which refuses that),
 * API_OVERRIDE_WHO when absent. */
#define API_OVERRIDE_WHO "supervisor"
#define API_NOTE_MAX 200
static int
api_override(const char *path, const char *body, size_t len, struct jbuf *out)
{
	static struct msg_result r; /* loop thread only */
	char camera[CAMERA_ID_SIZE], num[24], buf[API_POST_MAX + 1];
	const char *p = path + 12, *slash, *keys[3], *vals[3], *verdict = NULL, *note = "", *by = API_OVERRIDE_WHO;
	long long track;
	unsigned v;
	int n, i, rc;

	if ((slash = strchr(p, '/')) == NULL || (size_t)(slash - p) >= sizeof(camera))
		return api_error(out, 404, "no such API (POST /api/tracks/<camera>/<track>/override)");
	memcpy(camera, p, (size_t)(slash - p));
	camera[slash - p] = '\0';
	p = slash + 1;
	if ((slash = strchr(p, '/')) == NULL || strcmp(slash, "/override") != 0 ||
	    (size_t)(slash - p) >= sizeof(num) || !util_camera_id_valid(camera))
		return api_error(out, 404, "no such API (POST /api/tracks/<camera>/<track>/override)");
	memcpy(num, p, (size_t)(slash - p));
	num[slash - p] = '\0';
	if (api_int(num, 1, INT64_MAX, &track) != 0)
		return api_error(out, 404, "no such person");
	if ((n = api_members(body, len, buf, keys, vals, 3)) < 0)
		return api_error(out, 400, "body: {\"verdict\":\"PASS\"|\"DENY\",\"note\":\"...\"}");
	for (i = 0; i < n; i++) {
		if (strcmp(keys[i], "verdict") == 0)
			verdict = vals[i];
		else if (strcmp(keys[i], "note") == 0)
			note = vals[i];
		else if (strcmp(keys[i], "by") == 0 && vals[i][0])
			by = vals[i];
		else
			return api_error(out, 400, "body: unknown member (verdict, note, by)");
	}
	if (verdict == NULL || (strcmp(verdict, "PASS") != 0 && strcmp(verdict, "DENY") != 0))
		return api_error(out, 400, "verdict: PASS or DENY");
	if (strlen(note) > API_NOTE_MAX || strlen(by) > 63)
		return api_error(out, 400, "note: at most 200 characters, by: at most 63");
	if (auth_who_label()[0])
		by = auth_who_label();
	v = strcmp(verdict, "PASS") == 0 ? MSG_VERDICT_PASS : MSG_VERDICT_DENY;
	if ((rc = events_override(camera, (int64_t)track, v, by, note, &r)) == -2)
		return api_error(out, 404, "no such person");
	if (rc < 0) {
		log_warnx(NULL, "api override %s %lld: %s", camera, track, db_errmsg());
		return api_error(out, 500, "database error");
	}
	fanout_override(&r, &r.events[0], by);
	{
		struct jbuf d;
		char target[CAMERA_ID_SIZE + 24];

		jbuf_init(&d, 0);
		jbuf_add(&d, "{\"verdict\":\"%s\",\"note\":", verdict);
		jbuf_str(&d, note);
		jbuf_add(&d, "}");
		snprintf(target, sizeof(target), "%s/%lld", camera, track);
		auth_audit("override", target, jbuf_failed(&d) ? NULL : jbuf_text(&d));
		jbuf_free(&d);
	}
	{
		struct db_query q;

		memset(&q, 0, sizeof(q));
		q.camera = camera;
		q.track = (int64_t)track;
		q.limit = 1;
		if (db_tracks_json(out, &q) < 0 || jbuf_failed(out))
			return api_error(out, 500, "database error");
	}
	return 200;
}

/* api_ack_by - the "by" member of body, a JSON object: {} or
 * {"by":"name"} (name: 1..63 printable characters, no quote or
 * backslash). Returns 0 with by filled ("" if absent), or -1. */
static int
api_ack_by(const char *body, size_t len, char *by, size_t bylen)
{
	char buf[API_POST_MAX + 1];
	const char *p, *q;
	size_t n;

	by[0] = '\0';
	if (len > API_POST_MAX)
		return -1;
	memcpy(buf, body, len);
	buf[len] = '\0';
	for (p = buf; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if (*p == '\0')
		return 0;       /* no body at all */
	if (*p++ != '{')
		return -1;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p == '}') {
		p++;
		goto end;
	}
	if (strncmp(p, "\"by\"", 4) != 0)
		return -1;
	p += 4;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != ':')
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '"' || (q = strchr(p, '"')) == NULL)
		return -1;
	n = (size_t)(q - p);
	if (n == 0 || n >= bylen)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == '\\')
			return -1;
	memcpy(by, p, n);
	by[n] = '\0';
	p = q + 1;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p++ != '}')
		return -1;
end:
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return *p == '\0' ? 0 : -1;
}

int
api_post(const char *path, const char *body, size_t len, struct jbuf *out)
{
	char by[64];
	int64_t id;
	int rc;

	if (strncmp(path, "/api/tracks/", 12) == 0)
		return api_override(path, body, len, out);
	if (strncmp(path, "/api/push/", 10) == 0)
		return api_push(path, body, len, out);
	if ((id = api_ack_path(path)) == 0)
		return api_error(out, 404, "no such API (POST /api/alerts/<id>/ack)");
	if (api_ack_by(body, len, by, sizeof(by)) != 0)
		return api_error(out, 400, "body: {} or {\"by\":\"name\"} (1..63 characters)");
	/* Who acknowledged is who is logged in (or the token), not what the
	 * body claims. */
	if (auth_who_label()[0])
		util_strlcpy(by, auth_who_label(), sizeof(by));
	if ((rc = db_alert_ack(id, by, (int64_t)util_now_us())) == -2)
		return api_error(out, 404, "no such alert");
	if (rc < 0 || db_alert_json(out, id) < 0) {
		log_warnx(NULL, "api ack %lld: %s", (long long)id, db_errmsg());
		return api_error(out, 500, "database error");
	}
	if (rc == 1) {
		char target[24];

		log_info(NULL, "alert %lld acknowledged%s%s", (long long)id, by[0] ? " by " : "", by);
		snprintf(target, sizeof(target), "%lld", (long long)id);
		auth_audit("alert_ack", target, NULL);
		fanout_alert_ack(id);
	}
	return 200;
}

int
api_handle(struct lws *wsi, const char *path, struct jbuf *out)
{
	if (strcmp(path, "/api/health") == 0) {
		int ok = db_health() == 0;

		jbuf_add(out, "{\"ok\":%s,\"db\":\"%s\",\"live_clients\":%d}", ok ? "true" : "false",
		    ok ? "ok" : "error", live_count());
		return ok ? 200 : 503;
	}
	if (strcmp(path, "/api/config") == 0) {
		jbuf_add(out, "{\"ingest_port\":%d,\"tls\":%s}", cfg->ingest_port,
		    cfg->tls_cert[0] ? "true" : "false");
		return 200;
	}
	if (strcmp(path, "/api/push/key") == 0) {
		if (webpush_public_key()[0] == '\0')
			return api_error(out, 404, "Web Push is off (webpush.subject is empty)");
		jbuf_add(out, "{\"public_key\":\"%s\"}", webpush_public_key());
		return 200;
	}
	if (strcmp(path, "/api/cameras") == 0) {
		cams_list_json(out);
		return 200;
	}
	if (strcmp(path, "/api/stats/today") == 0) {
		if (db_stats_today(out) < 0) {
			log_warnx(NULL, "api stats: %s", db_errmsg());
			return api_error(out, 500, "database error");
		}
		return 200;
	}
	if (strcmp(path, "/api/tracks") == 0)
		return api_tracks(wsi, out);
	if (strcmp(path, "/api/alerts") == 0)
		return api_alerts(wsi, out);
	return api_error(out, 404, "no such API");
}
