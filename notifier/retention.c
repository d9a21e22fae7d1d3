/* retention - delete what is older than retention.days from the database.
 *
 * SQLite has one writer, the loop thread (db.h), so the deletes run there,
 * RETENTION_BATCH rows per transaction with RETENTION_GAP_MS between
 * transactions: a backlog of a million rows costs many short pauses of a
 * few milliseconds, never one long one, and results keep committing in
 * between. A person's row goes only once the person has left (ended_us
 * set), an alert only once acknowledged; an open one is kept however old.
 * The audit trail's entries go at the same age.
 * Each table's time column is indexed (created here if missing), so a
 * batch finds its rows without a scan. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cams.h"
#include "db.h"
#include "log.h"
#include "retention.h"
#include "util.h"

#define RETENTION_FIRST_MS 2000          /* first run soon after start */
#define RETENTION_EVERY_MS (3600 * 1000) /* then hourly */
#define RETENTION_GAP_MS 20              /* loop time between two batches */
#define RETENTION_BATCH 500              /* rows per transaction */

struct retention_table {
	const char *name;
	const char *sql; /* ?1 cutoff_us, ?2 batch size */
};

/* Children before parents: persons before results. */
#define RETENTION_PEOPLE 1  /* the index of "people" below */
static const struct retention_table retention_tables[] = {
	{ "track events", "DELETE FROM track_events WHERE id IN (SELECT id FROM track_events"
	    " WHERE at_us < ?1 ORDER BY at_us LIMIT ?2)" },
	{ "people", "DELETE FROM tracks WHERE id IN (SELECT id FROM tracks"
	    " WHERE last_seen_us < ?1 AND ended_us IS NOT NULL ORDER BY last_seen_us LIMIT ?2)" },
	{ "alerts", "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts"
	    " WHERE raised_us < ?1 AND acked_us IS NOT NULL ORDER BY raised_us LIMIT ?2)" },
	{ "frame persons", "DELETE FROM persons WHERE result_id IN (SELECT id FROM results"
	    " WHERE received_us < ?1 ORDER BY received_us LIMIT ?2)" },
	{ "frame results", "DELETE FROM results WHERE id IN (SELECT id FROM results"
	    " WHERE received_us < ?1 ORDER BY received_us LIMIT ?2)" },
	{ "audit entries", "DELETE FROM audit WHERE id IN (SELECT id FROM audit"
	    " WHERE at_us < ?1 ORDER BY at_us LIMIT ?2)" },           /* audit_at: authdb.c */
};
#define RETENTION_NTABLES (sizeof(retention_tables) / sizeof(retention_tables[0]))

static const char retention_indexes[] =
    "CREATE INDEX IF NOT EXISTS tracks_last_seen ON tracks (last_seen_us) WHERE ended_us IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS alerts_raised ON alerts (raised_us);";

static struct {
	uv_timer_t timer;
	int started, days;
	int table;          /* -1: idle; else the table being pruned */
	int64_t cutoff_us;
	long deleted[RETENTION_NTABLES];
	sqlite3_stmt *st[RETENTION_NTABLES]; /* owned, finalized in retention_stop */
} rt;

static void retention_tick(uv_timer_t *t);

static void
retention_report(void)
{
	char line[512];
	size_t i, n = 0;
	long total = 0;

	for (i = 0; i < RETENTION_NTABLES; i++)
		total += rt.deleted[i];
	if (total == 0)
		return;
	for (i = 0; i < RETENTION_NTABLES && n < sizeof(line); i++)
		if (rt.deleted[i] > 0)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%ld %s", n ? ", " : "",
			    rt.deleted[i], retention_tables[i].name);
	log_info(NULL, "retention: deleted what is older than %d days: %s", rt.days, line);
}

/* retention_batch - one transaction on the current table. Returns the rows
 * deleted, or -1 on a database error (logged; the run ends). */
static int
retention_batch(void)
{
	sqlite3_stmt *st = rt.st[rt.table];
	int n;

	if (db_begin() != 0) {
		log_error(NULL, "retention: begin: %s", db_errmsg());
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, rt.cutoff_us);
	sqlite3_bind_int(st, 2, RETENTION_BATCH);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_error(NULL, "retention: %s: %s", retention_tables[rt.table].name, db_errmsg());
		sqlite3_reset(st);
		db_rollback();
		return -1;
	}
	n = sqlite3_changes(db_handle());
	sqlite3_reset(st);
	if (db_commit() != 0) {
		log_error(NULL, "retention: commit: %s", db_errmsg());
		db_rollback();
		return -1;
	}
	if (n > 0 && rt.table == RETENTION_PEOPLE)
		cams_tracks_deleted(); /* a camera's newest person may be gone */
	return n;
}

static void
retention_tick(uv_timer_t *t)
{
	int n;

	if (rt.table < 0) { /* a new run */
		rt.cutoff_us = (int64_t)util_now_us() - (int64_t)rt.days * 86400LL * 1000000LL;
		memset(rt.deleted, 0, sizeof(rt.deleted));
		rt.table = 0;
	}
	n = retention_batch();
	if (n > 0)
		rt.deleted[rt.table] += n;
	if (n < 0 || (n < RETENTION_BATCH && ++rt.table >= (int)RETENTION_NTABLES)) {
		retention_report();
		rt.table = -1;
		uv_timer_start(t, retention_tick, RETENTION_EVERY_MS, 0);
		return;
	}
	uv_timer_start(t, retention_tick, RETENTION_GAP_MS, 0);
}

int
retention_start(uv_loop_t *loop, const struct config *c)
{
	char *msg = NULL;
	size_t i;

	rt.days = c->retention_days;
	rt.table = -1;
	if (rt.days == 0) {
		log_info(NULL, "retention: retention.days = 0, the database keeps everything");
		return 0;
	}
	if (sqlite3_exec(db_handle(), retention_indexes, NULL, NULL, &msg) != SQLITE_OK) {
		log_error(NULL, "retention: cannot index the time columns: %s; nothing will be deleted",
		    msg ? msg : db_errmsg());
		sqlite3_free(msg);
		return -1;
	}
	for (i = 0; i < RETENTION_NTABLES; i++)
		if (sqlite3_prepare_v2(db_handle(), retention_tables[i].sql, -1, &rt.st[i], NULL) != SQLITE_OK) {
			log_error(NULL, "retention: %s: %s; nothing will be deleted", retention_tables[i].name,
			    db_errmsg());
			retention_stop();
			return -1;
		}
	uv_timer_init(loop, &rt.timer);
	uv_timer_start(&rt.timer, retention_tick, RETENTION_FIRST_MS, 0);
	rt.started = 1;
	return 0;
}

void
retention_stop(void)
{
	size_t i;

	if (rt.started && !uv_is_closing((uv_handle_t *)&rt.timer))
		uv_close((uv_handle_t *)&rt.timer, NULL);
	for (i = 0; i < RETENTION_NTABLES; i++) {
		sqlite3_finalize(rt.st[i]);
		rt.st[i] = NULL;
	}
}
