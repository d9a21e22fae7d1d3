/* db - the notifier's SQLite database: results and persons, committed
 * idempotently, and the queries the HTTP API and the dashboard need.
 *
 * Schema (user_version 1):
 *   results  one row per analysed frame. UNIQUE(camera, frame_id) makes a
 *            worker's replay of a frame a no-op. verdict is the frame's:
 *            'DENY' if any person was denied, 'PASS' if any passed and none
 *            was denied, else 'none'; reason is the first denial's reason.
 *            Times are unix microseconds; temperature NULL when the gate
 *            sent none; snapshot is the path under DIR ('' if none); json
 *            is the item as /api/results serves it, minus its id.
 *            npassed/ndenied count the persons with that verdict, so the
 *            day's figures need no join (db_stats_today).
 *   persons  one row per person in a result, (result_id, idx) unique;
 *            boxes in pixels, NULL when absent; track_id 0 = not tracked.
 * Room is left for user_version 2 (tracks, alerts): db_migrate steps one
 * version at a time, each step in its own transaction. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "result.h"

static sqlite3 *db;
static sqlite3_stmt *st_insert_result, *st_insert_person, *st_find_result;

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

const char *
db_errmsg(void)
{
	return db ? sqlite3_errmsg(db) : "database not open";
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
	if (v == 0) {
		if (db_exec("BEGIN IMMEDIATE", err, errlen) != 0)
			return -1;
		if (db_exec(db_schema_v1, err, errlen) != 0 ||
		    db_exec("PRAGMA user_version = 1", err, errlen) != 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (db_exec("COMMIT", err, errlen) != 0)
			return -1;
	}
	/* v == 1 -> 2 goes here (tracks, alerts). */
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
	if (db_exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
	    err, errlen) != 0 || db_migrate(err, errlen) != 0) {
		db_close();
		return -1;
	}
	if (sqlite3_prepare_v2(db,
	    "INSERT OR IGNORE INTO results (camera, frame_id, received_us, analysed_us, committed_us,"
	    " width, height, temperature, analyse_ms, npersons, verdict, reason, snapshot, json,"
	    " npassed, ndenied) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st_insert_result, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	    "INSERT INTO persons (result_id, idx, body_x, body_y, body_w, body_h, body_score,"
	    " face_x, face_y, face_w, face_h, face_score, mask, mask_score, verdict, reason, track_id)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st_insert_person, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT id FROM results WHERE camera = ? AND frame_id = ?", -1,
	    &st_find_result, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "preparing statements: %s", sqlite3_errmsg(db));
		db_close();
		return -1;
	}
	return 0;
}

void
db_close(void)
{
	sqlite3_finalize(st_insert_result);
	sqlite3_finalize(st_insert_person);
	sqlite3_finalize(st_find_result);
	st_insert_result = st_insert_person = st_find_result = NULL;
	if (db)
		sqlite3_close(db);
	db = NULL;
}

static void
db_bind_box(sqlite3_stmt *st, int col, const struct msg_box *b)
{
	if (!(b->score > 0)) {
		int i;

		for (i = 0; i < 5; i++)
			sqlite3_bind_null(st, col + i);
		return;
	}
	sqlite3_bind_double(st, col, b->x);
	sqlite3_bind_double(st, col + 1, b->y);
	sqlite3_bind_double(st, col + 2, b->w);
	sqlite3_bind_double(st, col + 3, b->h);
	sqlite3_bind_double(st, col + 4, b->score);
}

