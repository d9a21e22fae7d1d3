/* api - JSON answers for /api/...; see api.h for the list. Every answer is
 * built whole in memory (bounded: at most 500 items) and handed to web
 * for writing. */
#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "cams.h"
#include "db.h"
#include "commit.h"
#include "fanout.h"
#include "live.h"
#include "log.h"
#include "problem.h"
#include "query.h"
#include "rest.h"
#include "util.h"
#include "webpush.h"

#define API_OVERRIDE_WHO "supervisor"
#define API_NOTE_MAX 200

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

/* api_arg - the value of name (without '='), or NULL if absent or empty,
 * or when there is no request (wsi NULL: fuzz_accounts' calls). */
const char *
api_arg(struct lws *wsi, const char *name, char *buf, int len)
{
	char key[32];
	const char *v;

	snprintf(key, sizeof(key), "%s=", name);
	v = wsi ? lws_get_urlarg_by_name(wsi, key, buf, len) : NULL;
	return v && *v ? v : NULL;
}

int
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

/* api_tracks_args - read the filters of /api/tracks (limit up to
 * max_limit) from wsi's query into t: 0, or the 400 answer's status */
static int
api_tracks_args(struct lws *wsi, struct api_tracks *t, int max_limit, struct jbuf *out)
{
	char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64], msg[32];
	const char *v;
	long long n;

	memset(t, 0, sizeof(*t));
	t->q.limit = max_limit > 500 ? max_limit : 50;
	if ((v = api_arg(wsi, "camera", b1, sizeof(b1))) != NULL) {
		if (!util_camera_id_valid(v))
			return api_error(out, 400, "camera: not a camera id");
		util_strlcpy(t->camera, v, sizeof(t->camera));
	}
	if ((v = api_arg(wsi, "verdict", b2, sizeof(b2))) != NULL) {
		if (strcmp(v, "PASS") != 0 && strcmp(v, "DENY") != 0 && strcmp(v, "none") != 0)
			return api_error(out, 400, "verdict: PASS, DENY or none");
		util_strlcpy(t->verdict, v, sizeof(t->verdict));
	}
	if ((v = api_arg(wsi, "since", b3, sizeof(b3))) != NULL) {
		if (api_int(v, 1, 100000000000000LL, &n) != 0)
			return api_error(out, 400, "since: unix milliseconds");
		t->q.since_ms = n;
	}
	if ((v = api_arg(wsi, "until", b4, sizeof(b4))) != NULL) {
		if (api_int(v, 1, 100000000000000LL, &n) != 0)
			return api_error(out, 400, "until: unix milliseconds");
		t->q.until_ms = n;
	}
	if ((v = api_arg(wsi, "limit", b5, sizeof(b5))) != NULL) {
		snprintf(msg, sizeof(msg), "limit: 1..%d", max_limit);
		if (api_int(v, 1, max_limit, &n) != 0)
			return api_error(out, 400, msg);
		t->q.limit = (int)n;
	}
	if ((v = api_arg(wsi, "before", b6, sizeof(b6))) != NULL) {
		if (api_int(v, 1, 1LL << 62, &n) != 0)
			return api_error(out, 400, "before: a positive item id");
		t->q.before = n;
	}
	return 0;
}

const struct query_tracks *
api_tracks_query(struct api_tracks *t)
{
	t->q.camera = t->camera[0] ? t->camera : NULL;
	t->q.verdict = t->verdict[0] ? t->verdict : NULL;
	return &t->q;
}

int
api_db_error(sqlite3 *db, const char *what, struct jbuf *out)
{
	log_warnx(NULL, "%s: %s", what, sqlite3_errmsg(db));
	return api_error(out, 500, "database error");
}

/* api_tracks_keep - t's filters as query arguments for its next page
 * ("camera=..&verdict=..&since=..&until=..&", each only if given; values
 * checked when read: nothing to escape) into buf */
