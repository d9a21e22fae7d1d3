/* track - follow one camera's people across frames: match each frame's
 * boxes to the live tracks, start and end tracks, and say which boxes to
 * classify. What the looks decide is track_decide.c's. See track.h for the
 * contract, docs/TRACKING.md for the rules. Pure: every time comes from
 * the caller. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "track_priv.h"

#define TRACK_PREDICT_MAX_US 1000000 /* extrapolate motion at most 1 s */
#define TRACK_CONTAIN_MATCH 0.7      /* last pass: this share of the smaller box inside the other */
#define TRACK_TIE 1e-6               /* confirmed tracks win ties over tentative ones */

/* The association passes, in order. */
enum track_pass {
	TRACK_PASS_IOU,     /* IoU with the predicted box */
	TRACK_PASS_CENTER,  /* nearest centres, sizes alike */
	TRACK_PASS_CONTAIN, /* one box inside the other: face box vs body box */
	TRACK_PASSES
};

/* One track_update call's working state. */
struct track_frame {
	uint64_t now;
	const struct track_box *boxes;
	size_t n;
	struct track_assign *assign;
	int more;                         /* track_update_more: faces no person box took */
	unsigned char *taken;             /* boxes[j] is matched; owned, n bytes */
	int matched[TRACK_MAX];           /* tracks[k] is matched */
	struct track_box pred[TRACK_MAX]; /* tracks[k]'s box moved to now */
};

struct tracker *
track_new(const struct track_config *c)
{
	struct tracker *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if (c != NULL)
		t->c = *c;
	else
		track_config_default(&t->c);
	track_config_clamp(&t->c);
	t->next_id = t->c.id_base + 1;
	return t;
}

void
track_free(struct tracker *t)
{
	if (t == NULL)
		return;
	free(t->ev);
	free(t);
}

uint64_t
track_clock(struct tracker *t, uint64_t now_us)
{
	if (now_us < t->now_us)
		now_us = t->now_us;
	t->now_us = now_us;
	return now_us;
}

/* ---- geometry ---- */

/* track_overlap - the area of a and b's intersection, 0 if none. */
static double
track_overlap(const struct track_box *a, const struct track_box *b)
{
	double x0 = fmax(a->x, b->x), y0 = fmax(a->y, b->y);
	double x1 = fmin(a->x + a->w, b->x + b->w), y1 = fmin(a->y + a->h, b->y + b->h);

	return x1 <= x0 || y1 <= y0 ? 0 : (x1 - x0) * (y1 - y0);
}

static double
track_iou(const struct track_box *a, const struct track_box *b)
{
	double inter = track_overlap(a, b);
	double uni = (double)a->w * a->h + (double)b->w * b->h - inter;

	return inter > 0 && uni > 0 ? inter / uni : 0;
}

/* track_containment - the share of the smaller of a and b that lies inside
 * the other: a face box inside the body box of the same person (ingest
 * gives one or the other, frame by frame, when the person detector misses
 * a close-up) */
static double
track_containment(const struct track_box *a, const struct track_box *b)
{
	double small = fmin((double)a->w * a->h, (double)b->w * b->h);

	return small > 0 ? track_overlap(a, b) / small : 0;
}

/* track_head_fit - for the containment pass: how well the smaller of a
 * and b sits as a head-and-shoulders box at the top of the larger (its
 * top centre near the larger's), 0 when it lies outside the larger's
 * middle half across or its lower half: a face-derived box inside the
 * body box of someone beside or in front of its person is not them. In a
 * group, one head box lies inside several body boxes; the best fit wins,
 * not the first track. */
static double
track_head_fit(const struct track_box *a, const struct track_box *b)
{
	const struct track_box *s = a, *l = b;
	double dx, dy;

	if ((double)a->w * a->h > (double)b->w * b->h) {
		s = b;
		l = a;
	}
	if (!(l->w > 0) || !(l->h > 0))
		return 0;
	dx = fabs((s->x + s->w / 2) - (l->x + l->w / 2)) / (l->w / 2);
	dy = fmax(0, s->y - l->y) / l->h;
	if (dx > 0.5 || dy > 0.5)
		return 0;
	return (1 - dx) * (1 - dy);
}

