/* camera - per camera FIFO and worker life cycle: spawn, feed one frame at
 * a time, reap, restart with backoff, retire when idle. See camera.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "camera.h"
#include "dispatcher.h"
#include "fifo.h"
#include "log.h"
#include "notify.h"
#include "util.h"

#define CAMERA_RESCAN_MS 2000

struct camera;

/* One worker process and our end of its socketpair. Freed once both
 * handles are closed (worker_close_cb). */
struct worker {
	struct camera *cam;
	uv_process_t proc;
	uv_poll_t poll;
	int fd;                 /* our end; -1 once closed */
	int pid;
	int poll_open;          /* poll handle initialised and not yet closed */
	int hello;              /* the worker's HELLO arrived */
	int closing;            /* we shut our side: an exit is expected */
	int broken;             /* it broke the protocol: its exit counts as a crash */
	int exited;
	int handles;            /* handles still to close before free */
	int orderly;            /* exit was expected and clean */
	int killed;             /* we sent SIGKILL (drain timeout): not the frame's fault */
};

/* worker_crashed - the worker died of its own fault: a signal the kernel
 * sends for what the process did (or abort()). A SIGKILL or SIGTERM comes
 * from outside (an operator, the OOM killer, a shutdown), and an exit
 * status is the worker's decision: neither counts against the frame. */
static int
worker_crashed(int term_signal)
{
	return term_signal == SIGSEGV || term_signal == SIGBUS || term_signal == SIGFPE ||
	    term_signal == SIGILL || term_signal == SIGABRT;
}

struct camera {
	char id[CAMERA_ID_SIZE];
	struct fifo fifo;
	struct worker *w;       /* owned; NULL when no worker */
	uv_timer_t timer;       /* idle timeout while a worker waits, else backoff */
	int backoff_ms;         /* last restart delay, 0 after a good frame */
	int backoff_wait;       /* the timer is a restart delay: start nothing until it fires */
	uint64_t done, failed, bytes;
};

static struct camera **cams;    /* owned */
static int ncams, capcams;
static uv_timer_t rescan_timer;
static void (*stop_done)(void);

static void worker_start(struct camera *c);
static void camera_kick(struct camera *c);

/* camera_status - what the notifier's dashboards are told about c. */
static void
camera_status(const struct camera *c, struct msg_queue_status *st)
{
	memset(st, 0, sizeof(*st));
	util_strlcpy(st->camera, c->id, sizeof(st->camera));
	st->depth = (uint32_t)fifo_len(&c->fifo);
	st->worker_pid = c->w && !c->w->exited ? c->w->pid : 0;
	st->bytes = c->bytes;
	st->done = c->done;
	st->failed = c->failed;
}

static void
camera_changed(struct camera *c)
{
	struct msg_queue_status st;

	camera_status(c, &st);
	notify_queue_status(&st);
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
	if (rc < 0 && rc != -ENOENT) {
		errno = -rc;
		log_warn(frame_id, "camera=%s cannot move the frame to failed/ (%s)", c->id, reason);
	} else
		log_error(frame_id, "camera=%s frame failed: %s", c->id, reason);
}

/* worker_drop - stop talking to the worker: our end is closed, it sees EOF. */
static void
worker_drop(struct worker *w)
{
	if (w->poll_open) {
		uv_close((uv_handle_t *)&w->poll, NULL);
		w->poll_open = 0;
		w->handles--;
	}
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
}

/* worker_retire - ask the worker to exit once its frame is finished. */
static void
worker_retire(struct worker *w)
{
	if (w->closing || w->fd < 0)
		return;
	w->closing = 1;
	if (shutdown(w->fd, SHUT_WR) == -1)
		worker_drop(w);
}

static void
idle_cb(uv_timer_t *t)
{
	struct camera *c = t->data;

	if (c->backoff_wait) {
		c->backoff_wait = 0;
		camera_kick(c);
		return;
	}
	if (c->w && c->fifo.inflight[0] == '\0' && fifo_len(&c->fifo) == 0) {
		log_debug(NULL, "camera=%s worker idle for %d ms, retiring it", c->id, dsp.cfg.worker_idle_ms);
		worker_retire(c->w);
	}
}

