/* camera - per camera: the frame FIFO and what happens to its frames, with
 * at most one worker process (child.c) to feed one frame at a time:
 * restart with backoff, crash counting, retire when idle. See camera.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "camdb.h"
#include "camera.h"
#include "child.h"
#include "dispatcher.h"
#include "fifo.h"
#include "log.h"
#include "status.h"
#include "util.h"

#define CAMERA_RESCAN_MS 2000

struct camera {
	char id[CAMERA_ID_SIZE];
	struct fifo fifo;
	struct child *child;    /* NULL when no worker; freed by child.c after child_cb.closed */
	uv_timer_t timer;       /* idle timeout while a worker waits, else backoff */
	int backoff_ms;         /* last restart delay, 0 after a good frame */
	int backoff_wait;       /* the timer is a restart delay: start nothing until it fires */
	uint64_t done, failed, bytes;
	uint64_t crashes;       /* worker exits of its own fault (msg_queue_status.crashes) */
	uint64_t skipped;       /* stale frames removed unanalysed (dispatcher.gate_latest) */
	unsigned skipped_since; /* ...since the last frame sent: the worker is told (msg_frame.skipped) */
	int latest;             /* a gate camera with dispatcher.gate_latest: hand over the newest frame */
	struct msg_frame_empty empty; /* ingest's newest FRAME_EMPTY not yet passed on */
	int has_empty;
};

static struct camera **cams;    /* owned */
static int ncams, capcams;
static uv_timer_t rescan_timer;
static void (*stop_done)(void);

static void camera_kick(struct camera *c);

/* camera_status - what the notifier's dashboards are told about c. */
static void
camera_status(const struct camera *c, struct msg_queue_status *st)
{
	memset(st, 0, sizeof(*st));
	util_strlcpy(st->camera, c->id, sizeof(st->camera));
	st->depth = (uint32_t)fifo_len(&c->fifo);
	st->worker_pid = c->child ? (uint32_t)child_pid(c->child) : 0;
	st->bytes = c->bytes;
	st->done = c->done;
	st->failed = c->failed;
	st->crashes = c->crashes;
	st->skipped = c->skipped;
}

static void
camera_changed(struct camera *c)
{
	struct msg_queue_status st;

	camera_status(c, &st);
	status_send(&st);
}