int
db_commit_result(const struct msg_result *r, int64_t *id)
{
	struct jbuf j;
	unsigned i, verdict, reason;
	int rc = -1, fresh = 0, npassed, ndenied;

	jbuf_init(&j, 0);
	result_json(&j, r);
	if (jbuf_failed(&j)) {
		jbuf_free(&j);
		return -1;
	}
	verdict = result_frame_verdict(r, &reason);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		jbuf_free(&j);
		return -1;
	}
	sqlite3_reset(st_insert_result);
	sqlite3_bind_text(st_insert_result, 1, r->ref.camera, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_insert_result, 2, r->ref.frame_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st_insert_result, 3, r->received_us);
	sqlite3_bind_int64(st_insert_result, 4, r->analysed_us);
	sqlite3_bind_int64(st_insert_result, 5, (sqlite3_int64)util_now_us());
	sqlite3_bind_int(st_insert_result, 6, (int)r->width);
	sqlite3_bind_int(st_insert_result, 7, (int)r->height);
	if (isfinite(r->temperature))
		sqlite3_bind_double(st_insert_result, 8, r->temperature);
	else
		sqlite3_bind_null(st_insert_result, 8);
	sqlite3_bind_double(st_insert_result, 9, isfinite(r->analyse_ms) ? r->analyse_ms : 0);
	sqlite3_bind_int(st_insert_result, 10, (int)r->npersons);
	sqlite3_bind_text(st_insert_result, 11, msg_verdict_name(verdict), -1, SQLITE_STATIC);
	sqlite3_bind_text(st_insert_result, 12, msg_reason_name(reason), -1, SQLITE_STATIC);
	sqlite3_bind_text(st_insert_result, 13, r->snapshot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st_insert_result, 14, jbuf_text(&j), (int)j.len, SQLITE_STATIC);
	for (i = 0, npassed = ndenied = 0; i < r->npersons && i < MSG_PERSONS_MAX; i++) {
		npassed += r->persons[i].verdict == MSG_VERDICT_PASS;
		ndenied += r->persons[i].verdict == MSG_VERDICT_DENY;
	}
	sqlite3_bind_int(st_insert_result, 15, npassed);
	sqlite3_bind_int(st_insert_result, 16, ndenied);
	if (sqlite3_step(st_insert_result) != SQLITE_DONE)
		goto out;
	if (sqlite3_changes(db) == 1) {
		fresh = 1;
		*id = sqlite3_last_insert_rowid(db);
		for (i = 0; i < r->npersons && i < MSG_PERSONS_MAX; i++) {
			const struct msg_person *p = &r->persons[i];
			sqlite3_stmt *st = st_insert_person;

			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, *id);
			sqlite3_bind_int(st, 2, (int)i);
			db_bind_box(st, 3, &p->body);
			db_bind_box(st, 8, &p->face);
			sqlite3_bind_text(st, 13, msg_mask_name(p->mask), -1, SQLITE_STATIC);
			sqlite3_bind_double(st, 14, isfinite(p->mask_score) ? p->mask_score : 0);
			sqlite3_bind_text(st, 15, msg_verdict_name(p->verdict), -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 16, msg_reason_name(p->reason), -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 17, p->track_id);
			if (sqlite3_step(st) != SQLITE_DONE)
				goto out;
		}
	} else {
		sqlite3_reset(st_find_result);
		sqlite3_bind_text(st_find_result, 1, r->ref.camera, -1, SQLITE_STATIC);
		sqlite3_bind_text(st_find_result, 2, r->ref.frame_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st_find_result) != SQLITE_ROW)
			goto out;
		*id = sqlite3_column_int64(st_find_result, 0);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	rc = fresh;
out:
	sqlite3_reset(st_insert_result);
	sqlite3_reset(st_insert_person);
	sqlite3_reset(st_find_result);
	sqlite3_clear_bindings(st_insert_result);
	if (rc < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	jbuf_free(&j);
	return rc;
}

