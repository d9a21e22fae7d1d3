/* rest - the API as linked resources (REST level 3, HAL-style "_links"):
 *   GET /api                   the entry point: links to every collection the
 *                              caller's role may use, and who is asking
 *   GET /api/openapi.json      the OpenAPI 3.1 document (docs/openapi.json,
 *                              built into the program)
 *   GET /api/tracks/ID         one person (ID: the item's "id")
 *   GET /api/alerts/ID         one alert
 *   GET /api/cameras/ID        one camera
 *   GET /api/stats/day/DATE    a day's figures (YYYY-MM-DD, local time), as
 *                              /api/stats/today gives today's
 *   GET /api/stats             figures for a range: ?from=&to= (YYYY-MM-DD,
 *                              local days, both included; default today)
 *                              &by=hour|day|week|month (day) &camera=ID;
 *                              per bucket and camera, per camera, in total,
 *                              with the pass rate (passed / decided)
 *   GET /api/stats.csv         the same buckets as CSV
 *   GET /api/tracks.csv        people as CSV, with /api/tracks' filters
 *                              (limit up to 10000)
 * and rest_decorate() adds "_links" to the items of /api/tracks,
 * /api/alerts and /api/cameras (self, camera, snapshot, people, and the
 * actions the caller's role allows now: "ack" on an open alert and
 * "override" on a person for a supervisor or admin), plus a Link header
 * (rel="next") when a page of people is full. Loop thread only. */
#ifndef GW_REST_H
#define GW_REST_H

#include <jansson.h>
#include <stddef.h>

#include "api.h"
#include "auth.h"
#include "config.h"
#include "jbuf.h"

struct lws;

/* rest_init - remember the settings (where snapshots are). */
void rest_init(const struct config *c);

/* rest_owns - 1 for the GET paths above. */
int rest_owns(const char *path);

/* rest_link - a HAL link {"href"[, "method"]} (method NULL: none). */
json_t *rest_link(const char *href, const char *method);

/* rest_put - append j as the answer's JSON; 0 or -1. */
int rest_put(struct jbuf *out, json_t *j);

/* rest_csv_value - append v as a CSV field (RFC 4180: text quoted). */
void rest_csv_value(struct jbuf *out, json_t *v);

/* rest_handle - answer GET path for r; fills out, returns the status; or
 * returns 0 with rd set: the answer is rd's read, to run off the loop (the
 * figures and the CSV exports). *ctype is set for a body that is not JSON
 * (CSV), and disposition (displen bytes) to a Content-Disposition value or
 * "": the caller drops both when the answer is an error. */
int rest_handle(struct lws *wsi, const char *path, const struct auth_req *r, struct jbuf *out,
    const char **ctype, char *disposition, size_t displen, struct api_read *rd);

/* rest_camera - GET /api/cameras/ID's answer (its settings, with the
 * links role may use: its ETag is what If-Match on the camera is checked
 * against, so live figures never make it stale), or with live GET
 * /api/cameras/ID/status's (its live state), into out; its status (404:
 * no such camera). */
int rest_camera(const char *id, int role, int live, struct jbuf *out);

/* rest_links - add "_links" to the items of an answer to path
 * (/api/tracks, /api/alerts, /api/cameras) for a caller of role, and for
 * a full page of people or alerts (want items) the Link header value of
 * the next page into link ("" otherwise), its query starting with keep
 * (the filters of this page: "" or "name=value&..."). Any thread for
 * tracks and alerts. */
void rest_links(json_t *items, const char *path, int role, int want, const char *keep, char *link, size_t linklen);

/* rest_decorate - after a 200 from api.c for path: add "_links" to each
 * item of out's array (or out's object) for r; may write a Link header
 * value into link (linklen bytes; "" for none). Leaves out as it was if it
 * is not JSON it knows. */
void rest_decorate(struct lws *wsi, const char *path, const struct auth_req *r, struct jbuf *out, char *link,
    size_t linklen);

/* rest_etag - a strong entity tag ("..." with quotes) for a body, into
 * out (at least REST_ETAG_SIZE bytes). */
#define REST_ETAG_SIZE 24
void rest_etag(const char *body, size_t len, char *out);

/* rest_etag_match - 1 if an If-None-Match / If-Match header value lists
 * etag (or is "*"). */
int rest_etag_match(const char *header, const char *etag);

#endif
