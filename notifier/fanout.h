/* fanout - tell everyone who listens what the notifier learnt: verdicts
 * to ingest (for the gate's page), results, camera state and today's
 * figures to the /live dashboards. Loop thread only; never waits. */
#ifndef GW_FANOUT_H
#define GW_FANOUT_H

#include <stdint.h>

#include "commit.h"
#include "msg.h"

/* fanout_gate_fn - send a gate message to ingest; returns how many ingest
 * links got it (peer.c's peer_send_verdict). */
typedef int (*fanout_gate_fn)(const struct msg_verdict *v);

/* fanout_start - gate messages go through gate (main.c wires it, so
 * fanout.c does not call back into peer.c, which calls fanout.c). */
void fanout_start(fanout_gate_fn gate);

/* fanout_result - r was committed (out says which events are new): push
 * its frame and new events to /live, its new gate decisions to ingest,
 * its new alerts to /live. Replayed events are not pushed again. */
void fanout_result(const struct msg_result *r, const struct commit_out *out);

/* fanout_override - override event e (in a result r of its own, NOFRAME)
 * was stored now: the verdict to the gate (override, by), the event to
 * /live, the figures marked changed. */
void fanout_override(const struct msg_result *r, const struct msg_track_event *e, const char *by);

/* fanout_alert_new - alert id (an operational one, health.c) was stored
 * now: push it to /live. */
void fanout_alert_new(int64_t id);

/* fanout_alert_ack - alert id was acknowledged now: push it to /live. */
void fanout_alert_ack(int64_t id);

/* fanout_tick - once a second: changed cameras, and today's figures if
 * results came in since the last tick. */
void fanout_tick(void);

#endif
