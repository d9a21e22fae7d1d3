/* test_track - the per-camera tracker on synthetic box sequences: ids stay
 * with people, mask states settle by consensus, stable people are not
 * re-classified, indoor alerts honour their delay and cooldowns. */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "../../worker/track.h"

#define SEC 1000000ULL
#define FRAME (SEC / 5) /* 5 fps */

static struct track_box
test_track_box(float x, float y, float w, float h)
{
	struct track_box b = { x, y, w, h };
	return b;
}

static struct track_look
test_track_look(enum track_mask v, float score)
{
	struct track_look l;

	memset(&l, 0, sizeof(l));
	l.mask = v;
	l.score = score;
	return l;
}

/* classify one look, then the track's mask state */
static enum track_mask
test_track_mask_after(struct tracker *t, uint64_t id, uint64_t now, const struct track_look *l)
{
	struct track_info info;

	track_classify(t, id, now, l);
	track_info(t, id, &info);
	return info.mask;
}

/* drain events, counting each type; the last event of each type is kept */
struct evcount {
	int n[8];
	struct track_event last[8];
	int first_settles;
};

static void
test_track_drain(struct tracker *t, struct evcount *c)
{
	struct track_event e;

	while (track_next_event(t, &e)) {
		c->n[e.type]++;
		c->last[e.type] = e;
		if (e.type == TRACK_CHANGED && e.first_settle)
			c->first_settles++;
	}
}

CASE(walking)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[1];
	struct evcount ev = {0};
	uint64_t id = 0, now = 10 * SEC;
	int i, same = 1, new_at = -1;

	for (i = 0; i < 30; i++, now += FRAME) {
		struct track_box b = test_track_box(20 + 12 * i, 100 + 2 * i, 100 + i, 220 + 2 * i);
		int before = ev.n[TRACK_NEW];

		track_update(t, now, &b, 1, a);
		test_track_drain(t, &ev);
		if (i == 0)
			id = a[0].id;
		else if (a[0].id != id)
			same = 0;
		if (ev.n[TRACK_NEW] > before)
			new_at = i;
	}
	CHECK(id != 0, "walking: the person gets a track id");
	CHECK(same, "walking: the id stays the same over 30 frames");
	CHECK_INT(ev.n[TRACK_NEW], 1, "walking: one TRACK_NEW");
	CHECK_INT(new_at, 1, "walking: confirmed on the 2nd frame (min_hits), no face needed");
	CHECK_INT(ev.n[TRACK_ENDED], 0, "walking: not ended while visible");
	track_update(t, now + 3 * SEC, NULL, 0, NULL);
	test_track_drain(t, &ev);
	CHECK_INT(ev.n[TRACK_ENDED], 1, "walking: ended after max_missing_us without boxes");
	CHECK_INT(ev.last[TRACK_ENDED].id, id, "walking: the ended track is the person's");
	CHECK_INT(ev.last[TRACK_ENDED].frames, 30, "walking: ended event counts 30 frames");
	track_free(t);
}

CASE(crossing)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[2];
	struct evcount ev = {0};
	uint64_t now = 10 * SEC, ida = 0, idb = 0;
	int i, ok_a = 1, ok_b = 1;

	/* A walks right, B (nearer the camera, bigger) walks left; they cross
	 * around frame 12, where B hides A completely for two frames. */
	for (i = 0; i < 25; i++, now += FRAME) {
		struct track_box b[2];
		size_t n = 2, ia = 0, ib = 1;

		b[0] = test_track_box(40 + 25 * i, 100, 90, 200);
		b[1] = test_track_box(640 - 25 * i, 90, 110, 240);
		if (i == 12 || i == 13) { /* only B is seen */
			b[0] = b[1];
			n = 1;
			ib = 0;
		} else if (i % 2) { /* detector order is not person order */
			struct track_box tmp = b[0];

			b[0] = b[1];
			b[1] = tmp;
			ia = 1;
			ib = 0;
		}
		track_update(t, now, b, n, a);
		test_track_drain(t, &ev);
		if (i == 0) {
			ida = a[ia].id;
			idb = a[ib].id;
			continue;
		}
		if (n == 2 && a[ia].id != ida)
			ok_a = 0;
		if (a[ib].id != idb)
			ok_b = 0;
	}
	CHECK(ida != idb && ida && idb, "crossing: two distinct ids");
	CHECK(ok_a, "crossing: A keeps its id through the crossing and occlusion");
	CHECK(ok_b, "crossing: B keeps its id through the crossing");
	CHECK_INT(ev.n[TRACK_NEW], 2, "crossing: two people confirmed");
	CHECK_INT(ev.n[TRACK_ENDED], 0, "crossing: nobody ended");
	track_free(t);
}

CASE(leave_arrive)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[1];
	struct evcount ev = {0};
	struct track_stats st;
	uint64_t now = 10 * SEC, ida = 0, idb = 0;
	int i, ended_before_new = 0;

	for (i = 0; i < 10; i++, now += FRAME) {
		struct track_box b = test_track_box(300 + 10 * i, 100, 100, 220);

		track_update(t, now, &b, 1, a);
		ida = a[0].id;
	}
	test_track_drain(t, &ev);
	now += 3 * SEC; /* frames without anybody never reach the worker */
	for (i = 0; i < 10; i++, now += FRAME) {
		struct track_box b = test_track_box(380 - 10 * i, 110, 100, 220);

		track_update(t, now, &b, 1, a);
		if (i == 0) {
			struct track_event e;

			if (track_next_event(t, &e) && e.type == TRACK_ENDED && e.id == ida)
				ended_before_new = 1;
			ev.n[e.type]++;
		}
		idb = a[0].id;
		test_track_drain(t, &ev);
	}
	CHECK(ended_before_new, "leave/arrive: A ends before B is matched");
	CHECK(ida != idb, "leave/arrive: B gets a new id even where A stood");
	CHECK_INT(ev.n[TRACK_NEW], 2, "leave/arrive: two confirmed tracks");
	CHECK_INT(ev.n[TRACK_ENDED], 1, "leave/arrive: one ended");
	track_stats(t, &st);
	CHECK_INT(st.live, 1, "leave/arrive: one live track left");
	track_free(t);
}

