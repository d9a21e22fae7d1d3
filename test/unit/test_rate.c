/* test_rate - notifier/rate.c by counts (times are given, never read):
 * the dashboard's "fps in / analysed" come from two of these sampled at
 * the same ticks, so equal counts read equal, whatever the pattern, and a
 * worker that analyses a share of the frames never reads above them. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "../../notifier/rate.h"

#define S 1000000ull   /* one tick, in microseconds */

/* tenths - r's rate in tenths of a frame per second (rate_per_s rounds to one decimal) */
static int
tenths(const struct rate *r)
{
	return (int)(rate_per_s(r) * 10 + 0.5);
}

/* step - sample count at second t, then check the rate reads want tenths */
static void
step(struct rate *r, uint64_t t, uint64_t count, int want, const char *what)
{
	rate_sample(r, t * S, count);
	CHECK_INT(tenths(r), want, what);
}

CASE(few_samples)
{
	struct rate r;

	memset(&r, 0, sizeof(r));
	CHECK_INT(tenths(&r), 0, "no sample: 0");
	step(&r, 5, 40, 0, "one sample: 0, not 40 per second");
	step(&r, 6, 45, 50, "two samples 1 s apart, 5 more: 5.0");
}

CASE(window)
{
	struct rate r;
	uint64_t n = 0;
	int t;

	memset(&r, 0, sizeof(r));
	for (t = 0; t <= 10; t++)
		rate_sample(&r, (uint64_t)t * S, n += (t <= 5 ? 0 : 3));
	CHECK_INT(tenths(&r), 30, "3 a second for the last 5 s: 3.0 (the quiet start left the window)");
	step(&r, 11, n += 8, 40, "then 8 in one second: (4 * 3 + 8) / 5 s = 4.0 over the window");
	for (t = 12; t <= 16; t++)
		rate_sample(&r, (uint64_t)t * S, n);
	CHECK_INT(tenths(&r), 0, "5 s without any: 0");
	step(&r, 18, n += 4, 7, "a tick 2 s late: the real time counts, the window 12..18 s: 4 / 6 s = 0.7");
}

CASE(restart)
{
	struct rate r;

	memset(&r, 0, sizeof(r));
	rate_sample(&r, 1 * S, 100);
	rate_sample(&r, 2 * S, 110);
	step(&r, 3, 2, 0, "ingest restarted (its count went down): starts over (one sample: 0), never a huge rate");
	step(&r, 4, 4, 20, "then counts from there: 2.0");
	step(&r, 4, 6, 0, "a time not after the last starts over too (no division by 0)");
}

/* The tile that read "fps in / analysed 1.0 / 1.6": a camera slowing from
 * 2 to 1 frames a second. Ingest's figure was its last second, the
 * notifier's a smoothing of the results (0.7 old + 0.3 new per tick), so
 * for seconds after the change analysed read above in although every
 * frame was analysed once. Sampled together, equal counts read equal. */
CASE(same_window)
{
	struct rate in, all, half;
	uint64_t n = 0, h = 0;
	int t, same = 1, above = 0;
	double ewma = 0, ewma_peak_gap = 0;

	memset(&in, 0, sizeof(in));
	memset(&all, 0, sizeof(all));
	memset(&half, 0, sizeof(half));
	for (t = 0; t < 30; t++) {
		uint64_t step = t < 15 ? 2 : (t % 3 == 0 ? 3 : 0);   /* 2 a second, then 1 a second in bursts of 3 */

		n += step;
		h += (step + (t & 1)) / 2;                            /* a worker that analyses about half */
		if (h > n)
			h = n;
		rate_sample(&in, (uint64_t)t * S, n);
		rate_sample(&all, (uint64_t)t * S, n);                 /* every frame analysed, in the same tick */
		rate_sample(&half, (uint64_t)t * S, h);
		same &= tenths(&all) == tenths(&in);
		above += tenths(&half) > tenths(&in);
		ewma = 0.7 * ewma + 0.3 * (double)step;             /* the old figure, for the record */
		if (t >= 15 && ewma - (double)step > ewma_peak_gap)
			ewma_peak_gap = ewma - (double)step;
	}
	CHECK_INT(same, 1, "every frame analysed: fps analysed equals fps in at every tick");
	CHECK_INT(above, 0, "a worker analysing a share never reads above fps in");
	CHECK_INT(tenths(&in), 6, "the last 5 s (24..29 s) got one burst of 3 (at 27 s): 0.6 in");
	CHECK_INT(ewma_peak_gap > 0.5, 1, "(the old smoothing read more than 0.5 above the last second's count)");
}

CHECK_MAIN()
