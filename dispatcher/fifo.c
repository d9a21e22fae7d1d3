/* fifo - a camera's frame order: a sorted array of frame ids (append is the
 * common case; a late frame is inserted by binary search), the frame in
 * flight, and the per-frame count of worker deaths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fifo.h"
#include "util.h"

void
fifo_init(struct fifo *f)
{
	memset(f, 0, sizeof(*f));
}

void
fifo_free(struct fifo *f)
{
	free(f->ids);
	memset(f, 0, sizeof(*f));
}

/* fifo_find - index of the first queued id >= id. */
static size_t
fifo_find(const struct fifo *f, const char *id)
{
	size_t lo = 0, hi = f->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(f->ids[mid], id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
fifo_contains(const struct fifo *f, const char *id)
{
	size_t i;

	if (strcmp(f->inflight, id) == 0)
		return 1;
	i = fifo_find(f, id);
	return i < f->len && strcmp(f->ids[i], id) == 0;
}

int
fifo_push(struct fifo *f, const char *id)
{
	size_t i;

	if (!frameid_valid(id))
		return -EINVAL;
	if (fifo_contains(f, id))
		return 0;
	if (f->len == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 64;
		char (*n)[FRAMEID_SIZE] = realloc(f->ids, ncap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		f->ids = n;
		f->cap = ncap;
	}
	i = fifo_find(f, id);
	memmove(&f->ids[i + 1], &f->ids[i], (f->len - i) * sizeof(f->ids[0]));
	util_strlcpy(f->ids[i], id, FRAMEID_SIZE);
	f->len++;
	return 1;
}

size_t
fifo_len(const struct fifo *f)
{
	return f->len;
}

int
fifo_take(struct fifo *f, char out[FRAMEID_SIZE])
{
	if (f->inflight[0] != '\0')
		return -EBUSY;
	if (f->len == 0)
		return -ENOENT;
	util_strlcpy(f->inflight, f->ids[0], sizeof(f->inflight));
	memmove(&f->ids[0], &f->ids[1], (f->len - 1) * sizeof(f->ids[0]));
	f->len--;
	util_strlcpy(out, f->inflight, FRAMEID_SIZE);
	return 0;
}

size_t
fifo_skip_older(struct fifo *f, void (*cb)(const char *id, void *arg), void *arg)
{
	size_t i, n;

	if (f->len < 2)
		return 0;
	n = f->len - 1;
	for (i = 0; i < n; i++)
		cb(f->ids[i], arg);
	memmove(&f->ids[0], &f->ids[n], sizeof(f->ids[0]));
	f->len = 1;
	return n;
}

int
fifo_done(struct fifo *f, const char *id)
{
	if (f->inflight[0] == '\0' || strcmp(f->inflight, id) != 0)
		return -ENOENT;
	if (strcmp(f->crash_id, id) == 0) {
		f->crash_id[0] = '\0';
		f->crashes = 0;
	}
	f->inflight[0] = '\0';
	return 0;
}

void
fifo_giveback(struct fifo *f)
{
	char id[FRAMEID_SIZE];

	if (f->inflight[0] == '\0')
		return;
	util_strlcpy(id, f->inflight, sizeof(id));
	f->inflight[0] = '\0';
	/* Cannot be a duplicate: a frame is in one place. Out of memory here
	 * only delays the frame: the spool still has it and a rescan finds it. */
	(void)fifo_push(f, id);
}

int
fifo_crash(struct fifo *f, int max_crashes, char failed[FRAMEID_SIZE], int *count)
{
	if (f->inflight[0] == '\0')
		return -ENOENT;
	if (strcmp(f->crash_id, f->inflight) != 0) {
		util_strlcpy(f->crash_id, f->inflight, sizeof(f->crash_id));
		f->crashes = 0;
	}
	f->crashes++;
	if (count)
		*count = f->crashes;
	if (f->crashes >= max_crashes) {
		util_strlcpy(failed, f->inflight, FRAMEID_SIZE);
		f->inflight[0] = '\0';
		f->crash_id[0] = '\0';
		f->crashes = 0;
		return 1;
	}
	fifo_giveback(f);
	return 0;
}
