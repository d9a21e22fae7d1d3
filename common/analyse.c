/* analyse - per frame: for each person box ingest found, look for a face
 * in the head region of the body (then the whole box), give each face to
 * one person only, classify the mask on it, and turn class, score and
 * temperature into a verdict. Without person boxes (a plain photo, a tight
 * face crop) the whole image is searched and every face is a person.
 * Networks are loaded once and used by one thread. The person boxes' face
 * search and the pairing of faces to people are analyse_search.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse_priv.h"
#include "facever.h"
#include "firstpass.h"
#include "nn.h"
#include "slots.h"
#include "util.h"

struct analyse *
analyse_open(const struct config *c, int with_mask, char *err, size_t errlen)
{
	struct analyse *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->face_threshold = (float)c->face_threshold;
	a->mask_threshold = (float)c->mask_threshold;
	a->frame_search = c->frame_search;
	a->frame_only_px = c->frame_only_px;
	a->frame_skip = c->frame_skip;
	a->face_input = c->face_input;
	a->tile_px = c->tile_px;
	a->tile_large = c->tile_large;
	a->box_hint = c->box_hint;
	a->temp_limit = (float)c->temp_limit;
	if ((a->face = facedet_open(c->models_dir, c->face_input, err, errlen)) == NULL ||
	    (c->face_input != c->body_input &&
	     (a->body = facedet_open(c->models_dir, c->body_input, err, errlen)) == NULL) ||
	    (c->tile_pair && c->tile_px > 0 &&
	     (a->pair = facedet_open_canvas(c->models_dir, c->body_input, c->body_input / 2, err, errlen)) == NULL) ||
	    (with_mask && (a->mask = maskcls_open(c->models_dir, err, errlen)) == NULL) ||
	    (with_mask && c->face_verify &&
	     (a->verify = facever_open(c->models_dir, maskcls_features(a->mask, NULL, 0), err, errlen)) == NULL)) {
		analyse_close(a);
		return NULL;
	}
	return a;
}

void
analyse_close(struct analyse *a)
{
	if (a == NULL)
		return;
	facedet_close(a->face); /* both take NULL */
	facedet_close(a->body);
	facedet_close(a->pair);
	maskcls_close(a->mask);
	facever_close(a->verify);
	free(a);
}

static struct msg_box
analyse_box(const struct nn_box *b)
{
	struct msg_box m = { b->x, b->y, b->w, b->h, b->score };

	return m;
}

_Static_assert(FIRSTPASS_FACES_MAX >= ANALYSE_HINT_MAX, "ingest's close-up faces hold the worker's hint list");

float
analyse_whole_threshold(const struct config *c)
{
	float t = (float)c->face_threshold;

	return (c->tile_large || c->box_hint) && ANALYSE_HINT < t ? ANALYSE_HINT : t;
}

void
analyse_given(struct analyse *a, const struct firstpass_faces *g)
{
	a->given = g;
}

long
analyse_given_used(const struct analyse *a)
{
	return a->given_used;
}

/* analyse_given_take - the whole-frame search's answer from the faces
 * given, when they hold all of it: the same input, run down to this
 * threshold or lower (faces best first, NMS greedy over a stable sort: the
 * faces over a threshold are the same whatever lower ones came with them),
 * and not cut short above it. Faces over threshold, at most max. Returns
 * the count, or -1: run the search. */
static int
analyse_given_take(const struct analyse *a, float threshold, struct nn_box *faces, int max)
{
	const struct firstpass_faces *g = a->given;
	int i, n = 0;

	if (g == NULL || g->input != a->face_input || !(g->threshold <= threshold) || max <= 0)
		return -1;
	for (i = 0; i < g->n && n < max; i++)
		if (g->f[i].score > threshold)
			faces[n++] = g->f[i];
	if (g->n < FIRSTPASS_FACES_MAX || n == max || !(g->f[g->n - 1].score > threshold))
		return n;
	return -1;
}

