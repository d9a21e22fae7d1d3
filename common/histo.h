/* histo - the counts of a Prometheus-style histogram, as they travel in
 * messages (common/msg.h) and are kept by the notifier's /metrics: a
 * count per bucket (not cumulative; the last bucket is +Inf), the number
 * of observations and their sum. One set of bounds per kind of time, so
 * the programs that observe and the one that serves agree on them. */
#ifndef GW_HISTO_H
#define GW_HISTO_H

#include <stdint.h>

#define HISTO_BOUNDS 11              /* finite upper bounds; counts has one more (+Inf) */

struct histo {
	uint64_t counts[HISTO_BOUNDS + 1]; /* per bucket; [HISTO_BOUNDS] = above the last bound */
	uint64_t n;                        /* observations */
	double sum;                        /* seconds */
};

/* Upper bounds in seconds, ascending: one network run (5 ms .. 10 s) and
 * the times people wait (0.25 s .. 120 s). */
extern const double histo_fast_s[HISTO_BOUNDS];
extern const double histo_slow_s[HISTO_BOUNDS];

/* histo_add - observe v seconds (a NaN, infinite or negative v is ignored). */
void histo_add(struct histo *h, const double *bounds, double v);

/* histo_merge - add from's counts to into's (both on the same bounds). */
void histo_merge(struct histo *into, const struct histo *from);

#endif
