/* rest - linked resources over the JSON that api.c and db.c build (see
 * rest.h). Items are parsed back with jansson to add their "_links", so
 * the one place that says what a person or an alert looks like stays in
 * db.c. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cams.h"
#include "db.h"
#include "figures.h"
#include "query.h"
#include "log.h"
#include "problem.h"
#include "rest.h"
#include "util.h"
#include "webpath.h"

/* docs/openapi.json, linked in by mk/accounts.mk (ld -r -b binary). */
extern const char _binary_openapi_json_start[], _binary_openapi_json_end[];

#define REST_PAGE_DEFAULT 50  /* /api/tracks' default limit (api.c) */

static const struct config *cfg;

void
rest_init(const struct config *c)
{
	cfg = c;
}

static int
rest_can_act(int role)
{
	return role >= AUTHDB_SUPERVISOR;
}

json_t *
rest_link(const char *href, const char *method)
{
	json_t *l = json_object();

	json_object_set_new(l, "href", json_string(href));
	if (method)
		json_object_set_new(l, "method", json_string(method));
	return l;
}

/* rest_track_links - _links of a person item. */
static void
rest_track_links(json_t *item, int role)
{
	json_t *links = json_object(), *v;
	const char *cam = json_string_value(json_object_get(item, "camera"));
	char href[160];

	snprintf(href, sizeof(href), "/api/tracks/%lld", (long long)json_integer_value(json_object_get(item, "id")));
	json_object_set_new(links, "self", rest_link(href, NULL));
	if (cam) {
		snprintf(href, sizeof(href), "/api/cameras/%s", cam);
		json_object_set_new(links, "camera", rest_link(href, NULL));
		if (rest_can_act(role)) {
			snprintf(href, sizeof(href), "/api/tracks/%s/%lld/override", cam,
			    (long long)json_integer_value(json_object_get(item, "track")));
			json_object_set_new(links, "override", rest_link(href, "POST"));
		}
	}
	if ((v = json_object_get(item, "snapshot")) && json_is_string(v))
		json_object_set_new(links, "snapshot", rest_link(json_string_value(v), NULL));
	json_object_set_new(item, "_links", links);
}

static void
rest_alert_links(json_t *item, int role)
{
	json_t *links = json_object(), *v;
	const char *cam = json_string_value(json_object_get(item, "camera"));
	long long id = json_integer_value(json_object_get(item, "id"));
	char href[160];

	snprintf(href, sizeof(href), "/api/alerts/%lld", id);
	json_object_set_new(links, "self", rest_link(href, NULL));
	if (cam) {
		snprintf(href, sizeof(href), "/api/cameras/%s", cam);
		json_object_set_new(links, "camera", rest_link(href, NULL));
	}
	if ((v = json_object_get(item, "snapshot")) && json_is_string(v))
		json_object_set_new(links, "snapshot", rest_link(json_string_value(v), NULL));
	if (rest_can_act(role) && json_is_null(json_object_get(item, "acked_ms"))) {
		snprintf(href, sizeof(href), "/api/alerts/%lld/ack", id);
		json_object_set_new(links, "ack", rest_link(href, "POST"));
	}
	json_object_set_new(item, "_links", links);
}

/* The three views of a camera: an item of /api/cameras (settings and live
 * state), GET /api/cameras/ID (its settings: what If-Match guards) and
 * GET /api/cameras/ID/status (its live state). */
enum rest_cam_view { REST_CAM_ITEM, REST_CAM_SETTINGS, REST_CAM_STATUS };

static void
rest_camera_view_links(json_t *item, int role, enum rest_cam_view view)
{
	json_t *links = json_object();
	const char *id = json_string_value(json_object_get(item, "id"));
	char href[160], file[CONFIG_PATH_SIZE + 96];

	if (id == NULL)
		return;
	snprintf(href, sizeof(href), "/api/cameras/%s", id);
	json_object_set_new(links, view == REST_CAM_STATUS ? "camera" : "self", rest_link(href, NULL));
	snprintf(href, sizeof(href), "/api/cameras/%s/status", id);
	json_object_set_new(links, view == REST_CAM_STATUS ? "self" : "status", rest_link(href, NULL));
	snprintf(href, sizeof(href), "/api/cameras/%s", id);
	if (view != REST_CAM_STATUS && role >= AUTHDB_ADMIN && json_is_true(json_object_get(item, "configured"))) {
		json_object_set_new(links, "edit", rest_link(href, "PATCH"));
		json_object_set_new(links, "remove", rest_link(href, "DELETE"));
		snprintf(href, sizeof(href), "/api/cameras/%s/token", id);
		json_object_set_new(links, "rotate_token", rest_link(href, "POST"));
	}
	snprintf(href, sizeof(href), "/api/tracks?camera=%s", id);
	json_object_set_new(links, "people", rest_link(href, NULL));
	/* Its latest frame, while the worker keeps one (notifier.snapshot_keep_days):
	 * live state, not a setting */
	snprintf(file, sizeof(file), "%s/snapshots/%s/latest.jpg", cfg->dir, id);
	if (view != REST_CAM_SETTINGS && access(file, R_OK) == 0) {
		snprintf(href, sizeof(href), "/snapshots/%s/latest.jpg", id);
		json_object_set_new(links, "latest", rest_link(href, NULL));
	}
	json_object_set_new(item, "_links", links);
}

