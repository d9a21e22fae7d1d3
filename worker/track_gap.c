/* track_gap - what the gap between two analysed frames of a camera says:
 * how many of the camera's frames it spans (so the camera's frame
 * interval), and how much of it nobody looked at. A frame the dispatcher
 * skipped (a gate camera's stale frame) or ingest answered busy was not
 * looked at: it is no sighting of anyone's absence. A frame ingest looked
 * at and found empty (not spooled) is. Only the camera's frame numbers
 * (the spool metadata's "seq" and "unlooked", worker/meta.h) tell the two
 * apart; without them the dispatcher's skips alone set the interval and
 * nothing is excused. See track.h and docs/TRACKING.md. Pure. */
#include <string.h>

#include "track_priv.h"

#define TRACK_GAP_MAX_US 10000000    /* a longer gap is an empty scene, not a frame rate */

void
track_skipped(struct tracker *t, unsigned n)
{
	t->skipped += n;
}

void
track_camera_frame(struct tracker *t, uint64_t seq, uint64_t unlooked)
{
	t->seq_next = seq;
	t->unlooked_next = unlooked;
}

uint64_t
track_frame_interval_us(const struct tracker *t)
{
	uint64_t g[TRACK_GAPS], x;
	unsigned i, j, n = t->ngaps;

	if (n == 0)
		return 0;
	memcpy(g, t->gaps, n * sizeof(g[0]));
	for (i = 1; i < n; i++) /* insertion sort: 8 values */
		for (j = i; j > 0 && g[j - 1] > g[j]; j--) {
			x = g[j];
			g[j] = g[j - 1];
			g[j - 1] = x;
		}
	return g[(n - 1) / 2]; /* the lower median: an absence only ever lengthens a gap */
}

/* track_gap_note - a gap of gap_us that spans frames of the camera's
 * frames: one interval estimate. */
static void
track_gap_note(struct tracker *t, uint64_t gap_us, uint64_t frames)
{
	if (gap_us == 0 || gap_us > TRACK_GAP_MAX_US || frames == 0)
		return;
	t->gaps[t->gap_next] = gap_us / frames;
	t->gap_next = (t->gap_next + 1) % TRACK_GAPS;
	if (t->ngaps < TRACK_GAPS)
		t->ngaps++;
}

void
track_gap_begin(struct tracker *t, uint64_t now, size_t n)
{
	uint64_t gap, frames, unseen;

	t->first_gap = 0;
	t->gap_noted = 0;
	if (n == 0 || t->last_frame_us == 0 || now <= t->last_frame_us)
		return;
	gap = now - t->last_frame_us;
	if (t->seq_next > 0 && t->seq_last > 0 && t->seq_next > t->seq_last) {
		/* The frame numbers count every frame ingest received: the gap's
		 * interval is exact, even across an empty scene, so it is known
		 * before the gap is judged. */
		frames = t->seq_next - t->seq_last;
		unseen = (t->unlooked_next > t->unlooked_last ? t->unlooked_next - t->unlooked_last : 0) + t->skipped;
		if (unseen > frames - 1)
			unseen = frames - 1;
		t->unseen_us += gap / frames * unseen;
		track_gap_note(t, gap, frames);
		t->gap_noted = 1;
	} else if (t->ngaps == 0 && gap <= TRACK_GAP_MAX_US) {
		t->first_gap = gap / (1u + (uint64_t)t->skipped);
	}
}

void
track_gap_end(struct tracker *t, uint64_t now, size_t n)
{
	t->first_gap = 0;
	if (n == 0)
		return;
	/* Without frame numbers the gap up to this frame was judged by the
	 * interval known before it: the empty scene between two people must
	 * not stretch the limit that ends the first. */
	if (!t->gap_noted && t->last_frame_us && now > t->last_frame_us)
		track_gap_note(t, now - t->last_frame_us, 1u + (uint64_t)t->skipped);
	t->gap_noted = 0;
	t->last_frame_us = now;
	t->skipped = 0;
	t->seq_last = t->seq_next;
	t->unlooked_last = t->unlooked_next;
	t->seq_next = t->unlooked_next = 0;
	t->st.frames++;
	t->st.boxes += n;
}

uint64_t
track_gap_missing_us(const struct tracker *t, const struct track *tr, uint64_t now)
{
	uint64_t gone = now > tr->info.last_us ? now - tr->info.last_us : 0;
	uint64_t unseen = t->unseen_us - tr->unseen_mark;

	return gone > unseen ? gone - unseen : 0;
}

int
track_gap_away(const struct tracker *t, const struct track *tr, uint64_t now)
{
	uint64_t iv = track_frame_interval_us(t);
	double missing = (double)track_gap_missing_us(t, tr, now), frames = t->c.missing_frames * (double)iv;

	if (iv == 0 || missing <= frames)
		return 0;
	return missing > (double)t->c.tentative_missing_us ? 2 : 1;
}
