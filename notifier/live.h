/* live - the /live WebSocket clients (dashboards): each has a bounded
 * queue of pending JSON messages; a client whose queue is full when a new
 * message comes is dropped, so a slow browser never holds the pipeline.
 * Loop thread only. */
#ifndef GW_LIVE_H
#define GW_LIVE_H

#include <stddef.h>

struct lws;
struct live_client;

/* live_init - queue capacity per client (notifier.client_queue). */
void live_init(int queue_cap);

/* live_open - a client connected: register it and queue the hello
 * message. Returns the client (owned by live, freed in live_close) or
 * NULL (out of memory: the caller closes the connection). */
struct live_client *live_open(struct lws *wsi);
void live_close(struct live_client *c);

/* live_writeable - write one queued message. Returns 0, or -1 when the
 * connection must close. */
int live_writeable(struct live_client *c);

/* live_broadcast - queue a copy of json (len bytes) for every client. */
void live_broadcast(const char *json, size_t len);

/* live_wake - ask for WRITEABLE on every client with queued messages;
 * called from LWS_CALLBACK_EVENT_WAIT_CANCELLED (see live_push). */
void live_wake(void);

/* live_drop_if - close every client for which keep(its wsi) is 0 (its
 * login ended); returns how many. */
int live_drop_if(int (*keep)(struct lws *wsi));

/* live_count - connected clients. */
int live_count(void);

#endif