static struct camera *
camera_get(const char *id, int create)
{
	struct camera *c;
	int i;

	for (i = 0; i < ncams; i++)
		if (strcmp(cams[i]->id, id) == 0)
			return cams[i];
	if (!create)
		return NULL;
	if (ncams == capcams) {
		int ncap = capcams ? capcams * 2 : 16;
		struct camera **n = realloc(cams, (size_t)ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		cams = n;
		capcams = ncap;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	util_strlcpy(c->id, id, sizeof(c->id));
	fifo_init(&c->fifo);
	uv_timer_init(dsp.loop, &c->timer);
	c->timer.data = c;
	cams[ncams++] = c;
	return c;
}

static int
camera_in_spool(struct camera *c, enum spool_state st, const char *frame_id)
{
	char path[SPOOL_PATH_SIZE];

	return spool_path(&dsp.spool, st, c->id, frame_id, path, sizeof(path)) == 0;
}

/* camera_fail - move a frame to failed/ and count it. */
static void
camera_fail(struct camera *c, const char *frame_id, const char *reason)
{
	int rc = spool_fail(&dsp.spool, c->id, frame_id, reason);

	c->failed++;
	if (rc < 0 && rc != -ENOENT)
		log_warnc(rc, frame_id, "camera=%s cannot move the frame to failed/ (%s)", c->id, reason);
	else
		log_error(frame_id, "camera=%s frame failed: %s", c->id, reason);
}

static void
camera_timer_cb(uv_timer_t *t)
{
	struct camera *c = t->data;

	if (c->backoff_wait) {
		c->backoff_wait = 0;
		camera_kick(c);
		return;
	}
	if (c->child && c->fifo.inflight[0] == '\0' && fifo_len(&c->fifo) == 0) {
		log_debug(NULL, "camera=%s worker idle for %d ms, retiring it", c->id, dsp.cfg.worker_idle_ms);
		child_retire(c->child);
	}
}

/* camera_skip - fifo_skip_older's callback: a stale frame leaves the spool
 * unanalysed, with a log line, and is counted. A frame that cannot be
 * removed stays in queue/: the rescan finds it, older than the frame now
 * in flight, and it is skipped again. */
static void
camera_skip(const char *id, void *arg)
{
	struct camera *c = arg;
	int rc = spool_skip(&dsp.spool, c->id, id);

	if (rc == 0) {
		c->skipped++;
		c->skipped_since++;
		log_info(id, "camera=%s skipped unanalysed: a newer frame waits (gate camera)", c->id);
	} else if (rc != -ENOENT)
		log_warnc(rc, id, "camera=%s cannot remove a skipped frame from queue/", c->id);
}

/* camera_latest - does c's worker get only the newest waiting frame? A gate
 * camera wants the person in front of it now, not every frame in order.
 * The mode is the cameras table's (the dashboard may change it), read when
 * a worker starts, as the worker reads it; a camera neither the database
 * nor the config file knows keeps every frame. */
static int
camera_latest(const struct camera *c)
{
	return dsp.cfg.gate_latest && camdb_mode_known(&dsp.cfg, c->id) == CONFIG_MODE_GATE;
}

/* camera_feed_empty - pass the waiting FRAME_EMPTY on when the worker is
 * ready and holds no frame, and no older frame waits (frame id order). */
static void
camera_feed_empty(struct camera *c)
{
	if (!c->has_empty || c->child == NULL || !child_ready(c->child) || c->fifo.inflight[0] != '\0' ||
	    (fifo_len(&c->fifo) > 0 && strcmp(c->fifo.ids[0], c->empty.ref.frame_id) < 0))
		return;
	c->has_empty = 0;
	(void)child_send_empty(c->child, &c->empty);
}

int
camera_frame_empty(const struct msg_frame_empty *e)
{
	struct camera *c = camera_get(e->ref.camera, 0);

	if (c == NULL || c->child == NULL || dsp.stopping)
		return 0;
	if (c->has_empty && strcmp(e->ref.frame_id, c->empty.ref.frame_id) <= 0)
		return 0;
	c->empty = *e;
	c->has_empty = 1;
	camera_feed_empty(c);
	return 1;
}

/* camera_feed - send the next frame if the worker is ready for one (an
 * older FRAME_EMPTY first). */
static void
camera_feed(struct camera *c)
{
	struct msg_frame_ref ref;
	char id[FRAMEID_SIZE];

	if (c->child == NULL || !child_ready(c->child) || c->fifo.inflight[0] != '\0')
		return;
	if (c->latest)
		fifo_skip_older(&c->fifo, camera_skip, c);
	camera_feed_empty(c);
	if (c->child == NULL || !child_ready(c->child))
		return; /* the worker broke on it */
	while (fifo_take(&c->fifo, id) == 0) {
		if (!camera_in_spool(c, SPOOL_QUEUE, id)) {
			/* done or removed since it was queued: the spool is the truth */
			log_debug(id, "camera=%s frame no longer queued, skipped", c->id);
			fifo_done(&c->fifo, id);
			continue;
		}
		memset(&ref, 0, sizeof(ref));
		util_strlcpy(ref.camera, c->id, sizeof(ref.camera));
		util_strlcpy(ref.frame_id, id, sizeof(ref.frame_id));
		if (child_send(c->child, &ref, c->skipped_since) < 0) {
			fifo_giveback(&c->fifo);
			return;
		}
		c->skipped_since = 0;
		uv_timer_stop(&c->timer);
		log_debug(id, "camera=%s sent to worker pid=%d", c->id, child_pid(c->child));
		camera_changed(c);
		return;
	}
	/* nothing to do: retire after the idle time, counted from the last
	 * frame (a rescan or a duplicate hint must not restart the count) */
	if (!c->backoff_wait && !dsp.stopping && !uv_is_active((uv_handle_t *)&c->timer))
		uv_timer_start(&c->timer, camera_timer_cb, (uint64_t)dsp.cfg.worker_idle_ms, 0);
	camera_changed(c);
}

/* camera_ready - child_cb.ready: the worker said HELLO. */
static void
camera_ready(void *arg)
{
	camera_feed(arg);
}

/* camera_done - child_cb.frame_done: account for the frame, feed the next. */
static int
camera_done(void *arg, const struct msg_frame_done *d)
{
	struct camera *c = arg;
	const char *id = d->ref.frame_id;

	if (strcmp(d->ref.camera, c->id) != 0 || c->fifo.inflight[0] == '\0' ||
	    strcmp(c->fifo.inflight, id) != 0)
		return -EPROTO;
	fifo_done(&c->fifo, id);
	if (d->status == 0) {
		c->done++;
		c->backoff_ms = 0;
		log_debug(id, "camera=%s done by worker pid=%d", c->id, child_pid(c->child));
	} else if (camera_in_spool(c, SPOOL_ACTIVE, id) || camera_in_spool(c, SPOOL_QUEUE, id)) {
		char reason[160];

		snprintf(reason, sizeof(reason), "worker: %s (%s)",
		    d->reason[0] ? d->reason : "failed", strerror(-d->status > 0 ? -d->status : EIO));
		camera_fail(c, id, reason);
	} else {
		c->failed++;
		log_info(id, "camera=%s worker failed the frame: %s", c->id, d->reason[0] ? d->reason : "-");
	}
	camera_feed(c);
	return 0;
}

static int
camera_all_gone(void)
{
	int i;

	for (i = 0; i < ncams; i++)
		if (cams[i]->child != NULL)
			return 0;
	return 1;
}

/* camera_closed - child_cb.closed: the worker is gone; start the next when
 * frames wait, or finish the stop. */
static void
camera_closed(void *arg)
{
	struct camera *c = arg;

	c->child = NULL;
	c->has_empty = 0; /* for that worker's people; the next takes them over from the notifier */
	camera_changed(c);
	if (dsp.stopping) {
		if (stop_done && camera_all_gone()) {
			void (*done)(void) = stop_done;

			stop_done = NULL;
			done();
		}
		return;
	}
	camera_kick(c);
}

/* camera_crashed - the worker died holding frame id: count it against the
 * frame, which fails at dispatcher.worker_max_crashes. */
static void
camera_crashed(struct camera *c, const char *id, const struct child_exit *e)
{
	char failed[FRAMEID_SIZE], reason[128], times[16];
	const char *how = e->signal ? "signal" : "status";
	int count, code = e->signal ? e->signal : (int)e->status;

	if (fifo_crash(&c->fifo, dsp.cfg.worker_max_crashes, failed, &count) != 1) {
		log_warnx(id, "camera=%s worker died holding the frame (%d of %d); it goes back to the queue",
		    c->id, count, dsp.cfg.worker_max_crashes);
		return;
	}
	if (count == 2)
		util_strlcpy(times, "twice", sizeof(times));
	else
		snprintf(times, sizeof(times), "%d times", count);
	snprintf(reason, sizeof(reason), "worker died %s on this frame (%s %d)", times, how, code);
	camera_fail(c, failed, reason);
}

/* camera_orphan - the worker ended holding the frame in flight: back to
 * queue/ and the FIFO's head, counted as a crash only when it crashed. */
static void
camera_orphan(struct camera *c, const struct child_exit *e)
{
	char id[FRAMEID_SIZE];
	int rc;

	util_strlcpy(id, c->fifo.inflight, sizeof(id));
	if (camera_in_spool(c, SPOOL_ACTIVE, id) && (rc = spool_unclaim(&dsp.spool, c->id, id)) < 0)
		log_warnc(rc, id, "camera=%s cannot move the frame back to queue/", c->id);
	if (!camera_in_spool(c, SPOOL_QUEUE, id)) {
		/* finished (or failed) by the worker; its FRAME_DONE was lost */
		fifo_done(&c->fifo, id);
	} else if (e->orderly || e->killed || (dsp.stopping && !e->broken && !e->signal) || !e->crashed) {
		if (!e->orderly && !e->killed && !dsp.stopping)
			log_warnx(id, "camera=%s worker ended by %s %d from outside while holding the frame; "
			    "not the frame's fault, it goes back to the queue", c->id,
			    e->signal ? "signal" : "status", e->signal ? e->signal : (int)e->status);
		fifo_giveback(&c->fifo);
	} else
		camera_crashed(c, id, e);
}

/* camera_exited - child_cb.exited: settle the frame it held; an exit we
 * did not ask for delays the next start, doubling up to the maximum. */
static void
camera_exited(void *arg, const struct child_exit *e)
{
	struct camera *c = arg;

	if (c->fifo.inflight[0] != '\0')
		camera_orphan(c, e);
	if (e->orderly || dsp.stopping)
		return;
	/* the notifier's worker_failing alert counts these: not a kill or a
	 * SIGTERM from outside (e->signal without e->crashed) */
	if (!e->killed && (e->crashed || e->broken || !e->spawned || !e->signal)) {
		c->crashes++;
		camera_changed(c);
	}
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : dsp.cfg.worker_backoff_ms;
	if (c->backoff_ms > dsp.cfg.worker_backoff_max_ms)
		c->backoff_ms = dsp.cfg.worker_backoff_max_ms;
	c->backoff_wait = 1;
	uv_timer_start(&c->timer, camera_timer_cb, (uint64_t)c->backoff_ms, 0);
	if (e->spawned)
		log_info(NULL, "camera=%s next worker start in %d ms", c->id, c->backoff_ms);
}

static const struct child_cb camera_child_cb = {
	.ready = camera_ready,
	.frame_done = camera_done,
	.exited = camera_exited,
	.closed = camera_closed,
};

/* camera_kick - make progress: feed the worker, or start one if frames wait. */
static void
camera_kick(struct camera *c)
{
	if (dsp.stopping)
		return;
	if (c->child != NULL) {
		camera_feed(c);
		return;
	}
	if (c->backoff_wait || fifo_len(&c->fifo) == 0)
		return;
	c->latest = camera_latest(c);
	c->child = child_start(c->id, &camera_child_cb, c);
	camera_changed(c);
}

int
camera_frame_ready(const char *camera, const char *frame_id)
{
	struct camera *c;
	int rc;

	if ((c = camera_get(camera, 1)) == NULL)
		return -ENOMEM;
	if (fifo_contains(&c->fifo, frame_id))
		return 0;
	if (!camera_in_spool(c, SPOOL_QUEUE, frame_id)) {
		log_debug(frame_id, "camera=%s frame_ready for a frame not in queue/, ignored", camera);
		return 0;
	}
	if ((rc = fifo_push(&c->fifo, frame_id)) < 0)
		return rc;
	if (rc == 1) {
		camera_kick(c);
		camera_changed(c);
	}
	return rc;
}

static int
camera_rescan_one(const char *camera, const char *frame_id, size_t bytes, void *arg)
{
	struct camera *c = camera_get(camera, 1);
	int *added = arg;

	(void)bytes;
	if (c != NULL && fifo_push(&c->fifo, frame_id) == 1)
		(*added)++;
	return 0;
}

int
camera_rescan(void)
{
	int added = 0, rc, i;

	if ((rc = spool_list(&dsp.spool, SPOOL_QUEUE, NULL, camera_rescan_one, &added)) < 0)
		return rc;
	for (i = 0; i < ncams; i++)
		camera_kick(cams[i]);
	return added;
}

static void
camera_rescan_timer_cb(uv_timer_t *t)
{
	int n;

	(void)t;
	if ((n = camera_rescan()) > 0)
		log_info(NULL, "found %d queued frame%s nobody announced", n, n == 1 ? "" : "s");
	else if (n < 0)
		log_warnc(n, NULL, "spool rescan");
}

void
camera_init(void)
{
	uv_timer_init(dsp.loop, &rescan_timer);
	uv_timer_start(&rescan_timer, camera_rescan_timer_cb, CAMERA_RESCAN_MS, CAMERA_RESCAN_MS);
}

void
camera_status_all(void (*cb)(const struct msg_queue_status *))
{
	struct msg_queue_status st;
	int i, frames;
	long bytes;

	for (i = 0; i < ncams; i++) {
		struct camera *c = cams[i];

		if (spool_usage(&dsp.spool, c->id, &frames, &bytes) == 0)
			c->bytes = (uint64_t)bytes;
		camera_status(c, &st);
		cb(&st);
	}
}

void
camera_stop(void (*done)(void))
{
	int i;

	dsp.stopping = 1;
	uv_timer_stop(&rescan_timer);
	for (i = 0; i < ncams; i++) {
		uv_timer_stop(&cams[i]->timer);
		cams[i]->backoff_wait = 0;
		if (cams[i]->child)
			child_retire(cams[i]->child);
	}
	if (camera_all_gone())
		done();
	else
		stop_done = done;
}

void
camera_kill(void)
{
	int i;

	for (i = 0; i < ncams; i++)
		if (cams[i]->child)
			child_kill(cams[i]->child);
}

int
camera_workers(void)
{
	int i, n = 0;

	for (i = 0; i < ncams; i++)
		n += cams[i]->child != NULL;
	return n;
}

static void
camera_free_cb(uv_handle_t *h)
{
	struct camera *c = h->data;

	fifo_free(&c->fifo);
	free(c);
}

void
camera_close(void)
{
	int i;

	uv_close((uv_handle_t *)&rescan_timer, NULL);
	for (i = 0; i < ncams; i++)
		uv_close((uv_handle_t *)&cams[i]->timer, camera_free_cb);
	free(cams);
	cams = NULL;
	ncams = capcams = 0;
}