/* worker_feed - send the next frame if the worker is ready for one. */
static void
worker_feed(struct camera *c)
{
	struct worker *w = c->w;
	struct msg_frame_ref ref;
	char id[FRAMEID_SIZE];
	int rc;

	if (w == NULL || !w->hello || w->closing || w->exited || w->fd < 0 || c->fifo.inflight[0] != '\0')
		return;
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
		if ((rc = msg_send(w->fd, MSG_FRAME, &ref, sizeof(ref))) < 0) {
			errno = -rc;
			log_warn(id, "camera=%s pid=%d cannot send frame to worker", c->id, w->pid);
			fifo_giveback(&c->fifo);
			w->broken = 1;
			worker_drop(w);
			return;
		}
		uv_timer_stop(&c->timer);
		log_debug(id, "camera=%s sent to worker pid=%d", c->id, w->pid);
		camera_changed(c);
		return;
	}
	/* nothing to do: retire after the idle time, counted from the last
	 * frame (a rescan or a duplicate hint must not restart the count) */
	if (!c->backoff_wait && !dsp.stopping && !uv_is_active((uv_handle_t *)&c->timer))
		uv_timer_start(&c->timer, idle_cb, (uint64_t)dsp.cfg.worker_idle_ms, 0);
	camera_changed(c);
}

static void
worker_protocol_error(struct worker *w, const char *why)
{
	log_error(NULL, "camera=%s pid=%d worker protocol error: %s; dropping its connection",
	    w->cam->id, w->pid, why);
	w->broken = 1;
	worker_drop(w);
}

static void
worker_frame_done(struct worker *w, const struct msg_frame_done *d)
{
	struct camera *c = w->cam;
	const char *id = d->ref.frame_id;

	if (!w->hello) {
		worker_protocol_error(w, "frame_done before hello");
		return;
	}
	if (strcmp(d->ref.camera, c->id) != 0 || c->fifo.inflight[0] == '\0' ||
	    strcmp(c->fifo.inflight, id) != 0) {
		worker_protocol_error(w, "frame_done for a frame it was not given");
		return;
	}
	fifo_done(&c->fifo, id);
	if (d->status == 0) {
		c->done++;
		c->backoff_ms = 0;
		log_debug(id, "camera=%s done by worker pid=%d", c->id, w->pid);
	} else if (camera_in_spool(c, SPOOL_ACTIVE, id) || camera_in_spool(c, SPOOL_QUEUE, id)) {
		char reason[160];

		snprintf(reason, sizeof(reason), "worker: %s (%s)",
		    d->reason[0] ? d->reason : "failed", strerror(-d->status > 0 ? -d->status : EIO));
		camera_fail(c, id, reason);
	} else {
		c->failed++;
		log_info(id, "camera=%s worker failed the frame: %s", c->id, d->reason[0] ? d->reason : "-");
	}
	worker_feed(c);
}

/* worker_read - handle what the worker sent, up to a bounded batch. */
static void
worker_read(struct worker *w)
{
	struct msg m;
	int rc, n;

	for (n = 0; n < 64 && w->fd >= 0; n++) {
		rc = msg_recv(w->fd, &m);
		if (rc == -EAGAIN)
			return;
		if (rc == 0) {
			/* the worker closed its end; its exit follows */
			worker_drop(w);
			return;
		}
		if (rc == -EPROTO) {
			worker_protocol_error(w, "malformed message (magic, version, type or size)");
			return;
		}
		if (rc < 0) {
			errno = -rc;
			log_warn(NULL, "camera=%s pid=%d worker socket", w->cam->id, w->pid);
			worker_drop(w);
			return;
		}
		switch (m.hdr.type) {
		case MSG_HELLO:
			if (w->hello || m.u.hello.role != MSG_ROLE_WORKER ||
			    strcmp(m.u.hello.camera, w->cam->id) != 0) {
				worker_protocol_error(w, "bad hello");
				return;
			}
			w->hello = 1;
			worker_feed(w->cam);
			break;
		case MSG_FRAME_DONE:
			worker_frame_done(w, &m.u.done);
			break;
		default:
			worker_protocol_error(w, msg_type_name(m.hdr.type));
			return;
		}
	}
}

static void
worker_poll_cb(uv_poll_t *p, int status, int events)
{
	struct worker *w = p->data;

	(void)events;
	if (status < 0) {
		log_warnx(NULL, "camera=%s pid=%d worker socket: %s", w->cam->id, w->pid, uv_strerror(status));
		worker_drop(w);
		return;
	}
	worker_read(w);
}

