/* test_pairmatch - common/pairmatch.c: one-to-one, best pairs first. */
#include "check.h"
#include "pairmatch.h"

CASE(best_first)
{
	/* a0 fits b0 best, but b0 fits a1 better still: a1 gets b0, a0 b1 */
	struct pairmatch p[] = { { 0, 0, 0.6f }, { 0, 1, 0.5f }, { 1, 0, 0.9f } };
	int am[2], bm[3];

	CHECK_INT(pairmatch_greedy(p, 3, am, 2, bm, 3), 2, "two pairs taken");
	CHECK_INT(am[1], 0, "the best pair first: a1-b0");
	CHECK_INT(am[0], 1, "a0 takes the next free: b1");
	CHECK_INT(bm[2], -1, "an unmatched b is -1");
}

CASE(ties_and_nothing)
{
	struct pairmatch p[] = { { 1, 0, 0.5f }, { 0, 0, 0.5f } };
	int am[2], bm[1];

	CHECK_INT(pairmatch_greedy(p, 2, am, 2, bm, 1), 1, "one b, one pair");
	CHECK_INT(bm[0], 0, "a tie goes to the lower a");
	CHECK_INT(am[1], -1, "the other a stays unmatched");
	CHECK_INT(pairmatch_greedy(p, 0, am, 2, bm, 1), 0, "no pairs, no matches");
	CHECK_INT(am[0], -1, "and every a is -1");
}

CHECK_MAIN()
