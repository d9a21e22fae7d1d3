/* child - one worker process and our end of its socketpair: spawn, the
 * message exchange, retire, kill, reap. See child.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "dispatcher.h"
#include "log.h"
#include "util.h"

#define CHILD_ARGS_MAX 64 /* config flags passed on, at most */
#define CHILD_BATCH 64    /* messages read per poll wakeup */

/* Freed once both handles are closed (child_close_cb). */
struct child {
	char camera[CAMERA_ID_SIZE];
	const struct child_cb *cb;
	void *arg;
	uv_process_t proc;
	uv_poll_t poll;
	int fd;                 /* our end; -1 once closed */
	int pid;
	int spawned;            /* uv_spawn succeeded */
	int poll_open;          /* poll handle initialised and not yet closed */
	int hello;              /* the worker's HELLO arrived */
	int closing;            /* we shut our side: an exit is expected */
	int broken;             /* it broke the protocol: its exit counts as a crash */
	int exited;
	int handles;            /* handles still to close before free */
	int killed;             /* we sent SIGKILL (drain timeout): not the frame's fault */
};

/* child_crashed - the worker died of its own fault: a signal the kernel
 * sends for what the process did (or abort()). A SIGKILL or SIGTERM comes
 * from outside (an operator, the OOM killer, a shutdown), and an exit
 * status is the worker's decision: neither counts against the frame. */
static int
child_crashed(int term_signal)
{
	return term_signal == SIGSEGV || term_signal == SIGBUS || term_signal == SIGFPE ||
	    term_signal == SIGILL || term_signal == SIGABRT;
}

/* child_drop - stop talking to the worker: our end is closed, it sees EOF. */
static void
child_drop(struct child *ch)
{
	if (ch->poll_open) {
		uv_close((uv_handle_t *)&ch->poll, NULL);
		ch->poll_open = 0;
		ch->handles--;
	}
	if (ch->fd >= 0) {
		close(ch->fd);
		ch->fd = -1;
	}
}

static void
child_protocol_error(struct child *ch, const char *why)
{
	log_error(NULL, "camera=%s pid=%d worker protocol error: %s; dropping its connection",
	    ch->camera, ch->pid, why);
	ch->broken = 1;
	child_drop(ch);
}

/* child_message - one message from the worker; 0, or -EPROTO when the
 * connection was dropped for it. */
static int
child_message(struct child *ch, const struct msg *m)
{
	switch (m->hdr.type) {
	case MSG_HELLO:
		if (ch->hello || m->u.hello.role != MSG_ROLE_WORKER || strcmp(m->u.hello.camera, ch->camera) != 0)
			break;
		ch->hello = 1;
		ch->cb->ready(ch->arg);
		return 0;
	case MSG_FRAME_DONE:
		if (!ch->hello) {
			child_protocol_error(ch, "frame_done before hello");
			return -EPROTO;
		}
		if (ch->cb->frame_done(ch->arg, &m->u.done) < 0) {
			child_protocol_error(ch, "frame_done for a frame it was not given");
			return -EPROTO;
		}
		return 0;
	default:
		child_protocol_error(ch, msg_type_name(m->hdr.type));
		return -EPROTO;
	}
	child_protocol_error(ch, "bad hello");
	return -EPROTO;
}

/* child_read - handle what the worker sent, up to a bounded batch. */
static void
child_read(struct child *ch)
{
	struct msg m;
	int rc, n;

	for (n = 0; n < CHILD_BATCH && ch->fd >= 0; n++) {
		rc = msg_recv(ch->fd, &m);
		if (rc == -EAGAIN)
			return;
		if (rc == 0) {
			/* the worker closed its end; its exit follows */
			child_drop(ch);
			return;
		}
		if (rc == -EPROTO) {
			child_protocol_error(ch, "malformed message (magic, version, type or size)");
			return;
		}
		if (rc < 0) {
			log_warnc(rc, NULL, "camera=%s pid=%d worker socket", ch->camera, ch->pid);
			child_drop(ch);
			return;
		}
		if (child_message(ch, &m) < 0)
			return;
	}
}

static void
child_poll_cb(uv_poll_t *p, int status, int events)
{
	struct child *ch = p->data;

	(void)events;
	if (status < 0) {
		log_warnx(NULL, "camera=%s pid=%d worker socket: %s", ch->camera, ch->pid, uv_strerror(status));
		child_drop(ch);
		return;
	}
	child_read(ch);
}

static void
child_close_cb(uv_handle_t *h)
{
	struct child *ch = h->data;

	if (--ch->handles > 0)
		return;
	if (!ch->spawned) {
		struct child_exit e = { .spawned = 0 };

		ch->cb->exited(ch->arg, &e);
	}
	ch->cb->closed(ch->arg);
	free(ch);
}

static void
child_exit_cb(uv_process_t *proc, int64_t exit_status, int term_signal)
{
	struct child *ch = proc->data;
	struct child_exit e;
	char status[32];

	ch->exited = 1;
	/* Read what it said before dying: a FRAME_DONE may be waiting. */
	if (ch->fd >= 0)
		child_read(ch);
	if (term_signal)
		snprintf(status, sizeof(status), "signal:%d", term_signal);
	else
		snprintf(status, sizeof(status), "%lld", (long long)exit_status);
	log_info(NULL, "worker exit camera=%s pid=%d status=%s", ch->camera, ch->pid, status);
	child_drop(ch);

	memset(&e, 0, sizeof(e));
	e.spawned = 1;
	e.status = exit_status;
	e.signal = term_signal;
	e.orderly = ch->closing && !ch->broken && exit_status == 0 && term_signal == 0;
	e.killed = ch->killed;
	e.broken = ch->broken;
	e.crashed = child_crashed(term_signal);
	ch->cb->exited(ch->arg, &e);
	uv_close((uv_handle_t *)&ch->proc, child_close_cb);
}

