/* people - the worker's per-person state next to the tracker, and the
 * conversion of tracker events to msg_track_event. See people.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "camdb.h"
#include "people.h"
#include "util.h"

#define PEOPLE_MAX (2 * TRACK_MAX) /* live tracks plus ones dropped this call */

struct person {
	int used;
	uint64_t id;
	uint32_t seq;             /* last event number sent for this track */
	int confirmed;            /* NEW was reported */
	int decided;              /* the gate decision was reported */
	int timed_out;            /* no usable face for gate.face_timeout_ms */
	int has_snapshot;
	float temp_max;           /* NAN if no temperature came */
	uint32_t mask;            /* settled enum msg_mask */
	float mask_score;
	uint32_t verdict, reason; /* as last reported */
	int face_only;            /* its latest box came from a face, not a person box */
	struct msg_box body, face;/* latest */
};

struct people {
	struct tracker *t;
	char camera[CAMERA_ID_SIZE];
	char dir[CONFIG_PATH_SIZE];
	int gate;                 /* decisions (gate) or alerts (indoor) */
	float temp_limit;
	uint32_t timeout_verdict; /* enum msg_verdict_kind after gate.face_timeout_ms */
	struct person ps[PEOPLE_MAX];
	struct msg_track_event *out; /* outbox out[head..len) */
	size_t head, len, cap;
	int lost;                 /* an event could not be queued */
};