/* A 5 fps gate camera whose worker gets one frame in 8 (the dispatcher
 * skipped the 7 between): A leaves, nobody for 3.6 s, B steps in where A
 * stood. Told of the skipped frames, the tracker knows the camera's 200 ms
 * interval, ends A after max_missing (3 s) and B is a new person; not
 * told, the 1.6 s between analysed frames look like a slow camera and A is
 * kept for 2.5 of them (4 s), so B would be taken for A. */
static void
test_track_skipping(int tell, uint64_t *ida, uint64_t *idb)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[1];
	struct evcount ev = {0};
	uint64_t now = 10 * SEC, step = 8 * FRAME;
	int i;

	for (i = 0; i < 6; i++, now += step) {
		struct track_box b = test_track_box(300, 100, 100, 220);

		if (tell && i > 0)
			track_skipped(t, 7);
		track_update(t, now, &b, 1, a);
		*ida = a[0].id;
	}
	now += 3600000ULL - step; /* the last analysed frame of A, then 3.6 s of nobody */
	for (i = 0; i < 3; i++, now += step) {
		struct track_box b = test_track_box(302, 104, 100, 220);

		if (tell && i > 0) /* frames of nobody never reach the dispatcher: none skipped */
			track_skipped(t, 7);
		track_update(t, now, &b, 1, a);
		*idb = a[0].id;
	}
	test_track_drain(t, &ev);
	track_free(t);
}

CASE(skipped_frames)
{
	uint64_t ida, idb;

	test_track_skipping(1, &ida, &idb);
	CHECK(ida != 0 && idb != 0 && ida != idb, "skipped frames told: the next person where A stood is a new person");
	test_track_skipping(0, &ida, &idb);
	CHECK(ida != 0 && ida == idb, "not told (the contrast): A's track takes the next person");
}

/* A worker that saw only two frames of A (it started late, or lags):
 * 1.6 s apart with one frame skipped between, so the camera's interval is
 * 0.8 s. A leaves; B steps in where A stood 4 s after A's last frame (the
 * empty scene's frames never reach the worker). The 4 s gap is an
 * absence, not the camera's interval: A ends (max_missing 3 s) and B is a
 * new person, not A with A's verdict. */
CASE(absence_gap)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[1];
	struct track_box b = test_track_box(162, 278, 220, 201);
	struct evcount ev = {0};
	uint64_t now = 10 * SEC, ida, idb;

	track_update(t, now, &b, 1, a);
	track_skipped(t, 1);
	now += 1600000;
	track_update(t, now, &b, 1, a);
	ida = a[0].id;
	now += 4 * SEC;
	track_update(t, now, &b, 1, a);
	idb = a[0].id;
	test_track_drain(t, &ev);
	CHECK(ida != 0 && idb != 0 && ida != idb, "absence gap: the next person where A stood is a new person");
	CHECK_INT(ev.n[TRACK_ENDED], 1, "absence gap: A ended");
	CHECK_INT(track_frame_interval_us(t), 800000, "absence gap: the camera's interval stays 0.8 s (the lower median of 0.8 and 4)");
	track_free(t);

	/* the same with one frame of A, confirmed by a confident look: no
	 * interval known yet, and A is kept the configured 3 s, not 2.5 gaps */
	memset(&ev, 0, sizeof(ev));
	t = track_new(NULL);
	now = 10 * SEC;
	track_update(t, now, &b, 1, a);
	ida = a[0].id;
	track_classify(t, ida, now, &(struct track_look){ TRACK_MASK_ON, 0.99f, 1, {230, 300, 60, 70}, 0.9f });
	now += 4 * SEC;
	track_update(t, now, &b, 1, a);
	idb = a[0].id;
	test_track_drain(t, &ev);
	CHECK(ida != 0 && idb != 0 && ida != idb && ev.n[TRACK_ENDED] == 1,
	    "absence gap after one frame of a confirmed person: the next person is a new person");
	track_free(t);
}

/* test_track_still - one confirmed person at a gate, then the next
 * analysed frame gap_us later with the camera's frame numbers: seq_gap
 * frames on, skipped of them skipped by the dispatcher, unlooked answered
 * busy by ingest (seq 0: no numbers). Returns 1 if the person was kept. */
static int
test_track_still(uint64_t gap_us, uint64_t seq_gap, unsigned skipped, uint64_t unlooked)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[1];
	struct track_box b = test_track_box(162, 278, 220, 201);
	struct evcount ev = {0};
	uint64_t now = 10 * SEC, id;

	track_camera_frame(t, seq_gap ? 100 : 0, 7);
	track_update(t, now, &b, 1, a);
	id = a[0].id;
	track_classify(t, id, now, &(struct track_look){ TRACK_MASK_ON, 0.99f, 1, {230, 300, 60, 70}, 0.9f });
	track_skipped(t, skipped);
	track_camera_frame(t, seq_gap ? 100 + seq_gap : 0, 7 + unlooked);
	now += gap_us;
	track_update(t, now, &b, 1, a);
	test_track_drain(t, &ev);
	track_free(t);
	return a[0].id == id && ev.n[TRACK_ENDED] == 0;
}

CASE(unlooked_frames)
{
	/* a loaded worker: 3.6 s from one analysed frame to the next, all
	 * frames between skipped (the newcomer's scene: every track ended and
	 * restarted at each such gap before) */
	CHECK(test_track_still(3600000, 6, 5, 0), "3.6 s, 5 frames skipped by the dispatcher: kept");
	CHECK(test_track_still(3600000, 6, 2, 3), "3.6 s, 2 skipped, 3 answered busy by ingest: kept");
	CHECK(test_track_still(12 * SEC, 60, 59, 0), "12 s, every frame between skipped: kept");
	/* frames ingest looked at and found empty are an absence */
	CHECK(!test_track_still(3600000, 18, 0, 0), "3.6 s of frames found empty: the person left");
	CHECK(!test_track_still(4 * SEC, 20, 3, 0), "4 s, 3 frames skipped, 16 found empty: left");
	CHECK(!test_track_still(3600000, 0, 5, 0), "without frame numbers, 5 skipped: left (as before)");
	CHECK(test_track_still(2 * SEC, 0, 0, 0), "without frame numbers, 2 s: kept");
	/* a lower number (ingest restarted) is no number */
	CHECK(!test_track_still(3600000, (uint64_t)-50, 5, 0), "ingest restarted meanwhile: as without numbers");
}

