/* peer - run/notifier.sock: the transport is a common/link.c server (it
 * checks SO_PEERCRED, the hello first, every message's size); this file
 * is the router of message types to their handlers. After its hello:
 *   worker      MSG_RESULT        -> commit its track events (commit.c),
 *                                    then MSG_RESULT_ACK back, then
 *                                    fan-out (fanout_result)
 *   ingest      MSG_CAMERA_STATS  -> cams_stats
 *   ingest      MSG_GATE_SYNC     -> the camera's open people as gate
 *                                    messages again (gatesync.c), to
 *                                    that ingest only
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
#include <string.h>

#include "cams.h"
#include "db.h"
#include "commit.h"
#include "fanout.h"
#include "gatesync.h"
#include "link.h"
#include "log.h"
#include "metrics.h"
#include "mqtt.h"
#include "msg.h"
#include "peer.h"
#include "result.h"
#include "stale.h"
#include "util.h"

#define PEER_TAKEOVER_MAX 64 /* open people handed to a new worker (TRACK_MAX) */

/* A peer is a struct link (link.h): role, camera, the kernel's pid, and
 * whether the dispatcher vouched for it as its camera's worker. */
static struct link_server peer_srv;

/* Per camera: since when no worker of it is connected (wall clock); 0
 * while one is. Set when the last worker goes, so a short visit of a
 * worker between two ticks restarts the grace. */
static struct {
	char camera[CAMERA_ID_SIZE];
	int64_t since;
} gone[2 * CONFIG_CAMERAS_MAX];  /* as many as cams.c knows */

