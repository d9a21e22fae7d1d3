/* analyse - per frame: for each person box ingest found, look for a face
 * in the head region of the body (then the whole box), give each face to
 * one person only, classify the mask on it, and turn class, score and
 * temperature into a verdict. Without person boxes (a plain photo, a tight
 * face crop) the whole image is searched and every face is a person.
 * Networks are loaded once and used by one thread. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "facegeom.h"
#include "firstpass.h"
#include "nn.h"
#include "pairmatch.h"
#include "slots.h"
#include "util.h"

#define ANALYSE_FACES_MAX 32         /* faces kept per search */
#define ANALYSE_CAND_MAX 256         /* candidate faces per frame */
#define ANALYSE_COVER_W 0.4f         /* analyse_covered: a face this wide of the head region is its face */
#define ANALYSE_HINT 0.3f            /* worker.tile_large, box_hint: a whole-frame face this likely is a hint */
#define ANALYSE_HINT_MAX 64          /* whole-frame faces kept down to ANALYSE_HINT */
#define ANALYSE_BOX_CONFIRM 0.6f     /* box_hint: a whole box's faces are kept where the whole frame scores this */
#define ANALYSE_GRID 2               /* worker.tile_px: head regions searched 2 x 2 to a run */
#define ANALYSE_TILES (ANALYSE_GRID * ANALYSE_GRID)

/* The face detector's input for person boxes is worker.body_input (360,
 * the size the network was trained at). A face that fills much of a head
 * region is found only by the deepest feature maps, which are too small
 * below 288 (a face then comes out as two half boxes). Head regions of at
 * most worker.tile_px pixels share a run instead, four to the 360 input
 * (each in 180 x 180): a face then fills at most half of the input, so the
 * deep maps stay as large as at 360; one or two share a 360 x 180 input
 * (worker.tile_pair: half a run). A larger head region (up to
 * worker.tile_large) goes to a tile too, scaled down, and is searched
 * alone only when the tile shows no face, or misses one that the
 * whole-frame search (run first) holds there at ANALYSE_HINT or more: a
 * person box with a second, smaller face in it. Measured with `gatewatch
 * eval`: docs/MODELS.md, "Face search", "Round 5", "Round 7", "Round 8". */

struct analyse {
	struct facedet *face;   /* owned: input face_input, whole images */
	struct facedet *body;   /* owned: input worker.body_input; NULL = use face */
	struct facedet *pair;   /* owned: worker.tile_pair, body_input x body_input / 2; or NULL */
	struct maskcls *mask;   /* owned; NULL = faces only */
	float face_threshold;
	float mask_threshold;
	int frame_search;       /* worker.frame_search */
	int frame_only_px;      /* worker.frame_only_px */
	int frame_skip;         /* worker.frame_skip */
	int face_input;         /* worker.face_input */
	int tile_px;            /* worker.tile_px */
	int tile_large;         /* worker.tile_large */
	int box_hint;           /* worker.box_hint */
	float temp_limit;
	struct histo face_time, mask_time; /* runs since analyse_times */
	long passes[3];         /* face detector runs: whole frames, person boxes, of those half-height */
	analyse_trace_fn trace; /* analyse_trace, or NULL */
	void *trace_arg;
};

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
	    (with_mask && (a->mask = maskcls_open(c->models_dir, err, errlen)) == NULL)) {
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
	free(a);
}

static struct msg_box
analyse_box(const struct nn_box *b)
{
	struct msg_box m = { b->x, b->y, b->w, b->h, b->score };

	return m;
}

/* analyse_detect - one face detector run on the whole of im at
 * worker.face_input, timed and counted, faces down to threshold. */
static int
analyse_detect_at(struct analyse *a, const struct image *im, float threshold, struct nn_box *faces, int max)
{
	uint64_t t0 = util_mono_us();
	int n = facedet_run(a->face, im, threshold, faces, max);

	if (n >= 0)
		histo_add(&a->face_time, histo_fast_s, (double)(util_mono_us() - t0) / 1e6);
	if (n >= 0 && a->trace != NULL)
		a->trace(a->trace_arg, ANALYSE_AT_FRAME, -1, faces, n);
	a->passes[0]++;
	return n;
}

static int
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

/* analyse_covered - worker.frame_only_px: does the whole-frame search
 * stand for this body box's own search? Yes when a face it found fills the
 * box's head region (its centre inside, ANALYSE_COVER_W of its width), or
 * when that region was at least frame_only_px pixels wide and high in the
 * whole-frame search's input. Faster; what it costs in faces found and
 * mask calls: docs/MODELS.md. */