/* track_center_dist - centre distance over the track's size, or a large
 * number if the sizes differ too much to be the same person (area ratio
 * beyond 2). */
static double
track_center_dist(const struct track_box *p, const struct track_box *d)
{
	double pa = (double)p->w * p->h, da = (double)d->w * d->h;
	double dx = (p->x + p->w / 2) - (d->x + d->w / 2);
	double dy = (p->y + p->h / 2) - (d->y + d->h / 2);
	double size = fmax(p->w, p->h);

	if (pa <= 0 || da <= 0 || size <= 0 || da > 2 * pa || pa > 2 * da)
		return 1e9;
	return sqrt(dx * dx + dy * dy) / size;
}

/* track_box_change - how much b moved or resized relative to a, as a
 * share of a's size */
static double
track_box_change(const struct track_box *a, const struct track_box *b)
{
	double aa = (double)a->w * a->h, ba = (double)b->w * b->h;
	double dx, dy, ch = 0;

	if (aa <= 0 || a->w <= 0 || a->h <= 0)
		return 1e9;
	ch = fabs(ba / aa - 1);
	dx = fabs((a->x + a->w / 2) - (b->x + b->w / 2)) / a->w;
	dy = fabs((a->y + a->h / 2) - (b->y + b->h / 2)) / a->h;
	return fmax(ch, fmax(dx, dy));
}

static struct track_box
track_predict(const struct track *tr, uint64_t now_us)
{
	struct track_box b = tr->info.box;
	uint64_t dt = now_us > tr->info.last_us ? now_us - tr->info.last_us : 0;

	if (dt > TRACK_PREDICT_MAX_US)
		dt = TRACK_PREDICT_MAX_US;
	b.x += (float)(tr->vx * (double)dt / 1e6);
	b.y += (float)(tr->vy * (double)dt / 1e6);
	return b;
}

/* ---- track lifetimes ---- */

/* track_missing_limit - how long a track may be missing: the configured
 * time, or missing_frames of the camera's frame interval when that is
 * longer, so that at 0.5 frames/s a person is not forgotten between two
 * frames. With no interval known yet, the gap up to this frame stands for
 * it for a tentative track only (a slow camera's second frame confirms
 * its person); a confirmed person is kept the configured time, so the
 * empty scene before the next person does not pass for a slow camera. */
static uint64_t
track_missing_limit(const struct tracker *t, const struct track *tr)
{
	uint64_t base = tr->info.confirmed ? t->c.max_missing_us : t->c.tentative_missing_us;

	/* a face in no person box is found again only by a search (a look, the
	 * whole frame): it may be missing until the next re-look, up to twice
	 * the limit more (track.max_missing_ms 1: every photo a new visit) */
	if (tr->extra)
		base += t->c.recheck_us < 2 * base ? t->c.recheck_us : 2 * base;
	uint64_t iv = track_frame_interval_us(t);
	double by_frames = t->c.missing_frames * (double)(iv || tr->info.confirmed ? iv : t->first_gap);

	return by_frames > (double)base ? (uint64_t)by_frames : base;
}

static void
track_end(struct tracker *t, struct track *tr)
{
	if (tr->info.confirmed) {
		t->st.ended++;
		track_decide_emit(t, TRACK_ENDED, tr, tr->info.mask, 0);
	}
	memset(tr, 0, sizeof(*tr));
	t->st.live--;
}

/* track_end_gone - step 1: end what has been gone too long, before it can
 * steal a newcomer; a gate person who left undecided is decided first. */
