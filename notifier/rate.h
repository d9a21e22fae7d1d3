/* rate - events per second over a fixed window, from a cumulative count
 * sampled once per tick: the dashboard's "fps in / analysed" are two of
 * these, fed at the same ticks (cams_tick), so they cover the same
 * seconds and can be compared. Not thread-safe; loop thread only. */
#ifndef GW_RATE_H
#define GW_RATE_H

#include <stdint.h>

/* Samples kept: the window is the last RATE_SLOTS - 1 ticks (5 s at
 * fanout's 1 s tick), long enough that a worker's burst of results is
 * spread as ingest's frames are, short enough that a stopped camera
 * reads 0 within seconds. */
#define RATE_SLOTS 6

struct rate {
	uint64_t t_us[RATE_SLOTS];   /* when each sample was taken (monotonic) */
	uint64_t n[RATE_SLOTS];      /* the cumulative count then */
	int next, len;               /* ring: where the next sample goes, how many are held */
};

/* rate_sample - record that count events had happened by t_us. A count
 * lower than the last (its source restarted) or a time not after the
 * last starts the window over from this sample. */
void rate_sample(struct rate *r, uint64_t t_us, uint64_t count);

/* rate_per_s - events per second between the oldest and newest samples
 * held, rounded to one decimal; 0 with fewer than two samples. */
double rate_per_s(const struct rate *r);

#endif
