/* commit - commit a worker's result: its track events, in one
 * transaction, with the alerts they raise and the alerts' webhook
 * deliveries. Loop thread only. */
#ifndef GW_COMMIT_H
#define GW_COMMIT_H

#include <stdint.h>

#include "msg.h"

struct webhook;

/* What a commit changed, per event of the result (same index). */
struct commit_out {
	int nfresh;                      /* events stored now */
	uint8_t fresh[MSG_EVENTS_MAX];   /* 1: stored now; 0: stored before (replay) */
	int64_t alert_id[MSG_EVENTS_MAX];/* > 0: the alert this event raised now */
	uint8_t superseded[MSG_EVENTS_MAX]; /* 1: a worker's decision for a person a
	                                  * supervisor had already decided: stored
	                                  * with decision 2, not sent to the gate */
};

/* commit_init - w receives a delivery for every alert; NULL = no webhook. */
void commit_init(struct webhook *w);

/* commit_result - store r's events: INSERT OR IGNORE on (camera, track,
 * seq), so a replayed result changes nothing and reports nothing fresh.
 * A result without events touches no table. Returns 0 (out filled), or -1
 * on a database error: nothing was stored, the caller must not ack. */
int commit_result(const struct msg_result *r, struct commit_out *out);

/* commit_override - a supervisor's verdict (PASS or DENY) for the
 * camera's person track_id, by who, with a note: stored in one
 * transaction as an override event (db_override) in r, a NOFRAME result
 * of its own that the caller hands to fanout_override. Returns 0, -2 for
 * an unknown person, -1 on a database error (nothing stored). */
int commit_override(const char *camera, int64_t track_id, unsigned verdict, const char *by, const char *note,
    struct msg_result *r);

#endif