static void
track_end_gone(struct tracker *t, uint64_t now)
{
	int k;

	for (k = 0; k < TRACK_MAX; k++) {
		struct track *tr = &t->tracks[k];

		if (!tr->used || track_gap_missing_us(t, tr, now) <= track_missing_limit(t, tr))
			continue;
		if (tr->extra && track_head_keep(t, tr) && /* their body: no face said otherwise */
		    track_gap_missing_us(t, tr, now) <= track_missing_limit(t, tr))
			continue;
		track_decide_left(t, tr, now);
		track_end(t, tr);
	}
}

struct track *
track_slot(struct tracker *t)
{
	int k;

	for (k = 0; k < TRACK_MAX; k++)
		if (!t->tracks[k].used) {
			memset(&t->tracks[k], 0, sizeof(t->tracks[k]));
			t->tracks[k].used = 1;
			t->st.live++;
			return &t->tracks[k];
		}
	return NULL;
}

struct track *
track_find(struct tracker *t, uint64_t id)
{
	int i;

	if (id == 0)
		return NULL;
	for (i = 0; i < TRACK_MAX; i++)
		if (t->tracks[i].used && t->tracks[i].info.id == id)
			return &t->tracks[i];
	return NULL;
}

/* ---- association ---- */

void
track_match(const struct tracker *t, struct track *tr, const struct track_box *d, uint64_t now)
{
	uint64_t dt = now > tr->info.last_us ? now - tr->info.last_us : 0;
	int away = track_gap_away(t, tr, now);

	if (away) {
		tr->back_us = now;
		tr->back_gone = away == 2;
	}

	if (dt > 0) {
		double vx = ((d->x + d->w / 2) - (tr->info.box.x + tr->info.box.w / 2)) * 1e6 / (double)dt;
		double vy = ((d->y + d->h / 2) - (tr->info.box.y + tr->info.box.h / 2)) * 1e6 / (double)dt;

		if (tr->info.frames == 1) {
			tr->vx = vx;
			tr->vy = vy;
		} else {
			tr->vx = 0.5 * tr->vx + 0.5 * vx;
			tr->vy = 0.5 * tr->vy + 0.5 * vy;
		}
	}
	tr->info.box = *d;
	tr->info.last_us = now;
	tr->info.frames++;
	tr->unseen_mark = t->unseen_us;
}

/* track_gate_settled - a gate camera (no alerts) decides once: a person
 * decided on a mask state, or by the face timeout when that gives a
 * verdict, needs no look until the re-look or a box change, as a stable
 * one (a face never found was searched in every frame for as long as the
 * person stood there), unless its last look disagreed (for the timeout's
 * person: a look voted since, not yet too old); an indoor camera alerts
 * on a change, so it looks until the state is stable. */
static int
track_gate_settled(const struct tracker *t, const struct track *tr, uint64_t now)
{
	if (t->c.alert_after_us != 0 || !tr->info.decided)
		return 0;
	if (tr->info.mask == TRACK_MASK_UNKNOWN)
		return tr->info.timed_out && t->c.timeout_settles &&
		    (tr->nvotes == 0 || now - tr->vote_us[tr->nvotes - 1] > t->c.vote_max_age_us);
	/* a look that disagreed: look on until the consensus holds or names
	 * someone else (new_on_change) */
	return tr->nvotes == 0 || tr->votes[tr->nvotes - 1] == (uint8_t)tr->info.mask;
}

/* track_assign_box - fill a for a box of tr: whether to classify it now. */
static void
track_assign_box(struct tracker *t, struct track *tr, uint64_t now, struct track_assign *a)
{
	a->id = tr->info.id;
	a->confirmed = tr->info.confirmed;
	if (!track_decide_stable(t, tr, now) && !track_gate_settled(t, tr, now))
		a->reason = TRACK_REASON_UNSETTLED;
	else if (!tr->looked || now - tr->look_us >= t->c.recheck_us)
		a->reason = TRACK_REASON_RECHECK;
	else if (track_box_change(&tr->look_box, &tr->info.box) > t->c.recheck_box_change)
		a->reason = TRACK_REASON_BOX;
	else if (t->c.new_on_change && tr->back_us == now && tr->info.decided)
		a->reason = TRACK_REASON_BACK; /* who stands there now: one look (track_decide_back) */
	else
		a->reason = TRACK_REASON_NONE;
	a->classify = a->reason != TRACK_REASON_NONE;
	if (a->classify) {
		t->st.classify_asked++;
	} else {
		t->st.classify_skipped++;
		tr->info.skipped++;
	}
}

