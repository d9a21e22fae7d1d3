/* track_decide - what the looks at a tracked person decide: votes, the
 * consensus that settles a mask state, the best snapshot, the indoor alert,
 * the gate's prompt and timeout, and the queue of events that report them.
 * The boxes and track lifetimes are track.c's; see track.h for the
 * contract, docs/TRACKING.md for the rules. Pure: every time comes from the
 * caller. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "track_priv.h"

const char *
track_mask_name(enum track_mask v)
{
	switch (v) {
	case TRACK_MASK_ON: return "mask_on";
	case TRACK_MASK_OFF: return "mask_off";
	case TRACK_MASK_CHIN: return "mask_chin";
	default: return "unknown";
	}
}

int
track_mask_parse(const char *s)
{
	int v;

	for (v = 0; v < TRACK_MASKS; v++)
		if (strcmp(s, track_mask_name(v)) == 0)
			return v;
	return -1;
}

const char *
track_event_name(enum track_event_type e)
{
	switch (e) {
	case TRACK_NEW: return "new";
	case TRACK_CHANGED: return "changed";
	case TRACK_ENDED: return "ended";
	case TRACK_ALERT: return "alert";
	case TRACK_PROMPT: return "prompt";
	case TRACK_TIMEOUT: return "timeout";
	}
	return "unknown";
}

int
track_decide_noncompliant(enum track_mask v)
{
	return v == TRACK_MASK_OFF || v == TRACK_MASK_CHIN;
}

/* ---- events ---- */

static float
track_decide_winning_score(const struct track *tr, enum track_mask v, unsigned window)
{
	unsigned i, n = tr->nvotes < window ? tr->nvotes : window, k = 0;
	double sum = 0;

	for (i = tr->nvotes - n; i < tr->nvotes; i++)
		if (tr->votes[i] == v) {
			sum += tr->vote_score[i];
			k++;
		}
	return k ? (float)(sum / k) : 0.0f;
}

