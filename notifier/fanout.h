/* fanout - tell everyone who listens what the notifier learnt: verdicts
 * to ingest (for the gate's page), results, camera state and today's
 * figures to the /live dashboards. Loop thread only; never waits. */
#ifndef GW_FANOUT_H
#define GW_FANOUT_H

#include <stdint.h>

#include "msg.h"

/* fanout_result - a result was committed now as row id. */
void fanout_result(const struct msg_result *r, int64_t id);

/* fanout_tick - once a second: changed cameras, and today's figures if
 * results came in since the last tick. */
void fanout_tick(void);

#endif