static void
peer_gone_set(const char *camera, int64_t since)
{
	int i, free_i = -1;

	for (i = 0; i < 2 * CONFIG_CAMERAS_MAX; i++) {
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

	for (i = 0; i < 2 * CONFIG_CAMERAS_MAX; i++)
		if (strcmp(gone[i].camera, camera) == 0)
			return gone[i].since;
	return 0;
}

static int
peer_hello(struct link *p, const struct msg_hello *h)
{
	if (h->role != MSG_ROLE_INGEST && h->role != MSG_ROLE_DISPATCHER &&
	    h->role != MSG_ROLE_WORKER && h->role != MSG_ROLE_CLI)
		return link_reject(p, "hello with role %u", h->role);
	if (h->role == MSG_ROLE_WORKER && !util_camera_id_valid(h->camera))
		return link_reject(p, "worker hello without a valid camera id");
	if (p->role == MSG_ROLE_WORKER)
		cams_worker(p->camera, 1);
	log_info(NULL, "peer %s: hello", p->name);
	return 0;
}

static void
peer_down(struct link *p, const char *why)
{
	(void)why;
	if (p->hello && p->role == MSG_ROLE_WORKER) {
		cams_worker(p->camera, -1);
		peer_gone_set(p->camera, (int64_t)util_now_us());
	}
}

/* peer_takeover - a new worker of p's camera asks for its open people. */
static int
peer_takeover(struct link *p, const struct msg *m)
{
	static struct msg_track_state s[PEER_TAKEOVER_MAX + 1]; /* loop thread only */
	const struct msg_takeover *t = &m->u.takeover;
	int n, i, rc;

	if (strcmp(t->camera, p->camera) != 0)
		return link_reject(p, "takeover for camera %s, not its own", t->camera);
	if ((n = db_open_tracks(p->camera, s, PEER_TAKEOVER_MAX)) < 0) {
		log_error(NULL, "peer %s: takeover: %s", p->name, db_errmsg());
		n = 0; /* the end marker still goes: the worker starts afresh */
	}
	memset(&s[n], 0, sizeof(s[n]));
	util_strlcpy(s[n].camera, p->camera, sizeof(s[n].camera));
	for (i = 0; i <= n; i++)
		if ((rc = link_send(p, MSG_TRACK_STATE, &s[i], sizeof(s[i]))) != 0)
			return link_reject(p, "takeover message %d of %d lost: %s", i + 1, n + 1, strerror(-rc));
	log_info(NULL, "peer %s: takes over %d open %s", p->name, n, n == 1 ? "person" : "people");
	return 0;
}

/* peer_has_worker - a worker of camera is connected. */
static int
peer_has_worker(const char *camera)
{
	struct link *p;

	for (p = peer_srv.links; p; p = p->next)
		if (p->hello && p->role == MSG_ROLE_WORKER && strcmp(p->camera, camera) == 0)
			return 1;
	return 0;
}

/* peer_worker_live - a worker of camera is connected and its socket has
 * not hung up (at shutdown the loop may not have read its EOF yet). */
static int
peer_worker_live(const char *camera)
{
	struct link *p;

	for (p = peer_srv.links; p; p = p->next) {
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

	(void)c;
	for (i = 0; i < cams_count(); i++)
		if (!peer_worker_live(cams_id(i)) && (n = stale_close(cams_id(i), now)) > 0)
			log_info(NULL, "%s: %d open %s ended at shutdown (no worker left to take them over)",
			    cams_id(i), n, n == 1 ? "person" : "people");
}

void
peer_tick(const struct config *c)
{
	int64_t now = (int64_t)util_now_us(), since;
	int i;

	/* Wall time without a worker, not the people's last-seen time (frame
	 * time, which lags behind when frames queue up): a worker that comes
	 * back within the grace takes them over, however late its frames. */
	(void)c;
	for (i = 0; i < cams_count(); i++) {  /* every camera the notifier knows, configured or seen */
		const char *id = cams_id(i);

		if (peer_has_worker(id))
			continue;
		if ((since = peer_gone_get(id)) == 0)
			peer_gone_set(id, since = now); /* none since the notifier started */
		if (now - since >= stale_grace_us())
			stale_close(id, now);
	}
}

static int
peer_result(struct link *p, const struct msg *m)
{
	const struct msg_result *r = &m->u.result;
	struct commit_out out;
	const char *why;
	int rc;

	if ((why = result_valid(r)) != NULL)
		return link_reject(p, "result with %s", why);
	if (p->camera[0] && strcmp(p->camera, r->ref.camera) != 0)
		return link_reject(p, "result for camera %s, not its own", r->ref.camera);
	if (commit_result(r, &out) < 0) {
		/* Not acked: the worker keeps the frame and sends it again. */
		log_error(r->ref.frame_id, "commit %s failed: %s", r->ref.camera, db_errmsg());
		return 0;
	}
	if ((rc = link_send(p, MSG_RESULT_ACK, &r->ref, sizeof(r->ref))) != 0)
		log_warnc(rc, r->ref.frame_id, "ack to %s lost", p->name);
	metrics_result(r, &out);
	mqtt_result(r, &out);
	fanout_result(r, &out);
	return 0;
}

static int
peer_stats(struct link *p, const struct msg *m)
{
	(void)p;
	cams_stats(&m->u.camera_stats); /* /metrics reads them there */
	return 0;
}

/* peer_gate_sync - a camera (re)connected to ingest p: its open people. */
static int
peer_gate_sync(struct link *p, const struct msg *m)
{
	static struct msg_verdict v[GATESYNC_MSGS_MAX]; /* loop thread only */
	char cam[CAMERA_ID_SIZE];
	int n, i, rc;

	util_strlcpy(cam, m->u.gate_sync.camera, sizeof(cam));
	if (!util_camera_id_valid(cam))
		return link_reject(p, "gate sync without a valid camera id");
	if ((n = gatesync_messages(cam, m->u.gate_sync.conn, v)) < 0) {
		log_error(NULL, "peer %s: gate sync %s: %s", p->name, cam, db_errmsg());
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((rc = link_send(p, MSG_VERDICT, &v[i], sizeof(v[i]))) != 0) {
			log_warnc(rc, NULL, "peer %s: gate sync %s: message %d of %d lost", p->name, cam, i + 1, n);
			break;
		}
	log_debug(NULL, "peer %s: gate sync %s: %d messages", p->name, cam, n);
	return 0;
}

static int
peer_queue(struct link *p, const struct msg *m)
{
	char cam[CAMERA_ID_SIZE];

	(void)p;
	util_strlcpy(cam, m->u.queue_status.camera, sizeof(cam));
	if (util_camera_id_valid(cam))
		link_server_vouch(&peer_srv, cam, m->u.queue_status.worker_pid);
	cams_queue(&m->u.queue_status);
	return 0;
}

/* The router: which role may send which message, and who handles it. */
static const struct {
	unsigned type, role;
	int announced;            /* only from the worker the dispatcher announced */
	int (*fn)(struct link *p, const struct msg *m);
} peer_routes[] = {
	{ MSG_RESULT, MSG_ROLE_WORKER, 1, peer_result },
	{ MSG_TAKEOVER, MSG_ROLE_WORKER, 1, peer_takeover },
	{ MSG_CAMERA_STATS, MSG_ROLE_INGEST, 0, peer_stats },
	{ MSG_GATE_SYNC, MSG_ROLE_INGEST, 0, peer_gate_sync },
	{ MSG_QUEUE_STATUS, MSG_ROLE_DISPATCHER, 0, peer_queue },
};

/* peer_message - act on one message; a negative errno drops the peer. */
static int
peer_message(struct link *p, const struct msg *m)
{
	size_t i;

	for (i = 0; i < sizeof(peer_routes) / sizeof(peer_routes[0]); i++) {
		if (peer_routes[i].type != m->hdr.type || peer_routes[i].role != p->role)
			continue;
		if (peer_routes[i].announced && !link_vouched(p))
			return link_reject(p, "%s from a process the dispatcher did not announce as camera %s's worker",
			    msg_type_name(m->hdr.type), p->camera);
		return peer_routes[i].fn(p, m);
	}
	return link_reject(p, "unexpected %s", msg_type_name(m->hdr.type));
}

static const struct link_ops peer_ops = { peer_hello, peer_message, NULL, peer_down };

int
peer_start(uv_loop_t *loop, const char *path)
{
	int rc = link_server_start(&peer_srv, loop, path, "notifier.sock", 0, &peer_ops, NULL);

	peer_srv.voucher = MSG_ROLE_DISPATCHER;
	return rc;
}

void
peer_stop(void)
{
	link_server_stop(&peer_srv, 0);
}

int
peer_send_verdict(const struct msg_verdict *v)
{
	return link_server_send(&peer_srv, MSG_ROLE_INGEST, MSG_VERDICT, v, sizeof(*v));
}
