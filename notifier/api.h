/* api - the notifier's JSON HTTP API (GET only, same origin):
 *   /api/health         {"ok":true,"db":"ok","live_clients":N}
 *   /api/config         {"ingest_port":N,"tls":bool}  (for the camera page)
 *   /api/cameras        [camera objects, see cams.c]
 *   /api/stats/today    today's figures, see db_stats_today
 *   /api/results        ?camera=&verdict=PASS|DENY&since=&until= (unix ms)
 *                       &limit= (1..500, default 50)&before_id=  newest first
 * Bad query values are 400 {"error":"..."}; unknown /api paths 404. */
#ifndef GW_API_H
#define GW_API_H

#include "config.h"
#include "jbuf.h"

struct lws;

void api_init(const struct config *c);

/* api_handle - answer GET path (no query string; args come from wsi).
 * Fills out with the JSON body and returns the HTTP status. */
int api_handle(struct lws *wsi, const char *path, struct jbuf *out);

#endif