static void
rest_camera_links(json_t *item, int role)
{
	rest_camera_view_links(item, role, REST_CAM_ITEM);
}

/* rest_put - replace out's text with j (compact; reals as db.c wrote them). */
int
rest_put(struct jbuf *out, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY);

	if (s == NULL)
		return -1;
	jbuf_truncate(out, 0);
	jbuf_add(out, "%s", s);
	free(s);
	return 0;
}

void
rest_links(json_t *items, const char *path, int role, int want, const char *keep, char *link, size_t linklen)
{
	void (*fn)(json_t *, int);
	json_t *it, *last;
	size_t i, n = json_array_size(items);

	link[0] = '\0';
	if (strcmp(path, "/api/tracks") == 0)
		fn = rest_track_links;
	else if (strcmp(path, "/api/alerts") == 0)
		fn = rest_alert_links;
	else if (strcmp(path, "/api/cameras") == 0)
		fn = rest_camera_links;
	else
		return;
	json_array_foreach(items, i, it)
		if (json_is_object(it))
			fn(it, role);
	/* A full page of people or alerts: the next one starts below its last
	 * item, with the same filters. */
	if (fn != rest_camera_links && n > 0 && n == (size_t)want) {
		last = json_array_get(items, n - 1);
		snprintf(link, linklen, "<%s?%sbefore=%lld&limit=%d>; rel=\"next\"", path, keep,
		    (long long)json_integer_value(json_object_get(last, "id")), want);
	}
}

void
rest_decorate(struct lws *wsi, const char *path, const struct auth_req *r, struct jbuf *out, char *link,
    size_t linklen)
{
	char lim[16];
	const char *v = lws_get_urlarg_by_name(wsi, "limit=", lim, sizeof(lim));
	json_t *j;

	link[0] = '\0';
	/* an array of items, or one alert (the answer to its ack) */
	if ((j = json_loadb(jbuf_text(out), out->len, 0, NULL)) == NULL ||
	    !(json_is_array(j) || (json_is_object(j) && strcmp(path, "/api/alerts") == 0))) {
		json_decref(j);
		return;
	}
	if (json_is_object(j)) { /* links added in place */
		json_t *one = json_pack("[O]", j);

		rest_links(one, path, r->who.role, 0, "", link, linklen);
		json_decref(one);
	} else
		rest_links(j, path, r->who.role, v && *v ? atoi(v) : REST_PAGE_DEFAULT, "", link, linklen);
	if (rest_put(out, j) != 0)
		log_warnx(NULL, "api %s: cannot add links (out of memory)", path);
	json_decref(j);
}

/* rest_id - a positive decimal id, or -1. */
static long long
rest_id(const char *s)
{
	long long v;

	return *s != '0' && api_int(s, 1, LLONG_MAX, &v) == 0 ? v : -1;
}

