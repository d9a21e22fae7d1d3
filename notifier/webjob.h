/* webjob - work for an HTTP request done in libuv's thread pool, off the
 * loop thread (STYLE: nothing blocks the loop): a login's password check,
 * and the API's database reads, each on a read-only SQLite connection of
 * its own (a small pool, opened on first use, WAL lets them read while the
 * loop thread writes). web.c starts a job, keeps it with the connection
 * and writes the answer from HTTP_WRITEABLE once the job is done; a
 * connection that closes first leaves the job to free itself when done.
 * Loop thread only, except what a read function runs. */
#ifndef GW_WEBJOB_H
#define GW_WEBJOB_H

#include <libwebsockets.h>
#include <sqlite3.h>
#include <uv.h>

#include "accounts.h"
#include "auth.h"
#include "jbuf.h"

struct webjob;

/* webjob_read_fn - a read, run on a pool thread: it may use only db, arg,
 * out and link (pure functions such as query.h's). Writes the answer's
 * body into out, a Link header value into link (linklen bytes, "" for
 * none) and returns its HTTP status. */
typedef int (*webjob_read_fn)(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen);

/* webjob_init - remember the loop, the lws context to wake and the
 * database the reads open. */
void webjob_init(uv_loop_t *loop, struct lws_context *ctx, const char *db_path);

/* webjob_login - check the password of p (owned from now on) for the
 * connection wsi. NULL when it cannot start (p is freed then). */
struct webjob *webjob_login(struct lws *wsi, struct auth_pending *p);

/* webjob_read - run fn(db, arg, out) for wsi; arg (owned from now on) is
 * free()d with the job. NULL when it cannot start (arg is freed then). */
struct webjob *webjob_read(struct lws *wsi, webjob_read_fn fn, void *arg);

/* webjob_hash - hash password (argon2id, ~150 ms; accounts.h's
 * accounts_hash) for the connection wsi. NULL when it cannot start. */
struct webjob *webjob_hash(struct lws *wsi, const char *password);

/* webjob_hash_take - a done hash's argon2id string into hash (size
 * bytes; "" when hashing failed): 0, or -EINVAL if j is no hash. */
int webjob_hash_take(struct webjob *j, char *hash, size_t size);

/* webjob_done_fn - a call's answer, on the loop thread: status is what
 * its fn returned, or -1 when the database could not be opened. */
typedef void (*webjob_done_fn)(void *arg, int status);

/* webjob_call - run fn(db, arg, ...) for no connection (its out and link
 * are thrown away), then done(arg, status) on the loop thread; arg (owned
 * from now on) is free()d after. 0, or -ENOMEM (arg freed, done never
 * called). */
int webjob_call(webjob_read_fn fn, void *arg, webjob_done_fn done);

/* webjob_done - 1 once the work is done (then on the loop thread). */
int webjob_done(const struct webjob *j);

/* webjob_login_take - a done login's pending check (free it), or NULL. */
struct auth_pending *webjob_login_take(struct webjob *j);

/* webjob_answer - a done read's status, its body moved into out (which
 * had LWS_PRE headroom reserved, as jbuf_init(out, LWS_PRE)) and its Link
 * header value copied to link. */
int webjob_answer(struct webjob *j, struct jbuf *out, char *link, size_t linklen);

/* webjob_free - free a done job. */
void webjob_free(struct webjob *j);

/* webjob_detach - the connection closed: free j now if done, else when
 * its work is. */
void webjob_detach(struct webjob *j);

/* webjob_wake - from LWS_CALLBACK_EVENT_WAIT_CANCELLED: a done job's
 * connection is asked for WRITEABLE. */
void webjob_wake(void);

/* webjob_close - close the read connections. After the loop has run its
 * last job (uv_run returned). */
void webjob_close(void);

#endif
