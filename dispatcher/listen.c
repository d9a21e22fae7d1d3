/* listen - accept ingest (and CLI) connections on DIR/run/dispatcher.sock
 * and turn their FRAME_READY hints into queued frames (FRAME_EMPTY hints go
 * to the camera's worker, camera_frame_empty). The transport is
 * common/link.c; this file says who may connect and what a message does.
 * See listen.h. */
#include <errno.h>
#include <string.h>

#include "camera.h"
#include "dispatcher.h"
#include "link.h"
#include "listen.h"
#include "log.h"
#include "util.h"

#define LISTEN_PEERS_MAX 64

static struct link_server listen_srv;

static int
listen_hello(struct link *l, const struct msg_hello *h)
{
	if (h->role != MSG_ROLE_INGEST && h->role != MSG_ROLE_CLI)
		return link_reject(l, "hello from a role that does not talk to the dispatcher");
	log_debug(NULL, "%s connected", l->name);
	return 0;
}

static int
listen_message(struct link *l, const struct msg *m)
{
	const struct msg_frame_ref *ref = &m->u.ref;
	int rc;

	if (m->hdr.type == MSG_FRAME_EMPTY) {
		if (!util_camera_id_valid(m->u.empty.ref.camera) || !frameid_valid(m->u.empty.ref.frame_id))
			return link_reject(l, "frame_empty with an invalid camera or frame id");
		(void)camera_frame_empty(&m->u.empty);
		return 0;
	}
	if (m->hdr.type != MSG_FRAME_READY)
		return link_reject(l, "unexpected %s", msg_type_name(m->hdr.type));
	if (!util_camera_id_valid(ref->camera) || !frameid_valid(ref->frame_id))
		return link_reject(l, "frame_ready with an invalid camera or frame id");
	if ((rc = camera_frame_ready(ref->camera, ref->frame_id)) < 0)
		log_warnc(rc, ref->frame_id, "camera=%s cannot queue the frame (the spool keeps it; a rescan retries)",
		    ref->camera);
	return 0;
}

static const struct link_ops listen_ops = { listen_hello, listen_message, NULL, NULL };

int
listen_start(const char *path)
{
	return link_server_start(&listen_srv, dsp.loop, path, "dispatcher.sock", LISTEN_PEERS_MAX, &listen_ops, NULL);
}

void
listen_stop(void)
{
	link_server_stop(&listen_srv, 1);
}
