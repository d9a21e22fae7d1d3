/* figures - the API's figures over any range (rest.c routes to them):
 * GET /api/stats/day/DATE (YYYY-MM-DD, local time) and /api/stats(.csv)
 * (?from=&to=&by=hour|day|week|month&camera=). Loop thread; the answers
 * are reads for webjob.c. */
#ifndef GW_FIGURES_H
#define GW_FIGURES_H

#include "api.h"
#include "jbuf.h"

struct lws;

/* figures_day - the day's figures: 0 with rd set, or a 400 in out. */
int figures_day(const char *date, struct jbuf *out, struct api_read *rd);

/* figures_range - the range's figures, as JSON or (csv) CSV: 0 with rd
 * set, or a 400 in out. */
int figures_range(struct lws *wsi, int csv, struct jbuf *out, struct api_read *rd);

#endif