CASE(flicker)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[1];
	struct evcount ev = {0};
	uint64_t now = 10 * SEC, id = 0;
	int i, same = 1;

	for (i = 0; i < 20; i++, now += FRAME) {
		struct track_box b = test_track_box(100 + 15 * i, 100, 100, 220);

		if (i == 7 || i == 12 || i == 13) { /* detector missed the person */
			track_update(t, now, NULL, 0, NULL);
			continue;
		}
		track_update(t, now, &b, 1, a);
		if (id == 0)
			id = a[0].id;
		else if (a[0].id != id)
			same = 0;
	}
	test_track_drain(t, &ev);
	CHECK(same, "flicker: the track survives missed frames with its id");
	CHECK_INT(ev.n[TRACK_NEW], 1, "flicker: one TRACK_NEW");
	CHECK_INT(ev.n[TRACK_ENDED], 0, "flicker: no TRACK_ENDED");

	/* a box seen once (a false positive) never becomes a track */
	{
		struct track_box fp = test_track_box(600, 10, 30, 60);
		struct track_stats st;

		track_update(t, now, &fp, 1, a);
		now += FRAME;
		for (i = 0; i < 5; i++, now += FRAME)
			track_update(t, now, NULL, 0, NULL);
		test_track_drain(t, &ev);
		track_stats(t, &st);
		CHECK_INT(ev.n[TRACK_NEW], 1, "flicker: a one-frame box is never confirmed");
		CHECK_INT(ev.n[TRACK_ENDED], 0, "flicker: and ends without an event");
		CHECK_INT(st.created, 2, "flicker: two tracks were created in all");
	}
	track_free(t);
}

/* a confirmed, still person; returns its id */
static uint64_t
test_track_still_person(struct tracker *t, uint64_t *now, struct track_box b)
{
	struct track_assign a[1];
	int i;

	for (i = 0; i < 3; i++, *now += FRAME)
		track_update(t, *now, &b, 1, a);
	return a[0].id;
}

CASE(consensus)
{
	struct tracker *t = track_new(NULL);
	struct track_box b = test_track_box(200, 100, 100, 220);
	struct track_info info;
	struct evcount ev = {0};
	uint64_t now = 10 * SEC, id = test_track_still_person(t, &now, b);

	test_track_drain(t, &ev);
	track_classify(t, id, now, &(struct track_look){ TRACK_MASK_ON, 0.4f, 0, {0, 0, 0, 0}, 0 });
	track_classify(t, id, now, &(struct track_look){ TRACK_MASK_ON, 0.5f, 0, {0, 0, 0, 0}, 0 });
	CHECK_INT(test_track_mask_after(t, id, now, &(struct track_look){ TRACK_MASK_ON, 0.55f, 0, {0, 0, 0, 0}, 0 }),
	    TRACK_MASK_UNKNOWN, "consensus: looks below min_score do not vote");
	track_classify(t, id, now, &(struct track_look){ TRACK_MASK_UNKNOWN, 0.9f, 0, {0, 0, 0, 0}, 0 });
	{
		struct track_look on = test_track_look(TRACK_MASK_ON, 0.9f);

		CHECK_INT(test_track_mask_after(t, id, now, &on), TRACK_MASK_UNKNOWN,
		    "consensus: 1 vote below decide_score does not settle");
		track_classify(t, id, now, &on);
		track_info(t, id, &info);
		CHECK_INT(info.mask, TRACK_MASK_ON, "consensus: the 2nd agreeing vote settles");
		CHECK_INT(info.looks, 6, "consensus: every look is counted");
	}
	test_track_drain(t, &ev);
	CHECK_INT(ev.n[TRACK_CHANGED], 1, "consensus: one TRACK_CHANGED on the first settle");
	CHECK_INT(ev.first_settles, 1, "consensus: it is the gate decision");
	CHECK_INT(ev.last[TRACK_CHANGED].mask, TRACK_MASK_ON, "consensus: decision says mask_on");

	/* one odd look does not flip it, nor does a second; the third does */
	{
		struct track_look off = test_track_look(TRACK_MASK_OFF, 0.95f);

		CHECK_INT(test_track_mask_after(t, id, now, &off), TRACK_MASK_ON, "consensus: one odd look does not flip");
		CHECK_INT(test_track_mask_after(t, id, now, &off), TRACK_MASK_ON, "consensus: two odd looks do not flip");
		test_track_drain(t, &ev);
		CHECK_INT(ev.n[TRACK_CHANGED], 1, "consensus: no TRACK_CHANGED for odd looks");
		CHECK_INT(test_track_mask_after(t, id, now, &off), TRACK_MASK_OFF, "consensus: 3 of the last 5 flip it");
		test_track_drain(t, &ev);
		CHECK_INT(ev.n[TRACK_CHANGED], 2, "consensus: the flip is one TRACK_CHANGED");
		CHECK_INT(ev.last[TRACK_CHANGED].previous, TRACK_MASK_ON, "consensus: previous mask state named");
		CHECK_INT(ev.first_settles, 1, "consensus: still one gate decision per person");
	}

	/* alternating looks: no majority of 3 until there is one */
	{
		struct tracker *u = track_new(NULL);
		struct track_look on = test_track_look(TRACK_MASK_ON, 0.9f);
		struct track_look chin = test_track_look(TRACK_MASK_CHIN, 0.9f);
		uint64_t now2 = 10 * SEC, id2 = test_track_still_person(u, &now2, b);

		track_classify(u, id2, now2, &on);
		track_classify(u, id2, now2, &chin);
		track_info(u, id2, &info);
		CHECK_INT(info.mask, TRACK_MASK_UNKNOWN, "consensus: 1 vs 1 does not settle");
		track_classify(u, id2, now2, &chin);
		track_info(u, id2, &info);
		CHECK_INT(info.mask, TRACK_MASK_CHIN, "consensus: 2 of 3 settles mask_chin");
		track_free(u);
	}
	CHECK_INT(track_classify(t, 9999, now, &(struct track_look){ TRACK_MASK_ON, 0.9f, 0, {0, 0, 0, 0}, 0 }),
	    -ENOENT, "consensus: unknown track id is -ENOENT");
	CHECK_INT(track_classify(t, id, now, &(struct track_look){ TRACK_MASK_ON, 7.0f, 0, {0, 0, 0, 0}, 0 }),
	    -EINVAL, "consensus: a score out of 0..1 is -EINVAL");
	track_free(t);
}

