/* db - the notifier's writes to its SQLite database: results' track
 * events, tracks, alerts, overrides, and what a new worker or the stale
 * sweep needs to read back. The schema and its migrations are
 * dbschema.c's, the API's reads query.c's. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "result.h"
#include "dbschema.h"

/* Only test/bench/sync_cost.sh builds a notifier with NORMAL, to measure
 * what FULL costs in the same run. */
#ifndef DB_SYNCHRONOUS
#define DB_SYNCHRONOUS "FULL"
#endif

static sqlite3 *db;
static sqlite3_stmt *st_event, *st_track, *st_alert;

const char *
db_errmsg(void)
{
	return db ? sqlite3_errmsg(db) : "database not open";
}

sqlite3 *
db_handle(void)
{
	return db;
}

int
db_open(const char *path, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		db_close();
		return -1;
	}
	sqlite3_busy_timeout(db, 2000);
	/* synchronous=FULL: in WAL mode NORMAL does not fsync at commit, and
	 * a RESULT_ACK lets the worker delete the frame; after a power loss an
	 * acknowledged result would be gone with its frame (issue 11). The
	 * cost is one fsync of the WAL per commit (docs/BENCHMARKS.md). */
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=" DB_SYNCHRONOUS "; PRAGMA foreign_keys=ON",
	    NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		db_close();
		return -1;
	}
	if (dbschema_migrate(db, err, errlen) != 0) {
		db_close();
		return -1;
	}
	if (sqlite3_prepare_v2(db,
	    "INSERT OR IGNORE INTO track_events (camera, track_id, seq, kind, verdict, reason, decision,"
	    " at_us, frame_id, json) VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &st_event, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	    "INSERT INTO tracks (camera, track_id, first_seen_us, last_seen_us, verdict, reason, mask,"
	    " mask_score, temperature, decision_us, snapshot, looks, skipped, ended_us)"
	    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"
	    " ON CONFLICT (camera, track_id) DO UPDATE SET"
	    " first_seen_us = min(first_seen_us, excluded.first_seen_us),"
	    " last_seen_us = max(last_seen_us, excluded.last_seen_us),"
	    " verdict = CASE WHEN override_us IS NULL THEN excluded.verdict ELSE verdict END,"
	    " reason = CASE WHEN override_us IS NULL THEN excluded.reason ELSE reason END, mask = excluded.mask,"
	    " mask_score = excluded.mask_score,"
	    " temperature = coalesce(excluded.temperature, temperature),"
	    " decision_us = coalesce(decision_us, excluded.decision_us),"
	    " snapshot = CASE WHEN excluded.snapshot <> '' THEN excluded.snapshot ELSE snapshot END,"
	    " looks = max(looks, excluded.looks), skipped = max(skipped, excluded.skipped),"
	    " ended_us = coalesce(excluded.ended_us, ended_us)", -1, &st_track, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	    "INSERT INTO alerts (camera, track_id, raised_us, reason, json) VALUES (?,?,?,?,?)", -1,
	    &st_alert, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "preparing statements: %s", sqlite3_errmsg(db));
		db_close();
		return -1;
	}
	return 0;
}

void
db_close(void)
{
	sqlite3_finalize(st_event);
	sqlite3_finalize(st_track);
	sqlite3_finalize(st_alert);
	st_event = st_track = st_alert = NULL;
	if (db)
		sqlite3_close(db);
	db = NULL;
}

