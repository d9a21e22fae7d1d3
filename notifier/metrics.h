/* metrics - GET /metrics in the Prometheus text format (0.0.4) on its own
 * listener, metrics.listen (127.0.0.1:9469 by default; "" = off), so that
 * monitoring never needs the dashboard's port or credentials and stays on
 * loopback unless an operator says otherwise. docs/METRICS.md lists every
 * series. Loop thread only. */
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

/* metrics_start - listen on metrics.listen. A port already taken is
 * logged and metrics stay off; the notifier serves on. Returns 0 or -1. */
int metrics_start(uv_loop_t *loop, const struct config *c);
void metrics_stop(void);

/* metrics_result - r was committed (out: which events are new): count the
 * frame, its latency and analysis time, new gate decisions' time to
 * verdict, new alerts by reason. */
void metrics_result(const struct msg_result *r, const struct commit_out *out);

/* metrics_alert - an alert with this reason was stored (operational ones). */
void metrics_alert(const char *reason);

#endif