/* db_items - run st (columns id, json) and append the items as a list. */
static int
db_items(struct jbuf *b, sqlite3_stmt *st, int array)
{
	int n = 0, rc;

	if (array)
		jbuf_add(b, "[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++)
			jbuf_add(b, ",");
		result_json_with_id(b, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
	}
	if (array)
		jbuf_add(b, "]");
	else if (n == 0)
		jbuf_add(b, "null");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

int
db_results_json(struct jbuf *b, const struct db_query *q)
{
	char sql[512];
	sqlite3_stmt *st;
	int i = 0;

	snprintf(sql, sizeof(sql), "SELECT id, json FROM results WHERE 1%s%s%s%s%s ORDER BY id DESC LIMIT ?",
	    q->camera ? " AND camera = ?" : "",
	    q->verdict ? " AND verdict = ?" : "",
	    q->since_ms ? " AND received_us >= ?" : "",
	    q->until_ms ? " AND received_us < ?" : "",
	    q->before_id ? " AND id < ?" : "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (q->camera)
		sqlite3_bind_text(st, ++i, q->camera, -1, SQLITE_TRANSIENT);
	if (q->verdict)
		sqlite3_bind_text(st, ++i, q->verdict, -1, SQLITE_TRANSIENT);
	if (q->since_ms)
		sqlite3_bind_int64(st, ++i, q->since_ms * 1000);
	if (q->until_ms)
		sqlite3_bind_int64(st, ++i, q->until_ms * 1000);
	if (q->before_id)
		sqlite3_bind_int64(st, ++i, q->before_id);
	sqlite3_bind_int(st, ++i, q->limit);
	return db_items(b, st, 1);
}

int
db_last_result_json(struct jbuf *b, const char *camera)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT id, json FROM results WHERE camera = ? ORDER BY id DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
	return db_items(b, st, 0);
}

int
db_result_json(struct jbuf *b, int64_t id)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT id, json FROM results WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return db_items(b, st, 0);
}

struct db_counts {
	long long frames, people, passed, denied;
};

static void
db_counts_json(struct jbuf *b, const struct db_counts *c)
{
	jbuf_add(b, "{\"frames\":%lld,\"people\":%lld,\"passed\":%lld,\"denied\":%lld}",
	    c->frames, c->people, c->passed, c->denied);
}

/* db_today - local midnight today and tomorrow, unix microseconds. */
static void
db_today(int64_t *start, int64_t *end, char date[16])
{
	time_t now = time(NULL), t0, t1;
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

/* "people" today = persons in today's results (frames received today, local
 * time); passed/denied = persons with that verdict. When tracking lands,
 * people become distinct tracks: change it here, and only here.
 * One range scan of results (covering index results_day), no join: rows are
 * grouped by whole hours elapsed since local midnight, and each such hour
 * is named by its local clock hour in C, so a DST change day (23 or 25
 * hours) still lands in the right buckets. */
int
db_stats_today(struct jbuf *b)
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
	db_today(&t0, &t1, date);
	if (sqlite3_prepare_v2(db,
	    "SELECT camera, (received_us - ?1) / 3600000000 AS k, COUNT(*), SUM(npersons),"
	    " SUM(npassed), SUM(ndenied) FROM results"
	    " WHERE received_us >= ?1 AND received_us < ?2 GROUP BY camera, k ORDER BY camera", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, t0);
	sqlite3_bind_int64(st, 2, t1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cam = (const char *)sqlite3_column_text(st, 0);
		time_t mid = (time_t)(t0 / 1000000) + (time_t)sqlite3_column_int64(st, 1) * 3600 + 1800;
		struct db_counts c;
		struct tm tm;
		int h;

		localtime_r(&mid, &tm);
		h = tm.tm_hour;
		c.frames = sqlite3_column_int64(st, 2);
		c.people = sqlite3_column_int64(st, 3);
		c.passed = sqlite3_column_int64(st, 4);
		c.denied = sqlite3_column_int64(st, 5);
		for (i = 0; i < ncam; i++)
			if (strcmp(cams[i].id, cam) == 0)
				break;
		if (i == ncam && ncam < NCAM) {
			util_strlcpy(cams[i].id, cam, sizeof(cams[i].id));
			memset(&cams[i].c, 0, sizeof(cams[i].c));
			ncam++;
		}
		if (i < ncam) {
			cams[i].c.frames += c.frames;
			cams[i].c.people += c.people;
			cams[i].c.passed += c.passed;
			cams[i].c.denied += c.denied;
		}
		total.frames += c.frames;
		total.people += c.people;
		total.passed += c.passed;
		total.denied += c.denied;
		if (h >= 0 && h < 24) {
			hours[h].people += c.people;
			hours[h].passed += c.passed;
			hours[h].denied += c.denied;
			hours[h].frames += c.frames;
		}
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
		jbuf_add(b, "%s{\"hour\":%d,\"people\":%lld,\"passed\":%lld,\"denied\":%lld}", i ? "," : "",
		    i, hours[i].people, hours[i].passed, hours[i].denied);
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