/* a confident look confirms a tentative track at once; a look without a
 * vote does not; one very confident look decides on the first frame */
CASE(settle_before_confirm)
{
	struct tracker *t = track_new(NULL);
	struct track_box b = test_track_box(200, 100, 100, 220), b2 = test_track_box(450, 100, 100, 220);
	struct track_assign a[1];
	struct track_look on = test_track_look(TRACK_MASK_ON, 0.9f), sure = test_track_look(TRACK_MASK_OFF, 0.99f);
	struct track_look none = test_track_look(TRACK_MASK_UNKNOWN, 0.0f);
	struct track_event e1, e2;
	uint64_t now = 10 * SEC;
	int got1, got2;

	track_update(t, now, &b, 1, a);
	track_classify(t, a[0].id, now, &none);
	CHECK(track_next_event(t, &e1) == 0, "early: a look without a face confirms nothing");
	track_classify(t, a[0].id, now, &on);
	got1 = track_next_event(t, &e1);
	CHECK(got1 && e1.type == TRACK_NEW, "early: a vote confirms a tentative track on its first frame");
	CHECK(track_next_event(t, &e2) == 0, "early: one vote of 0.9 decides nothing");
	track_classify(t, a[0].id, now, &on);
	got2 = track_next_event(t, &e2);
	CHECK(got2 && e2.type == TRACK_CHANGED && e2.first_settle && e2.mask == TRACK_MASK_ON,
	    "early: two agreeing looks are the gate decision");
	track_free(t);

	t = track_new(NULL);
	track_update(t, now, &b2, 1, a);
	track_classify(t, a[0].id, now, &sure);
	got1 = track_next_event(t, &e1);
	got2 = track_next_event(t, &e2);
	CHECK(got1 && e1.type == TRACK_NEW && got2 && e2.type == TRACK_CHANGED && e2.first_settle &&
	    e2.mask == TRACK_MASK_OFF, "early: one look at decide_score decides on the first frame");
	/* decide_score never flips a settled mask state on its own */
	track_classify(t, a[0].id, now, &(struct track_look){ TRACK_MASK_ON, 0.999f, 0, {0, 0, 0, 0}, 0 });
	CHECK(track_next_event(t, &e1) == 0, "early: one sure look does not flip a settled mask state");
	track_free(t);
}

CASE(skip_when_stable)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[1];
	struct track_look on = test_track_look(TRACK_MASK_ON, 0.9f);
	struct track_stats st;
	struct track_info info;
	uint64_t now = 10 * SEC, id = 0;
	int i, asked = 0, skipped = 0, first_skip = -1, recheck_at = -1, box_at = -1;

	/* 12 s standing still at 5 fps, looked at whenever asked */
	for (i = 0; i < 60; i++, now += FRAME) {
		struct track_box b = test_track_box(200 + (i % 2), 100, 100, 220); /* jitter */

		track_update(t, now, &b, 1, a);
		id = a[0].id;
		if (a[0].classify) {
			asked++;
			if (a[0].reason == TRACK_REASON_RECHECK && recheck_at < 0)
				recheck_at = i;
			track_classify(t, id, now, &on);
		} else {
			skipped++;
			if (first_skip < 0)
				first_skip = i;
		}
	}
	/* settled at frame 1 (2 votes); stable 3 s (15 frames) later: frame 16 */
	CHECK_INT(first_skip, 16, "stable: classification stops stable_us after settling");
	/* last look at frame 15, recheck 5 s (25 frames) later */
	CHECK_INT(recheck_at, 40, "stable: re-checked after recheck_us");
	CHECK_INT(asked, 16 + 1, "stable: 16 looks to settle and stabilise, 1 recheck in 12 s");
	CHECK_INT(skipped, 60 - 17, "stable: the other frames were skipped");
	track_info(t, id, &info);
	CHECK_INT(info.skipped, 43, "stable: the track counts its skipped frames");
	CHECK(info.stable, "stable: track_info says stable");

	/* the person steps aside: the box moved by more than half its width */
	for (i = 0; i < 3; i++, now += FRAME) {
		struct track_box b = test_track_box(200 + 30 * i, 100, 100, 220);

		track_update(t, now, &b, 1, a);
		if (a[0].classify && box_at < 0) {
			box_at = i;
			CHECK_INT(a[0].reason, TRACK_REASON_BOX, "stable: the reason is the box change");
			track_classify(t, id, now, &on);
		}
	}
	CHECK_INT(box_at, 2, "stable: a big box change forces a test_track_look (60 px of 100)");

	/* an odd look on a recheck makes it unstable again: looks resume */
	track_classify(t, id, now, &(struct track_look){ TRACK_MASK_OFF, 0.9f, 0, {0, 0, 0, 0}, 0 });
	{
		struct track_box b = test_track_box(260, 100, 100, 220);

		track_update(t, now + FRAME, &b, 1, a);
		CHECK(a[0].classify && a[0].reason == TRACK_REASON_UNSETTLED,
		    "stable: a disagreeing look resumes classification");
	}
	track_stats(t, &st);
	CHECK_INT(st.classify_skipped, 43 + 2, "stable: camera totals count skipped boxes");
	CHECK_INT(st.classify_asked + st.classify_skipped, st.boxes, "stable: asked + skipped = boxes");
	track_free(t);
}

