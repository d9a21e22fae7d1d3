/* peers - ingest's links to the dispatcher and the notifier over their
 * unix sockets (DIR/run/dispatcher.sock, DIR/run/notifier.sock), two
 * common/link.c clients. Both are optional at any moment: a missing peer
 * is retried (backoff up to 1 s), and a message that cannot be sent is a
 * lost hint, never a lost frame (the spool is the truth; the dispatcher
 * rescans it at its start). Loop thread only. */
#ifndef GW_INGEST_PEERS_H
#define GW_INGEST_PEERS_H

#include <uv.h>

#include "config.h"
#include "msg.h"

/* peers_verdict_cb - the notifier sent a verdict for a camera's frame. */
typedef void (*peers_verdict_cb)(const struct msg_verdict *v);

/* peers_up_cb - the link to the notifier came up (again): what the
 * camera connections know may be stale (it can ask peers_gate_sync). */
typedef void (*peers_up_cb)(void);

/* peers_start - connect (or start retrying). Returns 0 or -errno for a
 * path that does not fit. */
int peers_start(uv_loop_t *loop, const struct config *cfg, peers_verdict_cb verdict, peers_up_cb notifier_up);

/* peers_gate_sync - ask the notifier for camera's open people, as gate
 * messages (replay=1) for connection conn (0: all of the camera's).
 * Returns as peers_camera_stats. */
int peers_gate_sync(const char *camera, uint64_t conn);

/* peers_frame_ready - tell the dispatcher a frame is in the spool. */
void peers_frame_ready(const char *camera, const char *frame_id);

/* peers_frame_empty - tell the dispatcher ingest found nobody in a frame
 * (not spooled; MSG_FRAME_EMPTY): a hint, lost when it cannot be sent. */
void peers_frame_empty(const char *camera, const char *frame_id, uint64_t received_us, uint64_t checked_us);

/* peers_camera_stats - send a camera's statistics to the notifier;
 * returns 0 if sent (or queued), -ENOTCONN if the notifier is away, or
 * -errno (-ENOBUFS: it is not reading). */
int peers_camera_stats(const struct msg_camera_stats *st);

/* peers_stop - close both links and the retry timer (for shutdown). */
void peers_stop(void);

#endif
