/* track_adopt - a person taken over from an earlier tracker of the camera
 * (a worker that crashed or exited): a confirmed track with their id,
 * decision and alert state, so they are neither counted nor decided
 * again. See track.h, docs/TRACKING.md ("Takeover"). Pure. */
#include <errno.h>

#include "track_priv.h"

/* track_adopt_votes - the consensus of an adopted track's mask state, as if
 * the votes that made it were still here. */
static void
track_adopt_votes(const struct tracker *t, struct track *tr, const struct track_adopt *a)
{
	unsigned i;

	if (a->mask == TRACK_MASK_UNKNOWN)
		return;
	for (i = 0; i < t->c.consensus_n; i++) {
		tr->votes[i] = (uint8_t)a->mask;
		tr->vote_score[i] = a->score;
		tr->vote_us[i] = tr->info.last_us;
	}
	tr->nvotes = t->c.consensus_n;
}

/* track_adopt_alerts - the alert state of an adopted track, and the
 * camera's cooldown if its last alert is the latest. */
static void
track_adopt_alerts(struct tracker *t, struct track *tr, const struct track_adopt *a)
{
	if (track_decide_noncompliant(a->mask)) {
		tr->bad = 1;
		tr->bad_since_us = tr->info.last_us;
	}
	if (a->alert_us == 0)
		return;
	tr->has_alerted = 1;
	tr->alert_us = a->alert_us;
	tr->alerted_episode = tr->bad;
	if (!t->cam_has_alerted || a->alert_us > t->cam_alert_us) {
		t->cam_has_alerted = 1;
		t->cam_alert_us = a->alert_us;
	}
}

int
track_adopt(struct tracker *t, const struct track_adopt *a)
{
	struct track *tr;

	if (a->id == 0 || (int)a->mask < 0 || a->mask >= TRACK_MASKS)
		return -EINVAL;
	if (track_find(t, a->id) != NULL)
		return -EEXIST;
	if ((tr = track_slot(t)) == NULL)
		return -ENOSPC;
	tr->info.confirmed = 1;
	tr->info.id = a->id;
	tr->unseen_mark = t->unseen_us;
	tr->info.box = a->box;
	tr->info.first_us = a->first_us;
	tr->info.last_us = a->last_us > a->first_us ? a->last_us : a->first_us;
	tr->info.frames = a->frames ? a->frames : 1;
	tr->info.looks = a->looks;
	tr->info.skipped = a->skipped;
	tr->info.mask = a->mask;
	tr->info.settled_us = tr->agree_since_us = tr->info.last_us;
	track_adopt_votes(t, tr, a);
	tr->info.decided = a->decided;
	tr->decided_us = a->decided ? tr->info.last_us : 0;
	tr->info.timed_out = a->decided && a->mask == TRACK_MASK_UNKNOWN;
	tr->info.prompted = a->prompted || tr->info.timed_out;
	track_adopt_alerts(t, tr, a);
	if (a->id >= t->next_id)
		t->next_id = a->id + 1;
	return 0;
}
