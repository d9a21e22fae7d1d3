/* test_slots - common/slots.c: faces found outside the person boxes come
 * before person boxes without a face when a result is full. */
#include "check.h"
#include "slots.h"

CASE(faces_outside_first)
{
	/* train image 706's shape: 12 boxes (5 without a face) and 7 faces
	 * outside them; 16 places */
	struct nn_box faces[12];
	unsigned char keep[12];
	int i, kept;

	for (i = 0; i < 12; i++)
		faces[i] = (struct nn_box){ 0, 0, 10, 10, i < 7 ? 0.9f : 0 };
	kept = slots_keep(faces, NULL, 12, 7, 16, keep);
	CHECK_INT(kept, 9, "three faceless boxes give their places to the faces outside");
	CHECK_INT(keep[11] + keep[10] + keep[9], 0, "the last faceless boxes (the weakest) go first");
	CHECK_INT(keep[7] + keep[8], 2, "and no more of them than needed");
	for (i = 0; i < 12; i++)
		if (faces[i].score > 0)
			CHECK_INT(keep[i], 1, "a box with a face keeps its place");
}

CASE(looked_and_room)
{
	struct nn_box faces[4] = { { 0, 0, 1, 1, 0 }, { 0, 0, 1, 1, 0 }, { 0, 0, 1, 1, 0.8f }, { 0, 0, 1, 1, 0 } };
	unsigned char look[4] = { 1, 1, 1, 0 }, keep[4];

	CHECK_INT(slots_keep(faces, look, 4, 2, 6, keep), 4, "room for all: every box kept");
	CHECK_INT(slots_keep(faces, look, 4, 4, 6, keep), 2, "two faces too many: two boxes go");
	CHECK_INT(keep[3], 1, "a box not looked into this time keeps its place (its face is the tracker's)");
	CHECK_INT(keep[0] + keep[1], 0, "the faceless boxes looked into give theirs up");
	CHECK_INT(slots_keep(faces, look, 4, 9, 6, keep), 2, "never more than the faceless boxes");
	CHECK_INT(keep[2], 1, "the box with a face stays");
}

CASE(make_room)
{
	struct nn_box faces[5] = { { 0, 0, 1, 1, 0.9f }, { 0, 0, 1, 1, 0 }, { 0, 0, 1, 1, 0.8f }, { 0, 0, 1, 1, 0 },
	    { 0, 0, 1, 1, 0 } };
	int v[5] = { 10, 11, 12, 13, 14 }, nextra = 3, n;
	struct slots_array arrs[] = { SLOTS_ARRAY(v), SLOTS_ARRAY(faces) };

	CHECK_INT(slots_make_room(faces, NULL, 5, &nextra, 8, arrs, 2), 5, "room for all: nothing moves");
	CHECK_INT(v[4], 14, "the arrays as they were");
	nextra = 5;
	n = slots_make_room(faces, NULL, 5, &nextra, 8, arrs, 2);
	CHECK_INT(n, 3, "two faces too many: the last two faceless boxes go");
	CHECK_INT(v[0] * 10000 + v[1] * 100 + v[2], 101112, "the others in order, at the start");
	CHECK(faces[2].score > 0.7f && faces[1].score == 0, "every array in step (faces too)");
	CHECK_INT(nextra, 5, "every face fits beside them");
	nextra = 9;
	CHECK_INT(slots_make_room(faces, NULL, 3, &nextra, 8, arrs, 2), 2, "more faces than faceless boxes");
	CHECK_INT(nextra, 6, "the faces cut to what fits");
}

CHECK_MAIN()
