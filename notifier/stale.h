/* stale - end the people of a camera whose worker is gone and did not
 * come back. A worker killed with kill -9 (or crashing, or exiting idle)
 * sends no ENDED for the people it follows; the next worker of the camera
 * takes them over (MSG_TAKEOVER, peer.c) and ends them itself when they
 * have left. Once no worker of the camera has been connected for
 * track.max_missing_ms plus dispatcher.worker_backoff_max_ms (the longest
 * a restart waits), the notifier ends them, so a person is never left
 * open for ever. Loop thread only. */
#ifndef GW_STALE_H
#define GW_STALE_H

#include <stdint.h>

#include "config.h"

/* stale_init - keep track.max_missing_ms from c. */
void stale_init(const struct config *c);

/* stale_missing_us - track.max_missing_ms in microseconds. */
int64_t stale_missing_us(void);

/* stale_grace_us - how long a camera's people wait for a worker to take
 * them over: track.max_missing_ms + dispatcher.worker_backoff_max_ms. */
int64_t stale_grace_us(void);

/* stale_close - no worker of camera is connected: end its open tracks (ids
 * that hold a time) not seen since seen_before_us, as a worker's tracker
 * would have: a stored ENDED event with the track's next seq (at its
 * last_seen time, so ended_us = last_seen_us), pushed to /live and to the
 * gate like any other. Returns the number ended, or -1 on a database
 * error (logged; nothing half done). */
int stale_close(const char *camera, int64_t seen_before_us);

#endif