CASE(best_snapshot)
{
	struct tracker *t = track_new(NULL);
	uint64_t now = 10 * SEC, id = test_track_still_person(t, &now, test_track_box(200, 100, 100, 220));
	struct track_look l = test_track_look(TRACK_MASK_ON, 0.9f);
	struct track_info info;

	l.has_face = 1;
	l.face_quality = 0.8f;
	l.face = test_track_box(220, 110, 40, 40);
	CHECK_INT(track_classify(t, id, now, &l), TRACK_LOOK_BEST, "snapshot: the first face is the best");
	l.face = test_track_box(220, 110, 30, 30);
	CHECK_INT(track_classify(t, id, now + 1, &l), 0, "snapshot: a smaller face is not");
	l.face = test_track_box(220, 110, 41, 41);
	CHECK_INT(track_classify(t, id, now + 2, &l), 0, "snapshot: a barely larger face is not (best_improve)");
	l.face = test_track_box(220, 110, 40, 40);
	l.face_quality = 0.2f;
	CHECK_INT(track_classify(t, id, now + 3, &l), 0, "snapshot: a less frontal face is not");
	l.face = test_track_box(220, 110, 60, 60);
	l.face_quality = 0.9f;
	CHECK_INT(track_classify(t, id, now + 4, &l), TRACK_LOOK_BEST, "snapshot: a larger frontal face is");
	l.has_face = 0;
	CHECK_INT(track_classify(t, id, now + 5, &l), 0, "snapshot: a look without a face is not");
	track_info(t, id, &info);
	CHECK_INT(info.best_us, now + 4, "snapshot: best_us is the best look's time");
	track_free(t);
}

/* indoor: a still person; mask states fed as asked. Returns the id. */
static void
test_track_feed(struct tracker *t, uint64_t now, const struct track_box *b, size_t n,
    const enum track_mask *v, struct evcount *ev)
{
	struct track_assign a[4];
	size_t i;

	track_update(t, now, b, n, a);
	for (i = 0; i < n; i++)
		if (a[i].classify)
			track_classify(t, a[i].id, now, &(struct track_look){ v[i], 0.9f, 0, {0, 0, 0, 0}, 0 });
	test_track_drain(t, ev);
}

CASE(alert)
{
	struct track_config c;
	struct tracker *t;
	struct track_box b = test_track_box(200, 100, 100, 220);
	enum track_mask off = TRACK_MASK_OFF, on = TRACK_MASK_ON;
	struct evcount ev = {0};
	uint64_t now = 10 * SEC, settled = 0, alert_at = 0;
	int i, early = 0;

	track_config_default(&c);
	t = track_new(&c);
	for (i = 0; i < 200; i++, now += FRAME) { /* 40 s */
		int alerts = ev.n[TRACK_ALERT];

		test_track_feed(t, now, &b, 1, &off, &ev);
		if (!settled && ev.n[TRACK_CHANGED])
			settled = ev.last[TRACK_CHANGED].at_us;
		if (ev.n[TRACK_ALERT] > alerts && !alert_at)
			alert_at = now;
		if (settled && now < settled + c.alert_after_us && ev.n[TRACK_ALERT])
			early = 1;
	}
	CHECK(settled != 0, "alert: the person settles as mask_off");
	CHECK(!early, "alert: no alert before alert_after_us");
	CHECK_INT(ev.n[TRACK_ALERT], 1, "alert: exactly one alert in 40 s of non-compliance");
	CHECK_INT(alert_at, settled + c.alert_after_us, "alert: raised at the first frame alert_after_us after settling");
	CHECK_INT(ev.last[TRACK_ALERT].bad_since_us, settled, "alert: event says since when");

	/* complies, then takes the mask off again 10 s later: the new episode
	 * is due at +10 s but the per-track cooldown (60 s) holds it back */
	for (i = 0; i < 25; i++, now += FRAME)
		test_track_feed(t, now, &b, 1, &on, &ev);
	CHECK_INT(ev.last[TRACK_CHANGED].mask, TRACK_MASK_ON, "alert: person complies again");
	{
		uint64_t second = 0;

		for (i = 0; i < 150; i++, now += FRAME) { /* 30 s */
			int alerts = ev.n[TRACK_ALERT];

			test_track_feed(t, now, &b, 1, &off, &ev);
			if (ev.n[TRACK_ALERT] > alerts)
				second = now;
		}
		CHECK_INT(ev.n[TRACK_ALERT], 2, "alert: a new episode alerts again once the track cooldown passed");
		CHECK(second >= alert_at + c.alert_cooldown_us, "alert: not before the per-track cooldown");
	}
	track_free(t);

	/* gate mode: alert_after_us = 0, never alerts */
	c.alert_after_us = 0;
	t = track_new(&c);
	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < 100; i++, now += FRAME)
		test_track_feed(t, now, &b, 1, &off, &ev);
	CHECK_INT(ev.n[TRACK_ALERT], 0, "alert: never in gate mode (alert_after_us 0)");
	CHECK_INT(ev.first_settles, 1, "alert: gate mode still decides once");
	track_free(t);
}

CASE(camera_cooldown)
{
	struct tracker *t = track_new(NULL);
	struct track_box b[2] = { test_track_box(100, 100, 100, 220), test_track_box(400, 100, 100, 220) };
	enum track_mask v[2] = { TRACK_MASK_OFF, TRACK_MASK_CHIN };
	struct evcount ev = {0};
	uint64_t now = 10 * SEC, at[2] = {0, 0}, ids[2] = {0, 0};
	int i;

	for (i = 0; i < 150; i++, now += FRAME) { /* 30 s, both non-compliant */
		struct track_event e;
		struct track_assign a[2];

		track_update(t, now, b, 2, a);
		for (int k = 0; k < 2; k++)
			if (a[k].classify)
				track_classify(t, a[k].id, now, &(struct track_look){ v[k], 0.9f, 0, {0, 0, 0, 0}, 0 });
		while (track_next_event(t, &e)) {
			ev.n[e.type]++;
			if (e.type == TRACK_ALERT && ev.n[TRACK_ALERT] <= 2) {
				at[ev.n[TRACK_ALERT] - 1] = now;
				ids[ev.n[TRACK_ALERT] - 1] = e.id;
			}
		}
	}
	CHECK_INT(ev.n[TRACK_ALERT], 2, "camera cooldown: both people alert once");
	CHECK(ids[0] != ids[1], "camera cooldown: one alert per person");
	CHECK_INT(at[1] - at[0], 10 * SEC, "camera cooldown: the second waits camera_cooldown_us, not dropped");
	track_free(t);
}