static int
rest_entry(const struct auth_req *r, struct jbuf *out)
{
	json_t *j = json_object(), *links = json_object();
	int admin = r->who.role >= AUTHDB_ADMIN;

	json_object_set_new(j, "name", json_string("gatewatch"));
	json_object_set_new(j, "user", json_string(r->who.name));
	json_object_set_new(j, "role", json_string(authdb_role_name(r->who.role)));
	json_object_set_new(links, "self", rest_link("/api", NULL));
	json_object_set_new(links, "session", rest_link("/api/session", NULL));
	json_object_set_new(links, "cameras", rest_link("/api/cameras", NULL));
	json_object_set_new(links, "tracks", rest_link("/api/tracks", NULL));
	json_object_set_new(links, "alerts", rest_link("/api/alerts", NULL));
	json_object_set_new(links, "stats", rest_link("/api/stats/today", NULL));
	json_object_set_new(links, "stats_day", rest_link("/api/stats/day/{date}", NULL));
	json_object_set_new(links, "stats_range", rest_link("/api/stats?from={from}&to={to}&by={by}", NULL));
	json_object_set_new(json_object_get(links, "stats_range"), "templated", json_true());
	json_object_set_new(links, "tracks_csv", rest_link("/api/tracks.csv", NULL));
	json_object_set_new(links, "stats_csv", rest_link("/api/stats.csv", NULL));
	json_object_set_new(json_object_get(links, "stats_day"), "templated", json_true());
	json_object_set_new(links, "health", rest_link("/api/health", NULL));
	json_object_set_new(links, "config", rest_link("/api/config", NULL));
	json_object_set_new(links, "openapi", rest_link("/api/openapi.json", NULL));
	if (admin) {
		json_object_set_new(links, "users", rest_link("/api/users", NULL));
		json_object_set_new(links, "tokens", rest_link("/api/tokens", NULL));
		json_object_set_new(links, "audit", rest_link("/api/audit", NULL));
		json_object_set_new(links, "camera_add", rest_link("/api/cameras", "POST"));
	}
	json_object_set_new(j, "_links", links);
	rest_put(out, j);
	json_decref(j);
	return 200;
}

/* rest_one - the item with "id" == id from a JSON array in buf, with links. */
static int
rest_one(struct jbuf *out, struct jbuf *buf, long long id,
    void (*fn)(json_t *, int), const struct auth_req *r, const char *what)
{
	json_t *j = json_loadb(jbuf_text(buf), buf->len, 0, NULL), *it, *found = NULL;
	size_t i;
	char msg[64];

	json_array_foreach(j, i, it) {
		json_t *v = json_object_get(it, "id");

		if (json_is_integer(v) && json_integer_value(v) == id) {
			found = it;
			break;
		}
	}
	if (found == NULL) {
		json_decref(j);
		snprintf(msg, sizeof(msg), "no such %s", what);
		return problem_json(out, 404, msg);
	}
	fn(found, r->who.role);
	rest_put(out, found);
	json_decref(j);
	return 200;
}

/* rest_csv_str - RFC 4180: every text field quoted, quotes doubled. */
static void
rest_csv_str(struct jbuf *out, const char *s)
{
	jbuf_add(out, "\"");
	for (; s && *s; s++) {
		if (*s == '"')
			jbuf_add(out, "\"\"");
		else if ((unsigned char)*s >= 0x20)
			jbuf_mem(out, s, 1);
	}
	jbuf_add(out, "\"");
}

void
rest_csv_value(struct jbuf *out, json_t *v)
{
	if (json_is_string(v))
		rest_csv_str(out, json_string_value(v));
	else if (json_is_integer(v))
		jbuf_add(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		jbuf_add(out, "%.6g", json_real_value(v));
	else if (json_is_true(v) || json_is_false(v))
		jbuf_add(out, "%s", json_is_true(v) ? "true" : "false");
}

/* figures_rate - add pass_rate = passed / (passed + denied), or null. */
/* rest_tracks_csv_read - /api/tracks.csv, off the loop */
static int
rest_tracks_csv_read(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen)
{
	static const char *const cols[] = { "id", "camera", "track", "first_seen_ms", "last_seen_ms", "ended_ms",
		"verdict", "reason", "mask", "mask_score", "temperature", "decision_ms", "snapshot" };
	json_t *j, *it;
	size_t i, k;

	(void)link, (void)linklen;
	if ((j = query_tracks(db, api_tracks_query(arg))) == NULL)
		return api_db_error(db, "api tracks.csv", out);
	for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
		jbuf_add(out, "%s%s", k ? "," : "", cols[k]);
	jbuf_add(out, ",override_verdict,override_by,override_note\r\n");
	json_array_foreach(j, i, it) {
		json_t *o = json_object_get(it, "override");

		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			if (k)
				jbuf_add(out, ",");
			rest_csv_value(out, json_object_get(it, cols[k]));
		}
		jbuf_add(out, ",");
		rest_csv_value(out, json_object_get(o, "verdict"));
		jbuf_add(out, ",");
		rest_csv_value(out, json_object_get(o, "by"));
		jbuf_add(out, ",");
		rest_csv_value(out, json_object_get(o, "note"));
		jbuf_add(out, "\r\n");
	}
	json_decref(j);
	return 200;
}

