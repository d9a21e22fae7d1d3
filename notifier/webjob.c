/* webjob - HTTP work in libuv's thread pool; see webjob.h.
 *
 * Threads: a job's work runs on a pool thread and touches only the job
 * (and, for a read, a connection taken from the pool of read
 * connections, under webjob.mu); everything else, including the list of
 * jobs, is the loop thread's. A job is done when its after-callback ran
 * on the loop thread; that callback asks lws, which is outside its own
 * callbacks then, to wake (lws_cancel_service), and EVENT_WAIT_CANCELLED
 * asks for the connection's WRITEABLE (DESIGN.md). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "log.h"
#include "util.h"
#include "webjob.h"

#define WEBJOB_DBS 8   /* read connections kept: libuv's pool has 4 threads unless told more */

struct webjob {
	uv_work_t req;             /* data = this */
	struct lws *wsi;           /* NULL once the connection closed */
	struct auth_pending *p;    /* login: owned */
	webjob_read_fn fn;         /* read: */
	void *arg;                 /* owned */
	webjob_done_fn done_fn;    /* a call (webjob_call): its answer, or NULL */
	struct accounts_hash *pw;  /* a password to hash: owned */
	struct jbuf out;           /* owned: the answer's body */
	char link[256];            /* the answer's Link header value, or "" */
	int status;
	int done;
	struct webjob *next;       /* every job not yet freed */
};

static struct {
	uv_loop_t *loop;
	struct lws_context *ctx;
	char db_path[4096];
	struct webjob *jobs;
	pthread_mutex_t mu;        /* guards dbs, ndbs */
	sqlite3 *dbs[WEBJOB_DBS];  /* idle read connections */
	int ndbs;
} webjob = { .mu = PTHREAD_MUTEX_INITIALIZER };

void
webjob_init(uv_loop_t *loop, struct lws_context *ctx, const char *db_path)
{
	webjob.loop = loop;
	webjob.ctx = ctx;
	snprintf(webjob.db_path, sizeof(webjob.db_path), "%s", db_path);
	json_object_seed(0); /* before any other thread builds an object (jansson's rule) */
}

/* webjob_db_get - an idle read connection, or a new one; NULL if it
 * cannot be opened. Any thread. */
