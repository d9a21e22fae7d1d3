/* track_head - a person box over a face-only person's head (their last
 * box made from a face the worker found in no person box, where the
 * containment pass would have matched it): most often their own body,
 * found once they are fully in view, but it may be someone else's (a
 * person close to the camera, the face-only one behind them). The box
 * starts a tentative track naming them (head_of), and its first look at
 * a face tells: their face makes it their body, any other someone of
 * their own. See track.h, docs/TRACKING.md. Pure. */
#include <math.h>
#include <string.h>

#include "track_priv.h"

uint64_t
track_head_of(const struct tracker *t, const int *matched, const struct track_box *pred, const struct track_box *d)
{
	double best = 0, s;
	uint64_t id = 0;
	int k;

	for (k = 0; k < TRACK_MAX; k++) {
		if (!t->tracks[k].used || !t->tracks[k].extra || matched[k])
			continue;
		s = track_contain_score(t, &t->tracks[k], &pred[k], d);
		if (s > best) {
			best = s;
			id = t->tracks[k].info.id;
		}
	}
	return id;
}

/* track_head_face - the look's face is the one face-made box b was made
 * from (worker/frame.c: firstpass_face_to_person, the face 2 wide and 2.8
 * high around it, 0.5 face widths beside and 0.3 heights above): its
 * centre near the face's place in b and its width near b's half. */
static int
track_head_face(const struct track_box *b, const struct track_box *face)
{
	double cx = face->x + face->w / 2, cy = face->y + face->h / 2;

	return b->w > 0 && b->h > 0 && fabs(cx - (b->x + b->w / 2)) <= 0.25 * b->w &&
	    cy >= b->y && cy <= b->y + 0.4 * b->h && face->w >= 0.3 * b->w && face->w <= 0.75 * b->w;
}

/* track_head_take - own takes body's box, as at body's last match, and
 * body (tentative, never confirmed: no event) is dropped. */
static void
track_head_take(struct tracker *t, struct track *own, struct track *body)
{
	struct track_box box = body->info.box;
	uint64_t id = body->info.id, at = body->info.last_us;

	memset(body, 0, sizeof(*body));
	t->st.live--;
	track_match(t, own, &box, at);
	own->vx = own->vy = 0;  /* another kind of box: its centre jump is no motion */
	own->extra = 0;
	own->merged_from = id;
}

struct track *
track_head_merge(struct tracker *t, struct track *tr, uint64_t now, const struct track_look *look)
{
	struct track *own = track_find(t, tr->head_of);

	tr->head_of = 0;
	if (own == NULL || own->info.last_us == now || !track_head_face(&own->info.box, &look->face))
		return NULL;
	track_head_take(t, own, tr);
	return own;
}

int
track_head_keep(struct tracker *t, struct track *tr)
{
	int k;

	for (k = 0; k < TRACK_MAX; k++) {
		struct track *body = &t->tracks[k];

		if (body->used && body->head_of == tr->info.id && !body->info.confirmed &&
		    body->info.last_us > tr->info.last_us) {
			track_head_take(t, tr, body);
			return 1;
		}
	}
	return 0;
}
