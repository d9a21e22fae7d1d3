/* metrics - GET /metrics in the Prometheus text format (0.0.4). Served by
 * web.c: on the dashboard's port to any session or bearer token, and on
 * metrics.listen (127.0.0.1:9469 by default; "" = off) without
 * credentials. Why the second address: a Prometheus on the machine (or a
 * node agent) scrapes with no secret to keep in its config and no account
 * to manage, and the address stays on loopback, plain HTTP, while the
 * dashboard's port may be public and TLS. It is a vhost of web.c's lws
 * context, so one HTTP implementation serves both; it answers /metrics
 * (GET) and nothing else. docs/METRICS.md lists every series. Loop
 * thread only. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <uv.h>

#include "config.h"
#include "commit.h"
#include "msg.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* metrics_page - append the whole page (Prometheus text). Also served on
 * the dashboard's port as GET /metrics to a session or bearer token. */
struct jbuf;
void metrics_page(struct jbuf *b);

/* metrics_start - web.c's context ctx is made (web its creation info):
 * add the metrics.listen vhost and listen. A port already taken is logged
 * and the address stays off; the notifier serves on. Returns 0 or -1. */
struct lws;
struct lws_context;
struct lws_context_creation_info;
int metrics_start(uv_loop_t *loop, struct lws_context *ctx, const struct lws_context_creation_info *web,
                  const struct config *c);
void metrics_stop(void);

/* metrics_vhost - 1 if wsi came in on metrics.listen. */
int metrics_vhost(struct lws *wsi);

/* metrics_result - r was committed (out: which events are new): count the
 * frame, its latency and analysis time, new gate decisions' time to
 * verdict, new alerts by reason. */
void metrics_result(const struct msg_result *r, const struct commit_out *out);

/* metrics_alert - an alert with this reason was stored (operational ones). */
void metrics_alert(const char *reason);

#endif
