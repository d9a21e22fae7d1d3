/* retention - keep the database within retention.days: people (tracks
 * that have ended), their events, acknowledged alerts and per-frame results
 * older than that are deleted a small batch at a time, with the loop free
 * between batches, shortly after start and then every hour. */
#ifndef GW_RETENTION_H
#define GW_RETENTION_H

#include <uv.h>

#include "config.h"

/* retention_start - after db_open. Returns 0, or -1 (logged) when the
 * indexes it needs cannot be made; the notifier runs on without it. */
int retention_start(uv_loop_t *loop, const struct config *c);
/* retention_stop - no further batches (call on the loop thread). */
void retention_stop(void);

#endif
