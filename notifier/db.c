/* db - the notifier's SQLite database: people (tracks), what happened to
 * them (track events), alerts, and the queries the HTTP API and the
 * dashboard need. docs/ARCHITECTURE.md, section Database, has the picture.
 *
 * Schema (user_version 3; times are unix microseconds):
 *   tracks        one row per person per visit, UNIQUE(camera, track_id):
 *                 first/last seen, the settled verdict, reason and mask,
 *                 the time of the gate decision (first settle), the best
 *                 snapshot (path under DIR, '' if none), looks/skipped
 *                 counts, ended_us (NULL while present). Updated only by a
 *                 new track event.
 *   track_events  one row per event, UNIQUE(camera, track_id, seq): a
 *                 worker's replay of a result after a crash inserts
 *                 nothing. kind new|changed|ended|alert; decision 1 marks
 *                 the gate decision; at_us is when it happened (the
 *                 frame's receive time). The day's figures are counted
 *                 from these rows (index track_events_day covers them).
 *                 Version 3: kinds prompt (a gate asked the person to show
 *                 their face) and override (a supervisor's verdict, seq from
 *                 MSG_SEQ_NOTIFIER); decision 2 marks a decision that an
 *                 override replaced, so decision = 1 is always the person's
 *                 outcome that counts; tracks gain override_verdict,
 *                 override_by, override_us, override_note.
 *   alerts        one row per alert; acked_us/acked_by NULL while open;
 *                 json holds the details served with it.
 *   webhook_outbox  webhook.c's delivery queue (webhook_schema).
 * Index tracks_open (open tracks only, for stale.c) is created if missing,
 * outside the versions: it changes no table.
 * Version 1's per-frame tables (results, persons) are kept as they were,
 * no longer written: frames without tracks say nothing about people, so
 * nothing in them migrates. db_migrate steps one version at a time, each
 * step in its own transaction. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "result.h"
#include "webhook.h"

/* Only test/bench/sync_cost.sh builds a notifier with NORMAL, to measure
 * what FULL costs in the same run. */
#ifndef DB_SYNCHRONOUS
#define DB_SYNCHRONOUS "FULL"
#endif

static sqlite3 *db;
static sqlite3_stmt *st_event, *st_track, *st_alert;

static const char db_schema_v1[] =
    "CREATE TABLE results ("
    " id INTEGER PRIMARY KEY,"
    " camera TEXT NOT NULL,"
    " frame_id TEXT NOT NULL,"
    " received_us INTEGER NOT NULL,"
    " analysed_us INTEGER NOT NULL,"
    " committed_us INTEGER NOT NULL,"
    " width INTEGER NOT NULL,"
    " height INTEGER NOT NULL,"
    " temperature REAL,"
    " analyse_ms REAL,"
    " npersons INTEGER NOT NULL,"
    " npassed INTEGER NOT NULL,"
    " ndenied INTEGER NOT NULL,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('PASS','DENY','none')),"
    " reason TEXT NOT NULL,"
    " snapshot TEXT NOT NULL,"
    " json TEXT NOT NULL,"
    " UNIQUE (camera, frame_id));"
    "CREATE INDEX results_day ON results (received_us, camera, npersons, npassed, ndenied);"
    "CREATE INDEX results_camera_id ON results (camera, id);"
    "CREATE INDEX results_verdict_id ON results (verdict, id);"
    "CREATE TABLE persons ("
    " result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL,"
    " body_x REAL, body_y REAL, body_w REAL, body_h REAL, body_score REAL,"
    " face_x REAL, face_y REAL, face_w REAL, face_h REAL, face_score REAL,"
    " mask TEXT NOT NULL,"
    " mask_score REAL,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('PASS','DENY','none')),"
    " reason TEXT NOT NULL,"
    " track_id INTEGER NOT NULL,"
    " PRIMARY KEY (result_id, idx));";

