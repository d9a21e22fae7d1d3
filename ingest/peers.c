/* peers - keep ingest connected to the dispatcher and the notifier.
 *
 * Each link is a non-blocking SOCK_SEQPACKET socket watched by a uv_poll_t
 * for input (the peer's hello, verdicts from the notifier, EOF). A link
 * that breaks is closed and retried by the one-second timer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "peers.h"
#include "util.h"

enum peer_state { PEER_DOWN, PEER_UP, PEER_CLOSING };

struct peer {
	const char *name;               /* "dispatcher" | "notifier" */
	char path[CONFIG_PATH_SIZE];
	enum peer_state state;
	int fd;                         /* owned while UP/CLOSING; closed in peer_closed */
	int warned;                     /* the "not reachable" line was logged */
	uv_poll_t poll;
};

static struct {
	uv_loop_t *loop;
	uv_timer_t timer;
	peers_verdict_cb verdict;
	struct peer dispatcher, notifier;
	int stopping;
} pr;

static void
peer_closed(uv_handle_t *h)
{
	struct peer *p = h->data;

	close(p->fd);
	p->fd = -1;
	p->state = PEER_DOWN;
}

static void
peer_drop(struct peer *p, const char *why)
{
	if (p->state != PEER_UP)
		return;
	if (pr.stopping)
		log_info(NULL, "%s link closed: %s", p->name, why);
	else
		log_warnx(NULL, "%s link closed: %s", p->name, why);
	p->state = PEER_CLOSING;
	uv_poll_stop(&p->poll);
	uv_close((uv_handle_t *)&p->poll, peer_closed);
}

static void
peer_readable(uv_poll_t *h, int status, int events)
{
	struct peer *p = h->data;
	struct msg m;
	int rc, i;

	(void)events;
	if (status < 0) {
		peer_drop(p, uv_strerror(status));
		return;
	}
	for (i = 0; i < 64 && p->state == PEER_UP; i++) {
		rc = msg_recv(p->fd, &m);
		if (rc == -EAGAIN)
			return;
		if (rc == 0) {
			peer_drop(p, "peer closed the connection");
			return;
		}
		if (rc < 0) {
			peer_drop(p, rc == -EPROTO ? "bad message (version mismatch?)" : strerror(-rc));
			return;
		}
		switch (m.hdr.type) {
		case MSG_HELLO:
			log_info(NULL, "%s link up (pid %d)", p->name, (int)m.u.hello.pid);
			break;
		case MSG_VERDICT:
			if (p == &pr.notifier && pr.verdict)
				pr.verdict(&m.u.verdict);
			break;
		default:
			log_warnx(NULL, "%s sent an unexpected %s message; ignored", p->name,
			    msg_type_name(m.hdr.type));
			break;
		}
	}
}

static void
peer_try(struct peer *p)
{
	int fd, rc;

	if (p->state != PEER_DOWN || pr.stopping)
		return;
	fd = msg_connect(p->path, 1);
	if (fd < 0) {
		if (!p->warned)
			log_info(NULL, "%s not reachable at %s (%s); retrying every second",
			    p->name, p->path, strerror(-fd));
		p->warned = 1;
		return;
	}
	if ((rc = msg_hello(fd, MSG_ROLE_INGEST, "")) != 0) {
		log_warnx(NULL, "%s hello failed: %s", p->name, strerror(-rc));
		close(fd);
		return;
	}
	p->fd = fd;
	p->warned = 0;
	if ((rc = uv_poll_init(pr.loop, &p->poll, fd)) != 0) {
		log_warnx(NULL, "%s: uv_poll_init: %s", p->name, uv_strerror(rc));
		close(fd);
		p->fd = -1;
		return;
	}
	p->poll.data = p;
	p->state = PEER_UP;
	uv_poll_start(&p->poll, UV_READABLE | UV_DISCONNECT, peer_readable);
	log_info(NULL, "connected to %s at %s", p->name, p->path);
}

static void
peers_tick(uv_timer_t *t)
{
	(void)t;
	peer_try(&pr.dispatcher);
	peer_try(&pr.notifier);
}

static int
peer_init(struct peer *p, const struct config *cfg, const char *name, const char *rel)
{
	p->name = name;
	p->state = PEER_DOWN;
	p->fd = -1;
	return config_path(cfg, rel, p->path, sizeof(p->path));
}

int
peers_start(uv_loop_t *loop, const struct config *cfg, peers_verdict_cb verdict)
{
	int rc;

	pr.loop = loop;
	pr.verdict = verdict;
	if ((rc = peer_init(&pr.dispatcher, cfg, "dispatcher", "run/dispatcher.sock")) != 0 ||
	    (rc = peer_init(&pr.notifier, cfg, "notifier", "run/notifier.sock")) != 0)
		return rc;
	uv_timer_init(loop, &pr.timer);
	uv_timer_start(&pr.timer, peers_tick, 0, 1000);
	return 0;
}

/* peer_send - send or lose the hint; a broken link is dropped. */
static int
peer_send(struct peer *p, unsigned type, const void *body, size_t len, const char *frame)
{
	int rc;

	if (p->state != PEER_UP)
		return -ENOTCONN;
	rc = msg_send(p->fd, type, body, len);
	if (rc == -EAGAIN) {
		/* a lost FRAME_READY is worth a line (the frame waits for the
		 * dispatcher's next scan); a lost statistics tick is not */
		if (type == MSG_FRAME_READY)
			log_warnx(frame, "%s is not reading; %s hint lost", p->name, msg_type_name(type));
		else
			log_debug(frame, "%s is not reading; %s hint lost", p->name, msg_type_name(type));
		return rc;
	}
	if (rc != 0)
		peer_drop(p, strerror(-rc));
	return rc;
}

void
peers_frame_ready(const char *camera, const char *frame_id)
{
	struct msg_frame_ref ref;

	memset(&ref, 0, sizeof(ref));
	util_strlcpy(ref.camera, camera, sizeof(ref.camera));
	util_strlcpy(ref.frame_id, frame_id, sizeof(ref.frame_id));
	if (peer_send(&pr.dispatcher, MSG_FRAME_READY, &ref, sizeof(ref), frame_id) == -ENOTCONN)
		log_debug(frame_id, "dispatcher away; it will find the frame in the spool");
}

int
peers_camera_stats(const struct msg_camera_stats *st)
{
	return peer_send(&pr.notifier, MSG_CAMERA_STATS, st, sizeof(*st), NULL);
}

void
peers_stop(void)
{
	pr.stopping = 1;
	uv_timer_stop(&pr.timer);
	uv_close((uv_handle_t *)&pr.timer, NULL);
	if (pr.dispatcher.state == PEER_UP)
		peer_drop(&pr.dispatcher, "shutting down");
	if (pr.notifier.state == PEER_UP)
		peer_drop(&pr.notifier, "shutting down");
}
