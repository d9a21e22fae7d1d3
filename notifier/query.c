/* query - the API's reads of the database as jansson values; see query.h.
 * Nothing here writes: the schema and every write are db.c's. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "utf8.h"
#include "util.h"

/* query_ms - microseconds column col as milliseconds, or null */
static json_t *
query_ms(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(st, col) / 1000);
}

/* query_real - real column col rounded to 1/scale, or null */
static json_t *
query_real(sqlite3_stmt *st, int col, double scale)
{
	double v;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	v = round(sqlite3_column_double(st, col) * scale) / scale;
	return isfinite(v) ? json_real(v) : json_null();
}

/* query_text - text column col, or null; text that is not UTF-8 (it came
 * from outside before it was stored) is repaired, never echoed */
static json_t *
query_text(sqlite3_stmt *st, int col)
{
	json_t *v = utf8_json((const char *)sqlite3_column_text(st, col));

	return v ? v : json_null();
}

#define QUERY_TRACK_COLS "id, camera, track_id, first_seen_us, last_seen_us, verdict, reason, mask," \
	" mask_score, temperature, decision_us, snapshot, looks, skipped, ended_us," \
	" override_verdict, override_by, override_us, override_note"

/* query_track_item - one tracks row (QUERY_TRACK_COLS) as the API's item:
 *   {"id":N,"camera":"gate1","track":1732490000000007,"first_seen_ms":..,
 *    "last_seen_ms":..,"verdict":"PASS|DENY|none","reason":"..",
 *    "mask":"mask_on",..,"mask_score":0.97,"temperature":36.6|null,
 *    "decision_ms":..|null,"snapshot":"/snapshots/gate1/<track>.jpg"|null,
 *    "looks":5,"skipped":40,"ended_ms":..|null,
 *    "override":{"verdict":"PASS","by":"..","at_ms":..,"note":".."}|null}
 * With an override, verdict and reason ("override") are the supervisor's. */
static json_t *
query_track_item(sqlite3_stmt *st)
{
	const char *cam = (const char *)sqlite3_column_text(st, 1);
	const char *snap = (const char *)sqlite3_column_text(st, 11);
	long long track = sqlite3_column_int64(st, 2);
	char url[128];
	json_t *ov = json_null();

	if (snap && snap[0] && cam)
		snprintf(url, sizeof(url), "/snapshots/%s/%lld.jpg", cam, track);
	if (sqlite3_column_type(st, 17) != SQLITE_NULL)
		ov = json_pack("{s:o, s:o, s:o, s:o}", "verdict", query_text(st, 15), "by", query_text(st, 16),
		    "at_ms", query_ms(st, 17), "note", query_text(st, 18));
	return json_pack("{s:I, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(st, 0), "camera", query_text(st, 1), "track", (json_int_t)track,
	    "first_seen_ms", query_ms(st, 3), "last_seen_ms", query_ms(st, 4), "verdict", query_text(st, 5),
	    "reason", query_text(st, 6), "mask", query_text(st, 7), "mask_score", query_real(st, 8, 1000),
	    "temperature", query_real(st, 9, 100), "decision_ms", query_ms(st, 10),
	    "snapshot", snap && snap[0] && cam ? json_string(url) : json_null(),
	    "looks", (json_int_t)sqlite3_column_int64(st, 12), "skipped", (json_int_t)sqlite3_column_int64(st, 13),
	    "ended_ms", query_ms(st, 14), "override", ov);
}

#define QUERY_ALERT_COLS "id, camera, track_id, raised_us, reason, acked_us, acked_by, json"

/* query_alert_item - one alerts row (QUERY_ALERT_COLS) as the API's item:
 *   {"id":12,"camera":"hall","track":..,"raised_ms":..,"reason":"no_mask",
 *    "acked_ms":..|null,"acked_by":".."|null, + the members of json:
 *    "camera_name","verdict","mask","since_ms","snapshot"} */
static json_t *
query_alert_item(sqlite3_stmt *st)
{
	const char *stored = (const char *)sqlite3_column_text(st, 7);
	json_t *o, *more;

	o = json_pack("{s:I, s:o, s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
	    "camera", query_text(st, 1), "track", (json_int_t)sqlite3_column_int64(st, 2),
	    "raised_ms", query_ms(st, 3), "reason", query_text(st, 4), "acked_ms", query_ms(st, 5),
	    "acked_by", query_text(st, 6));
	more = stored ? json_loads(stored, 0, NULL) : NULL;
	if (o && json_is_object(more))
		json_object_update_missing(o, more);
	json_decref(more);
	return o;
}