static const char db_schema_v2[] =
    "CREATE TABLE tracks ("
    " id INTEGER PRIMARY KEY,"
    " camera TEXT NOT NULL,"
    " track_id INTEGER NOT NULL,"
    " first_seen_us INTEGER NOT NULL,"
    " last_seen_us INTEGER NOT NULL,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('PASS','DENY','none')),"
    " reason TEXT NOT NULL,"
    " mask TEXT NOT NULL,"
    " mask_score REAL,"
    " temperature REAL,"
    " decision_us INTEGER,"
    " snapshot TEXT NOT NULL,"
    " looks INTEGER NOT NULL,"
    " skipped INTEGER NOT NULL,"
    " ended_us INTEGER,"
    " UNIQUE (camera, track_id));"
    "CREATE INDEX tracks_camera_id ON tracks (camera, id);"
    "CREATE INDEX tracks_verdict_id ON tracks (verdict, id);"
    "CREATE TABLE track_events ("
    " id INTEGER PRIMARY KEY,"
    " camera TEXT NOT NULL,"
    " track_id INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('new','changed','ended','alert')),"
    " verdict TEXT NOT NULL CHECK (verdict IN ('PASS','DENY','none')),"
    " reason TEXT NOT NULL,"
    " decision INTEGER NOT NULL,"
    " at_us INTEGER NOT NULL,"
    " frame_id TEXT NOT NULL,"
    " json TEXT NOT NULL,"
    " UNIQUE (camera, track_id, seq));"
    "CREATE INDEX track_events_day ON track_events (at_us, camera, kind, decision, verdict);"
    "CREATE TABLE alerts ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " camera TEXT NOT NULL,"
    " track_id INTEGER NOT NULL,"
    " raised_us INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " acked_us INTEGER,"
    " acked_by TEXT,"
    " json TEXT NOT NULL);"
    "CREATE INDEX alerts_open ON alerts (id) WHERE acked_us IS NULL;";

static const char db_schema_v3[] =
    "CREATE TABLE track_events_v3 ("
    " id INTEGER PRIMARY KEY,"
    " camera TEXT NOT NULL,"
    " track_id INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('new','changed','ended','alert','prompt','override')),"
    " verdict TEXT NOT NULL CHECK (verdict IN ('PASS','DENY','none')),"
    " reason TEXT NOT NULL,"
    " decision INTEGER NOT NULL,"
    " at_us INTEGER NOT NULL,"
    " frame_id TEXT NOT NULL,"
    " json TEXT NOT NULL,"
    " UNIQUE (camera, track_id, seq));"
    "INSERT INTO track_events_v3 SELECT id, camera, track_id, seq, kind, verdict, reason, decision,"
    " at_us, frame_id, json FROM track_events;"
    "DROP TABLE track_events;"
    "ALTER TABLE track_events_v3 RENAME TO track_events;"
    "CREATE INDEX track_events_day ON track_events (at_us, camera, kind, decision, verdict);"
    "ALTER TABLE tracks ADD COLUMN override_verdict TEXT;"
    "ALTER TABLE tracks ADD COLUMN override_by TEXT;"
    "ALTER TABLE tracks ADD COLUMN override_us INTEGER;"
    "ALTER TABLE tracks ADD COLUMN override_note TEXT;";

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

