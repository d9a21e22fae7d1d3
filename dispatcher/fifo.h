/* fifo - one camera's frames waiting for its worker, in frame id order,
 * plus the one frame the worker holds and how often a worker died on it.
 *
 * Frame ids sort in arrival order, so the queue is kept sorted by id: a
 * frame found late (a recovered or rescanned one) takes its place by age.
 * A frame is in at most one place: queued, or in flight; pushing an id
 * already in either place changes nothing. No I/O, no logging: the
 * dispatcher drives the spool and logs. */
#ifndef GW_DISPATCHER_FIFO_H
#define GW_DISPATCHER_FIFO_H

#include <stddef.h>
#include "frameid.h"

struct fifo {
	char (*ids)[FRAMEID_SIZE];     /* owned; sorted ascending, len used of cap */
	size_t len, cap;
	char inflight[FRAMEID_SIZE];   /* "" when the worker holds nothing */
	char crash_id[FRAMEID_SIZE];   /* the frame the last worker deaths happened on */
	int crashes;                   /* deaths with crash_id in flight */
};

void fifo_init(struct fifo *f);
void fifo_free(struct fifo *f);

/* fifo_push - queue a frame id. Returns 1 if added, 0 if it is already
 * queued or in flight, -EINVAL for an invalid id, -ENOMEM. */
int fifo_push(struct fifo *f, const char *id);

/* fifo_len - frames queued, not counting the one in flight. */
size_t fifo_len(const struct fifo *f);

/* fifo_contains - 1 if id is queued or in flight. */
int fifo_contains(const struct fifo *f, const char *id);

/* fifo_take - move the oldest queued frame in flight and copy its id to out.
 * Returns 0, -EBUSY if a frame is already in flight, -ENOENT if empty. */
int fifo_take(struct fifo *f, char out[FRAMEID_SIZE]);

/* fifo_skip_older - keep only the newest queued frame: every older one
 * leaves the fifo, oldest first, its id passed to cb. The frame in flight
 * is not touched. Returns the frames skipped. */
size_t fifo_skip_older(struct fifo *f, void (*cb)(const char *id, void *arg), void *arg);

/* fifo_done - the frame in flight is finished (done or failed by the
 * worker): forget it and its crash count. Returns 0, or -ENOENT if id is
 * not the frame in flight. */
int fifo_done(struct fifo *f, const char *id);

/* fifo_giveback - the frame in flight goes back to the head of the queue
 * without counting a crash (orderly worker exit). No-op if none in flight. */
void fifo_giveback(struct fifo *f);

/* fifo_crash - the worker died holding the frame in flight. Counts the death
 * against that frame; if it reached max_crashes, the frame leaves the fifo
 * (its id is copied into failed, the caller moves it to failed/) and 1 is
 * returned; otherwise it goes back to the head of the queue and 0 is
 * returned. -ENOENT if nothing was in flight. *count gets the deaths so far. */
int fifo_crash(struct fifo *f, int max_crashes, char failed[FRAMEID_SIZE], int *count);

#endif
