/* api - the notifier's JSON HTTP API (same origin):
 *   GET  /api/health         {"ok":true,"db":"ok","live_clients":N}
 *   GET  /api/config         {"ingest_port":N,"tls":bool}  (for the camera page)
 *   GET  /api/cameras        [camera objects, see cams.c]
 *   GET  /api/stats/today    today's figures, see db_stats_today
 *   GET  /api/tracks         people: ?camera=&verdict=PASS|DENY|none&since=
 *                            &until= (unix ms: present in [since, until))
 *                            &limit= (1..500, default 50)&before=<id>;
 *                            newest first, items in db.c
 *   GET  /api/alerts         ?state=open (default)|all &limit= (1..500, 100)
 *   GET  /api/push/key       {"public_key":"<VAPID, base64url>"} (404: Web Push off)
 *   POST /api/push/subscriptions  a PushSubscription {"endpoint","keys":{..}}
 *                            + optional "cameras":[..], "reasons":[..]: 201 {"id"}
 *   POST /api/push/unsubscribe  {"endpoint"}: {"dropped":bool}
 *   POST /api/alerts/<id>/ack  body empty, {} or {"by":"name"}: acknowledge
 *                            (idempotent); answers the alert item. The ack
 *                            is recorded as by the logged-in user (or
 *                            "token:NAME"), whatever "by" says.
 *   POST /api/tracks/<camera>/<track>/override  {"verdict":"PASS"|"DENY",
 *                            "note":"..","by":".."}: a supervisor's verdict
 *                            for a person, to the gate (override) and the
 *                            database; answers [the person's item]. Recorded
 *                            as by the logged-in user, like an ack.
 * Bad query values or bodies are 400, unknown /api paths and alert ids
 * 404, as problem+json (problem.h). Who may call what: web.c, auth.h. */
#ifndef GW_API_H
#define GW_API_H

#include <sqlite3.h>

#include "config.h"
#include "jbuf.h"
#include "msg.h"
#include "query.h"
#include "webjob.h"

struct lws;

void api_init(const struct config *c);

/* A database read the caller runs off the loop thread (webjob_read):
 * fn(db, arg, out) answers; arg is malloc()ed, the job frees it. */
struct api_read {
	webjob_read_fn fn;
	void *arg;
};

/* api_defer - answer with fn(a copy of arg's size bytes, NULL when 0) off
 * the loop: 0 with rd set, or a 500 in out. */
int api_defer(struct api_read *rd, webjob_read_fn fn, const void *arg, size_t size, struct jbuf *out);

/* api_handle - answer GET path (no query string; args come from wsi).
 * Fills out with the JSON body and returns the HTTP status; or returns 0
 * with rd set: the answer is rd's read, to run off the loop (the people,
 * alerts and today's figures). */
int api_handle(struct lws *wsi, const char *path, struct jbuf *out, struct api_read *rd);

/* api_tracks - /api/tracks' filters, with the strings they point to. */
struct api_tracks {
	struct query_tracks q;
	char camera[CAMERA_ID_SIZE];
	char verdict[8];
	int role;              /* the caller's: which actions its links offer */
};

/* api_tracks_defer - read the filters of /api/tracks (also of
 * /api/tracks.csv: limit up to max_limit) from wsi's query, and answer
 * with fn(struct api_tracks *) off the loop: 0 with rd set, or the status
 * of the 400 answer written to out. */
int api_tracks_defer(struct lws *wsi, int max_limit, webjob_read_fn fn, struct jbuf *out, struct api_read *rd);

/* api_tracks_query - t's filters as a query (points into t; any thread). */
const struct query_tracks *api_tracks_query(struct api_tracks *t);

/* api_db_error - log what failed on db and answer 500 into out; any thread. */
int api_db_error(sqlite3 *db, const char *what, struct jbuf *out);

/* api_arg - the query argument name of the request on wsi, copied into buf
 * (len bytes); NULL when absent or empty. Loop thread only. */
const char *api_arg(struct lws *wsi, const char *name, char *buf, int len);

/* api_int - s as a decimal integer in [min, max] into *out: 0, or -1 when
 * it is not one (a sign, spaces, trailing bytes). */
int api_int(const char *s, long long min, long long max, long long *out);

#define API_POST_MAX 1024 /* bytes of a POST body; more is 413 */

/* api_audit - record action on target in the audit trail (auth_audit)
 * with detail (a JSON value, reference taken; NULL for none). */
void api_audit(const char *action, const char *target, json_t *detail);

/* api_is_post - 1 if path takes a POST (its body is then read). */
int api_is_post(const char *path);

/* api_post - answer POST path with body (len <= API_POST_MAX bytes, not
 * NUL-terminated). Fills out and returns the HTTP status. */
int api_post(const char *path, const char *body, size_t len, struct jbuf *out);

#endif
