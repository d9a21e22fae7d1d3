/* query - the HTTP API's reads of the notifier's database: people
 * (tracks), alerts and the day's figures, as JSON values built with
 * jansson. Each takes the connection to read from, so the caller chooses
 * the thread (db.h's connection on the loop thread, or a read-only one of
 * its own elsewhere). Each returns a new reference, or NULL on a database
 * error or when out of memory (the connection's sqlite3_errmsg says which).
 * docs/openapi.json describes the items. */
#ifndef GW_QUERY_H
#define GW_QUERY_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

struct query_tracks {
	const char *camera;    /* NULL = all */
	const char *verdict;   /* "PASS", "DENY", "none" or NULL */
	int64_t since_ms, until_ms; /* person present in [since, until); 0 = open */
	int64_t before;        /* row id to page from; 0 = newest */
	int64_t track;         /* one person's track id; 0 = all */
	int limit;
};

/* query_tracks - an array of people (tracks), newest first. */
json_t *query_tracks(sqlite3 *db, const struct query_tracks *q);

/* query_last_track - the camera's newest person, or null. */
json_t *query_last_track(sqlite3 *db, const char *camera);

/* query_alert - alert id's item, or null. */
json_t *query_alert(sqlite3 *db, int64_t id);

/* query_alerts - an array of alerts, newest first: only open ones when
 * open_only; only ids below before when before > 0. At most limit. */
json_t *query_alerts(sqlite3 *db, int open_only, int64_t before, int limit);

/* One GET /api/audit (a plain struct: it is copied to a pool thread). */
struct query_audit {
	int64_t id;                 /* > 0: that entry alone */
	int64_t before, limit;      /* a page of at most limit below before (0: the newest) */
	int action, who;            /* 1: only entries of action_s / by who_s */
	char action_s[64], who_s[96];
};

/* query_audit - the audit trail: entry q->id's item (json null when there
 * is none), or a page {"items":[..newest first..],"count":N,"_links":
 * {"self","next" when full}}; an item is {"id","at","who","action",
 * "target","detail","addr","_links"}. */
json_t *query_audit(sqlite3 *db, const struct query_audit *q);

/* query_stats_day - the figures of the local day holding day:
 * {"date":..,"total":{..},"cameras":{..},"hours":[24]}. The one place
 * that says what "people" means (see query.c). */
json_t *query_stats_day(sqlite3 *db, time_t day);

/* query_stats_range - the same figures for the events in [t0_us, t1_us),
 * optionally of one camera, per bucket: bucket is an SQLite strftime
 * format applied to the local time ("%Y-%m-%d %H" per hour, "%Y-%m-%d" per
 * day, "%Y-W%W" per week, "%Y-%m" per month). {"buckets":[{"bucket":..,
 * "camera":..,"counts":{..}}],"total":{..},"cameras":{id:{..}}}. */
json_t *query_stats_range(sqlite3 *db, int64_t t0_us, int64_t t1_us, const char *bucket, const char *camera);

#endif