/* query_items - run st and collect its rows with item(): an array, or one
 * item / null. Finalizes st. NULL on error. */
static json_t *
query_items(sqlite3_stmt *st, int array, json_t *(*item)(sqlite3_stmt *))
{
	json_t *a = json_array(), *one = NULL;
	int rc;

	while (a && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *v = item(st);

		if (v == NULL || json_array_append_new(a, v) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (a == NULL || rc != SQLITE_DONE) {
		json_decref(a);
		return NULL;
	}
	if (array)
		return a;
	one = json_array_size(a) ? json_incref(json_array_get(a, 0)) : json_null();
	json_decref(a);
	return one;
}

json_t *
query_alert(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT " QUERY_ALERT_COLS " FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	return query_items(st, 0, query_alert_item);
}

json_t *
query_alerts(sqlite3 *db, int open_only, int64_t before, int limit)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, open_only ?
	    "SELECT " QUERY_ALERT_COLS " FROM alerts WHERE acked_us IS NULL AND id < ?1 ORDER BY id DESC LIMIT ?2" :
	    "SELECT " QUERY_ALERT_COLS " FROM alerts WHERE id < ?1 ORDER BY id DESC LIMIT ?2", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int(st, 2, limit);
	return query_items(st, 1, query_alert_item);
}

json_t *
query_tracks(sqlite3 *db, const struct query_tracks *q)
{
	char sql[512];
	sqlite3_stmt *st;
	int i = 0;

	snprintf(sql, sizeof(sql), "SELECT " QUERY_TRACK_COLS " FROM tracks WHERE 1%s%s%s%s%s%s"
	    " ORDER BY id DESC LIMIT ?",
	    q->camera ? " AND camera = ?" : "",
	    q->track ? " AND track_id = ?" : "",
	    q->verdict ? " AND verdict = ?" : "",
	    q->since_ms ? " AND last_seen_us >= ?" : "",
	    q->until_ms ? " AND first_seen_us < ?" : "",
	    q->before ? " AND id < ?" : "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (q->camera)
		sqlite3_bind_text(st, ++i, q->camera, -1, SQLITE_TRANSIENT);
	if (q->track)
		sqlite3_bind_int64(st, ++i, q->track);
	if (q->verdict)
		sqlite3_bind_text(st, ++i, q->verdict, -1, SQLITE_TRANSIENT);
	if (q->since_ms)
		sqlite3_bind_int64(st, ++i, q->since_ms * 1000);
	if (q->until_ms)
		sqlite3_bind_int64(st, ++i, q->until_ms * 1000);
	if (q->before)
		sqlite3_bind_int64(st, ++i, q->before);
	sqlite3_bind_int(st, ++i, q->limit);
	return query_items(st, 1, query_track_item);
}

json_t *
query_last_track(sqlite3 *db, const char *camera)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT " QUERY_TRACK_COLS " FROM tracks WHERE camera = ?"
	    " ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	return query_items(st, 0, query_track_item);
}

/* ---- the audit trail ---- */

static json_t *
query_link(const char *href)
{
	return json_pack("{s:s}", "href", href);
}

static json_t *
query_audit_row(sqlite3_stmt *st)
{
	const char *detail = (const char *)sqlite3_column_text(st, 5);
	long long id = sqlite3_column_int64(st, 0);
	json_t *d = detail ? json_loads(detail, 0, NULL) : NULL;
	char href[48];

	/* Written by us as an object; anything else is shown as null. */
	if (!json_is_object(d)) {
		json_decref(d);
		d = json_null();
	}
	snprintf(href, sizeof(href), "/api/audit/%lld", id);
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:{s:o}}", "id", (json_int_t)id,
	    "at", (json_int_t)(sqlite3_column_int64(st, 1) / 1000), "who", query_text(st, 2),
	    "action", query_text(st, 3), "target", query_text(st, 4), "detail", d,
	    "addr", query_text(st, 6), "_links", "self", query_link(href));
}