/* analyse_detect_at (analyse_priv.h) */
int
analyse_detect_at(struct analyse *a, const struct image *im, float threshold, struct nn_box *faces, int max)
{
	uint64_t t0 = util_mono_us();
	int n = analyse_given_take(a, threshold, faces, max);

	if (n >= 0) {
		a->given_used++;
		if (a->trace != NULL)
			a->trace(a->trace_arg, ANALYSE_AT_FRAME, -1, faces, n);
		return n;
	}
	n = facedet_run(a->face, im, threshold, faces, max);

	if (n >= 0)
		histo_add(&a->face_time, histo_fast_s, (double)(util_mono_us() - t0) / 1e6);
	if (n >= 0 && a->trace != NULL)
		a->trace(a->trace_arg, ANALYSE_AT_FRAME, -1, faces, n);
	a->passes[0]++;
	return n;
}

int
analyse_detect(struct analyse *a, const struct image *im, struct nn_box *faces, int max)
{
	return analyse_detect_at(a, im, a->face_threshold, faces, max);
}

void
analyse_times(struct analyse *a, struct histo *face, struct histo *mask)
{
	*face = a->face_time;
	*mask = a->mask_time;
	memset(&a->face_time, 0, sizeof(a->face_time));
	memset(&a->mask_time, 0, sizeof(a->mask_time));
}

/* analyse_verdict - one person's verdict from what was seen. The frame's
 * temperature comes from the gate device and denies on its own. */
static void
analyse_verdict(const struct analyse *a, float temperature, struct msg_person *p)
{
	if (!isnan(temperature) && temperature >= a->temp_limit) {
		p->verdict = MSG_VERDICT_DENY;
		p->reason = MSG_REASON_TEMPERATURE;
	} else if (p->face.score <= 0) {
		p->verdict = MSG_VERDICT_NONE;
		p->reason = MSG_REASON_NO_FACE;
	} else if (p->mask == MSG_MASK_UNKNOWN || p->mask_score < a->mask_threshold) {
		p->verdict = MSG_VERDICT_NONE;   /* unsure: wait for a better frame */
		p->reason = MSG_REASON_NONE;
	} else if (p->mask == MSG_MASK_ON) {
		p->verdict = MSG_VERDICT_PASS;
		p->reason = MSG_REASON_NONE;
	} else {
		p->verdict = MSG_VERDICT_DENY;
		p->reason = p->mask == MSG_MASK_CHIN ? MSG_REASON_MASK_CHIN : MSG_REASON_NO_MASK;
	}
}

/* analyse_mask - classify the face of p (face.score > 0). */
static int
analyse_mask(struct analyse *a, const struct image *im, const struct nn_box *face, struct msg_person *p)
{
	float probs[MASKCLS_N];
	struct nn_box box;
	uint64_t t0;
	int cls, i;

	if (a->mask == NULL)
		return 0; /* faces only: mask stays unknown */
	if (a->verify == NULL || (cls = facever_cached(a->verify, face, probs)) < 0) {
		maskcls_from_detector(face, &box);
		t0 = util_mono_us();
		if ((cls = maskcls_run(a->mask, im, &box, probs)) < 0)
			return cls;
		histo_add(&a->mask_time, histo_fast_s, (double)(util_mono_us() - t0) / 1e6);
	}
	if (cls >= MASKCLS_N)
		return -EINVAL;
	/* enum maskcls_class order is mask_on, mask_off, mask_chin; msg_mask is
	 * the same order shifted by one (0 = unknown). */
	for (i = 0; i < MASKCLS_N; i++)
		p->mask_probs[i + 1] = probs[i];
	p->mask_score = probs[cls];
	/* under the model's threshold for its class (mask.thresholds): unsure,
	 * no verdict from this look; the probabilities are kept */
	p->mask = maskcls_decide(a->mask, probs) == MASKCLS_UNSURE ? MSG_MASK_UNKNOWN : (uint32_t)(cls + 1);
	return 0;
}