static const char *
api_tracks_keep(const struct api_tracks *t, char *buf, size_t size)
{
	char since[40] = "", until[40] = "";

	if (t->q.since_ms)
		snprintf(since, sizeof(since), "since=%lld&", (long long)t->q.since_ms);
	if (t->q.until_ms)
		snprintf(until, sizeof(until), "until=%lld&", (long long)t->q.until_ms);
	snprintf(buf, size, "%s%s%s%s%s%s%s", t->camera[0] ? "camera=" : "", t->camera, t->camera[0] ? "&" : "",
	    t->verdict[0] ? "verdict=" : "", t->verdict, t->verdict[0] ? "&" : "", since);
	util_strlcpy(buf + strlen(buf), until, size - strlen(buf));
	return buf;
}

/* api_tracks_read - GET /api/tracks, off the loop (webjob.h), with its
 * links */
static int
api_tracks_read(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen)
{
	struct api_tracks *t = arg;
	json_t *j = query_tracks(db, api_tracks_query(t));
	char keep[160];

	if (j == NULL)
		return api_db_error(db, "api tracks", out);
	rest_links(j, "/api/tracks", t->role, t->q.limit, api_tracks_keep(t, keep, sizeof(keep)), link, linklen);
	return jbuf_json(out, j) < 0 ? api_error(out, 500, "out of memory") : 200;
}

struct api_alerts {
	int open_only, limit;
	int role;              /* the caller's: which actions its links offer */
	int64_t before;        /* a page below this id; 0: the newest */
};

static int
api_alerts_read(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen)
{
	const struct api_alerts *a = arg;
	json_t *j = query_alerts(db, a->open_only, a->before, a->limit);

	if (j == NULL)
		return api_db_error(db, "api alerts", out);
	rest_links(j, "/api/alerts", a->role, a->limit, a->open_only ? "" : "state=all&", link, linklen);
	return jbuf_json(out, j) < 0 ? api_error(out, 500, "out of memory") : 200;
}

static int
api_today_read(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen)
{
	(void)arg, (void)link, (void)linklen;
	if (jbuf_json(out, query_stats_day(db, time(NULL))) < 0)
		return api_db_error(db, "api stats", out);
	return 200;
}

int
api_defer(struct api_read *rd, webjob_read_fn fn, const void *arg, size_t size, struct jbuf *out)
{
	if ((rd->arg = malloc(size ? size : 1)) == NULL)
		return api_error(out, 500, "out of memory");
	if (size)
		memcpy(rd->arg, arg, size);
	rd->fn = fn;
	return 0;
}

int
api_tracks_defer(struct lws *wsi, int max_limit, webjob_read_fn fn, struct jbuf *out, struct api_read *rd)
{
	struct api_tracks t;
	int status;

	if ((status = api_tracks_args(wsi, &t, max_limit, out)) != 0)
		return status;
	t.role = auth_current()->who.role;
	return api_defer(rd, fn, &t, sizeof(t), out);
}

static int
api_alerts(struct lws *wsi, struct jbuf *out, struct api_read *rd)
{
	struct api_alerts a = { 1, 100, auth_current()->who.role, 0 };
	char b1[32], b2[32], b3[32];
	const char *v;
	long long limit;

	if ((v = api_arg(wsi, "state", b1, sizeof(b1))) != NULL) {
		if (strcmp(v, "open") != 0 && strcmp(v, "all") != 0)
			return api_error(out, 400, "state: open or all");
		a.open_only = strcmp(v, "open") == 0;
	}
	if ((v = api_arg(wsi, "limit", b2, sizeof(b2))) != NULL) {
		if (api_int(v, 1, 500, &limit) != 0)
			return api_error(out, 400, "limit: 1..500");
		a.limit = (int)limit;
	}
	if ((v = api_arg(wsi, "before", b3, sizeof(b3))) != NULL) {
		if (api_int(v, 1, 1LL << 62, &limit) != 0)
			return api_error(out, 400, "before: a positive item id");
		a.before = limit;
	}
	return api_defer(rd, api_alerts_read, &a, sizeof(a), out);
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
		jbuf_json(out, json_pack("{s:b}", "dropped", rc != 0));
		return 200;
	}
	if ((id = webpush_subscribe(auth_who_label(), body, len, err, sizeof(err))) < 0)
		return api_error(out, strncmp(err, "database", 8) == 0 ? 500 : 400, err);
	log_info(NULL, "webpush: subscription %lld for %s", (long long)id, auth_who_label());
	jbuf_json(out, json_pack("{s:I}", "id", (json_int_t)id));
	return 201;
}

