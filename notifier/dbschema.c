/* dbschema - the notifier's SQLite schema and its migrations: people
 * (tracks), what happened to them (track events), alerts. docs/ARCHITECTURE.md, section Database, has the picture.
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
 *   webhook_outbox  the webhook's delivery queue (outbox.c).
 * Index tracks_open (open tracks only, for stale.c) is created if missing,
 * outside the versions: it changes no table.
 * Version 1's per-frame tables (results, persons) are kept as they were,
 * no longer written: frames without tracks say nothing about people, so
 * nothing in them migrates. dbschema_migrate steps one version at a time, each
 * step in its own transaction. */
#include <stdio.h>

#include "dbschema.h"
#include "outbox.h"

/* The track_events columns (version 2, and again in 3 with more kinds)
 * and the index the day's figures read. */
#define DBSCHEMA_EVENT_COLS(kinds) \
    " id INTEGER PRIMARY KEY," \
    " camera TEXT NOT NULL," \
    " track_id INTEGER NOT NULL," \
    " seq INTEGER NOT NULL," \
    " kind TEXT NOT NULL CHECK (kind IN (" kinds "))," \
    " verdict TEXT NOT NULL CHECK (verdict IN ('PASS','DENY','none'))," \
    " reason TEXT NOT NULL," \
    " decision INTEGER NOT NULL," \
    " at_us INTEGER NOT NULL," \
    " frame_id TEXT NOT NULL," \
    " json TEXT NOT NULL," \
    " UNIQUE (camera, track_id, seq));"
#define DBSCHEMA_EVENTS_DAY \
    "CREATE INDEX track_events_day ON track_events (at_us, camera, kind, decision, verdict);"

static const char dbschema_v1[] =
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

static const char dbschema_v2[] =
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
    DBSCHEMA_EVENT_COLS("'new','changed','ended','alert'")
    DBSCHEMA_EVENTS_DAY
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

static const char dbschema_v3[] =
    "CREATE TABLE track_events_v3 ("
    DBSCHEMA_EVENT_COLS("'new','changed','ended','alert','prompt','override'")
    "INSERT INTO track_events_v3 SELECT id, camera, track_id, seq, kind, verdict, reason, decision,"
    " at_us, frame_id, json FROM track_events;"
    "DROP TABLE track_events;"
    "ALTER TABLE track_events_v3 RENAME TO track_events;"
    DBSCHEMA_EVENTS_DAY
    "ALTER TABLE tracks ADD COLUMN override_verdict TEXT;"
    "ALTER TABLE tracks ADD COLUMN override_by TEXT;"
    "ALTER TABLE tracks ADD COLUMN override_us INTEGER;"
    "ALTER TABLE tracks ADD COLUMN override_note TEXT;";

static int
dbschema_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
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
dbschema_version(sqlite3 *db)
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

/* dbschema_step - run one migration step in its own transaction. */
static int
dbschema_step(sqlite3 *db, int version, const char *sql, char *err, size_t errlen)
{
	char pragma[64];

	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	if (dbschema_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (dbschema_exec(db, sql, err, errlen) != 0 || dbschema_exec(db, pragma, err, errlen) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return dbschema_exec(db, "COMMIT", err, errlen);
}

int
dbschema_migrate(sqlite3 *db, char *err, size_t errlen)
{
	int v = dbschema_version(db);

	if (v < 0) {
		snprintf(err, errlen, "reading user_version: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (v > DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %d is newer than this program (%d)", v, DB_SCHEMA_VERSION);
		return -1;
	}
	if (v < 1 && dbschema_step(db, 1, dbschema_v1, err, errlen) != 0)
		return -1;
	if (v < 2 && dbschema_step(db, 2, dbschema_v2, err, errlen) != 0)
		return -1;
	if (v < 3 && dbschema_step(db, 3, dbschema_v3, err, errlen) != 0)
		return -1;
	/* Open tracks, for stale.c; not part of a version: created if missing. */
	if (dbschema_exec(db, "CREATE INDEX IF NOT EXISTS tracks_open ON tracks (camera, track_id) WHERE ended_us IS NULL",
	    err, errlen) != 0)
		return -1;
	if (outbox_schema(db) != 0) {
		snprintf(err, errlen, "webhook outbox: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

