/* analyse_search - analyse_people (analyse.h): the face search of a
 * frame's person boxes (their head regions, then whole boxes, in shared or
 * own runs of the face detector) and of the whole frame, then one face per
 * person, best fit first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyse_priv.h"
#include "facegeom.h"
#include "nn.h"
#include "pairmatch.h"
#include "util.h"

#define ANALYSE_FACES_MAX 32         /* faces kept per search */
#define ANALYSE_CAND_MAX 256         /* candidate faces per frame */
#define ANALYSE_COVER_W 0.4f         /* analyse_covered: a face this wide of the head region is its face */
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
	nf = whole ? facegeom_add_unseen(fr, nf, cand, s.nc, ANALYSE_CAND_MAX) : s.nc;
	return analyse_verify(a, im, cand, nf);
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
