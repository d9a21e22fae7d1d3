/* peer - run/notifier.sock: one uv_poll per socket, one datagram per
 * message (msg_recv). Each peer must send MSG_HELLO first; after that:
 *   worker      MSG_RESULT        -> commit its track events (events),
 *                                    then MSG_RESULT_ACK back, then
 *                                    fan-out (fanout_result)
 *   ingest      MSG_CAMERA_STATS  -> cams_stats
 *   dispatcher  MSG_QUEUE_STATUS  -> cams_queue
 * The ack is sent only after the commit, also for a replay and for a
 * result without events (nothing to write), so a worker that replays a
 * result gets its ack and changes nothing.
 *   worker      MSG_TAKEOVER      -> its camera's open people, one
 *                                    MSG_TRACK_STATE each, then one with
 *                                    track_id 0 (the end of the list)
 * A camera's open people belong to its connected worker; while none is
 * connected, peer_tick ends those not seen for stale_grace_us (stale.c). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cams.h"
#include "db.h"
#include "commit.h"
#include "fanout.h"
#include "log.h"
#include "metrics.h"
#include "mqtt.h"
#include "msg.h"
#include "peer.h"
#include "result.h"
#include "stale.h"
#include "util.h"

#define PEER_BATCH 64 /* messages read per wakeup, so one peer cannot starve the loop */
#define PEER_TAKEOVER_MAX 64 /* open people handed to a new worker (TRACK_MAX) */
#define PEER_ANNOUNCED_MAX 256 /* cameras whose worker pid the dispatcher announced */

struct peer {
	uv_poll_t poll;           /* first: handle->data is not needed */
	int fd;                   /* owned, closed in peer_closed */
	int hello;                /* hello received */
	unsigned role;
	int pid;                  /* from SO_PEERCRED, not from the hello */
	int announced;            /* worker: the dispatcher announced this pid for camera */
	char camera[CAMERA_ID_SIZE];
	char name[64];            /* for logs: "worker gate1 pid 123" */
	struct peer *next;
};

/* Per camera: since when no worker of it is connected (wall clock); 0
 * while one is. Set when the last worker goes, so a short visit of a
 * worker between two ticks restarts the grace. */
static struct {
	char camera[CAMERA_ID_SIZE];
	int64_t since;
} gone[CONFIG_CAMERAS_MAX];

static void
peer_gone_set(const char *camera, int64_t since)
{
	int i, free_i = -1;

	for (i = 0; i < CONFIG_CAMERAS_MAX; i++) {
		if (strcmp(gone[i].camera, camera) == 0) {
			gone[i].since = since;
			return;
		}
		if (gone[i].camera[0] == '\0' && free_i < 0)
			free_i = i;
	}
	if (free_i >= 0) {
		util_strlcpy(gone[free_i].camera, camera, sizeof(gone[free_i].camera));
		gone[free_i].since = since;
	}
}

static int64_t
peer_gone_get(const char *camera)
{
	int i;

	for (i = 0; i < CONFIG_CAMERAS_MAX; i++)
		if (strcmp(gone[i].camera, camera) == 0)
			return gone[i].since;
	return 0;
}

static uv_poll_t listen_poll;
static int listen_fd = -1;
static struct peer *peers;
static struct msg rx; /* loop thread only */

/* Which process is each camera's worker: the dispatcher says so in its
 * QUEUE_STATUS (worker_pid), sent as soon as it forks one. A RESULT from
 * any other process claiming to be a worker could make a gate show PASS
 * (issue 11). */
static struct {
	char camera[CAMERA_ID_SIZE];
	int pid;
} announced[PEER_ANNOUNCED_MAX];

