/* lag - how late the camera's frames reach this worker, and so what the
 * frames' clock reads while the worker waits for one (its idle tick ends
 * the people who left on that clock, worker/main.c). Pure: every time is
 * the caller's. */
#ifndef GW_WORKER_LAG_H
#define GW_WORKER_LAG_H

#include <stdint.h>

#define LAG_KEEP 8 /* frames whose time in ingest is remembered */
#define LAG_QUEUE_EMPTY_US 1000000 /* waiting this long, no frame is queued for us */

struct lag {
	uint64_t ingest_us[LAG_KEEP]; /* receipt -> spool commit of the last frames */
	unsigned n, next;
	uint64_t whole_us;            /* wall clock - receipt of the latest frame, when handed over */
	int known;                    /* the latest frame's spool commit time was known */
	uint64_t done_us;             /* when the worker finished the latest frame; 0 = busy */
};

/* lag_frame - a frame ingest received at received_us and committed to the
 * spool at spooled_us (0: not known) reached the worker at wall_us (all
 * wall clock, microseconds). A commit time before the receipt is no time
 * in ingest. */
void lag_frame(struct lag *l, uint64_t received_us, uint64_t spooled_us, uint64_t wall_us);

/* lag_done - the worker finished its frame at wall_us and waits. */
void lag_done(struct lag *l, uint64_t wall_us);

/* lag_idle_us - how far the frames' clock is behind the wall clock at
 * wall_us, while the worker waits: the latest frame's whole lag at first
 * (more frames may be queued behind it, as far behind); once it has waited
 * LAG_QUEUE_EMPTY_US (the dispatcher hands a waiting worker a queued frame
 * at once), the longest time in ingest of the last LAG_KEEP frames: a
 * frame still to come is inside ingest, and the wait in the dispatcher's
 * queue is over. The whole lag when the latest frame's commit time is not
 * known. */
uint64_t lag_idle_us(const struct lag *l, uint64_t wall_us);

/* lag_clock_us - the frames' clock at wall_us while the worker waits:
 * wall_us - lag_idle_us, but never past queued_us, the receipt of the
 * oldest of the camera's frames still in the spool's queue (0: none). A
 * frame queued is a frame still to come from that time: a dispatcher
 * stalled with frames queued (LAG_QUEUE_EMPTY_US is a bound, not what
 * the dispatcher does) must not end the people in them. */
uint64_t lag_clock_us(const struct lag *l, uint64_t wall_us, uint64_t queued_us);

#endif
