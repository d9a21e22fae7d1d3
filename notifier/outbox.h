/* outbox - the webhook's delivery queue, a table in the notifier's SQLite
 * database (webhook_outbox): one row per alert body, kept until the
 * receiver answered 2xx, with its attempt count, the time of its next try
 * and its last error; and the retry schedule (exponential backoff). The
 * webhook's delivery thread (webhook.c) is its one reader; any connection
 * may add rows, inside its own transaction. Every function takes the
 * connection to use: the caller decides which thread owns it. */
#ifndef GW_OUTBOX_H
#define GW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define OUTBOX_BODY_MAX (1 << 20)  /* an alert is a few hundred bytes */

struct outbox_row {
	int64_t id;
	int64_t created_us;
	int attempts;               /* failed or made so far */
	unsigned char *body;        /* owned: free() it */
	size_t len;
};

/* outbox_schema - create webhook_outbox if missing. Idempotent. Returns 0
 * or -EIO. */
int outbox_schema(sqlite3 *db);

/* outbox_open - a read-write connection of its own to the database at
 * path (WAL, busy timeout 5 s). Returns 0 and *dbp, or -EIO with err. */
int outbox_open(const char *path, sqlite3 **dbp, char *err, size_t errlen);

/* outbox_add - queue body (len bytes), due now. Returns the row id (> 0),
 * or -EINVAL (empty), -EMSGSIZE (over OUTBOX_BODY_MAX), -EIO. */
int64_t outbox_add(sqlite3 *db, const void *body, size_t len, uint64_t now_us);

/* outbox_count - rows pending (delivered 0) or delivered (1); or -EIO. */
int64_t outbox_count(sqlite3 *db, int delivered);

/* outbox_next - the pending row due first: 1 and *r when it is due at
 * now_us; 0 and *wait_us until it is (at most poll_us; poll_us when none
 * is pending); -EIO or -ENOMEM on error. */
int outbox_next(sqlite3 *db, uint64_t now_us, uint64_t poll_us, struct outbox_row *r, uint64_t *wait_us);

/* outbox_delivered - mark r delivered at now_us. 0 or -EIO. */
int outbox_delivered(sqlite3 *db, const struct outbox_row *r, uint64_t now_us);

/* outbox_failed - count a failed attempt of r and schedule the next at
 * next_us with error why. 0 or -EIO. */
int outbox_failed(sqlite3 *db, const struct outbox_row *r, uint64_t next_us, const char *why);

/* outbox_resume - the receiver answered again: rows waiting out a
 * transport failure (an error starting "net:") are due at now_us. */
int outbox_resume(sqlite3 *db, uint64_t now_us);

/* outbox_prune - drop rows delivered before before_us. 0 or -EIO. */
int outbox_prune(sqlite3 *db, uint64_t before_us);

/* outbox_backoff - the delay before try n + 1 after n failures (n >= 1):
 * min_us doubled per failure after the first, capped at max_us. */
uint64_t outbox_backoff(uint64_t min_us, uint64_t max_us, unsigned n);

#endif
