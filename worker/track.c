/* track - follow one camera's people across frames and settle a mask state per
 * person by consensus; see track.h for the contract, docs/TRACKING.md for
 * the rules. Pure: every time comes from the caller. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "track.h"

#define TRACK_PREDICT_MAX_US 1000000 /* extrapolate motion at most 1 s */
#define TRACK_GAPS 8                 /* frame gaps kept for the interval estimate */
#define TRACK_GAP_MAX_US 10000000    /* a longer gap is an empty scene, not a frame rate */
#define TRACK_CONTAIN_MATCH 0.7      /* last pass: this share of the smaller box inside the other */

struct track {
	int used;
	int confirmed;
	uint64_t id;
	struct track_box box;       /* last matched box */
	double vx, vy;              /* centre velocity, pixels per second */
	uint64_t first_us, last_us; /* first and last match */
	uint32_t hits;              /* frames matched */
	uint32_t looks, skipped;

	/* consensus: the last qualifying votes, oldest first */
	uint8_t votes[TRACK_WINDOW_MAX];
	float vote_score[TRACK_WINDOW_MAX];
	uint64_t vote_us[TRACK_WINDOW_MAX];
	unsigned nvotes;
	enum track_mask settled;
	uint64_t settled_us;        /* when settled last changed */
	uint64_t agree_since_us;    /* votes agree with settled since then */
	int decided;                /* first settle happened (the gate decision) */
	int settle_unsent;          /* settled while tentative: CHANGED owed at confirm */
	int prompted;               /* TRACK_PROMPT sent */
	int timed_out;              /* TRACK_TIMEOUT sent: the decision was the timeout's */
	enum track_prompt last_prompt; /* what the last look lacked */

	/* re-check bookkeeping */
	int looked;
	uint64_t look_us;
	struct track_box look_box;  /* the box at the last look */

	/* best snapshot */
	int has_best;
	double best_metric;
	uint64_t best_us;

	/* indoor alerts */
	int bad;                    /* settled mask state is non-compliant */
	uint64_t bad_since_us;      /* ...since then */
	int alerted_episode;        /* alerted since bad_since_us */
	int has_alerted;
	uint64_t alert_us;
};

struct tracker {
	struct track_config c;
	struct track tracks[TRACK_MAX];
	uint64_t next_id;
	uint64_t now_us;            /* latest time seen; time never goes back */
	uint64_t last_frame_us;     /* last track_update with boxes; 0 = none yet */
	uint64_t gaps[TRACK_GAPS];  /* ring of recent frame gaps */
	unsigned ngaps, gap_next;
	int cam_has_alerted;
	uint64_t cam_alert_us;
	struct track_stats st;
	struct track_event *ev;     /* owned; queue ev[ev_head..ev_len) */
	size_t ev_head, ev_len, ev_cap;
	int ev_lost;                /* an event could not be queued (ENOMEM) */
};

void
track_config_default(struct track_config *c)
{
	memset(c, 0, sizeof(*c));
	c->min_hits = 2;
	c->max_missing_us = 3000000;
	c->tentative_missing_us = 1000000;
	c->missing_frames = 2.5;
	c->iou_match = 0.3;
	c->center_match = 0.75;
	c->consensus_n = 2;
	c->decide_score = 0.97;
	c->vote_max_age_us = 10000000;
	c->consensus_window = 5;
	c->consensus_min_score = 0.6;
	c->consensus_majority = 0.6;
	c->stable_us = 3000000;
	c->recheck_us = 5000000;
	c->recheck_box_change = 0.5;
	c->best_improve = 0.1;
	c->alert_after_us = 10000000;
	c->alert_cooldown_us = 60000000;
	c->camera_cooldown_us = 10000000;
	c->prompt_us = 0;
	c->timeout_us = 0;
	c->face_min_px = 40;
	c->id_base = 0;
}

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
	if (t->c.min_hits < 1)
		t->c.min_hits = 1;
	if (t->c.consensus_n < 1)
		t->c.consensus_n = 1;
	if (t->c.consensus_n > TRACK_WINDOW_MAX)
		t->c.consensus_n = TRACK_WINDOW_MAX;
	if (t->c.consensus_window < t->c.consensus_n)
		t->c.consensus_window = t->c.consensus_n;
	if (t->c.consensus_window > TRACK_WINDOW_MAX)
		t->c.consensus_window = TRACK_WINDOW_MAX;
	if (t->c.tentative_missing_us > t->c.max_missing_us)
		t->c.tentative_missing_us = t->c.max_missing_us;
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

