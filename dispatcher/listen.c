/* listen - accept ingest (and CLI) connections on DIR/run/dispatcher.sock
 * and turn their FRAME_READY hints into queued frames. See listen.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "camera.h"
#include "dispatcher.h"
#include "listen.h"
#include "log.h"
#include "msg.h"
#include "util.h"

#define LISTEN_PEERS_MAX 64

struct peer {
	uv_poll_t poll;
	int fd;
	int hello;              /* HELLO received */
	int pid;                /* from its HELLO, for logs */
	struct peer *next;
};

static uv_poll_t lpoll;
static int lfd = -1;
static char lpath[CONFIG_PATH_SIZE];
static struct peer *peers;      /* owned; freed in peer_close_cb */
static int npeers;

static void
peer_close_cb(uv_handle_t *h)
{
	free(h->data);
}

static void
peer_drop(struct peer *p)
{
	struct peer **pp;

	for (pp = &peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	npeers--;
	uv_close((uv_handle_t *)&p->poll, peer_close_cb);
	close(p->fd);
	p->fd = -1;
}

/* peer_bad - one log line, that peer dropped, everyone else served on. */
static void
peer_bad(struct peer *p, const char *why)
{
	log_warnx(NULL, "peer fd=%d pid=%d: %s; dropping the connection", p->fd, p->pid, why);
	peer_drop(p);
}

/* peer_msg - returns 0 to go on, -1 if the peer was dropped. */
static int
peer_msg(struct peer *p, const struct msg *m)
{
	const struct msg_frame_ref *ref = &m->u.ref;
	int rc;

	if (!p->hello) {
		if (m->hdr.type != MSG_HELLO) {
			peer_bad(p, "first message is not hello");
			return -1;
		}
		if (m->u.hello.role != MSG_ROLE_INGEST && m->u.hello.role != MSG_ROLE_CLI) {
			peer_bad(p, "hello from a role that does not talk to the dispatcher");
			return -1;
		}
		p->hello = 1;
		p->pid = m->u.hello.pid;
		log_debug(NULL, "peer fd=%d pid=%d role=%u connected", p->fd, p->pid, m->u.hello.role);
		return 0;
	}
	if (m->hdr.type != MSG_FRAME_READY) {
		peer_bad(p, m->hdr.type == MSG_HELLO ? "second hello" : "unexpected message type");
		return -1;
	}
	if (!util_camera_id_valid(ref->camera) || !frameid_valid(ref->frame_id)) {
		peer_bad(p, "frame_ready with an invalid camera or frame id");
		return -1;
	}
	if ((rc = camera_frame_ready(ref->camera, ref->frame_id)) < 0) {
		errno = -rc;
		log_warn(ref->frame_id, "camera=%s cannot queue the frame (the spool keeps it; a rescan retries)",
		    ref->camera);
	}
	return 0;
}

static void
peer_poll_cb(uv_poll_t *h, int status, int events)
{
	struct peer *p = h->data;
	struct msg m;
	int rc, n;

	(void)events;
	if (status < 0) {
		peer_bad(p, uv_strerror(status));
		return;
	}
	for (n = 0; n < 256; n++) {
		rc = msg_recv(p->fd, &m);
		if (rc == -EAGAIN)
			return;
		if (rc == 0) {
			log_debug(NULL, "peer fd=%d pid=%d disconnected", p->fd, p->pid);
			peer_drop(p);
			return;
		}
		if (rc == -EPROTO) {
			peer_bad(p, "malformed message (magic, version, type or size)");
			return;
		}
		if (rc < 0) {
			peer_bad(p, strerror(-rc));
			return;
		}
		if (peer_msg(p, &m) < 0)
			return;
	}
}

static void
listen_poll_cb(uv_poll_t *h, int status, int events)
{
	struct peer *p;
	int fd, n, rc, pid = 0, uid = -1;

	(void)h;
	(void)events;
	if (status < 0) {
		log_warnx(NULL, "listening socket: %s", uv_strerror(status));
		return;
	}
	for (n = 0; n < 64; n++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn(NULL, "accept");
			return;
		}
		/* only our own user (or root) may speak to us (SO_PEERCRED) */
		if ((rc = msg_peer_check(fd, &pid, &uid)) < 0) {
			log_warnx(NULL, "dispatcher.sock: connection from pid %d uid %d refused: %s", pid, uid,
			    rc == -EPERM ? "another user" : strerror(-rc));
			close(fd);
			continue;
		}
		if (npeers >= LISTEN_PEERS_MAX || (p = calloc(1, sizeof(*p))) == NULL) {
			log_warnx(NULL, "refusing a connection: %d peers already", npeers);
			close(fd);
			continue;
		}
		p->fd = fd;
		p->poll.data = p;
		if (uv_poll_init(dsp.loop, &p->poll, fd) != 0) {
			close(fd);
			free(p);
			continue;
		}
		uv_poll_start(&p->poll, UV_READABLE | UV_DISCONNECT, peer_poll_cb);
		p->next = peers;
		peers = p;
		npeers++;
	}
}

int
listen_start(const char *path)
{
	int rc;

	if ((rc = msg_listen(path)) < 0)
		return rc;
	lfd = rc;
	util_strlcpy(lpath, path, sizeof(lpath));
	if ((rc = uv_poll_init(dsp.loop, &lpoll, lfd)) != 0) {
		close(lfd);
		lfd = -1;
		return rc;
	}
	uv_poll_start(&lpoll, UV_READABLE, listen_poll_cb);
	return 0;
}

void
listen_stop(void)
{
	if (lfd >= 0) {
		uv_close((uv_handle_t *)&lpoll, NULL);
		close(lfd);
		lfd = -1;
		unlink(lpath);
	}
	while (peers)
		peer_drop(peers);
}