/* query_audit_page - q's page of items (see query_audit); items taken */
static json_t *
query_audit_page(const struct query_audit *q, json_t *items)
{
	size_t n = json_array_size(items);
	json_t *page, *one;
	char next[96];

	if (q->id) {
		one = json_incref(n ? json_array_get(items, 0) : json_null());
		json_decref(items);
		return one;
	}
	page = json_pack("{s:o, s:I, s:{s:o}}", "items", items, "count", (json_int_t)n,
	    "_links", "self", query_link("/api/audit"));
	if (page && n > 0 && (int64_t)n == q->limit) {
		snprintf(next, sizeof(next), "/api/audit?before=%lld&limit=%lld",
		    (long long)json_integer_value(json_object_get(json_array_get(items, n - 1), "id")),
		    (long long)q->limit);
		json_object_set_new(json_object_get(page, "_links"), "next", query_link(next));
	}
	return page;
}

json_t *
query_audit(sqlite3 *db, const struct query_audit *q)
{
	json_t *items = json_array();
	sqlite3_stmt *st;
	char sql[256];
	int rc;

	/* a filter is in the SQL only when asked, so SQLite walks its index
	 * (audit_action, audit_who: entries in id order) down from the page's
	 * start instead of scanning the whole trail */
	snprintf(sql, sizeof(sql), "SELECT id, at_us, who, action, target, detail, addr FROM audit WHERE %s%s%s"
	    " ORDER BY id DESC LIMIT ?5", q->id ? "id = ?1" : "id < ?2", q->id || !q->action ? "" : " AND action = ?3",
	    q->id || !q->who ? "" : " AND who = ?4");
	if (items == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		json_decref(items);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, q->id);
	sqlite3_bind_int64(st, 2, q->id || q->before <= 0 ? INT64_MAX : q->before);
	if (q->action && !q->id)
		sqlite3_bind_text(st, 3, q->action_s, -1, SQLITE_STATIC);
	if (q->who && !q->id)
		sqlite3_bind_text(st, 4, q->who_s, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, q->id ? 1 : q->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(items, query_audit_row(st));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(items);
		return NULL;
	}
	return query_audit_page(q, items);
}

/* ---- the day's figures ---- */

/* What the figures mean, from the stored track events, so they survive
 * any restart:
 *   people  tracks confirmed (a 'new' event)
 *   passed  tracks whose gate decision (decision = 1) was PASS
 *   denied  tracks whose gate decision was DENY
 *           (a supervisor's override is the decision that counts: the one
 *           it replaced has decision = 2, and the person moves from denied
 *           to passed, or back, at the time of the override)
 *   overrides  supervisor overrides
 *   alerts  alerts raised
 * QUERY_COUNTS are the five sums, in the order of struct query_counts. */
#define QUERY_COUNTS "sum(kind = 'new'), sum(decision = 1 AND verdict = 'PASS')," \
	" sum(decision = 1 AND verdict = 'DENY'), sum(kind = 'alert'), sum(kind = 'override')"

struct query_counts {
	long long people, passed, denied, alerts, overrides;
};

/* query_counts_row - the five QUERY_COUNTS sums from col on */
static void
query_counts_row(sqlite3_stmt *st, int col, struct query_counts *c)
{
	c->people = sqlite3_column_int64(st, col);
	c->passed = sqlite3_column_int64(st, col + 1);
	c->denied = sqlite3_column_int64(st, col + 2);
	c->alerts = sqlite3_column_int64(st, col + 3);
	c->overrides = sqlite3_column_int64(st, col + 4);
}

static json_t *
query_counts_json(const struct query_counts *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "people", (json_int_t)c->people,
	    "passed", (json_int_t)c->passed, "denied", (json_int_t)c->denied, "alerts", (json_int_t)c->alerts,
	    "overrides", (json_int_t)c->overrides);
}

/* query_counts_add - add c to the counts object at key in obj (made on
 * first use) */
static void
query_counts_add(json_t *obj, const char *key, const struct query_counts *c)
{
	static const char *const names[] = { "people", "passed", "denied", "alerts", "overrides" };
	const long long v[] = { c->people, c->passed, c->denied, c->alerts, c->overrides };
	json_t *to = json_object_get(obj, key);
	size_t i;

	if (to == NULL) {
		json_object_set_new(obj, key, query_counts_json(c));
		return;
	}
	for (i = 0; i < 5; i++)
		json_object_set_new(to, names[i],
		    json_integer(json_integer_value(json_object_get(to, names[i])) + (json_int_t)v[i]));
}

