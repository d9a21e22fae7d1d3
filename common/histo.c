/* histo - histogram counts. See histo.h. */
#include <math.h>

#include "histo.h"

const double histo_fast_s[HISTO_BOUNDS] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const double histo_slow_s[HISTO_BOUNDS] = { 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120 };

void
histo_add(struct histo *h, const double *bounds, double v)
{
	int i;

	if (!(v >= 0) || isinf(v))
		return;
	for (i = 0; i < HISTO_BOUNDS && v > bounds[i]; i++)
		;
	h->counts[i]++;
	h->n++;
	h->sum += v;
}

void
histo_merge(struct histo *into, const struct histo *from)
{
	int i;

	for (i = 0; i <= HISTO_BOUNDS; i++)
		into->counts[i] += from->counts[i];
	into->n += from->n;
	into->sum += from->sum;
}