static int
db_exec(const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
db_user_version(void)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* db_step_to - run one migration step in its own transaction. */
static int
db_step_to(int version, const char *sql, char *err, size_t errlen)
{
	char pragma[64];

	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	if (db_exec("BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (db_exec(sql, err, errlen) != 0 || db_exec(pragma, err, errlen) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return db_exec("COMMIT", err, errlen);
}

/* db_migrate - bring the schema from its version to DB_SCHEMA_VERSION. */
static int
db_migrate(char *err, size_t errlen)
{
	int v = db_user_version();

	if (v < 0) {
		snprintf(err, errlen, "reading user_version: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (v > DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %d is newer than this program (%d)", v, DB_SCHEMA_VERSION);
		return -1;
	}
	if (v < 1 && db_step_to(1, db_schema_v1, err, errlen) != 0)
		return -1;
	if (v < 2 && db_step_to(2, db_schema_v2, err, errlen) != 0)
		return -1;
	if (v < 3 && db_step_to(3, db_schema_v3, err, errlen) != 0)
		return -1;
	/* Open tracks, for stale.c; not part of a version: created if missing. */
	if (db_exec("CREATE INDEX IF NOT EXISTS tracks_open ON tracks (camera, track_id) WHERE ended_us IS NULL",
	    err, errlen) != 0)
		return -1;
	if (webhook_schema(db) != 0) {
		snprintf(err, errlen, "webhook outbox: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
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
	if (db_exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=" DB_SYNCHRONOUS "; PRAGMA foreign_keys=ON",
	    err, errlen) != 0 || db_migrate(err, errlen) != 0) {
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
		const char *snap = (const char *)sqlite3_column_text(st, 8);

		memset(x, 0, sizeof(*x));
		x->track_id = sqlite3_column_int64(st, 0);
		x->kind = MSG_TRACK_ENDED;
		x->seq = (uint32_t)sqlite3_column_int64(st, 11) + 1;
		x->first_seen_us = sqlite3_column_int64(st, 1);
		x->last_seen_us = sqlite3_column_int64(st, 2);
		x->verdict = db_name_index((const char *)sqlite3_column_text(st, 3), msg_verdict_name, 3);
		x->reason = db_name_index((const char *)sqlite3_column_text(st, 4), msg_reason_name, 5);
		x->mask = db_name_index((const char *)sqlite3_column_text(st, 5), msg_mask_name, 4);
		x->mask_score = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : (float)sqlite3_column_double(st, 6);
		x->temperature = sqlite3_column_type(st, 7) == SQLITE_NULL ? NAN : (float)sqlite3_column_double(st, 7);
		if (snap)
			util_strlcpy(x->snapshot, snap, sizeof(x->snapshot));
		x->looks = (uint32_t)sqlite3_column_int64(st, 9);
		x->skipped = (uint32_t)sqlite3_column_int64(st, 10);
	}
	if (n == max)
		rc = SQLITE_DONE;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
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

/* db_ms - append microseconds column col as milliseconds, or null. */
static void
db_ms(struct jbuf *b, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		jbuf_add(b, "null");
	else
		jbuf_add(b, "%lld", (long long)(sqlite3_column_int64(st, col) / 1000));
}

static void
db_real(struct jbuf *b, sqlite3_stmt *st, int col, double scale)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		jbuf_add(b, "null");
	else
		jbuf_num(b, round(sqlite3_column_double(st, col) * scale) / scale);
}

#define DB_TRACK_COLS "id, camera, track_id, first_seen_us, last_seen_us, verdict, reason, mask," \
	" mask_score, temperature, decision_us, snapshot, looks, skipped, ended_us," \
	" override_verdict, override_by, override_us, override_note"

/* db_track_item - one tracks row (DB_TRACK_COLS) as the API's item:
 *   {"id":N,"camera":"gate1","track":1732490000000007,"first_seen_ms":..,
 *    "last_seen_ms":..,"verdict":"PASS|DENY|none","reason":"..",
 *    "mask":"mask_on",..,"mask_score":0.97,"temperature":36.6|null,
 *    "decision_ms":..|null,"snapshot":"/snapshots/gate1/<track>.jpg"|null,
 *    "looks":5,"skipped":40,"ended_ms":..|null,
 *    "override":{"verdict":"PASS","by":"..","at_ms":..,"note":".."}|null}
 * With an override, verdict and reason ("override") are the supervisor's. */
static void
db_track_item(struct jbuf *b, sqlite3_stmt *st)
{
	const char *cam = (const char *)sqlite3_column_text(st, 1);
	const char *snap = (const char *)sqlite3_column_text(st, 11);
	long long track = sqlite3_column_int64(st, 2);

	jbuf_add(b, "{\"id\":%lld,\"camera\":", (long long)sqlite3_column_int64(st, 0));
	jbuf_str(b, cam);
	jbuf_add(b, ",\"track\":%lld,\"first_seen_ms\":", track);
	db_ms(b, st, 3);
	jbuf_add(b, ",\"last_seen_ms\":");
	db_ms(b, st, 4);
	jbuf_add(b, ",\"verdict\":");
	jbuf_str(b, (const char *)sqlite3_column_text(st, 5));
	jbuf_add(b, ",\"reason\":");
	jbuf_str(b, (const char *)sqlite3_column_text(st, 6));
	jbuf_add(b, ",\"mask\":");
	jbuf_str(b, (const char *)sqlite3_column_text(st, 7));
	jbuf_add(b, ",\"mask_score\":");
	db_real(b, st, 8, 1000);
	jbuf_add(b, ",\"temperature\":");
	db_real(b, st, 9, 100);
	jbuf_add(b, ",\"decision_ms\":");
	db_ms(b, st, 10);
	jbuf_add(b, ",\"snapshot\":");
	if (snap && snap[0] && cam)
		jbuf_add(b, "\"/snapshots/%s/%lld.jpg\"", cam, track);
	else
		jbuf_add(b, "null");
	jbuf_add(b, ",\"looks\":%lld,\"skipped\":%lld,\"ended_ms\":", (long long)sqlite3_column_int64(st, 12),
	    (long long)sqlite3_column_int64(st, 13));
	db_ms(b, st, 14);
	jbuf_add(b, ",\"override\":");
	if (sqlite3_column_type(st, 17) == SQLITE_NULL)
		jbuf_add(b, "null");
	else {
		jbuf_add(b, "{\"verdict\":");
		jbuf_str(b, (const char *)sqlite3_column_text(st, 15));
		jbuf_add(b, ",\"by\":");
		jbuf_str(b, (const char *)sqlite3_column_text(st, 16));
		jbuf_add(b, ",\"at_ms\":");
		db_ms(b, st, 17);
		jbuf_add(b, ",\"note\":");
		jbuf_str(b, (const char *)sqlite3_column_text(st, 18));
		jbuf_add(b, "}");
	}
	jbuf_add(b, "}");
}

#define DB_ALERT_COLS "id, camera, track_id, raised_us, reason, acked_us, acked_by, json"

/* db_alert_item - one alerts row (DB_ALERT_COLS) as the API's item:
 *   {"id":12,"camera":"hall","track":..,"raised_ms":..,"reason":"no_mask",
 *    "acked_ms":..|null,"acked_by":".."|null, + the members of json:
 *    "camera_name","verdict","mask","since_ms","snapshot"} */
static void
db_alert_item(struct jbuf *b, sqlite3_stmt *st)
{
	const char *json = (const char *)sqlite3_column_text(st, 7);

	jbuf_add(b, "{\"id\":%lld,\"camera\":", (long long)sqlite3_column_int64(st, 0));
	jbuf_str(b, (const char *)sqlite3_column_text(st, 1));
	jbuf_add(b, ",\"track\":%lld,\"raised_ms\":", (long long)sqlite3_column_int64(st, 2));
	db_ms(b, st, 3);
	jbuf_add(b, ",\"reason\":");
	jbuf_str(b, (const char *)sqlite3_column_text(st, 4));
	jbuf_add(b, ",\"acked_ms\":");
	db_ms(b, st, 5);
	jbuf_add(b, ",\"acked_by\":");
	jbuf_str(b, (const char *)sqlite3_column_text(st, 6));
	if (json && json[0] == '{' && json[1] != '}' && json[1] != '\0') {
		jbuf_add(b, ",");
		jbuf_mem(b, json + 1, strlen(json + 1));
	} else
		jbuf_add(b, "}");
}

/* db_items - run st and append its rows with item(), as an array, or as
 * one item / null. Finalizes st. Returns the row count or -1. */
static int
db_items(struct jbuf *b, sqlite3_stmt *st, int array, void (*item)(struct jbuf *, sqlite3_stmt *))
{
	int n = 0, rc;

	if (array)
		jbuf_add(b, "[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++)
			jbuf_add(b, ",");
		item(b, st);
	}
	if (array)
		jbuf_add(b, "]");
	else if (n == 0)
		jbuf_add(b, "null");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

int
db_alert_json(struct jbuf *b, int64_t id)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT " DB_ALERT_COLS " FROM alerts WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return db_items(b, st, 0, db_alert_item);
}

int
db_alerts_json(struct jbuf *b, int open_only, int limit)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, open_only ?
	    "SELECT " DB_ALERT_COLS " FROM alerts WHERE acked_us IS NULL ORDER BY id DESC LIMIT ?" :
	    "SELECT " DB_ALERT_COLS " FROM alerts ORDER BY id DESC LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int(st, 1, limit);
	return db_items(b, st, 1, db_alert_item);
}

int
db_tracks_json(struct jbuf *b, const struct db_query *q)
{
	char sql[512];
	sqlite3_stmt *st;
	int i = 0;

	snprintf(sql, sizeof(sql), "SELECT " DB_TRACK_COLS " FROM tracks WHERE 1%s%s%s%s%s%s ORDER BY id DESC LIMIT ?",
	    q->camera ? " AND camera = ?" : "",
	    q->track ? " AND track_id = ?" : "",
	    q->verdict ? " AND verdict = ?" : "",
	    q->since_ms ? " AND last_seen_us >= ?" : "",
	    q->until_ms ? " AND first_seen_us < ?" : "",
	    q->before ? " AND id < ?" : "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
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
	return db_items(b, st, 1, db_track_item);
}

int
db_last_track_json(struct jbuf *b, const char *camera)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT " DB_TRACK_COLS " FROM tracks WHERE camera = ? ORDER BY id DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	return db_items(b, st, 0, db_track_item);
}

struct db_counts {
	long long people, passed, denied, alerts, overrides;
};

static void
db_counts_json(struct jbuf *b, const struct db_counts *c)
{
	jbuf_add(b, "{\"people\":%lld,\"passed\":%lld,\"denied\":%lld,\"alerts\":%lld,\"overrides\":%lld}",
	    c->people, c->passed, c->denied, c->alerts, c->overrides);
}

static void
db_counts_add(struct db_counts *to, const struct db_counts *c)
{
	to->people += c->people;
	to->passed += c->passed;
	to->denied += c->denied;
	to->alerts += c->alerts;
	to->overrides += c->overrides;
}

/* db_today - local midnight of the day holding now, and of the next day,
 * unix microseconds. */
static void
db_today(time_t now, int64_t *start, int64_t *end, char date[16])
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

/* What the day's figures mean, from the stored track events of today
 * (local time), so they survive any restart:
 *   people  tracks confirmed (a 'new' event) in that hour
 *   passed  tracks whose gate decision (decision = 1) was PASS
 *   denied  tracks whose gate decision was DENY
 *           (a supervisor's override is the decision that counts: the one
 *           it replaced has decision = 2, and the person moves from denied
 *           to passed, or back, in the hour of the override)
 *   overrides  supervisor overrides
 *   alerts  alerts raised
 * One range scan of the covering index track_events_day, no join: rows
 * are grouped by whole hours elapsed since local midnight, and each such
 * hour is named by its local clock hour in C, so a DST change day (23 or
 * 25 hours) still lands in the right buckets. */
int
db_stats_today(struct jbuf *b)
{
	return db_stats_day(b, time(NULL));
}

int
db_stats_day(struct jbuf *b, time_t day)
{
	enum { NCAM = 128 };
	static struct { char id[CAMERA_ID_SIZE]; struct db_counts c; } cams[NCAM];
	struct db_counts total, hours[24];
	sqlite3_stmt *st;
	int64_t t0, t1;
	char date[16];
	int ncam = 0, i, rc;

	memset(&total, 0, sizeof(total));
	memset(hours, 0, sizeof(hours));
	db_today(day, &t0, &t1, date);
	if (sqlite3_prepare_v2(db,
	    "SELECT camera, (at_us - ?1) / 3600000000 AS k, sum(kind = 'new'),"
	    " sum(decision = 1 AND verdict = 'PASS'), sum(decision = 1 AND verdict = 'DENY'),"
	    " sum(kind = 'alert'), sum(kind = 'override') FROM track_events"
	    " WHERE at_us >= ?1 AND at_us < ?2 GROUP BY camera, k ORDER BY camera", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, t0);
	sqlite3_bind_int64(st, 2, t1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cam = (const char *)sqlite3_column_text(st, 0);
		time_t mid = (time_t)(t0 / 1000000) + (time_t)sqlite3_column_int64(st, 1) * 3600 + 1800;
		struct db_counts c;
		struct tm tm;

		localtime_r(&mid, &tm);
		c.people = sqlite3_column_int64(st, 2);
		c.passed = sqlite3_column_int64(st, 3);
		c.denied = sqlite3_column_int64(st, 4);
		c.alerts = sqlite3_column_int64(st, 5);
		c.overrides = sqlite3_column_int64(st, 6);
		for (i = 0; i < ncam; i++)
			if (strcmp(cams[i].id, cam) == 0)
				break;
		if (i == ncam && ncam < NCAM) {
			util_strlcpy(cams[i].id, cam, sizeof(cams[i].id));
			memset(&cams[i].c, 0, sizeof(cams[i].c));
			ncam++;
		}
		if (i < ncam)
			db_counts_add(&cams[i].c, &c);
		db_counts_add(&total, &c);
		if (tm.tm_hour >= 0 && tm.tm_hour < 24)
			db_counts_add(&hours[tm.tm_hour], &c);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	jbuf_add(b, "{\"date\":\"%s\",\"total\":", date);
	db_counts_json(b, &total);
	jbuf_add(b, ",\"cameras\":{");
	for (i = 0; i < ncam; i++) {
		jbuf_add(b, "%s", i ? "," : "");
		jbuf_str(b, cams[i].id);
		jbuf_add(b, ":");
		db_counts_json(b, &cams[i].c);
	}
	jbuf_add(b, "},\"hours\":[");
	for (i = 0; i < 24; i++)
		jbuf_add(b, "%s{\"hour\":%d,\"people\":%lld,\"passed\":%lld,\"denied\":%lld,\"alerts\":%lld}",
		    i ? "," : "", i, hours[i].people, hours[i].passed, hours[i].denied, hours[i].alerts);
	jbuf_add(b, "]}");
	return 0;
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
		const char *snap = (const char *)sqlite3_column_text(st, 8);

		memset(x, 0, sizeof(*x));
		util_strlcpy(x->camera, camera, sizeof(x->camera));
		x->track_id = sqlite3_column_int64(st, 0);
		x->first_seen_us = sqlite3_column_int64(st, 1);
		x->last_seen_us = sqlite3_column_int64(st, 2);
		x->verdict = db_name_index((const char *)sqlite3_column_text(st, 3), msg_verdict_name, 3);
		x->reason = db_name_index((const char *)sqlite3_column_text(st, 4), msg_reason_name, MSG_REASONS);
		x->mask = db_name_index((const char *)sqlite3_column_text(st, 5), msg_mask_name, 4);
		x->mask_score = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : (float)sqlite3_column_double(st, 6);
		x->temperature = sqlite3_column_type(st, 7) == SQLITE_NULL ? NAN : (float)sqlite3_column_double(st, 7);
		if (snap)
			util_strlcpy(x->snapshot, snap, sizeof(x->snapshot));
		x->looks = (uint32_t)sqlite3_column_int64(st, 9);
		x->skipped = (uint32_t)sqlite3_column_int64(st, 10);
		x->decided = (uint32_t)sqlite3_column_int(st, 11);
		x->seq = (uint32_t)sqlite3_column_int64(st, 12);
		x->prompted = (uint32_t)sqlite3_column_int(st, 13);
		x->alert_us = sqlite3_column_int64(st, 14);
		db_box(st, 15, &x->body);
		db_box(st, 16, &x->face);
		x->frames = (uint32_t)sqlite3_column_int64(st, 17);
	}
	if (n == max)
		rc = SQLITE_DONE;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
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

int
db_stats_range(struct jbuf *b, int64_t t0_us, int64_t t1_us, const char *bucket, const char *camera)
{
	enum { NCAM = 128 };
	static struct { char id[CAMERA_ID_SIZE]; struct db_counts c; } cams[NCAM];
	struct db_counts total, c;
	sqlite3_stmt *st;
	int ncam = 0, i, rc, n = 0;

	memset(&total, 0, sizeof(total));
	if (sqlite3_prepare_v2(db,
	    "SELECT strftime(?3, at_us / 1000000, 'unixepoch', 'localtime') AS k, camera, sum(kind = 'new'),"
	    " sum(decision = 1 AND verdict = 'PASS'), sum(decision = 1 AND verdict = 'DENY'),"
	    " sum(kind = 'alert'), sum(kind = 'override') FROM track_events"
	    " WHERE at_us >= ?1 AND at_us < ?2 AND (?4 IS NULL OR camera = ?4)"
	    " GROUP BY k, camera ORDER BY k, camera", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, t0_us);
	sqlite3_bind_int64(st, 2, t1_us);
	sqlite3_bind_text(st, 3, bucket, -1, SQLITE_TRANSIENT);
	if (camera)
		sqlite3_bind_text(st, 4, camera, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 4);
	jbuf_add(b, "{\"buckets\":[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cam = (const char *)sqlite3_column_text(st, 1);

		c.people = sqlite3_column_int64(st, 2);
		c.passed = sqlite3_column_int64(st, 3);
		c.denied = sqlite3_column_int64(st, 4);
		c.alerts = sqlite3_column_int64(st, 5);
		c.overrides = sqlite3_column_int64(st, 6);
		jbuf_add(b, "%s{\"bucket\":", n++ ? "," : "");
		jbuf_str(b, (const char *)sqlite3_column_text(st, 0));
		jbuf_add(b, ",\"camera\":");
		jbuf_str(b, cam);
		jbuf_add(b, ",\"counts\":");
		db_counts_json(b, &c);
		jbuf_add(b, "}");
		for (i = 0; i < ncam; i++)
			if (strcmp(cams[i].id, cam) == 0)
				break;
		if (i == ncam && ncam < NCAM) {
			util_strlcpy(cams[i].id, cam, sizeof(cams[i].id));
			memset(&cams[i].c, 0, sizeof(cams[i].c));
			ncam++;
		}
		if (i < ncam)
			db_counts_add(&cams[i].c, &c);
		db_counts_add(&total, &c);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	jbuf_add(b, "],\"total\":");
	db_counts_json(b, &total);
	jbuf_add(b, ",\"cameras\":{");
	for (i = 0; i < ncam; i++) {
		jbuf_add(b, "%s", i ? "," : "");
		jbuf_str(b, cams[i].id);
		jbuf_add(b, ":");
		db_counts_json(b, &cams[i].c);
	}
	jbuf_add(b, "}}");
	return 0;
}
