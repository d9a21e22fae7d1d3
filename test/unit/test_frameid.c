/* test_frameid - format, ordering across threads, parsing. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "frameid.h"
#include "util.h"

#define NTHREADS 4
#define NPER 3000

static char ids[NTHREADS][NPER][FRAMEID_SIZE];

static void *
test_frameid_gen(void *arg)
{
	int t = (int)(intptr_t)arg, i;

	for (i = 0; i < NPER; i++)
		frameid_next(ids[t][i]);
	return NULL;
}

static int
test_frameid_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

CASE(format)
{
	char id[FRAMEID_SIZE];
	uint64_t before, after, t;

	before = util_now_us();
	frameid_next(id);
	after = util_now_us();
	CHECK_INT(strlen(id), FRAMEID_LEN, "frame id is 20 characters");
	CHECK_INT(frameid_valid(id), 1, "a fresh frame id is valid");
	t = frameid_time_us(id);
	CHECK(t >= before && t <= after + 1000, "frame id time is the time of the call");
}

CASE(parse)
{
	CHECK_INT(frameid_valid("1764026596123456-007"), 1, "example id is valid");
	CHECK_INT(frameid_time_us("1764026596123456-007"), 1764026596123456ull, "time of the example id");
	CHECK_INT(frameid_valid("1764026596123456-07"), 0, "short sequence is invalid");
	CHECK_INT(frameid_valid("1764026596123456_007"), 0, "wrong separator is invalid");
	CHECK_INT(frameid_valid("176402659612345a-007"), 0, "a letter is invalid");
	CHECK_INT(frameid_valid("1764026596123456-0070"), 0, "too long is invalid");
	CHECK_INT(frameid_valid("../../etc/passwd"), 0, "a path is invalid");
	CHECK_INT(frameid_valid(NULL), 0, "NULL is invalid");
	CHECK_INT(frameid_time_us("x"), 0, "time of an invalid id is 0");
}

/* A burst within one thread: strictly increasing as strings. */
CASE(burst)
{
	char id[FRAMEID_SIZE], prev[FRAMEID_SIZE];
	int i, bad_order = 0;

	frameid_next(prev);
	for (i = 0; i < 5000; i++) {
		frameid_next(id);
		if (strcmp(id, prev) <= 0)
			bad_order++;
		memcpy(prev, id, sizeof(id));
	}
	CHECK_INT(bad_order, 0, "5000 ids in a burst are strictly increasing");
}

/* Across threads: each thread's ids increase, and none repeats. */
CASE(threads)
{
	static char all[NTHREADS * NPER][FRAMEID_SIZE];
	pthread_t th[NTHREADS];
	int i, j, bad_order = 0, dup = 0;

	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, test_frameid_gen, (void *)(intptr_t)i);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NTHREADS; i++)
		for (j = 0; j < NPER; j++) {
			if (j > 0 && strcmp(ids[i][j], ids[i][j - 1]) <= 0)
				bad_order++;
			if (!frameid_valid(ids[i][j]))
				bad_order++;
			memcpy(all[i * NPER + j], ids[i][j], FRAMEID_SIZE);
		}
	CHECK_INT(bad_order, 0, "ids from 4 threads are valid and increasing per thread");
	qsort(all, NTHREADS * NPER, FRAMEID_SIZE, test_frameid_cmp);
	for (i = 1; i < NTHREADS * NPER; i++)
		if (strcmp(all[i], all[i - 1]) == 0)
			dup++;
	CHECK_INT(dup, 0, "12000 ids from 4 threads are unique");
}

CHECK_MAIN()
