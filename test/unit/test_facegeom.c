/* test_facegeom - common/facegeom.c: head regions, one face found twice,
 * and a face confirmed by another search (worker.box_hint's whole-box
 * faces must be scored ANALYSE_BOX_CONFIRM by the whole frame). */
#include "check.h"
#include "facegeom.h"

CASE(seen_same_face)
{
	struct nn_box f = { 100, 100, 40, 50, 0.9f };
	struct nn_box near[] = { { 300, 300, 40, 50, 0.9f }, { 104, 98, 40, 52, 0.8f } };
	struct nn_box off = { 135, 100, 40, 50, 0.9f };  /* IoU 0.07, neither centre inside the other */

	CHECK_INT(facegeom_seen(&f, near, 1), 0, "a face elsewhere is another face");
	CHECK_INT(facegeom_seen(&f, near, 2), 1, "a box shifted by a few pixels is the same face");
	CHECK_INT(facegeom_seen(&f, &off, 1), 0, "a neighbour beside it is not");
}

CASE(confirmed_needs_score_on_it)
{
	struct nn_box f = { 100, 100, 40, 50, 0.8f };
	struct nn_box frame[] = { { 300, 300, 40, 50, 0.95f }, { 102, 104, 38, 46, 0.58f } };

	CHECK_INT(facegeom_confirmed(&f, frame, 2, 0.6f), 0, "on it at 0.58 only, a better face elsewhere: not confirmed");
	CHECK_INT(facegeom_confirmed(&f, frame, 2, 0.5f), 1, "at 0.5 the 0.58 on it confirms it");
	frame[1].score = 0.63f;
	CHECK_INT(facegeom_confirmed(&f, frame, 2, 0.6f), 1, "on it at 0.63: confirmed");
	CHECK_INT(facegeom_confirmed(&f, frame, 0, 0.0f), 0, "nothing to confirm it");
	frame[1].score = 0.6f;
	CHECK_INT(facegeom_confirmed(&f, frame, 2, 0.6f), 1, "exactly the minimum counts");
}

CASE(head_region)
{
	struct image im = { 640, 480, NULL };
	struct nn_box body = { 100, 100, 100, 300, 0.9f };
	int x, y, w, h, full_h;

	CHECK_INT(facegeom_head(&im, &body, &x, &y, &w, &h, &full_h), 1, "a standing person has a head region");
	CHECK_INT(x, 90, "grown by 10% left");
	CHECK_INT(y, 70, "and up");
	CHECK_INT(w, 120, "as wide as the grown box");
	CHECK_INT(full_h, 360, "the whole grown box's height");
	CHECK_INT(h, 216, "its top 60% (the box is more than 1.67 times as tall as wide)");
}

CHECK_MAIN()
