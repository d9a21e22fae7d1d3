/* web - the notifier's HTTP and WebSocket server (libwebsockets on the
 * caller's libuv loop): static files from www.dir, snapshots from
 * DIR/snapshots, the JSON API (api.c) and the /live WebSocket (live.c). */
#ifndef GW_WEB_H
#define GW_WEB_H

#include <uv.h>

#include "config.h"

/* web_start - listen on listen.address:http.port (TLS if tls.cert is set).
 * Returns 0, or -1 after logging why. */
int web_start(uv_loop_t *loop, const struct config *c);

/* web_tick - once a second: /live connections whose login ended (logout,
 * expiry, password change, revoked token, removed user) are closed within
 * a few seconds. */
void web_tick(void);

/* web_stop - first half of the shutdown: close the listener and every
 * connection; the loop must then run dry before web_finish. */
void web_stop(void);
void web_finish(void);

#endif