static int
analyse_covered(const struct analyse *a, const struct image *im, const struct nn_box *body,
                const struct nn_box *fr, int nf)
{
	int x, y, w, h, full_h, j;

	if (!facegeom_head(im, body, &x, &y, &w, &h, &full_h))
		return 1;
	for (j = 0; j < nf; j++) {
		float cx = fr[j].x + fr[j].w / 2, cy = fr[j].y + fr[j].h / 2;

		if (cx >= x && cx <= x + w && cy >= y && cy <= y + h && fr[j].w >= ANALYSE_COVER_W * w)
			return 1;
	}
	return (float)w * a->face_input / im->w >= a->frame_only_px &&
	    (float)h * a->face_input / im->h >= a->frame_only_px;
}

/* One frame's person-box searches: the views waiting for a shared run
 * (worker.tile_px), q[0] head regions and q[1] whole boxes whose head
 * region had no face; the faces found so far; which boxes found one. */
struct analyse_tiles {
	struct facedet_view v[ANALYSE_TILES];
	int full_h[ANALYSE_TILES];  /* the whole box's height when taller than the view, else 0 */
	int box[ANALYSE_TILES];     /* the person box searched */
	unsigned char large[ANALYSE_TILES]; /* worker.tile_large: larger than a tile, searched alone if no face */
	int n;
};
struct analyse_search {
	struct analyse_tiles q[2];
	struct nn_box *cand;        /* ANALYSE_CAND_MAX long, nc used */
	int nc;
	const struct nn_box *hint;  /* worker.tile_large: the whole frame's faces down to ANALYSE_HINT */
	int nhint;
	unsigned char *found;       /* per person box: a search of it found a face */
};

static int analyse_queue(struct analyse *a, const struct image *im, struct analyse_search *s, int lv,
                         const struct facedet_view *v, int full_h, int box, int alone);

/* analyse_hinted - worker.tile_large: does the whole-frame search hold a
 * face (down to ANALYSE_HINT) in view v that none of the n faces found
 * there is? Then the view, scaled down in a tile, lost it. */
static int
analyse_hinted(const struct analyse_search *s, const struct facedet_view *v, const struct nn_box *f, int n)
{
	int j;

	for (j = 0; j < s->nhint; j++) {
		const struct nn_box *h = &s->hint[j];
		float cx = h->x + h->w / 2, cy = h->y + h->h / 2;

		if (cx >= v->x && cx <= v->x + v->w && cy >= v->y && cy <= v->y + v->h && !facegeom_seen(h, f, n))
			return 1;
	}
	return 0;
}

/* analyse_run - one run of fd on the views of t (level lv), grid to a row
 * of its input; faces go to s->cand, and a head region (level 0) without
 * a face is searched again alone (worker.tile_large: scaled down here) or
 * queues its whole box at level 1 (worker.box_hint: only when the whole-frame
 * search holds a face there; ANALYSE_BOX_CONFIRM). Returns 0 or -errno. */