struct people *
people_new(const struct config *c, const char *camera, uint64_t id_base)
{
	struct track_config tc;
	struct people *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	util_strlcpy(p->camera, camera, sizeof(p->camera));
	util_strlcpy(p->dir, c->dir, sizeof(p->dir));
	/* the camera's mode as the database says now (camdb.h): an admin may
	 * change it; a running worker keeps the mode it started with */
	p->gate = camdb_mode(c, camera) == CONFIG_MODE_GATE;
	p->temp_limit = (float)c->temp_limit;
	track_config_from(&tc, c, p->gate, id_base);
	p->timeout_verdict = strcmp(c->gate_face_timeout_verdict, "PASS") == 0 ? MSG_VERDICT_PASS :
	    strcmp(c->gate_face_timeout_verdict, "DENY") == 0 ? MSG_VERDICT_DENY : MSG_VERDICT_NONE;
	if ((p->t = track_new(&tc)) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
people_free(struct people *p)
{
	if (p == NULL)
		return;
	track_free(p->t);
	free(p->out);
	free(p);
}

static struct person *
people_find(struct people *p, uint64_t id, int create)
{
	struct person *free_slot = NULL;
	int i;

	if (id == 0)
		return NULL;
	for (i = 0; i < PEOPLE_MAX; i++) {
		if (p->ps[i].used && p->ps[i].id == id)
			return &p->ps[i];
		if (!p->ps[i].used && free_slot == NULL)
			free_slot = &p->ps[i];
	}
	if (!create || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = 1;
	free_slot->id = id;
	free_slot->temp_max = NAN;
	return free_slot;
}

/* people_verdict - what a person's state means at the gate. */
static void
people_verdict(const struct people *p, const struct person *e, uint32_t *verdict, uint32_t *reason)
{
	if (!isnan(e->temp_max) && e->temp_max >= p->temp_limit) {
		*verdict = MSG_VERDICT_DENY;
		*reason = MSG_REASON_TEMPERATURE;
		return;
	}
	switch (e->mask) {
	case MSG_MASK_ON:
		*verdict = MSG_VERDICT_PASS;
		*reason = MSG_REASON_NONE;
		break;
	case MSG_MASK_OFF:
		*verdict = MSG_VERDICT_DENY;
		*reason = MSG_REASON_NO_MASK;
		break;
	case MSG_MASK_CHIN:
		*verdict = MSG_VERDICT_DENY;
		*reason = MSG_REASON_MASK_CHIN;
		break;
	default:
		/* nothing settled: the timeout's outcome once it has passed */
		*verdict = e->timed_out ? p->timeout_verdict : MSG_VERDICT_NONE;
		*reason = *verdict != MSG_VERDICT_NONE ? MSG_REASON_FACE_NOT_VISIBLE : MSG_REASON_NONE;
		break;
	}
}

static struct msg_track_event *
people_push(struct people *p)
{
	if (p->head > 0 && p->head == p->len)
		p->head = p->len = 0;
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct msg_track_event *n;

		if (p->head > 0) {
			memmove(p->out, p->out + p->head, (p->len - p->head) * sizeof(*p->out));
			p->len -= p->head;
			p->head = 0;
		}
		if (p->len == p->cap) {
			if ((n = realloc(p->out, cap * sizeof(*n))) == NULL) {
				p->lost = 1;
				return NULL;
			}
			p->out = n;
			p->cap = cap;
		}
	}
	return &p->out[p->len++];
}

/* people_emit - one event about e; te gives the tracker's view of the
 * track (box, times, counts). */
static void
people_emit(struct people *p, struct person *e, enum msg_track_kind kind, const struct track_event *te)
{
	struct msg_track_event *m;
	uint32_t verdict, reason;

	people_verdict(p, e, &verdict, &reason);
	if ((m = people_push(p)) == NULL)
		return;
	memset(m, 0, sizeof(*m));
	m->track_id = (int64_t)e->id;
	m->kind = kind;
	m->seq = ++e->seq;
	m->verdict = verdict;
	m->reason = reason;
	m->mask = e->mask;
	m->mask_score = e->mask_score;
	m->temperature = e->temp_max;
	m->first_seen_us = (int64_t)te->first_us;
	m->last_seen_us = (int64_t)te->last_us;
	m->body = e->body;
	m->body.x = te->box.x;
	m->body.y = te->box.y;
	m->body.w = te->box.w;
	m->body.h = te->box.h;
	m->face = e->face;
	m->looks = te->looks;
	m->skipped = te->skipped;
	m->frames = te->frames;
	if (kind == MSG_TRACK_PROMPT)
		m->prompt = te->prompt == TRACK_PROMPT_FACE_TOO_SMALL ? MSG_REASON_FACE_TOO_SMALL :
		    MSG_REASON_FACE_NOT_VISIBLE;
	if (e->has_snapshot)
		people_snapshot_rel(p, e->id, m->snapshot, sizeof(m->snapshot));
	if (kind == MSG_TRACK_CHANGED && p->gate && !e->decided && verdict != MSG_VERDICT_NONE) {
		m->decision = 1;
		e->decided = 1;
	}
	e->verdict = verdict;
	e->reason = reason;
}

/* people_renewed - e took the place of track from (track_renewed, whose
 * ENDED comes after e's decision): the same box, temperature and face. */
static void
people_renewed(struct people *p, struct person *e, uint64_t from)
{
	const struct person *o = people_find(p, from, 0);

	if (o == NULL)
		return;
	e->temp_max = o->temp_max;
	e->face_only = o->face_only;
	e->body = o->body;
	e->face = o->face;
}

/* people_kind - the message kind a tracker event becomes; a TIMEOUT is a
 * CHANGED like any other (the gate decision if it is one). */
static uint32_t
people_kind(enum track_event_type type)
{
	switch (type) {
	case TRACK_NEW: return MSG_TRACK_NEW;
	case TRACK_ALERT: return MSG_TRACK_ALERT;
	case TRACK_PROMPT: return MSG_TRACK_PROMPT;
	case TRACK_ENDED: return MSG_TRACK_ENDED;
	default: return MSG_TRACK_CHANGED;
	}
}

/* people_event - turn one tracker event into ours. */
static void
people_event(struct people *p, const struct track_event *te)
{
	struct person *e, gone;

	if ((e = people_find(p, te->id, 1)) == NULL) {
		memset(&gone, 0, sizeof(gone)); /* no room: report it anyway */
		gone.id = te->id;
		gone.temp_max = NAN;
		e = &gone;
	}
	e->mask = (uint32_t)te->mask; /* enum track_mask == enum msg_mask */
	if (te->mask != TRACK_MASK_UNKNOWN)
		e->mask_score = te->score;
	if (te->type == TRACK_NEW)
		e->confirmed = 1;
	if (te->type == TRACK_NEW && te->renewed_from != 0)
		people_renewed(p, e, te->renewed_from);
	if (te->type == TRACK_TIMEOUT) {
		e->timed_out = 1;
		if (p->timeout_verdict == MSG_VERDICT_NONE)
			return; /* the timeout gives no verdict: keep waiting */
	}
	people_emit(p, e, people_kind(te->type), te);
	if (te->type == TRACK_ENDED)
		e->used = 0;
}

/* people_forget - track e is gone without an event (never confirmed):
 * forget it and its snapshot file. */
static void
people_forget(struct people *p, struct person *e)
{
	char rel[128], path[CONFIG_PATH_SIZE + 160];

	if (e->has_snapshot && !e->confirmed) {
		people_snapshot_rel(p, e->id, rel, sizeof(rel));
		snprintf(path, sizeof(path), "%s/%s", p->dir, rel);
		unlink(path);
	}
	e->used = 0;
}

/* people_collect - turn the tracker's pending events into ours, add the
 * CHANGED that temperature alone causes, forget tracks the tracker
 * dropped without an event (never confirmed) and their snapshot files. */
static void
people_collect(struct people *p)
{
	struct track_event te;
	struct track_info ti;
	uint32_t verdict, reason;
	struct person *e;
	int i;

	while (track_next_event(p->t, &te))
		people_event(p, &te);
	for (i = 0; i < PEOPLE_MAX; i++) {
		e = &p->ps[i];
		if (!e->used)
			continue;
		if (track_info(p->t, e->id, &ti) != 0) {
			people_forget(p, e);
			continue;
		}
		if (!e->confirmed)
			continue;
		people_verdict(p, e, &verdict, &reason);
		if (verdict == e->verdict && reason == e->reason)
			continue;
		memset(&te, 0, sizeof(te));
		te.id = e->id;
		te.box = ti.box;
		te.first_us = ti.first_us;
		te.last_us = ti.last_us;
		te.looks = ti.looks;
		te.skipped = ti.skipped;
		te.frames = ti.frames;
		people_emit(p, e, MSG_TRACK_CHANGED, &te);
	}
}

static int
people_result(struct people *p, int rc)
{
	people_collect(p);
	if (p->lost) {
		p->lost = 0;
		return -ENOMEM;
	}
	return rc;
}

/* people_boxes - one frame's boxes through the tracker: track_update, or
 * with more, track_update_more (face_only: the boxes came from faces). */
static int
people_boxes(struct people *p, uint64_t now_us, const struct msg_box *boxes, size_t n,
             float temperature, struct track_assign *assign, int more)
{
	struct track_box tb[MSG_PERSONS_MAX] = { { 0, 0, 0, 0 } };
	size_t i;
	int rc;

	if (n > MSG_PERSONS_MAX)
		n = MSG_PERSONS_MAX;
	for (i = 0; i < n; i++) {
		tb[i].x = boxes[i].x;
		tb[i].y = boxes[i].y;
		tb[i].w = boxes[i].w;
		tb[i].h = boxes[i].h;
	}
	rc = more ? track_update_more(p->t, tb, n, assign) : track_update(p->t, now_us, tb, n, assign);
	/* Before the events are converted: the NEW or CHANGED of this frame
	 * already includes its temperature and box. */
	for (i = 0; i < n; i++) {
		struct person *e = people_find(p, assign[i].id, 1);

		if (e == NULL)
			continue;
		e->body = boxes[i];
		e->face_only = more;
		if (!isnan(temperature) && (isnan(e->temp_max) || temperature > e->temp_max))
			e->temp_max = temperature;
	}
	return people_result(p, rc);
}

int
people_update(struct people *p, uint64_t now_us, const struct msg_box *boxes, size_t n,
              float temperature, struct track_assign *assign)
{
	return people_boxes(p, now_us, boxes, n, temperature, assign, 0);
}

int
people_update_more(struct people *p, const struct msg_box *boxes, size_t n, float temperature,
                   struct track_assign *assign)
{
	return n > 0 ? people_boxes(p, 0, boxes, n, temperature, assign, 1) : 0;
}

int
people_face_only(const struct people *p, struct msg_box *boxes, int max)
{
	int i, n = 0;

	for (i = 0; i < PEOPLE_MAX; i++)
		if (p->ps[i].used && p->ps[i].face_only) {
			if (n < max)
				boxes[n] = p->ps[i].body;
			n++;
		}
	return n;
}

void
people_skipped(struct people *p, unsigned n)
{
	track_skipped(p->t, n);
}

void
people_camera_frame(struct people *p, uint64_t seq, uint64_t unlooked)
{
	track_camera_frame(p->t, seq, unlooked);
}

int
people_tick(struct people *p, uint64_t now_us)
{
	return people_result(p, track_update(p->t, now_us, NULL, 0, NULL));
}

int
people_look(struct people *p, uint64_t id, uint64_t now_us, const struct msg_person *mp,
            int (*save)(uint64_t id, void *arg), void *arg)
{
	struct track_look l;
	struct person *e;
	int rc;

	memset(&l, 0, sizeof(l));
	l.mask = mp->face.score > 0 && mp->mask <= MSG_MASK_CHIN ?
	    (enum track_mask)mp->mask : TRACK_MASK_UNKNOWN;
	l.score = mp->mask_score >= 0 && mp->mask_score <= 1 ? mp->mask_score : 0;
	if (mp->face.score > 0) {
		l.has_face = 1;
		l.face.x = mp->face.x;
		l.face.y = mp->face.y;
		l.face.w = mp->face.w;
		l.face.h = mp->face.h;
		l.face_quality = mp->face.score <= 1 ? mp->face.score : 1;
		if ((e = people_find(p, id, 1)) != NULL)
			e->face = mp->face;
	}
	rc = track_classify(p->t, id, now_us, &l);
	if (rc > 0 && (rc & TRACK_LOOK_RENEWED)) /* a new person in this one's place: the look is theirs */
		id = track_renewed(p->t, id);
	if (rc > 0 && (rc & TRACK_LOOK_BEST) && save)
		save(id, arg); /* calls people_snapshot_saved once the file is there */
	return people_result(p, rc);
}

void
people_snapshot_rel(const struct people *p, uint64_t id, char *rel, size_t size)
{
	snprintf(rel, size, "snapshots/%s/%llu.jpg", p->camera, (unsigned long long)id);
}

void
people_snapshot_saved(struct people *p, uint64_t id)
{
	struct person *e = people_find(p, id, 1);

	if (e)
		e->has_snapshot = 1;
}

uint64_t
people_live_id(const struct people *p, uint64_t id)
{
	uint64_t next;

	/* ids only grow: a chain of places taken ends */
	while ((next = track_renewed(p->t, id)) != 0)
		id = next;
	return id;
}

int
people_state(const struct people *p, uint64_t id, uint32_t *verdict, uint32_t *reason, uint32_t *mask)
{
	int i;

	for (i = 0; i < PEOPLE_MAX; i++)
		if (p->ps[i].used && p->ps[i].id == id) {
			people_verdict(p, &p->ps[i], verdict, reason);
			*mask = p->ps[i].mask;
			return 0;
		}
	/* a look of this frame put a new person in its place */
	return (id = track_renewed(p->t, id)) != 0 ? people_state(p, id, verdict, reason, mask) : -ENOENT;
}

int
people_adopt(struct people *p, const struct msg_track_state *s)
{
	struct track_adopt a;
	struct person *e;
	int rc;

	if (s->track_id <= 0)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.id = (uint64_t)s->track_id;
	a.box.x = s->body.x;
	a.box.y = s->body.y;
	a.box.w = s->body.w;
	a.box.h = s->body.h;
	a.first_us = s->first_seen_us > 0 ? (uint64_t)s->first_seen_us : 0;
	a.last_us = s->last_seen_us > 0 ? (uint64_t)s->last_seen_us : a.first_us;
	a.mask = s->mask <= MSG_MASK_CHIN ? (enum track_mask)s->mask : TRACK_MASK_UNKNOWN;
	a.score = s->mask_score >= 0 && s->mask_score <= 1 ? s->mask_score : 1;
	a.decided = s->decided != 0;
	a.prompted = s->prompted != 0;
	a.alert_us = s->alert_us > 0 ? (uint64_t)s->alert_us : 0;
	a.frames = s->frames;
	a.looks = s->looks;
	a.skipped = s->skipped;
	if ((rc = track_adopt(p->t, &a)) < 0)
		return rc;
	if ((e = people_find(p, a.id, 1)) == NULL)
		return -ENOSPC;
	e->seq = s->seq;
	e->confirmed = 1;
	e->decided = s->decided != 0;
	e->timed_out = s->decided && a.mask == TRACK_MASK_UNKNOWN;
	e->has_snapshot = s->snapshot[0] != '\0';
	e->temp_max = s->temperature;
	e->mask = (uint32_t)a.mask;
	e->mask_score = s->mask_score;
	e->body = s->body;
	e->face = s->face;
	/* as it was last reported: no CHANGED unless something changes */
	e->verdict = s->verdict;
	e->reason = s->reason;
	return 0;
}

int
people_end_all(struct people *p, uint64_t now_us)
{
	return people_result(p, track_end_all(p->t, now_us));
}

size_t
people_pending(const struct people *p)
{
	return p->len - p->head;
}

size_t
people_peek(const struct people *p, struct msg_track_event *out, size_t max)
{
	size_t n = people_pending(p);

	if (n > max)
		n = max;
	if (n > 0)   /* p->out may still be NULL: memcpy from NULL is undefined even for 0 bytes */
		memcpy(out, p->out + p->head, n * sizeof(*out));
	return n;
}

void
people_drop(struct people *p, size_t n)
{
	if (n > people_pending(p))
		n = people_pending(p);
	p->head += n;
}

void
people_stats(const struct people *p, struct track_stats *out)
{
	track_stats(p->t, out);
}
