/* peers - keep ingest connected to the dispatcher and the notifier: two
 * common/link.c clients (they reconnect by themselves). What is special
 * here: verdicts from the notifier go to the camera's connections, and a
 * hint that cannot be sent is lost, never the frame. */
#include <errno.h>
#include <string.h>

#include "link.h"
#include "log.h"
#include "peers.h"
#include "util.h"

static struct {
	struct link_client dispatcher, notifier;
	peers_verdict_cb verdict;
	peers_up_cb notifier_up;
} peers;

static int
peers_message(struct link *l, const struct msg *m)
{
	if (m->hdr.type == MSG_VERDICT && l->role == MSG_ROLE_NOTIFIER) {
		if (peers.verdict)
			peers.verdict(&m->u.verdict);
		return 0;
	}
	log_warnx(NULL, "%s sent an unexpected %s message; ignored", l->name, msg_type_name(m->hdr.type));
	return 0;
}

static void
peers_up(struct link *l)
{
	if (l->role == MSG_ROLE_NOTIFIER && peers.notifier_up)
		peers.notifier_up();
}

static const struct link_ops peers_ops = { NULL, peers_message, peers_up, NULL };

/* peers_client - start one link to DIR/rel. */
static int
peers_client(struct link_client *c, uv_loop_t *loop, const struct config *cfg, const char *rel, unsigned role)
{
	char path[CONFIG_PATH_SIZE];
	int rc;

	if ((rc = config_path(cfg, rel, path, sizeof(path))) != 0)
		return rc;
	return link_client_start(c, loop, path, MSG_ROLE_INGEST, NULL, role, &peers_ops, NULL);
}

int
peers_start(uv_loop_t *loop, const struct config *cfg, peers_verdict_cb verdict, peers_up_cb notifier_up)
{
	int rc;

	peers.verdict = verdict;
	peers.notifier_up = notifier_up;
	if ((rc = peers_client(&peers.dispatcher, loop, cfg, "run/dispatcher.sock", MSG_ROLE_DISPATCHER)) != 0)
		return rc;
	if ((rc = peers_client(&peers.notifier, loop, cfg, "run/notifier.sock", MSG_ROLE_NOTIFIER)) != 0) {
		link_client_stop(&peers.dispatcher);
		return rc;
	}
	return 0;
}

/* peers_send - send or lose the hint. */
static int
peers_send(struct link_client *c, unsigned type, const void *body, size_t len, const char *frame)
{
	int rc = link_client_send(c, type, body, len);

	/* a lost FRAME_READY is worth a line (the frame waits for the
	 * dispatcher's next scan); a lost statistics tick is not */
	if (rc == -ENOBUFS && type == MSG_FRAME_READY)
		log_warnx(frame, "%s is not reading; %s hint lost", c->link.name, msg_type_name(type));
	else if (rc == -ENOBUFS)
		log_debug(frame, "%s is not reading; %s hint lost", c->link.name, msg_type_name(type));
	return rc;
}

void
peers_frame_ready(const char *camera, const char *frame_id)
{
	struct msg_frame_ref ref;

	memset(&ref, 0, sizeof(ref));
	util_strlcpy(ref.camera, camera, sizeof(ref.camera));
	util_strlcpy(ref.frame_id, frame_id, sizeof(ref.frame_id));
	if (peers_send(&peers.dispatcher, MSG_FRAME_READY, &ref, sizeof(ref), frame_id) == -ENOTCONN)
		log_debug(frame_id, "dispatcher away; it will find the frame in the spool");
}

void
peers_frame_empty(const char *camera, const char *frame_id, uint64_t received_us, uint64_t checked_us)
{
	struct msg_frame_empty e;

	memset(&e, 0, sizeof(e));
	util_strlcpy(e.ref.camera, camera, sizeof(e.ref.camera));
	util_strlcpy(e.ref.frame_id, frame_id, sizeof(e.ref.frame_id));
	e.received_us = (int64_t)received_us;
	e.checked_us = (int64_t)checked_us;
	(void)peers_send(&peers.dispatcher, MSG_FRAME_EMPTY, &e, sizeof(e), frame_id);
}

int
peers_camera_stats(const struct msg_camera_stats *st)
{
	return peers_send(&peers.notifier, MSG_CAMERA_STATS, st, sizeof(*st), NULL);
}

int
peers_gate_sync(const char *camera, uint64_t conn)
{
	struct msg_gate_sync g;

	memset(&g, 0, sizeof(g));
	util_strlcpy(g.camera, camera, sizeof(g.camera));
	g.conn = conn;
	return peers_send(&peers.notifier, MSG_GATE_SYNC, &g, sizeof(g), NULL);
}

void
peers_stop(void)
{
	link_client_stop(&peers.dispatcher);
	link_client_stop(&peers.notifier);
}
