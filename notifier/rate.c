/* rate - events per second over the last few ticks, from a cumulative
 * count (see rate.h). */
#include <string.h>

#include "rate.h"

void
rate_sample(struct rate *r, uint64_t t_us, uint64_t count)
{
	int last = (r->next + RATE_SLOTS - 1) % RATE_SLOTS;

	if (r->len > 0 && (count < r->n[last] || t_us <= r->t_us[last]))
		memset(r, 0, sizeof(*r));
	r->t_us[r->next] = t_us;
	r->n[r->next] = count;
	r->next = (r->next + 1) % RATE_SLOTS;
	if (r->len < RATE_SLOTS)
		r->len++;
}

double
rate_per_s(const struct rate *r)
{
	int newest = (r->next + RATE_SLOTS - 1) % RATE_SLOTS;
	int oldest = (r->next + RATE_SLOTS - r->len) % RATE_SLOTS;
	double per_s;

	if (r->len < 2)
		return 0;
	per_s = (double)(r->n[newest] - r->n[oldest]) * 1e6 / (double)(r->t_us[newest] - r->t_us[oldest]);
	return (double)(long long)(per_s * 10 + 0.5) / 10;
}