/* track_decide_room - room for one more event at ev[ev_len]; 0 or -ENOMEM. */
static int
track_decide_room(struct tracker *t)
{
	size_t cap = t->ev_cap ? t->ev_cap * 2 : 32;
	struct track_event *n;

	if (t->ev_head > 0 && t->ev_head == t->ev_len)
		t->ev_head = t->ev_len = 0;
	if (t->ev_len < t->ev_cap)
		return 0;
	if (t->ev_head > 0) { /* compact first */
		memmove(t->ev, t->ev + t->ev_head, (t->ev_len - t->ev_head) * sizeof(*t->ev));
		t->ev_len -= t->ev_head;
		t->ev_head = 0;
		return 0;
	}
	n = realloc(t->ev, cap * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	t->ev = n;
	t->ev_cap = cap;
	return 0;
}

void
track_decide_emit(struct tracker *t, enum track_event_type type, const struct track *tr,
    enum track_mask previous, int first_settle)
{
	struct track_event *e;

	if (track_decide_room(t) != 0) {
		t->ev_lost = 1;
		return;
	}
	e = &t->ev[t->ev_len++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->id = tr->info.id;
	e->at_us = t->now_us;
	e->mask = tr->info.mask;
	e->previous = previous;
	e->first_settle = first_settle;
	e->score = track_decide_winning_score(tr, tr->info.mask, t->c.consensus_window);
	e->box = tr->info.box;
	e->first_us = tr->info.first_us;
	e->last_us = tr->info.last_us;
	e->best_us = tr->info.best_us;
	e->bad_since_us = tr->bad ? tr->bad_since_us : 0;
	e->frames = tr->info.frames;
	e->looks = tr->info.looks;
	e->skipped = tr->info.skipped;
	e->prompt = type == TRACK_PROMPT ? tr->last_prompt : TRACK_PROMPT_NONE;
	e->renewed_from = type == TRACK_NEW ? tr->renewed_from : 0;
}

int
track_decide_lost(struct tracker *t)
{
	if (!t->ev_lost)
		return 0;
	t->ev_lost = 0;
	return -ENOMEM;
}

int
track_next_event(struct tracker *t, struct track_event *ev)
{
	if (t->ev_head >= t->ev_len)
		return 0;
	*ev = t->ev[t->ev_head++];
	return 1;
}

/* ---- per-track rules ---- */

int
track_decide_stable(const struct tracker *t, const struct track *tr, uint64_t now)
{
	return tr->info.mask != TRACK_MASK_UNKNOWN && now >= tr->agree_since_us &&
	    now - tr->agree_since_us >= t->c.stable_us;
}

void
track_decide_confirm(struct tracker *t, struct track *tr)
{
	tr->info.confirmed = 1;
	t->st.confirmed++;
	track_decide_emit(t, TRACK_NEW, tr, TRACK_MASK_UNKNOWN, 0);
	if (tr->settle_unsent) {
		tr->settle_unsent = 0;
		track_decide_emit(t, TRACK_CHANGED, tr, TRACK_MASK_UNKNOWN, !tr->info.decided);
		if (!tr->info.decided)
			tr->decided_us = t->now_us;
		tr->info.decided = 1;
	}
}

static void
track_decide_alert(struct tracker *t, struct track *tr, uint64_t now)
{
	if (t->c.alert_after_us == 0 || !tr->info.confirmed || !tr->bad ||
	    tr->alerted_episode)
		return;
	if (now - tr->bad_since_us < t->c.alert_after_us)
		return;
	if (tr->has_alerted && now - tr->alert_us < t->c.alert_cooldown_us)
		return;
	if (t->cam_has_alerted && now - t->cam_alert_us < t->c.camera_cooldown_us)
		return; /* deferred, not dropped: tried again on the next call */
	tr->alerted_episode = 1;
	tr->has_alerted = 1;
	tr->alert_us = now;
	t->cam_has_alerted = 1;
	t->cam_alert_us = now;
	t->st.alerts++;
	track_decide_emit(t, TRACK_ALERT, tr, tr->info.mask, 0);
}

/* track_decide_settle - the person's mask state is c now: CHANGED (the
 * gate decision if it is the first), or owed until confirmation. */
static void
track_decide_settle(struct tracker *t, struct track *tr, enum track_mask c, uint64_t now)
{
	enum track_mask old = tr->info.mask;

	tr->info.mask = c;
	tr->info.settled_us = now;
	tr->agree_since_us = now;
	if (track_decide_noncompliant(c)) {
		if (!tr->bad) {
			tr->bad = 1;
			tr->bad_since_us = now;
			tr->alerted_episode = 0;
		}
	} else {
		tr->bad = 0;
		tr->alerted_episode = 0;
	}
	if (!tr->info.confirmed) {
		tr->settle_unsent = 1;
	} else {
		track_decide_emit(t, TRACK_CHANGED, tr, old, !tr->info.decided);
		if (!tr->info.decided)
			tr->decided_us = now;
		tr->info.decided = 1;
	}
}

/* track_decide_plurality - the class with the most votes not yet too old
 * (ties: the higher total score), UNKNOWN if there is none: what the looks
 * say when they never agreed enough to settle. */
static enum track_mask
track_decide_plurality(const struct tracker *t, const struct track *tr, uint64_t now)
{
	unsigned count[TRACK_MASKS] = {0}, i;
	double sum[TRACK_MASKS] = {0};
	int v, best = TRACK_MASK_UNKNOWN;

	for (i = 0; i < tr->nvotes; i++)
		if (now - tr->vote_us[i] <= t->c.vote_max_age_us) {
			count[tr->votes[i]]++;
			sum[tr->votes[i]] += tr->vote_score[i];
		}
	for (v = 1; v < TRACK_MASKS; v++)
		if (count[v] > count[best] || (count[v] && count[v] == count[best] && sum[v] > sum[best]))
			best = v;
	return best;
}

/* track_decide_timeout - a gate person nothing settled for in time: the
 * votes there are decide (looks that never agreed enough), or, with none,
 * the caller's timeout rule (TRACK_TIMEOUT). For a person who has left,
 * votes decide only when they deny: a PASS after they are gone would open
 * the gate for whoever stands there next. */
static void
track_decide_timeout(struct tracker *t, struct track *tr, uint64_t now, int left)
{
	enum track_mask v = track_decide_plurality(t, tr, now);

	if (v != TRACK_MASK_UNKNOWN && (!left || track_decide_noncompliant(v))) {
		track_decide_settle(t, tr, v, now);
		return;
	}
	tr->info.timed_out = 1;
	tr->info.decided = 1;
	tr->decided_us = now;
	track_decide_emit(t, TRACK_TIMEOUT, tr, tr->info.mask, 0);
}

/* track_decide_face - gate: a confirmed person of whom no usable face was
 * seen (no look voted) is prompted after prompt_us; still undecided after
 * timeout_us, track_decide_timeout. Both count from the first frame of the
 * person, and fall due at a frame the person is in: one missing now may
 * have left (a prompt on the gate's screen after they went, or a PASS for
 * whoever stands there next), and one who leaves is decided as they leave
 * (track_decide_left): nobody stays undecided. */
static void
track_decide_face(struct tracker *t, struct track *tr, uint64_t now)
{
	if (!tr->info.confirmed || tr->info.decided || tr->settle_unsent || now < tr->info.first_us ||
	    tr->info.last_us != now)
		return;
	if (t->c.prompt_us && !tr->info.prompted && tr->nvotes == 0 && now - tr->info.first_us >= t->c.prompt_us) {
		tr->info.prompted = 1;
		if (tr->last_prompt == TRACK_PROMPT_NONE)
			tr->last_prompt = TRACK_PROMPT_FACE_NOT_VISIBLE;
		track_decide_emit(t, TRACK_PROMPT, tr, tr->info.mask, 0);
	}
	if (t->c.timeout_us && now - tr->info.first_us >= t->c.timeout_us)
		track_decide_timeout(t, tr, now, 0);
}

void
track_decide_left(struct tracker *t, struct track *tr, uint64_t now)
{
	if (!t->c.timeout_us || !tr->info.confirmed || tr->info.decided || tr->settle_unsent)
		return;
	track_decide_timeout(t, tr, now, 1);
}

void
track_decide_due(struct tracker *t, struct track *tr, uint64_t now)
{
	track_decide_alert(t, tr, now);
	track_decide_face(t, tr, now);
}

/* ---- looks ---- */

/* track_decide_consensus - the consensus of the last window votes: the
 * class with the most votes if it has at least consensus_n of them and a
 * majority share, else UNKNOWN. */
static enum track_mask
track_decide_consensus(const struct tracker *t, const struct track *tr, uint64_t now)
{
	unsigned count[TRACK_MASKS] = {0};
	unsigned i, n = tr->nvotes < t->c.consensus_window ? tr->nvotes : t->c.consensus_window;
	unsigned first = tr->nvotes - n;
	int v, best = TRACK_MASK_UNKNOWN;

	/* votes older than vote_max_age_us have left the window */
	while (first < tr->nvotes && now - tr->vote_us[first] > t->c.vote_max_age_us)
		first++;
	n = tr->nvotes - first;
	for (i = first; i < tr->nvotes; i++)
		count[tr->votes[i]]++;
	/* one very confident look decides a person nobody has decided yet */
	if (tr->info.mask == TRACK_MASK_UNKNOWN && n > 0 && count[tr->votes[tr->nvotes - 1]] == n &&
	    tr->vote_score[tr->nvotes - 1] >= t->c.decide_score)
		return tr->votes[tr->nvotes - 1];
	for (v = 1; v < TRACK_MASKS; v++)
		if (count[v] > count[best] ||
		    (count[v] == count[best] && v == (int)tr->info.mask))
			best = v;
	if (best == TRACK_MASK_UNKNOWN || count[best] < t->c.consensus_n ||
	    (double)count[best] < t->c.consensus_majority * n - 1e-9)
		return TRACK_MASK_UNKNOWN;
	return best;
}

/* track_decide_snapshot - what the look lacked for a vote (the prompt's
 * reason), and whether its face is the best seen: TRACK_LOOK_BEST or 0. */
static int
track_decide_snapshot(struct tracker *t, struct track *tr, uint64_t now, const struct track_look *look)
{
	double q, m;

	if (!look->has_face || !(look->face.w > 0))
		tr->last_prompt = TRACK_PROMPT_FACE_NOT_VISIBLE;
	else if (look->face.w < t->c.face_min_px)
		tr->last_prompt = TRACK_PROMPT_FACE_TOO_SMALL;
	else
		tr->last_prompt = TRACK_PROMPT_FACE_NOT_VISIBLE; /* turned away, blurred: no vote */

	if (!look->has_face || !(look->face.w > 0) || !(look->face.h > 0))
		return 0;
	q = look->face_quality >= 0 && look->face_quality <= 1 ? look->face_quality : 1;
	m = (double)look->face.w * look->face.h * (0.5 + 0.5 * q) * (0.5 + 0.5 * look->score);
	if (tr->has_best && m <= tr->best_metric * (1 + t->c.best_improve))
		return 0;
	tr->has_best = 1;
	tr->best_metric = m;
	tr->info.best_us = now;
	return TRACK_LOOK_BEST;
}

/* track_decide_compliant_was - what tr's decision said: 1 PASS, 0 DENY,
 * -1 none (not decided, or the timeout's decision gives no verdict). A
 * person the timeout decided (no mask state) has the timeout's verdict. */
static int
track_decide_compliant_was(const struct tracker *t, const struct track *tr)
{
	if (!tr->info.decided)
		return -1;
	if (tr->info.mask != TRACK_MASK_UNKNOWN)
		return !track_decide_noncompliant(tr->info.mask);
	if (!tr->info.timed_out || !t->c.timeout_settles)
		return -1;
	return t->c.timeout_pass;
}

/* track_decide_renews - gate (new_on_change): tr, decided, has looks that
 * settle on c, whose verdict is the other one (PASS for DENY or back; the
 * decision of a person the face timeout decided is the timeout's verdict).
 * mask_off <-> mask_chin, or a face found after the timeout's DENY that
 * settles on a DENY, stays a CHANGED of the reason: the gate's verdict
 * holds (the classifier wavers between the two on one face). The new
 * person is decided on its own votes: those cast since the old verdict's
 * last one (not too old) must be consensus_n, or all the window holds
 * (none for the old verdict is left: the timeout's person). 1: renew now;
 * -1: the consensus flips on votes of both (one face the classifier calls
 * mask_on and mask_chin in turn): neither renewed nor changed yet; 0: not
 * a change of verdict. */
static int
track_decide_renews(const struct tracker *t, const struct track *tr, enum track_mask c, uint64_t now)
{
	int was = track_decide_compliant_was(t, tr);
	unsigned i, own = 0, window = 0;

	if (!t->c.new_on_change || c == TRACK_MASK_UNKNOWN || c == tr->info.mask || was < 0 ||
	    was == !track_decide_noncompliant(c))
		return 0;
	for (i = tr->nvotes; i-- > 0 && now - tr->vote_us[i] <= t->c.vote_max_age_us;) {
		window++;
		if (own + 1 == window && (!track_decide_noncompliant(tr->votes[i])) != was)
			own++;
	}
	return own >= t->c.consensus_n || own == window ? 1 : -1;
}

/* track_decide_renew - tr renews (track_decide_renews). Someone else
 * stands in its place (a person stepping into the spot of one who just
 * left, two photos a fake camera cycles) or the same person changed (a
 * mask taken off, put on; a face shown after the timeout's verdict);
 * either way the gate's one decision no longer says who stands there, and
 * a CHANGED only the dashboard shows would tell the two screens apart.
 * The slot becomes a new person with the box and the votes cast since the
 * old decision's verdict last had one (the votes before belong to the
 * old person, even those for c): NEW, its decision (the caller settles
 * c), then the old person's ENDED. gone gets the old track. */
static void
track_decide_renew(struct tracker *t, struct track *tr, uint64_t now, struct track *gone)
{
	unsigned i, k = 0;
	int was = track_decide_compliant_was(t, tr);

	*gone = *tr;
	for (i = 0; i < tr->nvotes; i++) {
		if ((!track_decide_noncompliant(tr->votes[i])) == was) {
			k = 0; /* the old person's: the new one's votes start after it */
			continue;
		}
		tr->votes[k] = tr->votes[i];
		tr->vote_score[k] = tr->vote_score[i];
		tr->vote_us[k++] = tr->vote_us[i];
	}
	tr->nvotes = k;
	memset(&tr->info, 0, sizeof(tr->info));
	tr->info.id = t->next_id++;
	tr->info.box = gone->info.box;
	tr->info.first_us = k > 0 && tr->vote_us[0] <= now ? tr->vote_us[0] : now;
	tr->info.last_us = now;
	tr->info.frames = 1;
	tr->info.looks = k;
	tr->renewed_from = gone->info.id;
	tr->back_us = tr->decided_us = 0;
	tr->back_gone = 0;
	tr->settle_unsent = tr->has_best = tr->bad = tr->alerted_episode = tr->has_alerted = 0;
	tr->best_metric = 0;
	tr->last_prompt = TRACK_PROMPT_NONE;
	t->st.created++;
	track_decide_confirm(t, tr);
}

/* track_decide_back - gate (new_on_change): tr, decided, is back after an
 * absence since its decision (track_match) longer than the tracker keeps
 * a tentative person (back_gone: 1 s at 5 fps), and every vote cast since
 * it came back names one mask state with the other verdict, the last at
 * decide_score or more: someone else stepped into the place of whoever
 * left, decided on one look as a fresh person is (with the consensus'
 * votes of its own, a real swap's new person waited a look more). A
 * person who never left (one face the classifier calls mask_on and
 * mask_chin in turn) still needs the consensus (track_decide_renews), and
 * so does one back after a shorter absence: more often the person
 * detector missing someone who stayed for a few frames than a swap, and
 * one confident wrong look (validation 835: mask_chin 0.98 at one box,
 * mask_on at a box 23 px lower) made them a new person decided twice. */
static int
track_decide_back(const struct tracker *t, const struct track *tr)
{
	int was = track_decide_compliant_was(t, tr);
	unsigned i;
	uint8_t v;

	if (!t->c.new_on_change || was < 0 || tr->nvotes == 0 || tr->back_us == 0 || !tr->back_gone ||
	    tr->back_us <= tr->decided_us)
		return 0;
	v = tr->votes[tr->nvotes - 1];
	if ((!track_decide_noncompliant(v)) == was || tr->vote_score[tr->nvotes - 1] < t->c.decide_score)
		return 0;
	for (i = tr->nvotes; i-- > 0 && tr->vote_us[i] >= tr->back_us;)
		if (tr->votes[i] != v)
			return 0;
	return 1;
}

uint64_t
track_renewed(const struct tracker *t, uint64_t id)
{
	int k;

	for (k = 0; id != 0 && k < TRACK_MAX; k++)
		if (t->tracks[k].used && (t->tracks[k].renewed_from == id || t->tracks[k].merged_from == id))
			return t->tracks[k].info.id;
	return 0;
}

/* track_decide_vote - add a confident look's mask state to the window and
 * settle what the consensus says now; 1 when tr became a new person
 * (track_decide_renew). */
static int
track_decide_vote(struct tracker *t, struct track *tr, uint64_t now, const struct track_look *look)
{
	struct track gone;
	enum track_mask c, old = tr->info.mask;
	int renews;

	if (tr->nvotes == TRACK_WINDOW_MAX) {
		memmove(tr->votes, tr->votes + 1, TRACK_WINDOW_MAX - 1);
		memmove(tr->vote_score, tr->vote_score + 1, (TRACK_WINDOW_MAX - 1) * sizeof(float));
		memmove(tr->vote_us, tr->vote_us + 1, (TRACK_WINDOW_MAX - 1) * sizeof(uint64_t));
		tr->nvotes--;
	}
	tr->votes[tr->nvotes] = (uint8_t)look->mask;
	tr->vote_score[tr->nvotes] = look->score;
	tr->vote_us[tr->nvotes] = now;
	tr->nvotes++;
	/* a confident look at a face is a person: no need to wait for min_hits */
	if (!tr->info.confirmed)
		track_decide_confirm(t, tr);

	c = track_decide_consensus(t, tr, now);
	renews = track_decide_renews(t, tr, c, now);
	if (renews <= 0 && track_decide_back(t, tr)) {
		c = tr->votes[tr->nvotes - 1];
		renews = 1;
	}
	if (renews > 0) {
		track_decide_renew(t, tr, now, &gone);
		track_decide_settle(t, tr, c, now);
		t->st.ended++;
		track_decide_emit(t, TRACK_ENDED, &gone, gone.info.mask, 0);
		return 1;
	}
	if (c != TRACK_MASK_UNKNOWN && c != old && renews == 0)
		track_decide_settle(t, tr, c, now);
	else if (look->mask != tr->info.mask)
		tr->agree_since_us = now; /* an odd vote: look more, flip nothing */
	return 0;
}

int
track_classify(struct tracker *t, uint64_t id, uint64_t now_us, const struct track_look *look)
{
	struct track *tr = track_find(t, id), *own;
	int flags, merged = 0, rc;

	if (tr == NULL)
		return -ENOENT;
	if (look == NULL || (int)look->mask < 0 || look->mask >= TRACK_MASKS ||
	    !(look->score >= 0 && look->score <= 1))
		return -EINVAL;
	now_us = track_clock(t, now_us);
	/* a person box over a face-only person's head: their own body when
	 * the face its look found is theirs (it takes the box and the look) */
	if (tr->head_of && look->has_face && look->face.w > 0 && (own = track_head_merge(t, tr, now_us, look))) {
		tr = own;
		merged = TRACK_LOOK_RENEWED;
	}

	tr->info.looks++;
	t->st.looks++;
	tr->looked = 1;
	tr->look_us = now_us;
	tr->look_box = tr->info.box;
	flags = track_decide_snapshot(t, tr, now_us, look);
	if (look->mask != TRACK_MASK_UNKNOWN && look->score >= t->c.consensus_min_score &&
	    track_decide_vote(t, tr, now_us, look)) /* the look is the new person's first best */
		flags = track_decide_snapshot(t, tr, now_us, look) | TRACK_LOOK_RENEWED;
	track_decide_due(t, tr, now_us);
	rc = track_decide_lost(t);
	return rc < 0 ? rc : flags | merged;
}
