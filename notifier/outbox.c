/* outbox - the webhook's delivery queue in SQLite and its retry schedule;
 * see outbox.h for the contract. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"

int
outbox_schema(sqlite3 *db)
{
	static const char sql[] =
	    "CREATE TABLE IF NOT EXISTS webhook_outbox ("
	    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " created_us INTEGER NOT NULL,"
	    " body BLOB NOT NULL,"
	    " attempts INTEGER NOT NULL DEFAULT 0,"
	    " next_us INTEGER NOT NULL,"
	    " delivered_us INTEGER,"
	    " last_error TEXT);"
	    "CREATE INDEX IF NOT EXISTS webhook_outbox_pending"
	    " ON webhook_outbox(next_us) WHERE delivered_us IS NULL;";

	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int
outbox_open(const char *path, sqlite3 **dbp, char *err, size_t errlen)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "webhook: %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -EIO;
	}
	*dbp = db;
	return 0;
}

int64_t
outbox_add(sqlite3 *db, const void *body, size_t len, uint64_t now_us)
{
	sqlite3_stmt *st = NULL;
	int64_t id = -EIO;

	if (body == NULL || len == 0)
		return -EINVAL;
	if (len > OUTBOX_BODY_MAX)
		return -EMSGSIZE;
	if (sqlite3_prepare_v2(db, "INSERT INTO webhook_outbox(created_us, body, attempts, next_us)"
	    " VALUES (?1, ?2, 0, ?1)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_int64(st, 1, (sqlite3_int64)now_us) == SQLITE_OK &&
	    sqlite3_bind_blob(st, 2, body, (int)len, SQLITE_TRANSIENT) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	return id;
}

int64_t
outbox_count(sqlite3 *db, int delivered)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -EIO;

	if (sqlite3_prepare_v2(db, delivered ?
	    "SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NOT NULL" :
	    "SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NULL", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
outbox_next(sqlite3 *db, uint64_t now_us, uint64_t poll_us, struct outbox_row *r, uint64_t *wait_us)
{
	sqlite3_stmt *st = NULL;
	uint64_t next;
	int rc = -EIO, s;

	*wait_us = poll_us;
	if (sqlite3_prepare_v2(db, "SELECT id, created_us, attempts, next_us, body FROM webhook_outbox"
	    " WHERE delivered_us IS NULL ORDER BY next_us, id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	s = sqlite3_step(st);
	if (s != SQLITE_ROW) {
		rc = s == SQLITE_DONE ? 0 : -EIO;
		goto out;
	}
	next = (uint64_t)sqlite3_column_int64(st, 3);
	if (next > now_us) {
		if (next - now_us < *wait_us)
			*wait_us = next - now_us;
		rc = 0;
		goto out;
	}
	r->id = sqlite3_column_int64(st, 0);
	r->created_us = sqlite3_column_int64(st, 1);
	r->attempts = sqlite3_column_int(st, 2);
	r->len = (size_t)sqlite3_column_bytes(st, 4);
	r->body = malloc(r->len + 1);
	rc = -ENOMEM;
	if (r->body == NULL)
		goto out;
	if (r->len)
		memcpy(r->body, sqlite3_column_blob(st, 4), r->len);
	rc = 1;
out:
	sqlite3_finalize(st);
	return rc;
}

/* outbox_run - run sql once with ?1..?3 bound to a, b, c and ?4 to text,
 * as far as the statement has parameters; 0 or -EIO */
static int
outbox_run(sqlite3 *db, const char *sql, int64_t a, int64_t b, int64_t c, const char *text)
{
	sqlite3_stmt *st = NULL;
	int ok, n;

	ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
	n = ok ? sqlite3_bind_parameter_count(st) : 0;
	ok = ok && (n < 1 || sqlite3_bind_int64(st, 1, a) == SQLITE_OK) &&
	    (n < 2 || sqlite3_bind_int64(st, 2, b) == SQLITE_OK) &&
	    (n < 3 || sqlite3_bind_int64(st, 3, c) == SQLITE_OK) &&
	    (n < 4 || sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT) == SQLITE_OK) &&
	    sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	return ok ? 0 : -EIO;
}

int
outbox_delivered(sqlite3 *db, const struct outbox_row *r, uint64_t now_us)
{
	return outbox_run(db, "UPDATE webhook_outbox SET delivered_us = ?1, attempts = ?2 WHERE id = ?3",
	    (int64_t)now_us, r->attempts + 1, r->id, NULL);
}

int
outbox_failed(sqlite3 *db, const struct outbox_row *r, uint64_t next_us, const char *why)
{
	return outbox_run(db, "UPDATE webhook_outbox SET attempts = ?1, next_us = ?2, last_error = ?4"
	    " WHERE id = ?3", r->attempts + 1, (int64_t)next_us, r->id, why);
}

int
outbox_resume(sqlite3 *db, uint64_t now_us)
{
	return outbox_run(db, "UPDATE webhook_outbox SET next_us = ?1 WHERE delivered_us IS NULL"
	    " AND next_us > ?1 AND last_error LIKE 'net:%'", (int64_t)now_us, 0, 0, NULL);
}

int
outbox_prune(sqlite3 *db, uint64_t before_us)
{
	return outbox_run(db, "DELETE FROM webhook_outbox WHERE delivered_us IS NOT NULL"
	    " AND delivered_us < ?1", (int64_t)before_us, 0, 0, NULL);
}

uint64_t
outbox_backoff(uint64_t min_us, uint64_t max_us, unsigned n)
{
	uint64_t d = min_us;

	while (n-- > 1 && d < max_us)
		d *= 2;
	return d < max_us ? d : max_us;
}
