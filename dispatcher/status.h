/* status - the dispatcher's link to the notifier (DIR/run/notifier.sock,
 * a common/link.c client: it reconnects by itself while the notifier is
 * away): HELLO, then MSG_QUEUE_STATUS per camera on every change and once
 * a second. Statuses are hints: one that does not fit the link's queue
 * is dropped, the next second sends it again. */
#ifndef GW_DISPATCHER_STATUS_H
#define GW_DISPATCHER_STATUS_H

#include "msg.h"

/* status_sweep_fn - call send with the status of every camera. */
typedef void (*status_sweep_fn)(void (*send)(const struct msg_queue_status *));

/* status_start - connect to path (or keep trying); sweep is called once a
 * second and on every (re)connection. */
void status_start(const char *path, status_sweep_fn sweep);
/* status_send - one camera's status to the notifier (lost if it is away). */
void status_send(const struct msg_queue_status *st);
void status_stop(void);

#endif