static sqlite3 *
webjob_db_get(void)
{
	sqlite3 *db = NULL;

	pthread_mutex_lock(&webjob.mu);
	if (webjob.ndbs > 0)
		db = webjob.dbs[--webjob.ndbs];
	pthread_mutex_unlock(&webjob.mu);
	if (db != NULL)
		return db;
	if (sqlite3_open_v2(webjob.db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static void
webjob_db_put(sqlite3 *db)
{
	pthread_mutex_lock(&webjob.mu);
	if (webjob.ndbs < WEBJOB_DBS) {
		webjob.dbs[webjob.ndbs++] = db;
		db = NULL;
	}
	pthread_mutex_unlock(&webjob.mu);
	sqlite3_close(db);
}

static void
webjob_work(uv_work_t *req)
{
	struct webjob *j = req->data;
	sqlite3 *db;

	if (j->p != NULL) {
		auth_verify(j->p);
		return;
	}
	if (j->pw != NULL) {
		if (authdb_password_hash(j->pw->password, j->pw->hash) != 0)
			j->pw->hash[0] = '\0';
		sodium_memzero(j->pw->password, sizeof(j->pw->password));
		return;
	}
	if ((db = webjob_db_get()) == NULL) {
		j->status = -1;
		return;
	}
	j->status = j->fn(db, j->arg, &j->out, j->link, sizeof(j->link));
	webjob_db_put(db);
}

static void
webjob_unlink(struct webjob *j)
{
	struct webjob **pp;

	for (pp = &webjob.jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
}

void
webjob_free(struct webjob *j)
{
	if (j == NULL)
		return;
	webjob_unlink(j);
	if (j->p) {
		memset(j->p, 0, sizeof(*j->p));
		free(j->p);
	}
	if (j->pw) {
		sodium_memzero(j->pw, sizeof(*j->pw));
		free(j->pw);
	}
	free(j->arg);
	jbuf_free(&j->out);
	free(j);
}

static void
webjob_after(uv_work_t *req, int status)
{
	struct webjob *j = req->data;

	(void)status;
	j->done = 1;
	if (j->done_fn != NULL) {
		j->done_fn(j->arg, j->status);
		webjob_free(j);
		return;
	}
	if (j->wsi == NULL) {
		webjob_free(j);
		return;
	}
	lws_cancel_service(webjob.ctx);
}

/* webjob_start - queue j's work; j or NULL (j freed) */
static struct webjob *
webjob_start(struct webjob *j)
{
	j->next = webjob.jobs;
	webjob.jobs = j;
	if (daemon_pool_try(webjob.loop, &j->req, j, webjob_work, webjob_after) != 0) {
		webjob_free(j);
		return NULL;
	}
	return j;
}

/* webjob_new - a job for wsi: a login check (p) or a read (fn, arg), both
 * owned from now on; started, or NULL (and p, arg freed) */
static struct webjob *
webjob_new(struct lws *wsi, struct auth_pending *p, webjob_read_fn fn, void *arg)
{
	struct webjob *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		free(p);
		free(arg);
		return NULL;
	}
	*j = (struct webjob){ .wsi = wsi, .p = p, .fn = fn, .arg = arg };
	jbuf_init(&j->out, LWS_PRE);
	return webjob_start(j);
}

struct webjob *
webjob_login(struct lws *wsi, struct auth_pending *p)
{
	return webjob_new(wsi, p, NULL, NULL);
}

struct webjob *
webjob_read(struct lws *wsi, webjob_read_fn fn, void *arg)
{
	return webjob_new(wsi, NULL, fn, arg);
}

struct webjob *
webjob_hash(struct lws *wsi, const char *password)
{
	struct accounts_hash *pw = calloc(1, sizeof(*pw));
	struct webjob *j = pw ? calloc(1, sizeof(*j)) : NULL;

	if (j == NULL) {
		free(pw);
		return NULL;
	}
	util_strlcpy(pw->password, password, sizeof(pw->password));
	*j = (struct webjob){ .wsi = wsi, .pw = pw };
	jbuf_init(&j->out, LWS_PRE);
	return webjob_start(j);
}

int
webjob_hash_take(struct webjob *j, char *hash, size_t size)
{
	if (j->pw == NULL)
		return -EINVAL;
	util_strlcpy(hash, j->pw->hash, size);
	return 0;
}

int
webjob_call(webjob_read_fn fn, void *arg, webjob_done_fn done)
{
	struct webjob *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		free(arg);
		return -ENOMEM;
	}
	*j = (struct webjob){ .fn = fn, .arg = arg, .done_fn = done };
	jbuf_init(&j->out, LWS_PRE);
	return webjob_start(j) ? 0 : -ENOMEM;
}

int
webjob_done(const struct webjob *j)
{
	return j->done;
}

struct auth_pending *
webjob_login_take(struct webjob *j)
{
	struct auth_pending *p = j->p;

	j->p = NULL;
	return p;
}

int
webjob_answer(struct webjob *j, struct jbuf *out, char *link, size_t linklen)
{
	snprintf(link, linklen, "%s", j->link);
	jbuf_free(out);
	*out = j->out;
	memset(&j->out, 0, sizeof(j->out));
	if (j->status < 0) {
		log_warnx(NULL, "http: a read could not open the database %s", webjob.db_path);
		jbuf_init(out, LWS_PRE);
		return -1;
	}
	return j->status;
}

void
webjob_detach(struct webjob *j)
{
	j->wsi = NULL;
	if (j->done)
		webjob_free(j);
}

void
webjob_wake(void)
{
	struct webjob *j;

	for (j = webjob.jobs; j; j = j->next)
		if (j->done && j->wsi)
			lws_callback_on_writable(j->wsi);
}

void
webjob_close(void)
{
	pthread_mutex_lock(&webjob.mu);
	while (webjob.ndbs > 0)
		sqlite3_close(webjob.dbs[--webjob.ndbs]);
	pthread_mutex_unlock(&webjob.mu);
}
