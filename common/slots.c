/* slots - faces outside the person boxes before boxes without a face. See
 * slots.h. */
#include <string.h>

#include "msg.h"
#include "slots.h"

int
slots_keep(const struct nn_box *faces, const unsigned char *look, int n, int nextra, int max,
           unsigned char *keep)
{
	int i, kept = n;

	for (i = 0; i < n; i++)
		keep[i] = 1;
	for (i = n - 1; i >= 0 && kept + nextra > max; i--)
		if (faces[i].score <= 0 && (look == NULL || look[i])) {
			keep[i] = 0;
			kept--;
		}
	return kept;
}

/* slots_compact - the elements of a keep[] marks, in order, at its start. */
static void
slots_compact(const struct slots_array *a, const unsigned char *keep, int n)
{
	unsigned char *p = a->p;
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (keep[i]) {
			if (k != i)
				memcpy(p + (size_t)k * a->size, p + (size_t)i * a->size, a->size);
			k++;
		}
}

int
slots_make_room(const struct nn_box *faces, const unsigned char *look, int n, int *nextra, int max,
                const struct slots_array *arrs, int narr)
{
	unsigned char keep[MSG_PERSONS_MAX];
	int j, kept;

	if (n + *nextra <= max || n > MSG_PERSONS_MAX)
		return n;
	kept = slots_keep(faces, look, n, *nextra, max, keep);
	for (j = 0; j < narr; j++)
		slots_compact(&arrs[j], keep, n);
	if (*nextra > max - kept)
		*nextra = max - kept > 0 ? max - kept : 0;
	return kept;
}
