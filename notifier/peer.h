/* peer - the notifier's side of run/notifier.sock: a common/link.c server
 * for ingest, dispatcher and worker connections, and the router that
 * hands each message to the part that owns it. A peer that breaks the
 * protocol (bad magic, version, size, type, or a message its role may
 * not send) is logged in one line and dropped; everyone else keeps being
 * served. */
#ifndef GW_PEER_H
#define GW_PEER_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "msg.h"

/* peer_start - listen on path. Returns 0 or -errno. */
int peer_start(uv_loop_t *loop, const char *path);
/* peer_stop - close the listener and every peer (handles close on the loop). */
void peer_stop(void);

/* peer_end_orphans - the notifier is stopping: end the open people of
 * cameras whose worker is gone (a clean stop of the whole system, which
 * stops the workers first, leaves nobody open; a camera whose worker is
 * still connected keeps its people for that worker). */
void peer_end_orphans(const struct config *c);

/* peer_tick - once a second: end the open people of cameras that have had
 * no connected worker for stale_grace_us (stale.c). */
void peer_tick(const struct config *c);

/* peer_send_verdict - send a gate message to every ingest peer; a full or
 * broken peer loses this hint (logged). Returns how many got it. */
int peer_send_verdict(const struct msg_verdict *v);

#endif