int
analyse_frame(struct analyse *a, const struct image *im, const struct nn_box *persons,
              int npersons, float temperature, struct msg_result *r, int *nfaces)
{
	struct nn_box faces[MSG_PERSONS_MAX];
	uint64_t t0 = util_mono_us();
	int i, n, rc, found = 0;

	r->width = (uint32_t)im->w;
	r->height = (uint32_t)im->h;
	r->temperature = temperature;
	r->npersons = 0;
	memset(r->persons, 0, sizeof(r->persons));

	if (npersons > 0) {
		struct nn_box extra[MSG_PERSONS_MAX];
		unsigned char keep[MSG_PERSONS_MAX];
		int nextra, room;

		n = npersons < MSG_PERSONS_MAX ? npersons : MSG_PERSONS_MAX;
		if ((rc = analyse_people(a, im, persons, n, NULL, ANALYSE_WHOLE_MISSED, faces, extra, &nextra,
		    MSG_PERSONS_MAX)) < 0)
			return rc;
		room = MSG_PERSONS_MAX - slots_keep(faces, NULL, n, nextra, MSG_PERSONS_MAX, keep);
		nextra = nextra < room ? nextra : room;
		for (i = 0; i < n + nextra; i++) {
			struct msg_person *p;
			const struct nn_box *face = i < n ? &faces[i] : &extra[i - n];

			if (i < n && !keep[i])
				continue; /* faceless: its place went to a face outside the boxes (slots.h) */
			p = &r->persons[r->npersons++];
			if (i < n)
				p->body = analyse_box(&persons[i]);
			else {
				struct nn_box body = extra[i - n];

				firstpass_face_to_person(&body, im->w, im->h);
				p->body = analyse_box(&body);
			}
			if (p->body.score <= 0)
				p->body.score = 0.01f; /* a body box is present: keep it distinct from "absent" */
			if (face->score > 0) {
				p->face = analyse_box(face);
				found++;
				if ((rc = analyse_mask(a, im, face, p)) != 0)
					return rc;
			}
		}
	} else {
		n = analyse_faces(a, im, faces, MSG_PERSONS_MAX);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			struct msg_person *p = &r->persons[r->npersons++];

			p->face = analyse_box(&faces[i]);
			found++;
			if ((rc = analyse_mask(a, im, &faces[i], p)) != 0)
				return rc;
		}
	}
	for (i = 0; i < (int)r->npersons; i++)
		analyse_verdict(a, r->temperature, &r->persons[i]);
	r->analyse_ms = (float)(util_mono_us() - t0) / 1000.0f;
	if (nfaces)
		*nfaces = found;
	return 0;
}

int
analyse_faces(struct analyse *a, const struct image *im, struct nn_box *faces, int max)
{
	int n;

	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0 || max < 0)
		return -EINVAL;
	n = analyse_detect(a, im, faces, max);
	return n < 0 ? n : analyse_verify(a, im, faces, n);
}

int
analyse_verify(struct analyse *a, const struct image *im, struct nn_box *faces, int n)
{
	uint64_t t0 = util_mono_us();
	double each;
	int i, k;

	if (a->verify == NULL || n <= 0)
		return n;
	if ((k = facever_filter(a->verify, a->mask, im, faces, n)) < 0)
		return k;
	each = (double)(util_mono_us() - t0) / 1e6 / n;   /* one mask classifier run per face */
	for (i = 0; i < n; i++)
		histo_add(&a->mask_time, histo_fast_s, each);
	return k;
}

void
analyse_trace(struct analyse *a, analyse_trace_fn fn, void *arg)
{
	a->trace = fn;
	a->trace_arg = arg;
}

void
analyse_passes(const struct analyse *a, long *frame, long *box, long *half)
{
	*frame = a->passes[0];
	*box = a->passes[1];
	*half = a->passes[2];
}

int
analyse_person(struct analyse *a, const struct image *im, const struct nn_box *face,
               float temperature, struct msg_person *p)
{
	int rc = 0;

	p->face = (struct msg_box){ 0, 0, 0, 0, 0 };
	p->mask = MSG_MASK_UNKNOWN;
	p->mask_score = 0;
	memset(p->mask_probs, 0, sizeof(p->mask_probs));
	if (face != NULL) {
		p->face = analyse_box(face);
		if (p->face.score <= 0)
			p->face.score = 0.01f;
		if ((rc = analyse_mask(a, im, face, p)) != 0)
			return rc;
		rc = 1;
	}
	analyse_verdict(a, temperature, p);
	return rc;
}