static int
camera_all_gone(void)
{
	int i;

	for (i = 0; i < ncams; i++)
		if (cams[i]->w != NULL)
			return 0;
	return 1;
}

static void
worker_close_cb(uv_handle_t *h)
{
	struct worker *w = h->data;
	struct camera *c = w->cam;

	if (--w->handles > 0)
		return;
	c->w = NULL;
	free(w);
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

static void
worker_exit_cb(uv_process_t *proc, int64_t exit_status, int term_signal)
{
	struct worker *w = proc->data;
	struct camera *c = w->cam;
	char status[32], id[FRAMEID_SIZE], failed[FRAMEID_SIZE];
	int count, delay;

	w->exited = 1;
	/* Read what it said before dying: a FRAME_DONE may be waiting. */
	if (w->fd >= 0)
		worker_read(w);
	if (term_signal)
		snprintf(status, sizeof(status), "signal:%d", term_signal);
	else
		snprintf(status, sizeof(status), "%lld", (long long)exit_status);
	log_info(NULL, "worker exit camera=%s pid=%d status=%s", c->id, w->pid, status);
	w->orderly = w->closing && !w->broken && exit_status == 0 && term_signal == 0;
	worker_drop(w);

	if (c->fifo.inflight[0] != '\0') {
		util_strlcpy(id, c->fifo.inflight, sizeof(id));
		if (camera_in_spool(c, SPOOL_ACTIVE, id)) {
			int rc = spool_unclaim(&dsp.spool, c->id, id);

			if (rc < 0) {
				errno = -rc;
				log_warn(id, "camera=%s cannot move the frame back to queue/", c->id);
			}
		}
		if (!camera_in_spool(c, SPOOL_QUEUE, id)) {
			/* finished (or failed) by the worker; its FRAME_DONE was lost */
			fifo_done(&c->fifo, id);
		} else if (w->orderly || w->killed || (dsp.stopping && !w->broken && !term_signal) ||
		    !worker_crashed(term_signal)) {
			if (!w->orderly && !w->killed && !dsp.stopping)
				log_warnx(id, "camera=%s worker ended by %s %d from outside while holding the frame; "
				    "not the frame's fault, it goes back to the queue", c->id,
				    term_signal ? "signal" : "status", term_signal ? term_signal : (int)exit_status);
			fifo_giveback(&c->fifo);
		} else if (fifo_crash(&c->fifo, dsp.cfg.worker_max_crashes, failed, &count) == 1) {
			char reason[128];

			if (count == 2)
				snprintf(reason, sizeof(reason), "worker died twice on this frame (%s %d)",
				    term_signal ? "signal" : "status", term_signal ? term_signal : (int)exit_status);
			else
				snprintf(reason, sizeof(reason), "worker died %d times on this frame (%s %d)", count,
				    term_signal ? "signal" : "status", term_signal ? term_signal : (int)exit_status);
			camera_fail(c, failed, reason);
		} else
			log_warnx(id, "camera=%s worker died holding the frame (%d of %d); it goes back to the queue",
			    c->id, count, dsp.cfg.worker_max_crashes);
	}
	if (!w->orderly && !dsp.stopping) {
		delay = c->backoff_ms ? c->backoff_ms * 2 : dsp.cfg.worker_backoff_ms;
		if (delay > dsp.cfg.worker_backoff_max_ms)
			delay = dsp.cfg.worker_backoff_max_ms;
		c->backoff_ms = delay;
		c->backoff_wait = 1;
		uv_timer_start(&c->timer, idle_cb, (uint64_t)delay, 0);
		log_info(NULL, "camera=%s next worker start in %d ms", c->id, delay);
	}
	uv_close((uv_handle_t *)&w->proc, worker_close_cb);
}

static void
worker_start(struct camera *c)
{
	uv_process_options_t opt;
	uv_stdio_container_t stdio[4];
	char *args[64 + 8];
	struct worker *w;
	int sv[2], rc, i, n = 0;

	if (c->w != NULL || dsp.stopping)
		return;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warnx(NULL, "camera=%s cannot start a worker: out of memory", c->id);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn(NULL, "camera=%s socketpair", c->id);
		free(w);
		return;
	}
	args[n++] = dsp.worker_path;
	args[n++] = "--camera";
	args[n++] = c->id;
	args[n++] = "--fd";
	args[n++] = "3";
	for (i = 0; i < dsp.cfg_argc && n < 64 + 7; i++)
		args[n++] = dsp.cfg_argv[i];
	args[n] = NULL;

	memset(&opt, 0, sizeof(opt));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 1;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	stdio[3].flags = UV_INHERIT_FD;
	stdio[3].data.fd = sv[1];
	opt.file = dsp.worker_path;
	opt.args = args;
	opt.exit_cb = worker_exit_cb;
	opt.stdio = stdio;
	opt.stdio_count = 4;
	w->cam = c;
	w->fd = sv[0];
	w->proc.data = w;
	w->poll.data = w;
	if ((rc = uv_spawn(dsp.loop, &w->proc, &opt)) != 0) {
		log_error(NULL, "camera=%s cannot start %s: %s", c->id, dsp.worker_path, uv_strerror(rc));
		close(sv[0]);
		close(sv[1]);
		/* uv_spawn failed: the handle was initialised but never started */
		c->w = w;
		w->exited = 1;
		w->handles = 1;
		c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : dsp.cfg.worker_backoff_ms;
		if (c->backoff_ms > dsp.cfg.worker_backoff_max_ms)
			c->backoff_ms = dsp.cfg.worker_backoff_max_ms;
		c->backoff_wait = 1;
		uv_timer_start(&c->timer, idle_cb, (uint64_t)c->backoff_ms, 0);
		uv_close((uv_handle_t *)&w->proc, worker_close_cb);
		return;
	}
	close(sv[1]);
	c->w = w;
	w->pid = w->proc.pid;
	w->handles = 1;
	log_info(NULL, "worker start camera=%s pid=%d", c->id, w->pid);
	fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
	if (uv_poll_init(dsp.loop, &w->poll, w->fd) == 0) {
		w->poll_open = 1;
		w->handles++;
		uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, worker_poll_cb);
	} else {
		close(w->fd);
		w->fd = -1;
		w->broken = 1;
	}
	if (w->fd >= 0 && (rc = msg_hello(w->fd, MSG_ROLE_DISPATCHER, c->id)) < 0) {
		errno = -rc;
		log_warn(NULL, "camera=%s pid=%d hello to worker", c->id, w->pid);
		w->broken = 1;
		worker_drop(w);
	}
	camera_changed(c);
}

