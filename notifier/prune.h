/* prune - keep DIR/snapshots within notifier.snapshot_keep_days: at start
 * and then hourly, a thread-pool job deletes snapshots written longer ago
 * than that (their mtime; 0 days: none are kept). */
#ifndef GW_PRUNE_H
#define GW_PRUNE_H

#include <uv.h>

#include "config.h"

void prune_start(uv_loop_t *loop, const struct config *c);
/* prune_stop - no new runs; a run in progress finishes (the loop waits). */
void prune_stop(void);

#endif