static void
peer_announce(const char *camera, int pid)
{
	int i, free_slot = -1;

	for (i = 0; i < PEER_ANNOUNCED_MAX; i++) {
		if (strcmp(announced[i].camera, camera) == 0) {
			announced[i].pid = pid;
			return;
		}
		if (announced[i].camera[0] == '\0' && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0 && pid > 0) {
		util_strlcpy(announced[free_slot].camera, camera, sizeof(announced[free_slot].camera));
		announced[free_slot].pid = pid;
	}
}

static int
peer_is_announced(const char *camera, int pid)
{
	int i;

	for (i = 0; i < PEER_ANNOUNCED_MAX; i++)
		if (strcmp(announced[i].camera, camera) == 0)
			return pid > 0 && announced[i].pid == pid;
	return 0;
}

static int peer_message(struct peer *p, const struct msg *m);
static void peer_drop(struct peer *p);
static void peer_accept(uv_poll_t *h, int status, int events);

/* peer_drain_dispatchers - act on what the dispatcher has already sent:
 * an announcement sent before a worker's message must count, though it
 * travels on another socket (perhaps not even accepted yet) that the loop
 * would serve later. Connections without hello get their hello read. */
static void
peer_drain_dispatchers(struct peer *self)
{
	static struct msg drx; /* loop thread only; rx holds the worker's message */
	static int draining;
	struct peer *d, *next;
	int i, rc;

	if (draining)
		return;
	draining = 1;
	peer_accept(&listen_poll, 0, 0);
	for (d = peers; d; d = next) {
		next = d->next;
		if (d == self || (d->hello && d->role != MSG_ROLE_DISPATCHER))
			continue;
		for (i = 0; i < PEER_BATCH && (!d->hello || d->role == MSG_ROLE_DISPATCHER); i++) {
			if ((rc = msg_recv(d->fd, &drx)) == -EAGAIN)
				break;
			if (rc <= 0 || peer_message(d, &drx) < 0) {
				log_info(NULL, "peer %s: closed", d->name);
				peer_drop(d);
				break;
			}
		}
	}
	draining = 0;
}

/* peer_worker_ok - may this worker peer send results? Checked again at
 * each message until it is. */
static int
peer_worker_ok(struct peer *p, const char *what)
{
	if (p->announced || (p->announced = peer_is_announced(p->camera, p->pid)))
		return 1;
	peer_drain_dispatchers(p);
	if ((p->announced = peer_is_announced(p->camera, p->pid)))
		return 1;
	log_warnx(NULL, "peer %s: %s from a process the dispatcher did not announce as camera %s's worker: dropped",
	    p->name, what, p->camera);
	return 0;
}

static const char *
peer_role_name(unsigned role)
{
	switch (role) {
	case MSG_ROLE_INGEST: return "ingest";
	case MSG_ROLE_DISPATCHER: return "dispatcher";
	case MSG_ROLE_WORKER: return "worker";
	case MSG_ROLE_NOTIFIER: return "notifier";
	case MSG_ROLE_CLI: return "cli";
	default: return "unknown";
	}
}

static void
peer_closed(uv_handle_t *h)
{
	struct peer *p = (struct peer *)h;

	close(p->fd);
	free(p);
}

/* peer_drop - unlink and close; the memory goes in peer_closed. */
static void
peer_drop(struct peer *p)
{
	struct peer **pp;

	for (pp = &peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->hello && p->role == MSG_ROLE_WORKER) {
		cams_worker(p->camera, -1);
		peer_gone_set(p->camera, (int64_t)util_now_us());
	}
	uv_poll_stop(&p->poll);
	uv_close((uv_handle_t *)&p->poll, peer_closed);
}

static int
peer_hello(struct peer *p, const struct msg_hello *h)
{
	if (h->role != MSG_ROLE_INGEST && h->role != MSG_ROLE_DISPATCHER &&
	    h->role != MSG_ROLE_WORKER && h->role != MSG_ROLE_CLI) {
		log_warnx(NULL, "peer %s: hello with role %u: dropped", p->name, h->role);
		return -1;
	}
	if (h->role == MSG_ROLE_WORKER && !util_camera_id_valid(h->camera)) {
		log_warnx(NULL, "peer %s: worker hello without a valid camera id: dropped", p->name);
		return -1;
	}
	p->hello = 1;
	p->role = h->role;
	/* p->pid is the kernel's word (SO_PEERCRED); h->pid is only claimed */
	util_strlcpy(p->camera, h->camera, sizeof(p->camera));
	if (p->role == MSG_ROLE_WORKER)
		p->announced = peer_is_announced(p->camera, p->pid);
	snprintf(p->name, sizeof(p->name), "%s%s%s pid %d", peer_role_name(p->role),
	    p->camera[0] ? " " : "", p->camera, p->pid);
	if (p->role == MSG_ROLE_WORKER)
		cams_worker(p->camera, 1);
	log_info(NULL, "peer %s: hello", p->name);
	return 0;
}

/* peer_takeover - a new worker of p's camera asks for its open people. */
static int
peer_takeover(struct peer *p, const struct msg_takeover *t)
{
	static struct msg_track_state s[PEER_TAKEOVER_MAX + 1]; /* loop thread only */
	int n, i, rc;

	if (strcmp(t->camera, p->camera) != 0) {
		log_warnx(NULL, "peer %s: takeover for camera %s, not its own: dropped", p->name, t->camera);
		return -1;
	}
	if ((n = db_open_tracks(p->camera, s, PEER_TAKEOVER_MAX)) < 0) {
		log_error(NULL, "peer %s: takeover: %s", p->name, db_errmsg());
		n = 0; /* the end marker still goes: the worker starts afresh */
	}
	memset(&s[n], 0, sizeof(s[n]));
	util_strlcpy(s[n].camera, p->camera, sizeof(s[n].camera));
	for (i = 0; i <= n; i++)
		if ((rc = msg_send(p->fd, MSG_TRACK_STATE, &s[i], sizeof(s[i]))) != 0) {
			errno = -rc;
			log_warn(NULL, "peer %s: takeover message %d of %d lost", p->name, i + 1, n + 1);
			return -1;
		}
	log_info(NULL, "peer %s: takes over %d open %s", p->name, n, n == 1 ? "person" : "people");
	return 0;
}

/* peer_has_worker - a worker of camera is connected. */
static int
peer_has_worker(const char *camera)
{
	struct peer *p;

	for (p = peers; p; p = p->next)
		if (p->hello && p->role == MSG_ROLE_WORKER && strcmp(p->camera, camera) == 0)
			return 1;
	return 0;
}

/* peer_worker_live - a worker of camera is connected and its socket has
 * not hung up (at shutdown the loop may not have read its EOF yet). */
static int
peer_worker_live(const char *camera)
{
	struct peer *p;

	for (p = peers; p; p = p->next) {
		struct pollfd pf = { p->fd, POLLIN | POLLRDHUP, 0 };

		if (!p->hello || p->role != MSG_ROLE_WORKER || strcmp(p->camera, camera) != 0)
			continue;
		if (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)))
			continue;
		return 1;
	}
	return 0;
}

