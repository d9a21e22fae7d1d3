/* notify - the dispatcher's link to the notifier (DIR/run/notifier.sock):
 * connect without blocking, retry every second while it is absent, say
 * HELLO, then send MSG_QUEUE_STATUS per camera on every change and once a
 * second. Statuses are hints: one that does not fit the socket is dropped,
 * the next second sends it again. */
#ifndef GW_DISPATCHER_NOTIFY_H
#define GW_DISPATCHER_NOTIFY_H

#include "msg.h"

void notify_start(const char *path);
void notify_queue_status(const struct msg_queue_status *st);
void notify_stop(void);

#endif