/* query_day - local midnight of the day holding now, and of the next day,
 * unix microseconds; its date */
static void
query_day(time_t now, int64_t *start, int64_t *end, char date[16])
{
	time_t t0, t1;
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, 16, "%Y-%m-%d", &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t0 = mktime(&tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t1 = mktime(&tm);
	*start = (int64_t)t0 * 1000000;
	*end = (int64_t)t1 * 1000000;
}

static json_t *
query_hours_json(const struct query_counts hours[24])
{
	json_t *a = json_array();
	int i;

	for (i = 0; a && i < 24; i++)
		json_array_append_new(a, json_pack("{s:i, s:I, s:I, s:I, s:I}", "hour", i,
		    "people", (json_int_t)hours[i].people, "passed", (json_int_t)hours[i].passed,
		    "denied", (json_int_t)hours[i].denied, "alerts", (json_int_t)hours[i].alerts));
	return a;
}

static void
query_counts_sum(struct query_counts *to, const struct query_counts *c)
{
	to->people += c->people;
	to->passed += c->passed;
	to->denied += c->denied;
	to->alerts += c->alerts;
	to->overrides += c->overrides;
}

/* One range scan of the covering index track_events_day, no join: rows
 * are grouped by whole hours elapsed since local midnight, and each such
 * hour is named by its local clock hour in C, so a DST change day (23 or
 * 25 hours) still lands in the right buckets. */
json_t *
query_stats_day(sqlite3 *db, time_t day)
{
	struct query_counts total, hours[24], c;
	json_t *cams = json_object();
	sqlite3_stmt *st = NULL;
	int64_t t0, t1;
	char date[16];
	int rc = SQLITE_ERROR;

	memset(&total, 0, sizeof(total));
	memset(hours, 0, sizeof(hours));
	query_day(day, &t0, &t1, date);
	if (cams && sqlite3_prepare_v2(db, "SELECT camera, (at_us - ?1) / 3600000000 AS k, " QUERY_COUNTS
	    " FROM track_events WHERE at_us >= ?1 AND at_us < ?2 GROUP BY camera, k ORDER BY camera",
	    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, t0);
		sqlite3_bind_int64(st, 2, t1);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			time_t mid = (time_t)(t0 / 1000000) + (time_t)sqlite3_column_int64(st, 1) * 3600 + 1800;
			struct tm tm;

			localtime_r(&mid, &tm);
			query_counts_row(st, 2, &c);
			query_counts_add(cams, (const char *)sqlite3_column_text(st, 0), &c);
			query_counts_sum(&total, &c);
			if (tm.tm_hour >= 0 && tm.tm_hour < 24)
				query_counts_sum(&hours[tm.tm_hour], &c);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(cams);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:o, s:o}", "date", date, "total", query_counts_json(&total),
	    "cameras", cams, "hours", query_hours_json(hours));
}

/* The figures of a range, gathered in one ordered scan: the current
 * bucket's counts per camera, flushed to JSON when the bucket changes. */
struct query_range_cam {
	char camera[CAMERA_ID_SIZE];
	struct query_counts c;
};

struct query_range {
	struct query_range_cam *cams;   /* owned; n used of cap */
	size_t n, cap, last;
	char label[64];
	json_t *buckets, *percam;
	struct query_counts total;
};

static int
query_range_cmp(const void *a, const void *b)
{
	return strcmp(((const struct query_range_cam *)a)->camera, ((const struct query_range_cam *)b)->camera);
}

/* query_range_flush - the current bucket's counts, per camera by id, into
 * buckets, per camera and total; then none. 0 or -ENOMEM. */
static int
query_range_flush(struct query_range *r)
{
	size_t i;

	if (r->n > 1)  /* cams is NULL before the first camera */
		qsort(r->cams, r->n, sizeof(r->cams[0]), query_range_cmp);
	for (i = 0; i < r->n; i++) {
		const struct query_range_cam *k = &r->cams[i];

		if (json_array_append_new(r->buckets, json_pack("{s:s, s:s, s:o}", "bucket", r->label,
		    "camera", k->camera, "counts", query_counts_json(&k->c))) != 0)
			return -ENOMEM;
		query_counts_add(r->percam, k->camera, &k->c);
		query_counts_sum(&r->total, &k->c);
	}
	r->n = r->last = 0;
	return 0;
}