int
db_begin(void)
{
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
db_commit(void)
{
	return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

void
db_rollback(void)
{
	if (db && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static void
db_bind_real(sqlite3_stmt *st, int col, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, col, v);
	else
		sqlite3_bind_null(st, col);
}

int
db_event_insert(const char *camera, const struct msg_track_event *e, int64_t at_us,
    const char *frame_id, const char *json)
{
	sqlite3_stmt *st = st_event;
	int rc = -1;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, e->track_id);
	sqlite3_bind_int64(st, 3, e->seq);
	sqlite3_bind_text(st, 4, result_event_kind(e->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, msg_verdict_name(e->verdict), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, msg_reason_name(e->reason), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, e->decision <= 2 ? (int)e->decision : 1); /* 2: replaced by an override */
	sqlite3_bind_int64(st, 8, at_us);
	sqlite3_bind_text(st, 9, frame_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, json, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	if (sqlite3_changes(db) == 0) {
		rc = 0;
		goto out;
	}
	st = st_track;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, e->track_id);
	sqlite3_bind_int64(st, 3, e->first_seen_us ? e->first_seen_us : at_us);
	sqlite3_bind_int64(st, 4, e->last_seen_us ? e->last_seen_us : at_us);
	sqlite3_bind_text(st, 5, msg_verdict_name(e->verdict), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, msg_reason_name(e->reason), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, msg_mask_name(e->mask), -1, SQLITE_STATIC);
	db_bind_real(st, 8, e->mask_score);
	db_bind_real(st, 9, round(e->temperature * 100) / 100); /* a float's 36.6 is 36.59999 */
	if (e->decision == 1)
		sqlite3_bind_int64(st, 10, at_us);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_text(st, 11, e->snapshot, (int)strnlen(e->snapshot, sizeof(e->snapshot)), SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, e->looks);
	sqlite3_bind_int64(st, 13, e->skipped);
	if (e->kind == MSG_TRACK_ENDED)
		sqlite3_bind_int64(st, 14, at_us);
	else
		sqlite3_bind_null(st, 14);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 1;
out:
	sqlite3_reset(st_event);
	sqlite3_reset(st_track);
	sqlite3_clear_bindings(st_event);
	sqlite3_clear_bindings(st_track);
	return rc;
}

/* db_name_index - the index i < n whose name(i) is s, else 0. */
static unsigned
db_name_index(const char *s, const char *(*name)(unsigned), unsigned n)
{
	unsigned i;

	for (i = 0; s && i < n; i++)
		if (strcmp(name(i), s) == 0)
			return i;
	return 0;
}

/* DB_TRACK_ROW - the person's columns both row readers below select
 * first (track_id, first/last seen, verdict, reason, mask, mask score,
 * temperature, snapshot, looks, skipped) into x: a struct
 * msg_track_event or msg_track_state, which name them alike. */
#define DB_TRACK_ROW(x, st) do { \
	const char *snap_ = (const char *)sqlite3_column_text((st), 8); \
	(x)->track_id = sqlite3_column_int64((st), 0); \
	(x)->first_seen_us = sqlite3_column_int64((st), 1); \
	(x)->last_seen_us = sqlite3_column_int64((st), 2); \
	(x)->verdict = db_name_index((const char *)sqlite3_column_text((st), 3), msg_verdict_name, 3); \
	(x)->reason = db_name_index((const char *)sqlite3_column_text((st), 4), msg_reason_name, MSG_REASONS); \
	(x)->mask = db_name_index((const char *)sqlite3_column_text((st), 5), msg_mask_name, 4); \
	(x)->mask_score = sqlite3_column_type((st), 6) == SQLITE_NULL ? NAN : (float)sqlite3_column_double((st), 6); \
	(x)->temperature = sqlite3_column_type((st), 7) == SQLITE_NULL ? NAN : (float)sqlite3_column_double((st), 7); \
	if (snap_) \
		util_strlcpy((x)->snapshot, snap_, sizeof((x)->snapshot)); \
	(x)->looks = (uint32_t)sqlite3_column_int64((st), 9); \
	(x)->skipped = (uint32_t)sqlite3_column_int64((st), 10); \
} while (0)

/* db_rows_done - finalize st after a loop that read n rows (at most
 * max), its last step rc: n, or -1 on a database error */
static int
db_rows_done(sqlite3_stmt *st, int rc, int n, int max)
{
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || n == max ? n : -1;
}

int
db_tracks_stale(const char *camera, int64_t before_id, int64_t seen_before_us,
    struct msg_track_event *e, int max)
{
	sqlite3_stmt *st;
	int n = 0, rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(db,
	    "SELECT t.track_id, t.first_seen_us, t.last_seen_us, t.verdict, t.reason, t.mask, t.mask_score,"
	    " t.temperature, t.snapshot, t.looks, t.skipped,"
	    " (SELECT coalesce(max(seq), 0) FROM track_events v WHERE v.camera = t.camera AND v.track_id = t.track_id)"
	    " FROM tracks t WHERE t.camera = ?1 AND t.ended_us IS NULL AND t.track_id >= ?2 AND t.track_id < ?3"
	    " AND t.last_seen_us < ?4 ORDER BY t.track_id LIMIT ?5", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, DB_TRACK_ID_TIMED);
	sqlite3_bind_int64(st, 3, before_id);
	sqlite3_bind_int64(st, 4, seen_before_us);
	sqlite3_bind_int(st, 5, max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct msg_track_event *x = &e[n++];

		memset(x, 0, sizeof(*x));
		x->kind = MSG_TRACK_ENDED;
		x->seq = (uint32_t)sqlite3_column_int64(st, 11) + 1;
		DB_TRACK_ROW(x, st);
	}
	return db_rows_done(st, rc, n, max);
}

int64_t
db_alert_insert(const char *camera, int64_t track_id, int64_t raised_us, const char *reason,
    const char *json)
{
	sqlite3_stmt *st = st_alert;
	int64_t id = -1;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, track_id);
	sqlite3_bind_int64(st, 3, raised_us);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return id;
}

int
db_alert_ack(int64_t id, const char *by, int64_t now_us)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "UPDATE alerts SET acked_us = ?2, acked_by = ?3 WHERE id = ?1 AND acked_us IS NULL",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_us);
	sqlite3_bind_text(st, 3, by, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = sqlite3_changes(db) ? 1 : 0;
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -2 : -1;
}