CASE(end_all_and_room)
{
	struct tracker *t = track_new(NULL);
	struct track_box b[TRACK_MAX + 2];
	struct track_assign a[TRACK_MAX + 2];
	struct track_stats st;
	struct evcount ev = {0};
	uint64_t now = 10 * SEC;
	int i, f;

	for (i = 0; i < TRACK_MAX + 2; i++)
		b[i] = test_track_box((float)(i % 10) * 200, (float)(i / 10) * 300, 50, 100);
	for (f = 0; f < 3; f++, now += FRAME)
		track_update(t, now, b, TRACK_MAX + 2, a);
	track_stats(t, &st);
	CHECK_INT(st.live, TRACK_MAX, "room: at most TRACK_MAX live tracks");
	CHECK_INT(a[TRACK_MAX + 1].id, 0, "room: a box beyond that gets id 0");
	CHECK_INT(a[TRACK_MAX + 1].classify, 0, "room: and is not classified");
	test_track_drain(t, &ev);
	CHECK_INT(ev.n[TRACK_NEW], TRACK_MAX, "room: every tracked one is confirmed");
	track_end_all(t, now);
	test_track_drain(t, &ev);
	CHECK_INT(ev.n[TRACK_ENDED], TRACK_MAX, "end_all: every confirmed track ends");
	track_stats(t, &st);
	CHECK_INT(st.live, 0, "end_all: nothing left");
	CHECK_STR(track_mask_name(TRACK_MASK_CHIN), "mask_chin", "names: mask_chin");
	CHECK_INT(track_mask_parse("mask_off"), TRACK_MASK_OFF, "names: parse mask_off");
	CHECK_INT(track_mask_parse("hat"), -1, "names: unknown name is -1");
	track_free(t);
}

CASE(id_base)
{
	struct track_config c;
	struct tracker *t;
	struct track_box b = test_track_box(1, 1, 10, 10);
	struct track_assign a[1];

	track_config_default(&c);
	c.id_base = 1700000000000000ULL;
	t = track_new(&c);
	track_update(t, 5, &b, 1, a);
	CHECK_INT(a[0].id, 1700000000000001LL, "ids: start after id_base");
	/* time going backwards is taken as no time passing, not a crash */
	track_update(t, 1, &b, 1, a);
	CHECK_INT(a[0].id, 1700000000000001LL, "ids: a clock step back keeps the track");
	track_free(t);
}

/* one person standing at the gate at a given frame rate, looked at in every
 * frame (mask_off 0.9, or no face at all), then gone: returns the events */
static void
test_track_gate_person(double fps, int frames, int with_face, struct evcount *ev, int *ids)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[1];
	uint64_t step = (uint64_t)(SEC / fps), now = 100 * SEC, id = 0;
	int i;

	*ids = 0;
	for (i = 0; i < frames; i++, now += step) {
		struct track_box b = test_track_box(200 + (i % 3), 100, 120, 300);

		track_update(t, now, &b, 1, a);
		if (a[0].id != id) {
			id = a[0].id;
			(*ids)++;
		}
		if (a[0].classify)
			track_classify(t, id, now, with_face ? &(struct track_look){ TRACK_MASK_OFF, 0.9f, 1,
			    {230, 120, 60, 70}, 0.8f } : &(struct track_look){ TRACK_MASK_UNKNOWN, 0, 0, {0, 0, 0, 0}, 0 });
		test_track_drain(t, ev);
	}
	/* gone: time alone passes, well beyond the limits */
	for (i = 0; i < 40; i++, now += (step > SEC / 4 ? step : SEC / 4))
		track_update(t, now, NULL, 0, NULL);
	test_track_drain(t, ev);
	track_free(t);
}

/* the same person is one person with one decision from 0.5 to 30 frames/s */
CASE(frame_rates)
{
	static const double fps[] = { 0.5, 1, 2, 5, 10, 30 };
	unsigned k;

	for (k = 0; k < sizeof(fps) / sizeof(fps[0]); k++) {
		struct evcount ev = {0};
		char what[160];
		int ids, frames = fps[k] < 1 ? 6 : (int)(fps[k] * 8);

		test_track_gate_person(fps[k], frames, 1, &ev, &ids);
		snprintf(what, sizeof(what), "%.1f fps: one track, one NEW, one decision, one END (%d %d %d %d)", fps[k],
		    ids, ev.n[TRACK_NEW], ev.first_settles, ev.n[TRACK_ENDED]);
		CHECK(ids == 1 && ev.n[TRACK_NEW] == 1 && ev.first_settles == 1 && ev.n[TRACK_ENDED] == 1, what);
		snprintf(what, sizeof(what), "%.1f fps: decided on the 2nd test_track_look (frame 2)", fps[k]);
		CHECK(ev.first_settles == 1 && ev.last[TRACK_CHANGED].first_us + (uint64_t)(SEC / fps[k]) ==
		    ev.last[TRACK_CHANGED].at_us && ev.last[TRACK_CHANGED].mask == TRACK_MASK_OFF, what);
	}
}

/* no usable face: a prompt after prompt_us, the timeout after timeout_us,
 * once each, counted from the first frame; at 0.5 fps too */
CASE(prompt_timeout)
{
	static const double fps[] = { 0.5, 5, 30 };
	unsigned k;

	for (k = 0; k < sizeof(fps) / sizeof(fps[0]); k++) {
		struct track_config c;
		struct tracker *t;
		struct track_assign a[1];
		struct track_event e;
		uint64_t step = (uint64_t)(SEC / fps[k]), t0 = 50 * SEC, now = t0;
		uint64_t prompt_at = 0, timeout_at = 0;
		int i, prompts = 0, timeouts = 0, small = 0;
		char what[160];

		track_config_default(&c);
		c.prompt_us = 1500000;
		c.timeout_us = 6000000;
		c.face_min_px = 40;
		t = track_new(&c);
		for (i = 0; now < t0 + 10 * SEC; i++, now += step) {
			struct track_box b = test_track_box(200, 100, 120, 300);

			track_update(t, now, &b, 1, a);
			if (a[0].classify) /* a face, 30 px wide, the classifier unsure */
				track_classify(t, a[0].id, now, &(struct track_look){ TRACK_MASK_UNKNOWN, 0.3f, 1,
				    {240, 120, 30, 36}, 0.6f });
			while (track_next_event(t, &e)) {
				if (e.type == TRACK_PROMPT && prompts++ == 0) {
					prompt_at = e.at_us;
					small = e.prompt == TRACK_PROMPT_FACE_TOO_SMALL;
				}
				if (e.type == TRACK_TIMEOUT && timeouts++ == 0)
					timeout_at = e.at_us;
			}
		}
		snprintf(what, sizeof(what), "%.1f fps: one prompt at the first frame after prompt_us, face too small", fps[k]);
		CHECK(prompts == 1 && small && prompt_at >= t0 + c.prompt_us && prompt_at < t0 + c.prompt_us + step, what);
		snprintf(what, sizeof(what), "%.1f fps: one timeout at the first frame after timeout_us", fps[k]);
		CHECK(timeouts == 1 && timeout_at >= t0 + c.timeout_us && timeout_at < t0 + c.timeout_us + step, what);
		track_free(t);
	}
	{
		struct evcount ev = {0};
		int ids;

		test_track_gate_person(5, 40, 0, &ev, &ids);
		CHECK(ev.n[TRACK_PROMPT] == 0 && ev.n[TRACK_TIMEOUT] == 0, "prompt and timeout are off by default (indoor)");
	}
}