static int
noncompliant(enum track_mask v)
{
	return v == TRACK_MASK_OFF || v == TRACK_MASK_CHIN;
}

/* ---- events ---- */

static float
winning_score(const struct track *tr, enum track_mask v, unsigned window)
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

static void
emit(struct tracker *t, enum track_event_type type, const struct track *tr,
    enum track_mask previous, int first_settle)
{
	struct track_event *e;

	if (t->ev_head > 0 && t->ev_head == t->ev_len)
		t->ev_head = t->ev_len = 0;
	if (t->ev_len == t->ev_cap) {
		size_t cap = t->ev_cap ? t->ev_cap * 2 : 32;
		struct track_event *n;

		if (t->ev_head > 0) { /* compact first */
			memmove(t->ev, t->ev + t->ev_head, (t->ev_len - t->ev_head) * sizeof(*t->ev));
			t->ev_len -= t->ev_head;
			t->ev_head = 0;
		}
		if (t->ev_len == t->ev_cap) {
			n = realloc(t->ev, cap * sizeof(*n));
			if (n == NULL) {
				t->ev_lost = 1;
				return;
			}
			t->ev = n;
			t->ev_cap = cap;
		}
	}
	e = &t->ev[t->ev_len++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->id = tr->id;
	e->at_us = t->now_us;
	e->mask = tr->settled;
	e->previous = previous;
	e->first_settle = first_settle;
	e->score = winning_score(tr, tr->settled, t->c.consensus_window);
	e->box = tr->box;
	e->first_us = tr->first_us;
	e->last_us = tr->last_us;
	e->best_us = tr->best_us;
	e->bad_since_us = tr->bad ? tr->bad_since_us : 0;
	e->frames = tr->hits;
	e->looks = tr->looks;
	e->skipped = tr->skipped;
	e->prompt = type == TRACK_PROMPT ? tr->last_prompt : TRACK_PROMPT_NONE;
}

int
track_next_event(struct tracker *t, struct track_event *ev)
{
	if (t->ev_head >= t->ev_len)
		return 0;
	*ev = t->ev[t->ev_head++];
	return 1;
}

/* ---- geometry ---- */

static double
iou(const struct track_box *a, const struct track_box *b)
{
	double x0 = fmax(a->x, b->x), y0 = fmax(a->y, b->y);
	double x1 = fmin(a->x + a->w, b->x + b->w), y1 = fmin(a->y + a->h, b->y + b->h);
	double inter, uni;

	if (x1 <= x0 || y1 <= y0)
		return 0;
	inter = (x1 - x0) * (y1 - y0);
	uni = (double)a->w * a->h + (double)b->w * b->h - inter;
	return uni > 0 ? inter / uni : 0;
}

static struct track_box
predict(const struct track *tr, uint64_t now_us)
{
	struct track_box b = tr->box;
	uint64_t dt = now_us > tr->last_us ? now_us - tr->last_us : 0;

	if (dt > TRACK_PREDICT_MAX_US)
		dt = TRACK_PREDICT_MAX_US;
	b.x += (float)(tr->vx * (double)dt / 1e6);
	b.y += (float)(tr->vy * (double)dt / 1e6);
	return b;
}

/* centre distance over the track's size, or a large number if the sizes
 * differ too much to be the same person (area ratio beyond 2). */
static double
center_dist(const struct track_box *p, const struct track_box *d)
{
	double pa = (double)p->w * p->h, da = (double)d->w * d->h;
	double dx = (p->x + p->w / 2) - (d->x + d->w / 2);
	double dy = (p->y + p->h / 2) - (d->y + d->h / 2);
	double size = fmax(p->w, p->h);

	if (pa <= 0 || da <= 0 || size <= 0 || da > 2 * pa || pa > 2 * da)
		return 1e9;
	return sqrt(dx * dx + dy * dy) / size;
}

/* the share of the smaller of a and b that lies inside the other: a face
 * box inside the body box of the same person (ingest gives one or the
 * other, frame by frame, when the person detector misses a close-up) */
static double
containment(const struct track_box *a, const struct track_box *b)
{
	double x0 = fmax(a->x, b->x), y0 = fmax(a->y, b->y);
	double x1 = fmin(a->x + a->w, b->x + b->w), y1 = fmin(a->y + a->h, b->y + b->h);
	double small = fmin((double)a->w * a->h, (double)b->w * b->h);

	if (x1 <= x0 || y1 <= y0 || small <= 0)
		return 0;
	return (x1 - x0) * (y1 - y0) / small;
}

/* how much b moved or resized relative to a, as a share of a's size */
static double
box_change(const struct track_box *a, const struct track_box *b)
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

/* ---- per-track rules ---- */

static int
is_stable(const struct tracker *t, const struct track *tr, uint64_t now)
{
	return tr->settled != TRACK_MASK_UNKNOWN && now >= tr->agree_since_us &&
	    now - tr->agree_since_us >= t->c.stable_us;
}

static void
check_alert(struct tracker *t, struct track *tr, uint64_t now)
{
	if (t->c.alert_after_us == 0 || !tr->confirmed || !tr->bad ||
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
	emit(t, TRACK_ALERT, tr, tr->settled, 0);
}

/* settle - the person's mask state is c now: CHANGED (the gate decision if
 * it is the first), or owed until confirmation. */
static void
settle(struct tracker *t, struct track *tr, enum track_mask c, uint64_t now)
{
	enum track_mask old = tr->settled;

	tr->settled = c;
	tr->settled_us = now;
	tr->agree_since_us = now;
	if (noncompliant(c)) {
		if (!tr->bad) {
			tr->bad = 1;
			tr->bad_since_us = now;
			tr->alerted_episode = 0;
		}
	} else {
		tr->bad = 0;
		tr->alerted_episode = 0;
	}
	if (!tr->confirmed) {
		tr->settle_unsent = 1;
	} else {
		emit(t, TRACK_CHANGED, tr, old, !tr->decided);
		tr->decided = 1;
	}
}

/* plurality - the class with the most votes not yet too old (ties: the
 * higher total score), UNKNOWN if there is none: what the looks say when
 * they never agreed enough to settle. */
static enum track_mask
plurality(const struct tracker *t, const struct track *tr, uint64_t now)
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

/* check_face - gate: a confirmed person of whom no usable face was seen (no
 * look voted) is prompted after prompt_us. Still undecided after
 * timeout_us: decided by the votes there are (looks that never agreed
 * enough), or, with none, handed to the caller's timeout rule. Both count
 * from the first frame of the person: nobody stays undecided. */
static void
check_face(struct tracker *t, struct track *tr, uint64_t now)
{
	enum track_mask v;

	if (!tr->confirmed || tr->decided || tr->settle_unsent || now < tr->first_us)
		return;
	if (t->c.prompt_us && !tr->prompted && tr->nvotes == 0 && now - tr->first_us >= t->c.prompt_us) {
		tr->prompted = 1;
		if (tr->last_prompt == TRACK_PROMPT_NONE)
			tr->last_prompt = TRACK_PROMPT_FACE_NOT_VISIBLE;
		emit(t, TRACK_PROMPT, tr, tr->settled, 0);
	}
	if (t->c.timeout_us && now - tr->first_us >= t->c.timeout_us) {
		if ((v = plurality(t, tr, now)) != TRACK_MASK_UNKNOWN) {
			settle(t, tr, v, now);
			return;
		}
		tr->timed_out = 1;
		tr->decided = 1;
		emit(t, TRACK_TIMEOUT, tr, tr->settled, 0);
	}
}

/* missing_limit - how long a track may be missing: the configured time,
 * or missing_frames of the camera's frame interval when that is longer,
 * so that at 0.5 frames/s a person is not forgotten between two frames. */
static uint64_t
missing_limit(const struct tracker *t, const struct track *tr)
{
	uint64_t base = tr->confirmed ? t->c.max_missing_us : t->c.tentative_missing_us;
	double by_frames = t->c.missing_frames * (double)track_frame_interval_us(t);

	return by_frames > (double)base ? (uint64_t)by_frames : base;
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
	return g[n / 2];
}

static void
end_track(struct tracker *t, struct track *tr)
{
	if (tr->confirmed) {
		t->st.ended++;
		emit(t, TRACK_ENDED, tr, tr->settled, 0);
	}
	memset(tr, 0, sizeof(*tr));
	t->st.live--;
}

static void
confirm(struct tracker *t, struct track *tr)
{
	tr->confirmed = 1;
	t->st.confirmed++;
	emit(t, TRACK_NEW, tr, TRACK_MASK_UNKNOWN, 0);
	if (tr->settle_unsent) {
		tr->settle_unsent = 0;
		emit(t, TRACK_CHANGED, tr, TRACK_MASK_UNKNOWN, !tr->decided);
		tr->decided = 1;
	}
}

static struct track *
find(struct tracker *t, uint64_t id)
{
	int i;

	if (id == 0)
		return NULL;
	for (i = 0; i < TRACK_MAX; i++)
		if (t->tracks[i].used && t->tracks[i].id == id)
			return &t->tracks[i];
	return NULL;
}

static void
match(struct track *tr, const struct track_box *d, uint64_t now)
{
	uint64_t dt = now > tr->last_us ? now - tr->last_us : 0;

	if (dt > 0) {
		double vx = ((d->x + d->w / 2) - (tr->box.x + tr->box.w / 2)) * 1e6 / (double)dt;
		double vy = ((d->y + d->h / 2) - (tr->box.y + tr->box.h / 2)) * 1e6 / (double)dt;

		if (tr->hits == 1) {
			tr->vx = vx;
			tr->vy = vy;
		} else {
			tr->vx = 0.5 * tr->vx + 0.5 * vx;
			tr->vy = 0.5 * tr->vy + 0.5 * vy;
		}
	}
	tr->box = *d;
	tr->last_us = now;
	tr->hits++;
}

static void
decide_classify(struct tracker *t, struct track *tr, uint64_t now, struct track_assign *a)
{
	a->id = tr->id;
	a->confirmed = tr->confirmed;
	if (!is_stable(t, tr, now))
		a->reason = TRACK_REASON_UNSETTLED;
	else if (!tr->looked || now - tr->look_us >= t->c.recheck_us)
		a->reason = TRACK_REASON_RECHECK;
	else if (box_change(&tr->look_box, &tr->box) > t->c.recheck_box_change)
		a->reason = TRACK_REASON_BOX;
	else
		a->reason = TRACK_REASON_NONE;
	a->classify = a->reason != TRACK_REASON_NONE;
	if (a->classify) {
		t->st.classify_asked++;
	} else {
		t->st.classify_skipped++;
		tr->skipped++;
	}
}

int
track_update(struct tracker *t, uint64_t now_us, const struct track_box *boxes,
    size_t n, struct track_assign *assign)
{
	struct track_box pred[TRACK_MAX];
	int tmatched[TRACK_MAX];
	unsigned char *dmatched = NULL;
	size_t j;
	int k;

	if (now_us < t->now_us)
		now_us = t->now_us;
	t->now_us = now_us;
	if (n > 0) {
		if (t->last_frame_us && now_us > t->last_frame_us &&
		    now_us - t->last_frame_us <= TRACK_GAP_MAX_US) {
			t->gaps[t->gap_next] = now_us - t->last_frame_us;
			t->gap_next = (t->gap_next + 1) % TRACK_GAPS;
			if (t->ngaps < TRACK_GAPS)
				t->ngaps++;
		}
		t->last_frame_us = now_us;
		t->st.frames++;
		t->st.boxes += n;
		dmatched = calloc(n, 1);
		if (dmatched == NULL)
			return -ENOMEM;
	}

	/* 1. end what has been gone too long, before it can steal a newcomer */
	for (k = 0; k < TRACK_MAX; k++) {
		struct track *tr = &t->tracks[k];

		if (tr->used && now_us - tr->last_us > missing_limit(t, tr))
			end_track(t, tr);
	}

	for (k = 0; k < TRACK_MAX; k++) {
		tmatched[k] = 0;
		if (t->tracks[k].used)
			pred[k] = predict(&t->tracks[k], now_us);
	}

	/* 2. greedy association: best IoU pair first, then nearest centres,
	 * then a box inside the other (face box vs body box of one person).
	 * Confirmed tracks win ties over tentative ones. O(T*D) per pick,
	 * fine for the handful of people one camera sees. */
	for (int pass = 0; pass < 3; pass++) {
		for (;;) {
			double best = pass == 0 ? t->c.iou_match : pass == 1 ? t->c.center_match : TRACK_CONTAIN_MATCH;
			int bk = -1;
			size_t bj = 0;

			for (k = 0; k < TRACK_MAX; k++) {
				if (!t->tracks[k].used || tmatched[k])
					continue;
				for (j = 0; j < n; j++) {
					double s;

					if (dmatched[j])
						continue;
					if (pass == 0 || pass == 2) {
						s = pass == 0 ? iou(&pred[k], &boxes[j]) : containment(&pred[k], &boxes[j]);
						if (t->tracks[k].confirmed)
							s += 1e-6;
						if (s >= best && (bk < 0 || s > best)) {
							best = s;
							bk = k;
							bj = j;
						}
					} else {
						s = center_dist(&pred[k], &boxes[j]);
						if (!t->tracks[k].confirmed)
							s += 1e-6;
						if (s <= best && (bk < 0 || s < best)) {
							best = s;
							bk = k;
							bj = j;
						}
					}
				}
			}
			if (bk < 0)
				break;
			tmatched[bk] = 1;
			dmatched[bj] = 1;
			match(&t->tracks[bk], &boxes[bj], now_us);
			if (pass == 2) /* another kind of box: its centre jump is no motion */
				t->tracks[bk].vx = t->tracks[bk].vy = 0;
			if (!t->tracks[bk].confirmed && t->tracks[bk].hits >= t->c.min_hits)
				confirm(t, &t->tracks[bk]);
			decide_classify(t, &t->tracks[bk], now_us, &assign[bj]);
		}
	}

	/* 3. the rest start tentative tracks */
	for (j = 0; j < n; j++) {
		struct track *tr = NULL;

		if (dmatched[j])
			continue;
		for (k = 0; k < TRACK_MAX; k++)
			if (!t->tracks[k].used) {
				tr = &t->tracks[k];
				break;
			}
		if (tr == NULL) {
			memset(&assign[j], 0, sizeof(assign[j]));
			t->st.no_room++;
			t->st.classify_skipped++;
			continue;
		}
		memset(tr, 0, sizeof(*tr));
		tr->used = 1;
		tr->id = t->next_id++;
		tr->box = boxes[j];
		tr->first_us = tr->last_us = now_us;
		tr->hits = 1;
		t->st.created++;
		t->st.live++;
		if (tr->hits >= t->c.min_hits)
			confirm(t, tr);
		decide_classify(t, tr, now_us, &assign[j]);
	}
	free(dmatched);

	/* 4. alerts, prompts and timeouts fall due with time, not only with looks */
	for (k = 0; k < TRACK_MAX; k++)
		if (t->tracks[k].used) {
			check_alert(t, &t->tracks[k], now_us);
			check_face(t, &t->tracks[k], now_us);
		}
	if (t->ev_lost) {
		t->ev_lost = 0;
		return -ENOMEM;
	}
	return 0;
}

/* the consensus of the last window votes: the class with the most votes if
 * it has at least consensus_n of them and a majority share, else UNKNOWN. */
static enum track_mask
consensus(const struct tracker *t, const struct track *tr, uint64_t now)
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
	if (tr->settled == TRACK_MASK_UNKNOWN && n > 0 && count[tr->votes[tr->nvotes - 1]] == n &&
	    tr->vote_score[tr->nvotes - 1] >= t->c.decide_score)
		return tr->votes[tr->nvotes - 1];
	for (v = 1; v < TRACK_MASKS; v++)
		if (count[v] > count[best] ||
		    (count[v] == count[best] && v == (int)tr->settled))
			best = v;
	if (best == TRACK_MASK_UNKNOWN || count[best] < t->c.consensus_n ||
	    (double)count[best] < t->c.consensus_majority * n - 1e-9)
		return TRACK_MASK_UNKNOWN;
	return best;
}

int
track_classify(struct tracker *t, uint64_t id, uint64_t now_us, const struct track_look *look)
{
	struct track *tr = find(t, id);
	int flags = 0;

	if (tr == NULL)
		return -ENOENT;
	if (look == NULL || (int)look->mask < 0 || look->mask >= TRACK_MASKS ||
	    !(look->score >= 0 && look->score <= 1))
		return -EINVAL;
	if (now_us < t->now_us)
		now_us = t->now_us;
	t->now_us = now_us;

	tr->looks++;
	t->st.looks++;
	tr->looked = 1;
	tr->look_us = now_us;
	tr->look_box = tr->box;

	if (!look->has_face || !(look->face.w > 0))
		tr->last_prompt = TRACK_PROMPT_FACE_NOT_VISIBLE;
	else if (look->face.w < t->c.face_min_px)
		tr->last_prompt = TRACK_PROMPT_FACE_TOO_SMALL;
	else
		tr->last_prompt = TRACK_PROMPT_FACE_NOT_VISIBLE; /* turned away, blurred: no vote */

	if (look->has_face && look->face.w > 0 && look->face.h > 0) {
		double q = look->face_quality >= 0 && look->face_quality <= 1 ? look->face_quality : 1;
		double m = (double)look->face.w * look->face.h * (0.5 + 0.5 * q) * (0.5 + 0.5 * look->score);

		if (!tr->has_best || m > tr->best_metric * (1 + t->c.best_improve)) {
			tr->has_best = 1;
			tr->best_metric = m;
			tr->best_us = now_us;
			flags |= TRACK_LOOK_BEST;
		}
	}

	if (look->mask != TRACK_MASK_UNKNOWN && look->score >= t->c.consensus_min_score) {
		enum track_mask c, old = tr->settled;

		if (tr->nvotes == TRACK_WINDOW_MAX) {
			memmove(tr->votes, tr->votes + 1, TRACK_WINDOW_MAX - 1);
			memmove(tr->vote_score, tr->vote_score + 1, (TRACK_WINDOW_MAX - 1) * sizeof(float));
			memmove(tr->vote_us, tr->vote_us + 1, (TRACK_WINDOW_MAX - 1) * sizeof(uint64_t));
			tr->nvotes--;
		}
		tr->votes[tr->nvotes] = (uint8_t)look->mask;
		tr->vote_score[tr->nvotes] = look->score;
		tr->vote_us[tr->nvotes] = now_us;
		tr->nvotes++;
		/* a confident look at a face is a person: no need to wait for min_hits */
		if (!tr->confirmed)
			confirm(t, tr);

		c = consensus(t, tr, now_us);
		if (c != TRACK_MASK_UNKNOWN && c != old) {
			settle(t, tr, c, now_us);
		} else if (look->mask != tr->settled) {
			tr->agree_since_us = now_us; /* an odd vote: look more, flip nothing */
		}
	}
	check_alert(t, tr, now_us);
	check_face(t, tr, now_us);
	if (t->ev_lost) {
		t->ev_lost = 0;
		return -ENOMEM;
	}
	return flags;
}

int
track_end_all(struct tracker *t, uint64_t now_us)
{
	int k;

	if (now_us > t->now_us)
		t->now_us = now_us;
	for (k = 0; k < TRACK_MAX; k++)
		if (t->tracks[k].used)
			end_track(t, &t->tracks[k]);
	if (t->ev_lost) {
		t->ev_lost = 0;
		return -ENOMEM;
	}
	return 0;
}

int
track_info(const struct tracker *t, uint64_t id, struct track_info *out)
{
	const struct track *tr = find((struct tracker *)t, id);

	if (tr == NULL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->id = tr->id;
	out->confirmed = tr->confirmed;
	out->stable = is_stable(t, tr, t->now_us);
	out->mask = tr->settled;
	out->box = tr->box;
	out->first_us = tr->first_us;
	out->last_us = tr->last_us;
	out->settled_us = tr->settled_us;
	out->best_us = tr->best_us;
	out->frames = tr->hits;
	out->looks = tr->looks;
	out->skipped = tr->skipped;
	out->decided = tr->decided;
	out->timed_out = tr->timed_out;
	out->prompted = tr->prompted;
	return 0;
}

int
track_adopt(struct tracker *t, const struct track_adopt *a)
{
	struct track *tr = NULL;
	unsigned i, n;
	int k;

	if (a->id == 0 || (int)a->mask < 0 || a->mask >= TRACK_MASKS)
		return -EINVAL;
	if (find(t, a->id) != NULL)
		return -EEXIST;
	for (k = 0; k < TRACK_MAX && tr == NULL; k++)
		if (!t->tracks[k].used)
			tr = &t->tracks[k];
	if (tr == NULL)
		return -ENOSPC;
	memset(tr, 0, sizeof(*tr));
	tr->used = 1;
	tr->confirmed = 1;
	tr->id = a->id;
	tr->box = a->box;
	tr->first_us = a->first_us;
	tr->last_us = a->last_us > a->first_us ? a->last_us : a->first_us;
	tr->hits = a->frames ? a->frames : 1;
	tr->looks = a->looks;
	tr->skipped = a->skipped;
	tr->settled = a->mask;
	tr->settled_us = tr->agree_since_us = tr->last_us;
	if (a->mask != TRACK_MASK_UNKNOWN) {
		/* its consensus, as if the votes that made it were still here */
		n = t->c.consensus_n;
		for (i = 0; i < n; i++) {
			tr->votes[i] = (uint8_t)a->mask;
			tr->vote_score[i] = a->score;
			tr->vote_us[i] = tr->last_us;
		}
		tr->nvotes = n;
	}
	tr->decided = a->decided;
	tr->timed_out = a->decided && a->mask == TRACK_MASK_UNKNOWN;
	tr->prompted = a->prompted || tr->timed_out;
	if (noncompliant(a->mask)) {
		tr->bad = 1;
		tr->bad_since_us = tr->last_us;
	}
	if (a->alert_us) {
		tr->has_alerted = 1;
		tr->alert_us = a->alert_us;
		tr->alerted_episode = tr->bad;
		if (!t->cam_has_alerted || a->alert_us > t->cam_alert_us) {
			t->cam_has_alerted = 1;
			t->cam_alert_us = a->alert_us;
		}
	}
	if (a->id >= t->next_id)
		t->next_id = a->id + 1;
	t->st.live++;
	return 0;
}

void
track_stats(const struct tracker *t, struct track_stats *out)
{
	*out = t->st;
}