/* camera_kick - make progress: feed the worker, or start one if frames wait. */
static void
camera_kick(struct camera *c)
{
	if (dsp.stopping)
		return;
	if (c->w != NULL) {
		worker_feed(c);
		return;
	}
	if (c->backoff_wait || fifo_len(&c->fifo) == 0)
		return;
	worker_start(c);
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
rescan_cb(const char *camera, const char *frame_id, size_t bytes, void *arg)
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

	if ((rc = spool_list(&dsp.spool, SPOOL_QUEUE, NULL, rescan_cb, &added)) < 0)
		return rc;
	for (i = 0; i < ncams; i++)
		camera_kick(cams[i]);
	return added;
}

static void
rescan_timer_cb(uv_timer_t *t)
{
	int n;

	(void)t;
	if ((n = camera_rescan()) > 0)
		log_info(NULL, "found %d queued frame%s nobody announced", n, n == 1 ? "" : "s");
	else if (n < 0) {
		errno = -n;
		log_warn(NULL, "spool rescan");
	}
}

void
camera_init(void)
{
	uv_timer_init(dsp.loop, &rescan_timer);
	uv_timer_start(&rescan_timer, rescan_timer_cb, CAMERA_RESCAN_MS, CAMERA_RESCAN_MS);
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
		if (cams[i]->w)
			worker_retire(cams[i]->w);
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

	for (i = 0; i < ncams; i++) {
		struct worker *w = cams[i]->w;

		if (w && !w->exited) {
			log_warnx(NULL, "camera=%s pid=%d worker did not exit in time, killing it", cams[i]->id, w->pid);
			w->killed = 1;
			uv_process_kill(&w->proc, SIGKILL);
		}
	}
}

int
camera_workers(void)
{
	int i, n = 0;

	for (i = 0; i < ncams; i++)
		n += cams[i]->w != NULL;
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
