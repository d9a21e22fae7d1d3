/* pairmatch - greedy one-to-one matching: sort by value, take what is free. */
#include <stdlib.h>

#include "pairmatch.h"

static int
pairmatch_cmp(const void *x, const void *y)
{
	const struct pairmatch *p = x, *q = y;

	if (p->value != q->value)
		return p->value < q->value ? 1 : -1;
	return p->a != q->a ? p->a - q->a : p->b - q->b;
}

int
pairmatch_greedy(struct pairmatch *pairs, int n, int *amatch, int na, int *bmatch, int nb)
{
	int i, taken = 0;

	for (i = 0; i < na; i++)
		amatch[i] = -1;
	for (i = 0; i < nb; i++)
		bmatch[i] = -1;
	if (n > 0)
		qsort(pairs, (size_t)n, sizeof(*pairs), pairmatch_cmp);
	for (i = 0; i < n; i++)
		if (amatch[pairs[i].a] < 0 && bmatch[pairs[i].b] < 0) {
			amatch[pairs[i].a] = pairs[i].b;
			bmatch[pairs[i].b] = pairs[i].a;
			taken++;
		}
	return taken;
}