/* test_track_gate - a gate camera's tracker: prompt after 1.5 s, timeout
 * after 6 s */
static struct tracker *
test_track_gate(void)
{
	struct track_config c;

	track_config_default(&c);
	c.prompt_us = 1500000;
	c.timeout_us = 6000000;
	return track_new(&c);
}

/* looks that never agree enough: at timeout_us the votes there are decide */
CASE(timeout_with_votes)
{
	struct tracker *t = test_track_gate();
	struct track_assign a[1];
	struct track_box b = test_track_box(200, 100, 120, 300);
	struct evcount ev = {0};
	uint64_t now = 50 * SEC;
	int i;

	for (i = 0; i < 40; i++, now += FRAME) { /* chin, off, chin, off ... with low scores */
		track_update(t, now, &b, 1, a);
		if (a[0].classify && i < 2)
			track_classify(t, a[0].id, now, &(struct track_look){ i % 2 ? TRACK_MASK_OFF :
			    TRACK_MASK_CHIN, i % 2 ? 0.7f : 0.8f, 1, {230, 120, 60, 70}, 0.8f });
		test_track_drain(t, &ev);
	}
	CHECK_INT(ev.n[TRACK_PROMPT], 0, "timeout with votes: a face was seen, no prompt");
	CHECK(ev.first_settles == 1 && ev.n[TRACK_TIMEOUT] == 0 && ev.last[TRACK_CHANGED].mask == TRACK_MASK_CHIN &&
	    ev.last[TRACK_CHANGED].at_us >= 50 * SEC + 6000000,
	    "timeout with votes: decided at timeout_us by the votes (1 vs 1: the surer one)");
	track_free(t);
}

/* a gate person at 5 fps for 2 s (less than timeout_us), then gone; ticks
 * well beyond max_missing_us. Looked at when the tracker asks: a look of
 * mask vote with score (on every look, or only on the third frame with
 * faces that do not vote otherwise); TRACK_MASK_UNKNOWN: no face at all.
 * Fills ev; *ordered is 1 when the one decision (TIMEOUT or first
 * CHANGED) came before the ENDED, at the same time. */
static void
test_track_leave_early(uint64_t timeout_us, enum track_mask vote, float score, int every, struct evcount *ev,
                       int *ordered)
{
	struct track_config c;
	struct tracker *t;
	struct track_assign a[1];
	struct track_event e, dec;
	struct track_look look = { vote, score, vote != TRACK_MASK_UNKNOWN, {230, 120, 60, 70}, 0.8f };
	struct track_look novote = { TRACK_MASK_UNKNOWN, 0.2f, 1, {230, 120, 60, 70}, 0.8f };
	uint64_t now = 50 * SEC;
	int i, decisions = 0;

	memset(ev, 0, sizeof(*ev));
	memset(&dec, 0, sizeof(dec));
	*ordered = 0;
	track_config_default(&c);
	c.prompt_us = 1500000;
	c.timeout_us = timeout_us;
	t = track_new(&c);
	for (i = 0; i < 10; i++, now += FRAME) {
		struct track_box b = test_track_box(200 + (i % 3), 100, 120, 300);

		track_update(t, now, &b, 1, a);
		if (a[0].classify)
			track_classify(t, a[0].id, now, every || i == 2 ? &look : &novote);
		test_track_drain(t, ev);
	}
	for (i = 0; i < 40; i++, now += SEC / 4) {
		track_update(t, now, NULL, 0, NULL);
		while (track_next_event(t, &e)) {
			if (e.type == TRACK_TIMEOUT || (e.type == TRACK_CHANGED && e.first_settle)) {
				decisions++;
				dec = e;
			}
			if (e.type == TRACK_ENDED && decisions == 1 && dec.at_us == e.at_us)
				*ordered = 1;
			ev->n[e.type]++;
			ev->last[e.type] = e;
			if (e.type == TRACK_CHANGED && e.first_settle)
				ev->first_settles++;
		}
	}
	track_free(t);
}

/* a gate person who leaves before timeout_us undecided is decided as they
 * leave: by looks that deny, else the timeout's outcome; never a PASS */
CASE(left_undecided)
{
	struct evcount ev;
	int ordered;

	test_track_leave_early(6 * SEC, TRACK_MASK_UNKNOWN, 0, 1, &ev, &ordered);
	CHECK(ev.n[TRACK_NEW] == 1 && ev.n[TRACK_PROMPT] == 1 && ev.n[TRACK_TIMEOUT] == 1 && ev.n[TRACK_ENDED] == 1 &&
	    ev.first_settles == 0, "no face, gone after 2 s: new, prompt, one timeout decision, ended");
	CHECK(ordered, "no face: the decision right before the end, at the same time");

	test_track_leave_early(6 * SEC, TRACK_MASK_OFF, 0.7f, 0, &ev, &ordered);
	CHECK(ev.first_settles == 1 && ev.last[TRACK_CHANGED].mask == TRACK_MASK_OFF && ev.n[TRACK_TIMEOUT] == 0 &&
	    ev.n[TRACK_ENDED] == 1 && ordered, "one unsure look that denies: decided mask_off as they leave");

	test_track_leave_early(6 * SEC, TRACK_MASK_ON, 0.7f, 0, &ev, &ordered);
	CHECK(ev.first_settles == 0 && ev.n[TRACK_TIMEOUT] == 1 && ev.n[TRACK_ENDED] == 1 && ordered,
	    "one unsure masked look: the timeout's outcome as they leave, not a PASS");

	test_track_leave_early(6 * SEC, TRACK_MASK_ON, 0.7f, 1, &ev, &ordered);
	CHECK(ev.first_settles == 1 && ev.last[TRACK_CHANGED].mask == TRACK_MASK_ON && ev.n[TRACK_TIMEOUT] == 0 &&
	    ev.last[TRACK_CHANGED].at_us < ev.last[TRACK_ENDED].at_us,
	    "masked looks that agree: PASS while present, nothing more as they leave");

	test_track_leave_early(0, TRACK_MASK_UNKNOWN, 0, 1, &ev, &ordered);
	CHECK(ev.n[TRACK_TIMEOUT] == 0 && ev.first_settles == 0 && ev.n[TRACK_ENDED] == 1,
	    "timeout_us 0 (wait for ever, or an indoor camera): no decision as they leave");
}