/* child_spawn - run the worker with fd as its fd 3; 0 or a libuv error. */
static int
child_spawn(struct child *ch, int fd)
{
	uv_process_options_t opt;
	uv_stdio_container_t stdio[4];
	char *args[CHILD_ARGS_MAX + 8];
	int i, n = 0;

	args[n++] = dsp.worker_path;
	args[n++] = "--camera";
	args[n++] = ch->camera;
	args[n++] = "--fd";
	args[n++] = "3";
	for (i = 0; i < dsp.cfg_argc && n < CHILD_ARGS_MAX + 7; i++)
		args[n++] = dsp.cfg_argv[i];
	args[n] = NULL;

	memset(&opt, 0, sizeof(opt));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	for (i = 1; i < 4; i++) {
		stdio[i].flags = UV_INHERIT_FD;
		stdio[i].data.fd = i < 3 ? i : fd;
	}
	opt.file = dsp.worker_path;
	opt.args = args;
	opt.exit_cb = child_exit_cb;
	opt.stdio = stdio;
	opt.stdio_count = 4;
	return uv_spawn(dsp.loop, &ch->proc, &opt);
}

/* child_connect - watch our end of the socket and say HELLO; a failure
 * drops the connection (the worker then exits). */
static void
child_connect(struct child *ch)
{
	int rc;

	fcntl(ch->fd, F_SETFL, fcntl(ch->fd, F_GETFL) | O_NONBLOCK);
	if (uv_poll_init(dsp.loop, &ch->poll, ch->fd) == 0) {
		ch->poll_open = 1;
		ch->handles++;
		uv_poll_start(&ch->poll, UV_READABLE | UV_DISCONNECT, child_poll_cb);
	} else {
		close(ch->fd);
		ch->fd = -1;
		ch->broken = 1;
	}
	if (ch->fd >= 0 && (rc = msg_hello(ch->fd, MSG_ROLE_DISPATCHER, ch->camera)) < 0) {
		log_warnc(rc, NULL, "camera=%s pid=%d hello to worker", ch->camera, ch->pid);
		ch->broken = 1;
		child_drop(ch);
	}
}

struct child *
child_start(const char *camera, const struct child_cb *cb, void *arg)
{
	struct child *ch;
	int sv[2], rc;

	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		log_warnx(NULL, "camera=%s cannot start a worker: out of memory", camera);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn(NULL, "camera=%s socketpair", camera);
		free(ch);
		return NULL;
	}
	util_strlcpy(ch->camera, camera, sizeof(ch->camera));
	ch->cb = cb;
	ch->arg = arg;
	ch->fd = sv[0];
	ch->proc.data = ch;
	ch->poll.data = ch;
	ch->handles = 1;
	rc = child_spawn(ch, sv[1]);
	close(sv[1]);
	if (rc != 0) {
		log_error(NULL, "camera=%s cannot start %s: %s", camera, dsp.worker_path, uv_strerror(rc));
		close(sv[0]);
		ch->fd = -1;
		/* the handle was initialised but never started: closed from the loop */
		ch->exited = 1;
		uv_close((uv_handle_t *)&ch->proc, child_close_cb);
		return ch;
	}
	ch->spawned = 1;
	ch->pid = ch->proc.pid;
	log_info(NULL, "worker start camera=%s pid=%d", camera, ch->pid);
	child_connect(ch);
	return ch;
}

int
child_ready(const struct child *ch)
{
	return ch->hello && !ch->closing && !ch->exited && ch->fd >= 0;
}

int
child_send(struct child *ch, const struct msg_frame_ref *ref, unsigned skipped)
{
	struct msg_frame f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.ref = *ref;
	f.skipped = skipped;
	if ((rc = msg_send(ch->fd, MSG_FRAME, &f, sizeof(f))) < 0) {
		log_warnc(rc, ref->frame_id, "camera=%s pid=%d cannot send frame to worker", ch->camera, ch->pid);
		ch->broken = 1;
		child_drop(ch);
	}
	return rc < 0 ? rc : 0;
}

int
child_send_empty(struct child *ch, const struct msg_frame_empty *e)
{
	int rc = msg_send(ch->fd, MSG_FRAME_EMPTY, e, sizeof(*e));

	if (rc == -EAGAIN)
		log_debug(e->ref.frame_id, "camera=%s pid=%d worker not reading; frame_empty hint lost", ch->camera,
		    ch->pid);
	else if (rc < 0) {
		log_warnc(rc, e->ref.frame_id, "camera=%s pid=%d cannot send frame_empty to worker", ch->camera, ch->pid);
		ch->broken = 1;
		child_drop(ch);
	}
	return rc;
}

void
child_retire(struct child *ch)
{
	if (ch->closing || ch->fd < 0)
		return;
	ch->closing = 1;
	if (shutdown(ch->fd, SHUT_WR) == -1)
		child_drop(ch);
}

void
child_kill(struct child *ch)
{
	if (ch->exited)
		return;
	log_warnx(NULL, "camera=%s pid=%d worker did not exit in time, killing it", ch->camera, ch->pid);
	ch->killed = 1;
	uv_process_kill(&ch->proc, SIGKILL);
}

int
child_pid(const struct child *ch)
{
	return ch->exited ? 0 : ch->pid;
}