/* api_body - body as a JSON object, through jansson (which refuses
 * invalid UTF-8 and NUL): an empty body is {}, anything but an object NULL.
 * Only the members in names are allowed, each a string without control
 * characters; a new reference or NULL. */
static json_t *
api_body(const char *body, size_t len, const char *const *names)
{
	const char *key;
	json_t *o, *v;
	size_t i;

	if (len > API_POST_MAX)
		return NULL;
	for (i = 0; i < len && strchr(" \t\r\n", body[i]) != NULL; i++)
		;
	if (i == len)
		return json_object();
	if ((o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(o))
		goto bad;
	json_object_foreach(o, key, v) {
		const char *t = json_string_value(v);

		for (i = 0; names[i] != NULL && strcmp(names[i], key) != 0; i++)
			;
		if (names[i] == NULL || t == NULL)
			goto bad;
		for (; *t; t++)
			if ((unsigned char)*t < 0x20 || *t == 0x7f)
				goto bad;
	}
	return o;
bad:
	json_decref(o);
	return NULL;
}

/* api_member - the string member name of o, or dflt */
static const char *
api_member(json_t *o, const char *name, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, name));

	return v ? v : dflt;
}

void
api_audit(const char *action, const char *target, json_t *detail)
{
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;

	auth_audit(action, target, d);
	free(d);
	json_decref(detail);
}

/* api_override_path - camera and track of
 * /api/tracks/<camera>/<track>/override: 0, -1 not that path, -2 not a
 * track id */
static int
api_override_path(const char *path, char camera[CAMERA_ID_SIZE], long long *track)
{
	const char *p = path + 12, *slash;
	char num[24];

	if ((slash = strchr(p, '/')) == NULL || (size_t)(slash - p) >= CAMERA_ID_SIZE)
		return -1;
	memcpy(camera, p, (size_t)(slash - p));
	camera[slash - p] = '\0';
	p = slash + 1;
	if ((slash = strchr(p, '/')) == NULL || strcmp(slash, "/override") != 0 ||
	    (size_t)(slash - p) >= sizeof(num) || !util_camera_id_valid(camera))
		return -1;
	memcpy(num, p, (size_t)(slash - p));
	num[slash - p] = '\0';
	return api_int(num, 1, INT64_MAX, track) != 0 ? -2 : 0;
}

/* api_override_check - 0 when the body's members make sense, else the
 * answer's status (written to out) */
static int
api_override_check(json_t *o, struct jbuf *out)
{
	const char *verdict = api_member(o, "verdict", "");

	if (strcmp(verdict, "PASS") != 0 && strcmp(verdict, "DENY") != 0)
		return api_error(out, 400, "verdict: PASS or DENY");
	if (strlen(api_member(o, "note", "")) > API_NOTE_MAX || strlen(api_member(o, "by", "")) > 63)
		return api_error(out, 400, "note: at most 200 characters, by: at most 63");
	return 0;
}

/* api_override - POST /api/tracks/<camera>/<track>/override with
 * {"verdict":"PASS"|"DENY","note":"...","by":"..."} (note and by optional).
 * Who overrode is who is logged in (auth.h), whatever "by" says; "by" is
 * only used when nobody is (never through web.c, which refuses that),
 * API_OVERRIDE_WHO when absent. */