int
db_health(void)
{
	sqlite3_stmt *st;
	int rc;

	if (db == NULL || sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* The last worker event of a track: its JSON carries the last boxes. */
#define DB_LAST_EVENT(field) \
	"(SELECT json_extract(v.json, '$." field "') FROM track_events v WHERE v.camera = t.camera" \
	" AND v.track_id = t.track_id AND v.seq < " DB_SEQ_NOTIFIER_STR " ORDER BY v.seq DESC LIMIT 1)"
#define DB_SEQ_NOTIFIER_STR "1073741824" /* MSG_SEQ_NOTIFIER */
_Static_assert(MSG_SEQ_NOTIFIER == 1073741824u, "DB_SEQ_NOTIFIER_STR");

static void
db_box(sqlite3_stmt *st, int col, struct msg_box *b)
{
	const char *j = (const char *)sqlite3_column_text(st, col);

	memset(b, 0, sizeof(*b));
	if (j == NULL || sscanf(j, "[%f,%f,%f,%f,%f]", &b->x, &b->y, &b->w, &b->h, &b->score) != 5)
		memset(b, 0, sizeof(*b));
}

int
db_open_tracks(const char *camera, struct msg_track_state *s, int max)
{
	sqlite3_stmt *st;
	int n = 0, rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(db,
	    "SELECT t.track_id, t.first_seen_us, t.last_seen_us, t.verdict, t.reason, t.mask, t.mask_score,"
	    " t.temperature, t.snapshot, t.looks, t.skipped, t.decision_us IS NOT NULL OR t.override_us IS NOT NULL,"
	    " (SELECT coalesce(max(seq), 0) FROM track_events v WHERE v.camera = t.camera AND v.track_id = t.track_id"
	    "  AND v.seq < " DB_SEQ_NOTIFIER_STR "),"
	    " EXISTS (SELECT 1 FROM track_events v WHERE v.camera = t.camera AND v.track_id = t.track_id"
	    "  AND v.kind = 'prompt'),"
	    " (SELECT max(raised_us) FROM alerts a WHERE a.camera = t.camera AND a.track_id = t.track_id),"
	    " " DB_LAST_EVENT("body") ", " DB_LAST_EVENT("face") ", " DB_LAST_EVENT("frames")
	    " FROM tracks t WHERE t.camera = ?1 AND t.ended_us IS NULL ORDER BY t.track_id LIMIT ?2",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct msg_track_state *x = &s[n++];

		memset(x, 0, sizeof(*x));
		util_strlcpy(x->camera, camera, sizeof(x->camera));
		DB_TRACK_ROW(x, st);
		x->decided = (uint32_t)sqlite3_column_int(st, 11);
		x->seq = (uint32_t)sqlite3_column_int64(st, 12);
		x->prompted = (uint32_t)sqlite3_column_int(st, 13);
		x->alert_us = sqlite3_column_int64(st, 14);
		db_box(st, 15, &x->body);
		db_box(st, 16, &x->face);
		x->frames = (uint32_t)sqlite3_column_int64(st, 17);
	}
	return db_rows_done(st, rc, n, max);
}

int
db_override(const char *camera, int64_t track_id, unsigned verdict, const char *by, const char *note,
    int64_t now_us, struct msg_track_event *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	if (sqlite3_prepare_v2(db,
	    "SELECT t.first_seen_us, t.last_seen_us, t.mask, t.mask_score, t.temperature, t.snapshot, t.looks,"
	    " t.skipped, (SELECT coalesce(max(seq), " DB_SEQ_NOTIFIER_STR " - 1) FROM track_events v"
	    "  WHERE v.camera = t.camera AND v.track_id = t.track_id AND v.seq >= " DB_SEQ_NOTIFIER_STR ")"
	    " FROM tracks t WHERE t.camera = ?1 AND t.track_id = ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, track_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return -2;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -1;
	}
	e->track_id = track_id;
	e->kind = MSG_TRACK_OVERRIDE;
	e->first_seen_us = sqlite3_column_int64(st, 0);
	e->last_seen_us = sqlite3_column_int64(st, 1);
	e->mask = db_name_index((const char *)sqlite3_column_text(st, 2), msg_mask_name, 4);
	e->mask_score = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : (float)sqlite3_column_double(st, 3);
	e->temperature = sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : (float)sqlite3_column_double(st, 4);
	if (sqlite3_column_text(st, 5))
		util_strlcpy(e->snapshot, (const char *)sqlite3_column_text(st, 5), sizeof(e->snapshot));
	e->looks = (uint32_t)sqlite3_column_int64(st, 6);
	e->skipped = (uint32_t)sqlite3_column_int64(st, 7);
	e->seq = (uint32_t)sqlite3_column_int64(st, 8) + 1;
	e->verdict = verdict;
	e->reason = MSG_REASON_OVERRIDE;
	e->decision = 1;
	sqlite3_finalize(st);

	/* the decision it replaces stops counting; then the override's row */
	if (sqlite3_prepare_v2(db, "UPDATE track_events SET decision = 2 WHERE camera = ?1 AND track_id = ?2"
	    " AND decision = 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, track_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (sqlite3_prepare_v2(db, "UPDATE tracks SET verdict = ?3, reason = 'override', override_verdict = ?3,"
	    " override_by = ?4, override_us = ?5, override_note = ?6, decision_us = coalesce(decision_us, ?5)"
	    " WHERE camera = ?1 AND track_id = ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, track_id);
	sqlite3_bind_text(st, 3, msg_verdict_name(verdict), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, now_us);
	sqlite3_bind_text(st, 6, note, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_track_overridden(const char *camera, int64_t track_id)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT override_us IS NOT NULL FROM tracks WHERE camera = ? AND track_id = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, track_id);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : rc == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}
