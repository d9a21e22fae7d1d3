/* webhook - deliver alerts to a configured URL, reliably: an outbox table in
 * the notifier's SQLite database holds every delivery until the receiver
 * answered 2xx, and one background thread posts them, retrying with
 * exponential backoff, so the notifier's loop never waits on the network
 * and a restart resumes what was pending.
 *
 * Semantics: at-least-once. Each delivery carries an id that stays the same
 * across retries and restarts (header X-Gatewatch-Delivery), so a receiver
 * that saw it before can drop the repeat. A delivery is retried until it is
 * delivered; nothing is dropped for being old.
 *
 * Request: POST <url>, Content-Type: application/json, the body exactly as
 * enqueued, and
 *   X-Gatewatch-Delivery: <created_us>-<row id>
 *   X-Gatewatch-Attempt: <n, from 1>
 *   X-Gatewatch-Signature: sha256=<hex HMAC-SHA256(secret, body)>  (if a secret is set)
 * http:// and https:// through libcurl (IPv4 or IPv6, the peer verified
 * against the system CAs or ca_file, the usual http_proxy / https_proxy /
 * no_proxy environment honoured). Answers 2xx = delivered; anything else, a
 * refused connection or a timeout = try again later. The queue itself is
 * outbox.c's. docs/TRACKING.md has the config keys. */
#ifndef GW_WEBHOOK_H
#define GW_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <sqlite3.h>

struct webhook; /* opaque: one per configured URL */

struct webhook_config {
	const char *url;            /* http[s]://host[:port][/path]; copied */
	const char *secret;         /* HMAC key; NULL or "" = no signature header; copied */
	const char *ca_file;        /* https: PEM bundle to trust; NULL = system CAs; copied */
	uint64_t backoff_min_us;    /* first retry delay (1 s), doubled per failure... */
	uint64_t backoff_max_us;    /* ...up to this (60 s) */
	int timeout_ms;             /* connect (10000); the whole request: 3x */
	uint64_t keep_delivered_us; /* delivered rows are pruned after this (7 days; 0 = keep) */
};

struct webhook_stats {
	int64_t pending;            /* not delivered yet */
	int64_t delivered;          /* delivered rows still in the table */
	uint64_t attempts_ok;       /* since webhook_open */
	uint64_t attempts_failed;   /* since webhook_open */
	char last_error[128];       /* the latest failure, "" if none since open */
};

/* webhook_config_default - fill c with the defaults above (url NULL). */
void webhook_config_default(struct webhook_config *c);

/* webhook_open - check the config, open two connections of its own to the
 * database at db_path (WAL; one for the caller's thread, one for the
 * delivery thread), create the table, start the thread, which resumes any
 * pending delivery at once. Returns 0 and *wp, or a negative errno with a
 * message in err (bad URL: -EINVAL). Call from the notifier's loop thread. */
int webhook_open(struct webhook **wp, const char *db_path, const struct webhook_config *c,
    char *err, size_t errlen);

/* webhook_enqueue - add a delivery of body (len bytes, JSON) to the outbox.
 * With db NULL it uses the module's own connection and commits at once;
 * with the caller's connection (same file) the row commits with the caller's
 * open transaction, and the caller calls webhook_kick() after COMMIT (the
 * thread also polls every second, so a missed kick only delays). Returns the
 * row id (> 0), or -EINVAL (empty body), -EMSGSIZE (over 1 MiB), -EIO
 * (SQLite error). Loop thread. */
int64_t webhook_enqueue(struct webhook *w, sqlite3 *db, const char *body, size_t len);

/* webhook_enqueue_json - webhook_enqueue of o as compact JSON; takes the
 * reference. With w NULL (no webhook) only drops o and returns 0. Returns
 * the row id, 0, or a negative errno (-EINVAL for o NULL). */
int64_t webhook_enqueue_json(struct webhook *w, sqlite3 *db, json_t *o);

/* webhook_kick - wake the delivery thread now. Any thread. */
void webhook_kick(struct webhook *w);

/* webhook_stats - counts for status pages. Returns 0 or -EIO. Loop thread. */
int webhook_stats(struct webhook *w, struct webhook_stats *out);

/* webhook_close - stop the thread (aborting a request in flight, which then
 * stays pending), close the connections, free w. NULL is fine. */
void webhook_close(struct webhook *w);

#endif
