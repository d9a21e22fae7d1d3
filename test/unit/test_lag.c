/* test_lag - the worker's idle clock (worker/lag.c): how far behind the
 * wall clock the frames' clock is while the worker waits for a frame. */
#include "check.h"
#include "../../worker/lag.h"

#define MS 1000ULL
#define SEC 1000000ULL

/* A frame ingest had in the spool 50 ms after its receipt waited 20 s in
 * the dispatcher's queue (every frame in order, the worker behind). Once
 * the worker has waited a second with no frame, the frames' clock is
 * behind by ingest's time only: before, by the whole 20 s for as long as
 * it waited, so a person who left was ended (and decided) only at the
 * next person's first frame, and stayed open for a camera that connected. */
CASE(queue_wait_left_out)
{
	struct lag l = {0};
	uint64_t r = 100 * SEC, wall = r + 20 * SEC;

	lag_frame(&l, r, r + 50 * MS, wall);
	CHECK_INT((long long)lag_idle_us(&l, wall), (long long)(20 * SEC), "analysing: the frame's whole lag");
	lag_done(&l, wall + 600 * MS);
	CHECK_INT((long long)lag_idle_us(&l, wall + 900 * MS), (long long)(20 * SEC),
	    "just done: the whole lag still (more frames may be queued behind it)");
	CHECK_INT((long long)lag_idle_us(&l, wall + 1700 * MS), (long long)(50 * MS),
	    "waited a second: ingest's time only");
}

/* The longest time in ingest of the last frames counts: a frame still to
 * come may take as long. */
CASE(longest_in_ingest)
{
	struct lag l = {0};
	uint64_t r = 100 * SEC;
	int i;

	lag_frame(&l, r, r + 900 * MS, r + SEC);
	lag_done(&l, r + SEC);
	for (i = 1; i <= 7; i++) {
		lag_frame(&l, r + (uint64_t)i * SEC, r + (uint64_t)i * SEC + 100 * MS, r + (uint64_t)i * SEC + 200 * MS);
		lag_done(&l, r + (uint64_t)i * SEC + 300 * MS);
	}
	CHECK_INT((long long)lag_idle_us(&l, r + 20 * SEC), (long long)(900 * MS), "the slowest of the last 8");
	lag_frame(&l, r + 8 * SEC, r + 8 * SEC + 100 * MS, r + 8 * SEC + 200 * MS);
	lag_done(&l, r + 8 * SEC + 300 * MS);
	CHECK_INT((long long)lag_idle_us(&l, r + 20 * SEC), (long long)(100 * MS), "a 9th frame: the slow one is out");
}

/* Without the spool commit's time (0), or with one before the receipt,
 * as before: the whole lag, or no time in ingest. */
CASE(commit_not_known)
{
	struct lag l = {0};
	uint64_t r = 100 * SEC;

	lag_frame(&l, r, 0, r + 3 * SEC);
	lag_done(&l, r + 3 * SEC);
	CHECK_INT((long long)lag_idle_us(&l, r + 10 * SEC), (long long)(3 * SEC), "no commit time: the whole lag");
	lag_frame(&l, r + 5 * SEC, r + 4 * SEC, r + 6 * SEC);
	lag_done(&l, r + 6 * SEC);
	CHECK_INT((long long)lag_idle_us(&l, r + 10 * SEC), 0, "a commit before the receipt: no time in ingest");
	lag_frame(&l, r + 20 * SEC, r + 19 * SEC, r + 19 * SEC); /* stamped ahead of the wall clock */
	CHECK_INT((long long)lag_idle_us(&l, r + 19 * SEC), 0, "a frame stamped ahead: no lag");
}

/* A dispatcher stalled with the camera's frames in the spool's queue:
 * once the worker has waited a second its clock would jump to the wall
 * clock less ingest's time, past the queued frames, and end the people in
 * them (test_gate_stall: one person, decided twice). The oldest queued
 * frame's receipt holds it. */
CASE(held_by_queued_frame)
{
	struct lag l = {0};
	uint64_t r = 100 * SEC, wall = r + 2 * SEC;

	lag_frame(&l, r, r + 50 * MS, wall);
	lag_done(&l, wall + 100 * MS);
	CHECK_INT((long long)lag_clock_us(&l, wall + 500 * MS, 0), (long long)(r + 500 * MS),
	    "just done, nothing queued: the whole lag behind");
	CHECK_INT((long long)lag_clock_us(&l, wall + 3 * SEC, 0), (long long)(wall + 3 * SEC - 50 * MS),
	    "waited, nothing queued: ingest's time behind");
	CHECK_INT((long long)lag_clock_us(&l, wall + 3 * SEC, r + 200 * MS), (long long)(r + 200 * MS),
	    "waited, a frame queued since r + 200 ms: held at its receipt");
	CHECK_INT((long long)lag_clock_us(&l, wall + 500 * MS, r + 900 * MS), (long long)(r + 500 * MS),
	    "a queued frame later than the clock: no hold");
}

CHECK_MAIN()