void
peer_end_orphans(const struct config *c)
{
	int64_t now = (int64_t)util_now_us();
	int i, n;

	for (i = 0; i < c->ncameras; i++)
		if (!peer_worker_live(c->cameras[i].id) && (n = stale_close(c->cameras[i].id, now)) > 0)
			log_info(NULL, "%s: %d open %s ended at shutdown (no worker left to take them over)",
			    c->cameras[i].id, n, n == 1 ? "person" : "people");
}

void
peer_tick(const struct config *c)
{
	int64_t now = (int64_t)util_now_us(), since;
	int i;

	/* Wall time without a worker, not the people's last-seen time (frame
	 * time, which lags behind when frames queue up): a worker that comes
	 * back within the grace takes them over, however late its frames. */
	for (i = 0; i < c->ncameras; i++) {
		if (peer_has_worker(c->cameras[i].id))
			continue;
		if ((since = peer_gone_get(c->cameras[i].id)) == 0)
			peer_gone_set(c->cameras[i].id, since = now); /* none since the notifier started */
		if (now - since >= stale_grace_us())
			stale_close(c->cameras[i].id, now);
	}
}

static int
peer_result(struct peer *p, const struct msg_result *r)
{
	struct commit_out out;
	const char *why;
	int rc;

	if ((why = result_valid(r)) != NULL) {
		log_warnx(NULL, "peer %s: result with %s: dropped", p->name, why);
		return -1;
	}
	if (p->camera[0] && strcmp(p->camera, r->ref.camera) != 0) {
		log_warnx(r->ref.frame_id, "peer %s: result for camera %s, not its own: dropped", p->name, r->ref.camera);
		return -1;
	}
	if (commit_result(r, &out) < 0) {
		/* Not acked: the worker keeps the frame and sends it again. */
		log_error(r->ref.frame_id, "commit %s failed: %s", r->ref.camera, db_errmsg());
		return 0;
	}
	if ((rc = msg_send(p->fd, MSG_RESULT_ACK, &r->ref, sizeof(r->ref))) != 0) {
		errno = -rc;
		log_warn(r->ref.frame_id, "ack to %s lost", p->name);
	}
	metrics_result(r, &out);
	mqtt_result(r, &out);
	fanout_result(r, &out);
	return 0;
}