int
rest_owns(const char *path)
{
	return strcmp(path, "/api") == 0 || strcmp(path, "/api/openapi.json") == 0 ||
	    strcmp(path, "/api/stats") == 0 || strcmp(path, "/api/stats.csv") == 0 ||
	    strcmp(path, "/api/tracks.csv") == 0 ||
	    strncmp(path, "/api/tracks/", 12) == 0 || strncmp(path, "/api/alerts/", 12) == 0 ||
	    strncmp(path, "/api/cameras/", 13) == 0 || strncmp(path, "/api/stats/day/", 15) == 0;
}

int
rest_camera(const char *id, int role, int live, struct jbuf *out)
{
	json_t *j = util_camera_id_valid(id) ? cams_one(id, live) : NULL;
	int rc;

	if (j == NULL)
		return problem_json(out, 404, "no such camera");
	rest_camera_view_links(j, role, live ? REST_CAM_STATUS : REST_CAM_SETTINGS);
	rc = rest_put(out, j);
	json_decref(j);
	return rc == 0 ? 200 : problem_json(out, 500, "out of memory");
}

int
rest_handle(struct lws *wsi, const char *path, const struct auth_req *r, struct jbuf *out,
    const char **ctype, char *disposition, size_t displen, struct api_read *rd)
{
	struct jbuf buf;
	long long id;
	int status;

	disposition[0] = '\0';
	if (strcmp(path, "/api") == 0)
		return rest_entry(r, out);
	if (strcmp(path, "/api/stats") == 0)
		return figures_range(wsi, 0, out, rd);
	if (strcmp(path, "/api/stats.csv") == 0 || strcmp(path, "/api/tracks.csv") == 0) {
		int figures = strcmp(path, "/api/stats.csv") == 0;

		status = figures ? figures_range(wsi, 1, out, rd) : api_tracks_defer(wsi, 10000, rest_tracks_csv_read, out, rd);
		if (status == 0) { /* answered off the loop: web.c drops these on an error */
			*ctype = "text/csv; charset=utf-8";
			snprintf(disposition, displen, "attachment; filename=\"gatewatch-%s.csv\"",
			    figures ? "figures" : "people");
		}
		return status;
	}
	if (strcmp(path, "/api/openapi.json") == 0) {
		jbuf_mem(out, _binary_openapi_json_start, (size_t)(_binary_openapi_json_end - _binary_openapi_json_start));
		return 200;
	}
	if (strncmp(path, "/api/stats/day/", 15) == 0)
		return figures_day(path + 15, out, rd);
	if (strncmp(path, "/api/cameras/", 13) == 0) {
		char id[CAMERA_ID_SIZE];
		const char *rest = webpath_camera(path, id);

		if (rest == NULL || (rest[0] && strcmp(rest, "/status") != 0))
			return problem_json(out, 404, "no such camera");
		return rest_camera(id, r->who.role, rest[0] != '\0', out);
	}
	jbuf_init(&buf, 0);
	if (strncmp(path, "/api/tracks/", 12) == 0) {
		struct query_tracks q;

		memset(&q, 0, sizeof(q));
		if ((id = rest_id(path + 12)) <= 0 || id >= (1LL << 62))
			status = problem_json(out, 404, "no such person");
		else {
			q.before = id + 1;
			q.limit = 1;
			status = jbuf_json(&buf, query_tracks(db_handle(), &q)) < 0 ?
			    problem_json(out, 500, "database error") :
			    rest_one(out, &buf, id, rest_track_links, r, "person");
		}
	} else {
		if ((id = rest_id(path + 12)) <= 0 || id >= (1LL << 62))
			status = problem_json(out, 404, "no such alert");
		else {
			json_t *one = query_alert(db_handle(), id);

			status = jbuf_json(&buf, one ? json_pack("[o]", one) : NULL) < 0 ?
			    problem_json(out, 500, "database error") : 0;
			if (status == 0)
				status = rest_one(out, &buf, id, rest_alert_links, r, "alert");
		}
	}
	jbuf_free(&buf);
	return status;
}

void
rest_etag(const char *body, size_t len, char *out)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a, 64 bits: a cache key, not a secret */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)body[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, REST_ETAG_SIZE, "\"%016llx\"", (unsigned long long)h);
}

int
rest_etag_match(const char *header, const char *etag)
{
	const char *p = header;
	size_t n = strlen(etag);

	while (*p == ' ')
		p++;
	if (strcmp(p, "*") == 0)
		return 1;
	for (; (p = strstr(p, etag)) != NULL; p += n)
		if (p[n] == '\0' || p[n] == ',' || p[n] == ' ')
			return 1;
	return 0;
}