/* track_pair_score - how well box d fits a track's predicted box p in a
 * pass, higher is better (the centre pass scores minus the distance). */
static double
track_pair_score(enum track_pass pass, const struct track_box *p, const struct track_box *d,
    int confirmed)
{
	switch (pass) {
	case TRACK_PASS_IOU:
		return track_iou(p, d) + (confirmed ? TRACK_TIE : 0);
	case TRACK_PASS_CENTER:
		return -(track_center_dist(p, d) + (confirmed ? 0 : TRACK_TIE));
	default: /* contained enough, then by how the head fits */
		return track_containment(p, d) < TRACK_CONTAIN_MATCH ? 0 :
		    track_head_fit(p, d) > 0 ? 1 + track_head_fit(p, d) + (confirmed ? TRACK_TIE : 0) : 0;
	}
}

/* track_pass_min - the least score that matches in a pass. */
static double
track_pass_min(const struct tracker *t, enum track_pass pass)
{
	switch (pass) {
	case TRACK_PASS_IOU: return t->c.iou_match;
	case TRACK_PASS_CENTER: return -t->c.center_match;
	default: return 1; /* track_pair_score: contained, a head that fits */
	}
}

double
track_contain_score(const struct tracker *t, const struct track *tr, const struct track_box *p,
    const struct track_box *d)
{
	double s = track_pair_score(TRACK_PASS_CONTAIN, p, d, tr->info.confirmed);

	return s >= track_pass_min(t, TRACK_PASS_CONTAIN) ? s : 0;
}

/* track_pick - the best pair of unmatched track *bk and box *bj in a pass;
 * 0 when no pair scores enough. The first of equal pairs wins. */
static int
track_pick(const struct tracker *t, const struct track_frame *f, enum track_pass pass,
    int *bk, size_t *bj)
{
	double best = track_pass_min(t, pass), s;
	size_t j;
	int k;

	*bk = -1;
	for (k = 0; k < TRACK_MAX; k++) {
		if (!t->tracks[k].used || f->matched[k])
			continue;
		/* a person box over a face-only person's head: whose body is told by
		 * its look (track_head_of) */
		if (pass == TRACK_PASS_CONTAIN && t->tracks[k].extra && !f->more)
			continue;
		for (j = 0; j < f->n; j++) {
			if (f->taken[j])
				continue;
			s = track_pair_score(pass, &f->pred[k], &f->boxes[j], t->tracks[k].info.confirmed);
			if (s >= best && (*bk < 0 || s > best)) {
				best = s;
				*bk = k;
				*bj = j;
			}
		}
	}
	return *bk >= 0;
}

/* track_associate - step 2: greedy association, best pair first: on IoU,
 * then on nearest centres, then a box inside the other (face box vs body
 * box of one person). O(T*D) per pick, fine for the handful of people one
 * camera sees. */
static void
track_associate(struct tracker *t, struct track_frame *f)
{
	enum track_pass pass;
	struct track *tr;
	size_t j;
	int k;

	for (k = 0; k < TRACK_MAX; k++)
		if (t->tracks[k].used)
			f->pred[k] = track_predict(&t->tracks[k], f->now);
	for (pass = 0; pass < TRACK_PASSES; pass++)
		while (track_pick(t, f, pass, &k, &j)) {
			tr = &t->tracks[k];
			f->matched[k] = 1;
			f->taken[j] = 1;
			track_match(t, tr, &f->boxes[j], f->now);
			tr->extra = f->more;
			if (pass == TRACK_PASS_CONTAIN) /* another kind of box: its centre jump is no motion */
				tr->vx = tr->vy = 0;
			if (tr->head_of && !track_find(t, tr->head_of))
				tr->head_of = 0; /* the face-only person left: no one to tell apart */
			if (!tr->info.confirmed && !tr->head_of && tr->info.frames >= t->c.min_hits)
				track_decide_confirm(t, tr);
			track_assign_box(t, tr, f->now, &f->assign[j]);
		}
}