/* peer_message - act on one message; -1 drops the peer. */
static int
peer_message(struct peer *p, const struct msg *m)
{
	if (!p->hello) {
		if (m->hdr.type != MSG_HELLO) {
			log_warnx(NULL, "peer %s: %s before hello: dropped", p->name, msg_type_name(m->hdr.type));
			return -1;
		}
		return peer_hello(p, &m->u.hello);
	}
	if (m->hdr.type == MSG_RESULT && p->role == MSG_ROLE_WORKER)
		return peer_worker_ok(p, "result") ? peer_result(p, &m->u.result) : -1;
	if (m->hdr.type == MSG_TAKEOVER && p->role == MSG_ROLE_WORKER)
		return peer_worker_ok(p, "takeover") ? peer_takeover(p, &m->u.takeover) : -1;
	if (m->hdr.type == MSG_CAMERA_STATS && p->role == MSG_ROLE_INGEST) {
		cams_stats(&m->u.camera_stats);
		metrics_stats(&m->u.camera_stats);
		return 0;
	}
	if (m->hdr.type == MSG_QUEUE_STATUS && p->role == MSG_ROLE_DISPATCHER) {
		char cam[CAMERA_ID_SIZE];

		util_strlcpy(cam, m->u.queue_status.camera, sizeof(cam));
		if (util_camera_id_valid(cam))
			peer_announce(cam, m->u.queue_status.worker_pid);
		cams_queue(&m->u.queue_status);
		return 0;
	}
	log_warnx(NULL, "peer %s: unexpected %s: dropped", p->name, msg_type_name(m->hdr.type));
	return -1;
}

static void
peer_readable(uv_poll_t *h, int status, int events)
{
	struct peer *p = (struct peer *)h;
	int i, rc;

	(void)events;
	if (status < 0) {
		log_warnx(NULL, "peer %s: poll: %s: dropped", p->name, uv_strerror(status));
		peer_drop(p);
		return;
	}
	for (i = 0; i < PEER_BATCH; i++) {
		rc = msg_recv(p->fd, &rx);
		if (rc == -EAGAIN)
			return;
		if (rc == 0) {
			log_info(NULL, "peer %s: closed", p->name);
			peer_drop(p);
			return;
		}
		if (rc == -EPROTO) {
			log_warnx(NULL, "peer %s: bad message (magic %#x version %u type %u len %u): dropped",
			    p->name, rx.hdr.magic, rx.hdr.version, rx.hdr.type, rx.hdr.len);
			peer_drop(p);
			return;
		}
		if (rc < 0) {
			errno = -rc;
			log_warn(NULL, "peer %s: receive: dropped", p->name);
			peer_drop(p);
			return;
		}
		if (peer_message(p, &rx) < 0) {
			peer_drop(p);
			return;
		}
	}
}

static void
peer_accept(uv_poll_t *h, int status, int events)
{
	struct peer *p;
	int i, fd, rc, uid = -1;

	(void)h;
	(void)events;
	if (status < 0) {
		log_warnx(NULL, "notifier.sock poll: %s", uv_strerror(status));
		return;
	}
	for (i = 0; i < PEER_BATCH; i++) {
		if ((fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn(NULL, "notifier.sock accept");
			return;
		}
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			log_warnx(NULL, "notifier.sock: out of memory, connection refused");
			close(fd);
			continue;
		}
		p->fd = fd;
		snprintf(p->name, sizeof(p->name), "fd %d (no hello yet)", fd);
		/* only our own user (or root) may speak to us (SO_PEERCRED) */
		if ((rc = msg_peer_check(fd, &p->pid, &uid)) < 0) {
			log_warnx(NULL, "notifier.sock: connection from pid %d uid %d refused: %s", p->pid, uid,
			    rc == -EPERM ? "another user" : strerror(-rc));
			close(fd);
			free(p);
			continue;
		}
		if (uv_poll_init(h->loop, &p->poll, fd) != 0) {
			close(fd);
			free(p);
			continue;
		}
		p->next = peers;
		peers = p;
		uv_poll_start(&p->poll, UV_READABLE, peer_readable);
	}
}

int
peer_start(uv_loop_t *loop, const char *path)
{
	int rc;

	if ((listen_fd = msg_listen(path)) < 0)
		return listen_fd;
	if ((rc = uv_poll_init(loop, &listen_poll, listen_fd)) != 0) {
		close(listen_fd);
		listen_fd = -1;
		return -EIO;
	}
	uv_poll_start(&listen_poll, UV_READABLE, peer_accept);
	return 0;
}

static void
peer_listen_closed(uv_handle_t *h)
{
	(void)h;
	close(listen_fd);
	listen_fd = -1;
}

void
peer_stop(void)
{
	if (listen_fd >= 0 && !uv_is_closing((uv_handle_t *)&listen_poll))
		uv_close((uv_handle_t *)&listen_poll, peer_listen_closed);
	while (peers)
		peer_drop(peers);
}

int
peer_send_ingest(unsigned type, const void *body, size_t len)
{
	struct peer *p;
	int n = 0, rc;

	for (p = peers; p; p = p->next) {
		if (!p->hello || p->role != MSG_ROLE_INGEST)
			continue;
		if ((rc = msg_send(p->fd, type, body, len)) != 0) {
			errno = -rc;
			log_warn(NULL, "%s to %s lost", msg_type_name(type), p->name);
		} else
			n++;
	}
	return n;
}
