/* camcheck - the cameras table read on the thread pool (see camcheck.h).
 * A read waits at most the connection's busy timeout (main.c) for a
 * lock, on a pool thread: the loop goes on serving every other camera. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "camcheck.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

static struct {
	uv_loop_t *loop;
	sqlite3 *db;
	uv_mutex_t lock;                /* db, seq */
	uint64_t seq;                   /* reads made */
	int all_running;                /* a camcheck_all in flight */
} cc_state;

struct camcheck_hello_job {
	uv_work_t work;
	struct ws_conn *c;
	camcheck_hello_fn done;
	char camera[CAMERA_ID_SIZE];
	char token[CONFIG_TOKEN_SIZE];
	int rc;
	struct camdb_camera cam;
	uint64_t seq;
	char err[CAMCHECK_ERR_SIZE];
};

struct camcheck_all_job {
	uv_work_t work;
	camcheck_all_fn done;
	struct camcheck_cam *cams;
	int n, cap, failed;
	uint64_t seq;
	char err[CAMCHECK_ERR_SIZE];
};

void
camcheck_init(uv_loop_t *loop, sqlite3 *db)
{
	cc_state.loop = loop;
	cc_state.db = db;
	if (uv_mutex_init(&cc_state.lock) != 0)
		panic("uv_mutex_init");
}

/* camcheck_hello_work - pool thread */
static void
camcheck_hello_work(uv_work_t *w)
{
	struct camcheck_hello_job *j = w->data;

	uv_mutex_lock(&cc_state.lock);
	j->seq = ++cc_state.seq;
	if ((j->rc = camdb_check(cc_state.db, j->camera, j->token, &j->cam)) < 0)
		util_strlcpy(j->err, sqlite3_errmsg(cc_state.db), sizeof(j->err));
	uv_mutex_unlock(&cc_state.lock);
	sodium_memzero(j->token, sizeof(j->token));
}

static void
camcheck_hello_after(uv_work_t *w, int status)
{
	struct camcheck_hello_job *j = w->data;

	if (status != 0) {   /* cancelled: never, nothing cancels these */
		j->rc = -ECANCELED;
		util_strlcpy(j->err, "cancelled", sizeof(j->err));
	}
	j->done(j->c, j->rc, j->rc == 1 ? &j->cam : NULL, j->camera, j->seq, j->err);
	ws_conn_unref(j->c);
	free(j);
}

int
camcheck_hello(struct ws_conn *c, const char *camera, const char *token, camcheck_hello_fn done)
{
	struct camcheck_hello_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return -ENOMEM;
	j->c = c;
	j->done = done;
	/* too long to be a camera or its token: the read says "no" */
	util_strlcpy(j->camera, camera, sizeof(j->camera));
	if (strlen(camera) >= sizeof(j->camera) || strlen(token) >= sizeof(j->token))
		j->camera[0] = '\0';
	else
		util_strlcpy(j->token, token, sizeof(j->token));
	c->refs++;
	daemon_pool_run(cc_state.loop, &j->work, j, camcheck_hello_work, camcheck_hello_after);
	return 0;
}

/* camcheck_all_add - camdb_list's callback, pool thread */
static void
camcheck_all_add(const struct camdb_camera *cam, void *arg)
{
	struct camcheck_all_job *j = arg;
	struct camcheck_cam *p;

	if (j->n == j->cap) {
		int cap = j->cap ? 2 * j->cap : 16;

		if ((p = realloc(j->cams, (size_t)cap * sizeof(*p))) == NULL) {
			j->failed = 1;
			return;
		}
		j->cams = p;
		j->cap = cap;
	}
	util_strlcpy(j->cams[j->n].id, cam->id, sizeof(j->cams[0].id));
	util_strlcpy(j->cams[j->n].token_hash, cam->token_hash, sizeof(j->cams[0].token_hash));
	j->n++;
}

static void
camcheck_all_work(uv_work_t *w)
{
	struct camcheck_all_job *j = w->data;
	int rc;

	uv_mutex_lock(&cc_state.lock);
	j->seq = ++cc_state.seq;
	if ((rc = camdb_list(cc_state.db, camcheck_all_add, j)) < 0) {
		util_strlcpy(j->err, sqlite3_errmsg(cc_state.db), sizeof(j->err));
		j->n = rc;
	}
	uv_mutex_unlock(&cc_state.lock);
	if (j->failed && j->n >= 0) {
		util_strlcpy(j->err, "out of memory", sizeof(j->err));
		j->n = -ENOMEM;
	}
}

static void
camcheck_all_after(uv_work_t *w, int status)
{
	struct camcheck_all_job *j = w->data;

	cc_state.all_running = 0;
	if (status != 0) {
		j->n = -ECANCELED;
		util_strlcpy(j->err, "cancelled", sizeof(j->err));
	}
	j->done(j->cams, j->n, j->seq, j->err);
	free(j->cams);
	free(j);
}

int
camcheck_all(camcheck_all_fn done)
{
	struct camcheck_all_job *j;

	if (cc_state.all_running)
		return -EBUSY;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	j->done = done;
	cc_state.all_running = 1;
	daemon_pool_run(cc_state.loop, &j->work, j, camcheck_all_work, camcheck_all_after);
	return 0;
}

const struct camcheck_cam *
camcheck_find(const struct camcheck_cam *cams, int n, const char *id)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(cams[i].id, id) == 0)
			return &cams[i];
	return NULL;
}