static int
api_override(const char *path, const char *body, size_t len, struct jbuf *out)
{
	static struct msg_result r; /* loop thread only */
	static const char *const names[] = { "verdict", "note", "by", NULL };
	char camera[CAMERA_ID_SIZE], target[CAMERA_ID_SIZE + 24];
	const char *by;
	struct query_tracks q;
	long long track;
	json_t *o;
	int rc;

	if ((rc = api_override_path(path, camera, &track)) < 0)
		return api_error(out, 404, rc == -1 ? "no such API (POST /api/tracks/<camera>/<track>/override)" :
		    "no such person");
	if ((o = api_body(body, len, names)) == NULL)
		return api_error(out, 400, "body: {\"verdict\":\"PASS\"|\"DENY\",\"note\":\"...\"}"
		    " (members verdict, note, by: strings)");
	if ((rc = api_override_check(o, out)) != 0)
		goto done;
	by = auth_who_label()[0] ? auth_who_label() : api_member(o, "by", "")[0] ? api_member(o, "by", "") :
	    API_OVERRIDE_WHO;
	rc = commit_override(camera, (int64_t)track, strcmp(api_member(o, "verdict", ""), "PASS") == 0 ?
	    MSG_VERDICT_PASS : MSG_VERDICT_DENY, by, api_member(o, "note", ""), &r);
	if (rc == -2 || rc < 0) {
		if (rc != -2)
			log_warnx(NULL, "api override %s %lld: %s", camera, track, db_errmsg());
		rc = rc == -2 ? api_error(out, 404, "no such person") : api_error(out, 500, "database error");
		goto done;
	}
	fanout_override(&r, &r.events[0], by);
	snprintf(target, sizeof(target), "%s/%lld", camera, track);
	api_audit("override", target, json_pack("{s:s, s:s}", "verdict", api_member(o, "verdict", ""),
	    "note", api_member(o, "note", "")));
	memset(&q, 0, sizeof(q));
	q.camera = camera;
	q.track = (int64_t)track;
	q.limit = 1;
	rc = jbuf_json(out, query_tracks(db_handle(), &q)) < 0 ? api_error(out, 500, "database error") : 200;
done:
	json_decref(o);
	return rc;
}

/* api_ack_by - the "by" member of body, a JSON object: {} or
 * {"by":"name"} (name: 1..63 characters, no control character). Returns 0
 * with by filled ("" if absent), or -1. */
static int
api_ack_by(const char *body, size_t len, char *by, size_t bylen)
{
	static const char *const names[] = { "by", NULL };
	json_t *o = api_body(body, len, names);
	const char *v;
	int rc = -1;

	by[0] = '\0';
	if (o == NULL)
		return -1;
	v = api_member(o, "by", NULL);
	if (v == NULL || (v[0] != '\0' && strlen(v) < bylen)) {
		util_strlcpy(by, v ? v : "", bylen);
		rc = 0;
	}
	json_decref(o);
	return rc;
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
	if (rc < 0 || jbuf_json(out, query_alert(db_handle(), id)) < 0) {
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
api_handle(struct lws *wsi, const char *path, struct jbuf *out, struct api_read *rd)
{
	if (strcmp(path, "/api/health") == 0) {
		int ok = db_health() == 0;

		jbuf_json(out, json_pack("{s:b, s:s, s:i}", "ok", ok, "db", ok ? "ok" : "error", "live_clients",
		    live_count()));
		return ok ? 200 : 503;
	}
	if (strcmp(path, "/api/config") == 0) {
		jbuf_json(out, json_pack("{s:i, s:b}", "ingest_port", cfg->ingest_port, "tls", cfg->tls_cert[0] != 0));
		return 200;
	}
	if (strcmp(path, "/api/push/key") == 0) {
		if (webpush_public_key()[0] == '\0')
			return api_error(out, 404, "Web Push is off (webpush.subject is empty)");
		jbuf_json(out, json_pack("{s:s}", "public_key", webpush_public_key()));
		return 200;
	}
	if (strcmp(path, "/api/cameras") == 0) {
		cams_list_json(out);
		return 200;
	}
	if (strcmp(path, "/api/stats/today") == 0)
		return api_defer(rd, api_today_read, NULL, 0, out);
	if (strcmp(path, "/api/tracks") == 0)
		return api_tracks_defer(wsi, 500, api_tracks_read, out, rd);
	if (strcmp(path, "/api/alerts") == 0)
		return api_alerts(wsi, out, rd);
	return api_error(out, 404, "no such API");
}