/* a person who leaves before prompt_us is not prompted while their track
 * waits out max_missing_us: the prompt would show on the gate after they
 * went (and the next person would read it) */
CASE(no_prompt_after_leaving)
{
	struct tracker *t = test_track_gate();
	struct track_assign a[1];
	struct evcount ev = {0};
	uint64_t now = 50 * SEC;
	int i;

	for (i = 0; i < 3; i++, now += FRAME) {
		struct track_box b = test_track_box(200 + i, 100, 120, 300);

		track_update(t, now, &b, 1, a);
		if (a[0].classify) /* a head, no face */
			track_classify(t, a[0].id, now, &(struct track_look){ TRACK_MASK_UNKNOWN, 0, 0, {0, 0, 0, 0}, 0 });
	}
	for (i = 0; i < 28; i++, now += SEC / 4)   /* the idle tick: 7 s */
		track_update(t, now, NULL, 0, NULL);
	test_track_drain(t, &ev);
	CHECK(ev.n[TRACK_NEW] == 1 && ev.n[TRACK_PROMPT] == 0 && ev.n[TRACK_TIMEOUT] == 1 && ev.n[TRACK_ENDED] == 1,
	    "gone after 0.4 s: no prompt at 1.5 s (they are missing), one decision as they leave, ended");
	track_free(t);
}

/* votes older than vote_max_age_us no longer count */
CASE(vote_age)
{
	struct tracker *t = track_new(NULL);
	struct track_box b = test_track_box(200, 100, 100, 220);
	uint64_t now = 10 * SEC, id = test_track_still_person(t, &now, b);
	struct track_assign a[1];
	struct track_look on = test_track_look(TRACK_MASK_ON, 0.9f);
	int i;

	track_classify(t, id, now, &on);
	for (i = 0; i < 11; i++) {
		now += SEC;
		track_update(t, now, &b, 1, a);
	}
	CHECK_INT(test_track_mask_after(t, id, now, &on), TRACK_MASK_UNKNOWN,
	    "vote age: a vote 11 s old does not count");
	CHECK_INT(test_track_mask_after(t, id, now, &on), TRACK_MASK_ON, "vote age: two fresh votes settle");
	track_free(t);
}

/* a person taken over from an earlier tracker keeps id and decision */
CASE(adopt)
{
	struct track_config c;
	struct tracker *t;
	struct track_adopt ad;
	struct track_assign a[2];
	struct track_box b[2] = { { 200, 100, 100, 220 }, { 500, 100, 100, 220 } };
	struct track_look off = test_track_look(TRACK_MASK_OFF, 0.99f);
	struct evcount ev = {0};
	struct track_info info;
	uint64_t now = 100 * SEC;

	track_config_default(&c);
	c.id_base = 2000;
	t = track_new(&c);
	memset(&ad, 0, sizeof(ad));
	ad.id = 1005;
	ad.box = b[0];
	ad.first_us = now - 2 * SEC;
	ad.last_us = now - FRAME;
	ad.mask = TRACK_MASK_OFF;
	ad.score = 0.95f;
	ad.decided = 1;
	ad.frames = 8;
	CHECK_INT(track_adopt(t, &ad), 0, "adopt: accepted");
	CHECK_INT(track_adopt(t, &ad), -EEXIST, "adopt: twice is -EEXIST");
	track_update(t, now, b, 2, a);
	CHECK_INT(a[0].id, 1005, "adopt: the person in view keeps the adopted id");
	CHECK(a[0].confirmed, "adopt: and is confirmed");
	CHECK_INT(a[1].id, 2001, "adopt: a newcomer gets a new id above id_base");
	track_classify(t, 1005, now, &off);
	track_classify(t, 1005, now, &off);
	test_track_drain(t, &ev);
	CHECK_INT(ev.n[TRACK_NEW], 0, "adopt: the adopted person is not counted again");
	CHECK_INT(ev.n[TRACK_CHANGED], 0, "adopt: nor decided again");
	track_info(t, 1005, &info);
	CHECK(info.frames == 9 && info.first_us == now - 2 * SEC && info.decided, "adopt: frames and first seen go on");
	track_update(t, now + 10 * SEC, NULL, 0, NULL);
	test_track_drain(t, &ev);
	CHECK_INT(ev.n[TRACK_ENDED], 1, "adopt: it ends by time like any other (the newcomer was tentative)");
	track_free(t);
}

/* ingest gives a close-up person a body box in some frames and a
 * head-and-shoulders test_track_box (from the face) in others: one person */
CASE(face_and_body_boxes)
{
	struct tracker *t = track_new(NULL);
	struct track_assign a[2];
	struct track_box body = test_track_box(100, 40, 400, 440), head = test_track_box(200, 60, 160, 180);
	struct track_box two[2] = { { 20, 40, 200, 400 }, { 400, 40, 200, 400 } };
	uint64_t now = 10 * SEC, id = 0;
	int i, same = 1;

	for (i = 0; i < 10; i++, now += FRAME) {
		track_update(t, now, i % 2 ? &head : &body, 1, a);
		if (i == 0)
			id = a[0].id;
		else if (a[0].id != id)
			same = 0;
	}
	CHECK(same, "face and body boxes of one person, frame by frame: one track");
	track_free(t);
	t = track_new(NULL);
	for (i = 0; i < 5; i++, now += FRAME)
		track_update(t, now, two, 2, a);
	CHECK(a[0].id != a[1].id, "two people side by side: two tracks");
	track_free(t);
}

CHECK_MAIN()
