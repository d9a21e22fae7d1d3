/* db - the notifier's SQLite database (DIR/gatewatch.db): the only
 * writer is the notifier's loop thread. Every function here is called on
 * that thread and returns 0 (or a count) / a negative errno-like value;
 * SQLite errors are logged by the caller from db_errmsg(). */
#ifndef GW_DB_H
#define GW_DB_H

#include <stdint.h>

#include "jbuf.h"
#include "msg.h"

#define DB_SCHEMA_VERSION 1

/* db_open - open or create the database, WAL + synchronous=NORMAL, and
 * create or migrate the schema to DB_SCHEMA_VERSION. Returns 0, or -1
 * with err set (a database newer than this program is an error). */
int db_open(const char *path, char *err, size_t errlen);
void db_close(void);
const char *db_errmsg(void);

/* db_commit_result - commit one result and its persons in one
 * transaction. Returns 1 when committed now, 0 when (camera, frame id)
 * was already there (nothing changed), -1 on a database error (nothing
 * changed). *id gets the row id in both success cases. */
int db_commit_result(const struct msg_result *r, int64_t *id);

struct db_query {
	const char *camera;    /* NULL = all */
	const char *verdict;   /* "PASS", "DENY" or NULL */
	int64_t since_ms, until_ms; /* received time, inclusive/exclusive; 0 = open */
	int64_t before_id;     /* 0 = newest */
	int limit;
};

/* db_results_json - append a JSON array of result items, newest first. */
int db_results_json(struct jbuf *b, const struct db_query *q);

/* db_last_result_json - append the camera's newest result item, or null. */
int db_last_result_json(struct jbuf *b, const char *camera);

/* db_result_json - append the item with this row id, or null. */
int db_result_json(struct jbuf *b, int64_t id);

/* db_stats_today - append today's figures (local time) as
 * {"date":..,"total":{..},"cameras":{..},"hours":[24]}. The one place
 * that says what "people" means. */
int db_stats_today(struct jbuf *b);

/* db_health - 0 if a trivial query works. */
int db_health(void);

#endif