/* query_range_cam - camera's counts in the current bucket (made on first use) */
static struct query_counts *
query_range_cam(struct query_range *r, const char *camera)
{
	struct query_range_cam *k;
	size_t i;

	if (r->last < r->n && strcmp(r->cams[r->last].camera, camera) == 0)
		return &r->cams[r->last].c;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->cams[i].camera, camera) == 0)
			return &r->cams[r->last = i].c;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;

		if ((k = realloc(r->cams, cap * sizeof(*k))) == NULL)
			return NULL;
		r->cams = k;
		r->cap = cap;
	}
	k = &r->cams[r->last = r->n++];
	memset(k, 0, sizeof(*k));
	util_strlcpy(k->camera, camera, sizeof(k->camera));
	return &k->c;
}

/* query_range_row - count one event (at_us, camera, kind, decision,
 * verdict) of the scan into r, in the bucket its quarter hour since t0
 * is named by; 0 or -ENOMEM */
static int
query_range_row(struct query_range *r, sqlite3_stmt *st, int64_t t0_us, const char *bucket, int64_t *slot)
{
	int64_t q = (sqlite3_column_int64(st, 0) - t0_us) / 900000000;
	const char *kind = (const char *)sqlite3_column_text(st, 2), *verdict;
	struct query_counts *c;
	char now[64];

	if (q != *slot) {
		time_t mid = (time_t)(t0_us / 1000000) + (time_t)q * 900 + 450;
		struct tm tm;

		*slot = q;
		localtime_r(&mid, &tm);
		if (strftime(now, sizeof(now), bucket, &tm) == 0)
			now[0] = '\0';
		if (strcmp(now, r->label) != 0) {  /* names only grow with time */
			if (query_range_flush(r) != 0)
				return -ENOMEM;
			util_strlcpy(r->label, now, sizeof(r->label));
		}
	}
	if ((c = query_range_cam(r, (const char *)sqlite3_column_text(st, 1))) == NULL || kind == NULL)
		return c == NULL ? -ENOMEM : 0;
	c->people += strcmp(kind, "new") == 0;
	c->alerts += strcmp(kind, "alert") == 0;
	c->overrides += strcmp(kind, "override") == 0;
	if (sqlite3_column_int(st, 3) == 1 && (verdict = (const char *)sqlite3_column_text(st, 4)) != NULL) {
		c->passed += strcmp(verdict, "PASS") == 0;
		c->denied += strcmp(verdict, "DENY") == 0;
	}
	return 0;
}

/* One scan of the covering index track_events_day in time order, counted
 * in C: each quarter hour since t0 (a local midnight: every zone's offset
 * and DST step is a whole number of quarter hours) is named by its local
 * bucket once. SQLite's strftime(..., 'localtime') and GROUP BY on every
 * row cost seconds a month (docs/BENCHMARKS.md). C's strftime gives the
 * same names as SQLite's for the formats figures.c uses (%W: Monday
 * weeks); the counts are QUERY_COUNTS'. */
json_t *
query_stats_range(sqlite3 *db, int64_t t0_us, int64_t t1_us, const char *bucket, const char *camera)
{
	struct query_range r;
	sqlite3_stmt *st = NULL;
	int64_t slot = -1;
	int rc = SQLITE_ERROR;

	memset(&r, 0, sizeof(r));
	r.percam = json_object();
	r.buckets = json_array();
	if (r.percam && r.buckets && sqlite3_prepare_v2(db,
	    "SELECT at_us, camera, kind, decision, verdict FROM track_events"
	    " WHERE at_us >= ?1 AND at_us < ?2 AND (?3 IS NULL OR camera = ?3) ORDER BY at_us", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, t0_us);
		sqlite3_bind_int64(st, 2, t1_us);
		if (camera)
			sqlite3_bind_text(st, 3, camera, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 3);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (query_range_row(&r, st, t0_us, bucket, &slot) != 0)
				break;
		if (rc == SQLITE_DONE && query_range_flush(&r) != 0)
			rc = SQLITE_NOMEM;
	}
	sqlite3_finalize(st);
	free(r.cams);
	if (rc != SQLITE_DONE) {
		json_decref(r.percam);
		json_decref(r.buckets);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o}", "buckets", r.buckets, "total", query_counts_json(&r.total),
	    "cameras", r.percam);
}
