/* stale - end the people of a worker that is gone. A worker killed with
 * kill -9 (or crashing) never sends its tracks' ENDED events; when the
 * next worker of the camera says hello, the notifier ends them itself.
 * Loop thread only. */
#ifndef GW_STALE_H
#define GW_STALE_H

#include <stdint.h>

#include "config.h"

/* stale_init - keep track.max_missing_ms from c. */
void stale_init(const struct config *c);

/* stale_missing_us - track.max_missing_ms in microseconds. */
int64_t stale_missing_us(void);

/* stale_proc_start_us - when process pid started, unix microseconds
 * (from /proc/PID/stat, to the clock tick), or 0 if unknown. A worker's
 * track ids are its start time in microseconds plus a count, so every
 * track of a worker is above its process start time. */
int64_t stale_proc_start_us(int pid);

/* stale_close - camera's worker process started at start_us: end the
 * camera's open tracks that belong to an earlier worker (an id that holds
 * a time, below start_us) and were not seen for track.max_missing_ms, as
 * that worker's tracker would have: a stored ENDED event with the track's
 * next seq (at its last_seen time, so ended_us = last_seen_us), pushed to
 * /live like any other. Returns the number ended, or -1 on a database
 * error (logged; nothing half done). */
int stale_close(const char *camera, int64_t start_us);

#endif