static int
analyse_run(struct analyse *a, const struct image *im, struct analyse_search *s, struct facedet *fd, int lv,
            const struct analyse_tiles *t, int grid)
{
	struct nn_box f[ANALYSE_TILES * ANALYSE_FACES_MAX];
	int count[ANALYSE_TILES], i, k, rc;
	uint64_t t0 = util_mono_us();

	k = facedet_run_tiles(fd, im, t->v, t->n, grid, a->face_threshold, f, count, grid * grid * ANALYSE_FACES_MAX);
	if (k < 0)
		return k;
	histo_add(&a->face_time, histo_fast_s, (double)(util_mono_us() - t0) / 1e6);
	a->passes[1]++;
	a->passes[2] += fd == a->pair;
	for (i = 0; i < k && s->nc < ANALYSE_CAND_MAX; i++)
		if (lv == 0 || !a->box_hint || !s->hint || facegeom_confirmed(&f[i], s->hint, s->nhint, ANALYSE_BOX_CONFIRM))
			s->cand[s->nc++] = f[i];
	for (i = 0, k = 0; i < t->n; k += count[i++]) {
		struct facedet_view whole = t->v[i];

		s->found[t->box[i]] |= count[i] > 0;
		if (a->trace != NULL)
			a->trace(a->trace_arg, (enum analyse_where)(ANALYSE_AT_HEAD + 2 * lv + (grid > 1)), t->box[i], f + k,
			    count[i]);
		whole.h = t->full_h[i];
		if (t->large[i] && (count[i] == 0 || analyse_hinted(s, &t->v[i], f + k, count[i])))
			rc = analyse_queue(a, im, s, lv, &t->v[i], t->full_h[i], t->box[i], 1);
		else if (count[i] == 0 && lv == 0 && t->full_h[i] > 0 &&
		    (!a->box_hint || s->hint == NULL || analyse_hinted(s, &whole, NULL, 0)))
			rc = analyse_queue(a, im, s, 1, &whole, 0, t->box[i], 0);
		else
			rc = 0;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* analyse_flush - one run on the views waiting at level lv: 2 x 2 in the
 * person-box detector's input, or (worker.tile_pair) one or two side by
 * side in its half-height canvas. Returns 0 or -errno. */
static int
analyse_flush(struct analyse *a, const struct image *im, struct analyse_search *s, int lv)
{
	struct analyse_tiles t = s->q[lv];
	struct facedet *fd = a->body ? a->body : a->face;

	if (t.n == 0)
		return 0;
	s->q[lv].n = 0;
	return analyse_run(a, im, s, t.n <= ANALYSE_GRID && a->pair ? a->pair : fd, lv, &t, ANALYSE_GRID);
}

/* analyse_queue - search view v of person box `box` (level lv: 0 a head
 * region, 1 a whole box) in a shared run when it fits a tile of
 * worker.tile_px, else (or when alone) in a run of its own (a head region
 * without a face then is searched again as its whole box, full_h tall).
 * worker.tile_large: a head region too large for a tile goes to one all
 * the same, scaled down, and is searched alone only if no face is found
 * there. Returns 0 or -errno. */
static int
analyse_queue(struct analyse *a, const struct image *im, struct analyse_search *s, int lv,
              const struct facedet_view *v, int full_h, int box, int alone)
{
	struct analyse_tiles own = { .n = 0 }, *t = &own;
	int fits = v->w <= a->tile_px && v->h <= a->tile_px;
	int large = !fits && !alone && lv == 0 && a->tile_px > 0 && s->hint != NULL &&
	    v->w <= a->tile_large && v->h <= a->tile_large;

	if ((fits && !alone) || large)
		t = &s->q[lv];
	t->v[t->n] = *v;
	t->full_h[t->n] = full_h > v->h ? full_h : 0;
	t->large[t->n] = (unsigned char)large;
	t->box[t->n++] = box;
	if (t == &own)
		return analyse_run(a, im, s, a->body ? a->body : a->face, lv, &own, 1);
	return t->n == ANALYSE_TILES ? analyse_flush(a, im, s, lv) : 0;
}

/* analyse_all_found - worker.frame_skip: were boxes searched, and did each
 * search find a face? Then the whole-frame search is left out. */
static int
analyse_all_found(const struct analyse_search *s, const unsigned char *look, int n)
{
	int i, searched = 0;

	for (i = 0; i < n; i++)
		if (look == NULL || look[i]) {
			if (!s->found[i])
				return 0;
			searched++;
		}
	return searched > 0;
}

/* analyse_first - the whole-frame search before the person boxes' into fr
 * (ANALYSE_HINT_MAX long); with worker.tile_large or worker.box_hint its
 * faces down to ANALYSE_HINT stay in s as hints. Returns the count over
 * worker.face_threshold (the first ones: sorted by score), or -errno. */
static int
analyse_first(struct analyse *a, const struct image *im, struct nn_box *fr, struct analyse_search *s)
{
	float hint = ANALYSE_HINT < a->face_threshold ? ANALYSE_HINT : a->face_threshold;
	int n, nf = 0;

	if (!a->tile_large && !a->box_hint)
		return analyse_detect(a, im, fr, ANALYSE_FACES_MAX);
	if ((n = analyse_detect_at(a, im, hint, fr, ANALYSE_HINT_MAX)) < 0)
		return n;
	while (nf < n && nf < ANALYSE_FACES_MAX && fr[nf].score > a->face_threshold)
		nf++;
	s->hint = fr;
	s->nhint = n;
	return nf;
}

/* analyse_candidates - every face of the frame into cand (ANALYSE_CAND_MAX
 * long), each once: those of the body box searches (the boxes look[] marks,
 * all if look is NULL; with worker.frame_only_px, only those analyse_covered
 * leaves), best first, then those of the whole-frame search (when whole and
 * worker.frame_search; for ANALYSE_WHOLE_MISSED with worker.frame_skip, only
 * when a box searched found no face) no box search found. found[] (n long) is scratch. Returns the
 * count or -errno. */
static int
analyse_candidates(struct analyse *a, const struct image *im, const struct nn_box *bodies, int n,
                   const unsigned char *look, int whole, struct nn_box *cand, unsigned char *found)
{
	struct nn_box fr[ANALYSE_HINT_MAX];
	struct analyse_search s = { .cand = cand, .found = found };
	int i, rc, nf = 0, first;

	first = whole == ANALYSE_WHOLE_YES || a->frame_only_px > 0 || !a->frame_skip;
	whole = whole && a->frame_search;
	first = first && whole;
	if (first && (nf = analyse_first(a, im, fr, &s)) < 0)
		return nf;
	memset(found, 0, (size_t)n);
	for (i = 0; i < n; i++) {
		struct facedet_view v;
		int full_h;

		if (look != NULL && !look[i])
			continue;
		if (first && a->frame_only_px > 0 && analyse_covered(a, im, &bodies[i], fr, nf))
			continue;
		if (!facegeom_head(im, &bodies[i], &v.x, &v.y, &v.w, &v.h, &full_h))
			continue;
		if ((rc = analyse_queue(a, im, &s, 0, &v, full_h, i, 0)) < 0)
			return rc;
	}
	if ((rc = analyse_flush(a, im, &s, 0)) < 0 || (rc = analyse_flush(a, im, &s, 1)) < 0)
		return rc;
	if (whole && !first && !analyse_all_found(&s, look, n) &&
	    (nf = analyse_detect(a, im, fr, ANALYSE_FACES_MAX)) < 0)
		return nf;
	/* Overlapping person boxes search the same face twice: keep it once. */
	s.nc = facegeom_merge(cand, s.nc);
	/* NanoDet finds nobody around many faces in a crowd: on the train split,
	 * 77 of the 128 faces of 40+ px missed lay in no person box. */
	return whole ? facegeom_add_unseen(fr, nf, cand, s.nc, ANALYSE_CAND_MAX) : s.nc;
}

int
analyse_people(struct analyse *a, const struct image *im, const struct nn_box *bodies, int n,
               const unsigned char *look, int whole, struct nn_box *faces, struct nn_box *extra,
               int *nextra, int maxextra)
{
	struct nn_box *cand;
	struct pairmatch *pairs;
	unsigned char *found_box;
	int i, j, nc, np = 0, found, *taken, *face_of;

	*nextra = 0;
	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0 || n < 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		faces[i] = (struct nn_box){ 0, 0, 0, 0, 0 };
	if (n == 0)
		return 0;
	cand = malloc(sizeof(*cand) * ANALYSE_CAND_MAX);
	pairs = malloc(sizeof(*pairs) * (size_t)n * ANALYSE_CAND_MAX);
	taken = malloc(sizeof(*taken) * ANALYSE_CAND_MAX);   /* the person a candidate went to, -1 */
	face_of = malloc(sizeof(*face_of) * (size_t)n);       /* the candidate a person got, -1 */
	found_box = malloc((size_t)n);
	if (cand == NULL || pairs == NULL || taken == NULL || face_of == NULL || found_box == NULL) {
		found = -ENOMEM;
		goto out;
	}
	if ((nc = analyse_candidates(a, im, bodies, n, look, whole, cand, found_box)) < 0) {
		found = nc;
		goto out;
	}
	/* One face per person, one person per face, the best fitting pairs first. */
	for (i = 0; i < n; i++)
		for (j = 0; j < nc; j++) {
			float fit = facegeom_fit(&bodies[i], &cand[j]);

			if (fit > 0)
				pairs[np++] = (struct pairmatch){ i, j, fit * cand[j].score };
		}
	found = pairmatch_greedy(pairs, np, face_of, n, taken, nc);
	for (i = 0; i < n; i++)
		if (face_of[i] >= 0)
			faces[i] = cand[face_of[i]];
	/* A person box around a group holds more faces than one person. */
	for (j = 0; j < nc && *nextra < maxextra; j++)
		if (taken[j] < 0)
			extra[(*nextra)++] = cand[j];
out:
	free(cand);
	free(pairs);
	free(taken);
	free(face_of);
	free(found_box);
	return found;
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
	maskcls_from_detector(face, &box);
	t0 = util_mono_us();
	cls = maskcls_run(a->mask, im, &box, probs);
	if (cls < 0)
		return cls;
	if (cls >= MASKCLS_N)
		return -EINVAL;
	histo_add(&a->mask_time, histo_fast_s, (double)(util_mono_us() - t0) / 1e6);
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
	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0 || max < 0)
		return -EINVAL;
	return analyse_detect(a, im, faces, max);
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