static void
track_start(struct tracker *t, struct track_frame *f)
{
	struct track *tr;
	size_t j;

	for (j = 0; j < f->n; j++) {
		if (f->taken[j])
			continue;
		if ((tr = track_slot(t)) == NULL) {
			memset(&f->assign[j], 0, sizeof(f->assign[j]));
			t->st.no_room++;
			t->st.classify_skipped++;
			continue;
		}
		tr->info.id = t->next_id++;
		tr->info.box = f->boxes[j];
		tr->info.first_us = tr->info.last_us = f->now;
		tr->info.frames = 1;
		tr->unseen_mark = t->unseen_us;
		tr->extra = f->more;
		tr->head_of = f->more ? 0 : track_head_of(t, f->matched, f->pred, &f->boxes[j]);
		t->st.created++;
		if (tr->info.frames >= t->c.min_hits && !tr->head_of)
			track_decide_confirm(t, tr);
		track_assign_box(t, tr, f->now, &f->assign[j]);
	}
}

int
track_update(struct tracker *t, uint64_t now_us, const struct track_box *boxes,
    size_t n, struct track_assign *assign)
{
	struct track_frame f;
	int k;

	memset(&f, 0, sizeof(f));
	f.now = track_clock(t, now_us);
	f.boxes = boxes;
	f.n = n;
	f.assign = assign;
	if (n > 0 && (f.taken = calloc(n, 1)) == NULL)
		return -ENOMEM;
	track_gap_begin(t, f.now, n);
	track_end_gone(t, f.now);
	track_gap_end(t, f.now, n);
	track_associate(t, &f);
	track_start(t, &f);
	free(f.taken);
	/* step 4: alerts, prompts and timeouts fall due with time, not only with looks */
	for (k = 0; k < TRACK_MAX; k++)
		if (t->tracks[k].used)
			track_decide_due(t, &t->tracks[k], f.now);
	return track_decide_lost(t);
}

int
track_update_more(struct tracker *t, const struct track_box *boxes, size_t n, struct track_assign *assign)
{
	struct track_frame f;
	int k;

	if (n == 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.now = t->now_us;
	f.boxes = boxes;
	f.n = n;
	f.assign = assign;
	f.more = 1;
	if ((f.taken = calloc(n, 1)) == NULL)
		return -ENOMEM;
	for (k = 0; k < TRACK_MAX; k++) /* matched or started by this frame's track_update */
		f.matched[k] = t->tracks[k].used && t->tracks[k].info.last_us == f.now;
	t->st.boxes += n;
	track_associate(t, &f);
	track_start(t, &f);
	free(f.taken);
	return track_decide_lost(t);
}

int
track_end_all(struct tracker *t, uint64_t now_us)
{
	int k;

	if (now_us > t->now_us)
		t->now_us = now_us;
	for (k = 0; k < TRACK_MAX; k++)
		if (t->tracks[k].used)
			track_end(t, &t->tracks[k]);
	return track_decide_lost(t);
}

int
track_info(const struct tracker *t, uint64_t id, struct track_info *out)
{
	const struct track *tr = track_find((struct tracker *)t, id);

	if (tr == NULL)
		return -ENOENT;
	*out = tr->info;
	out->stable = track_decide_stable(t, tr, t->now_us);
	return 0;
}

void
track_stats(const struct tracker *t, struct track_stats *out)
{
	*out = t->st;
	out->now_us = t->now_us;
}
