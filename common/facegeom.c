/* facegeom - where a face is looked for in a person box, how well a face
 * sits in one, and when two searches found the same face: the geometry of
 * analyse's face search (common/analyse.c), kept apart from its runs. */
#include <math.h>
#include <stdlib.h>

#include "facegeom.h"

#define FACEGEOM_BODY_MARGIN 0.10f   /* a person box grows by this on each side */
#define FACEGEOM_SAME_FACE 0.4f      /* IoU above which two searches found one face */

/* facegeom_clamp - the box grown by margin, clipped to the image; 0 if
 * nothing of it is left. */
static int
facegeom_clamp(const struct image *im, const struct nn_box *b, float margin,
               int *x, int *y, int *w, int *h)
{
	float x0 = b->x - b->w * margin, y0 = b->y - b->h * margin;
	float x1 = b->x + b->w * (1 + margin), y1 = b->y + b->h * (1 + margin);

	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 > im->w) x1 = (float)im->w;
	if (y1 > im->h) y1 = (float)im->h;
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - *x);
	*h = (int)(y1 - *y);
	return *w >= 8 && *h >= 8;
}

/* facegeom_head - the head region of a body box: the box grown by the
 * margin and clipped, then, for a box taller than wide (a standing
 * person), its top part, as tall as the box is wide but at least 60% of
 * the box (a close-up is mostly face). 0 if nothing of it is left. */
int
facegeom_head(const struct image *im, const struct nn_box *body, int *x, int *y, int *w, int *h,
              int *full_h)
{
	if (!facegeom_clamp(im, body, FACEGEOM_BODY_MARGIN, x, y, w, h))
		return 0;
	*full_h = *h;
	if (*h > *w) {
		int top = *h * 6 / 10 > *w ? *h * 6 / 10 : *w;

		*h = top < *h ? top : *h;
	}
	return 1;
}

/* facegeom_fit - how well a face sits in a body box, 0 (not at all) to 1:
 * its centre must be inside the grown box; it fits best centred across
 * the box and near its top. Decides which of two overlapping people a
 * face belongs to. */
float
facegeom_fit(const struct nn_box *body, const struct nn_box *face)
{
	float cx = face->x + face->w / 2, cy = face->y + face->h / 2;
	float x0 = body->x - body->w * FACEGEOM_BODY_MARGIN, x1 = body->x + body->w * (1 + FACEGEOM_BODY_MARGIN);
	float y0 = body->y - body->h * FACEGEOM_BODY_MARGIN, y1 = body->y + body->h * (1 + FACEGEOM_BODY_MARGIN);
	float dx, dy;

	if (cx < x0 || cx > x1 || cy < y0 || cy > y1 || !(body->w > 0) || !(body->h > 0))
		return 0;
	dx = fabsf(cx - (body->x + body->w / 2)) / (body->w / 2 + body->w * FACEGEOM_BODY_MARGIN);
	dy = (cy - y0) / (y1 - y0);
	return (1.0f - 0.5f * fminf(dx, 1.0f)) * (1.0f - 0.5f * fminf(dy, 1.0f));
}

int
facegeom_seen(const struct nn_box *f, const struct nn_box *b, int n)
{
	int j;

	for (j = 0; j < n; j++)
		if (nn_iou(f, &b[j]) > FACEGEOM_SAME_FACE || nn_center_inside(f, &b[j]) || nn_center_inside(&b[j], f))
			return 1;
	return 0;
}

int
facegeom_confirmed(const struct nn_box *f, const struct nn_box *b, int n, float min)
{
	int j;

	for (j = 0; j < n; j++)
		if (b[j].score >= min && facegeom_seen(f, &b[j], 1))
			return 1;
	return 0;
}

/* facegeom_merge_sorted - faces sorted by score, two searches' views of one face
 * (IoU above FACEGEOM_SAME_FACE, or either centre inside the other) kept
 * once, the best; returns the count kept. */
static int
facegeom_merge_sorted(struct nn_box *b, int n)
{
	int kept = 0, i;

	for (i = 0; i < n; i++)
		if (!facegeom_seen(&b[i], b, kept))
			b[kept++] = b[i];
	return kept;
}

static int
facegeom_score_cmp(const void *x, const void *y)
{
	const struct nn_box *p = x, *q = y;

	return (p->score < q->score) - (p->score > q->score);
}

int
facegeom_add_unseen(const struct nn_box *fr, int nf, struct nn_box *cand, int n, int max)
{
	int i;

	for (i = 0; i < nf && n < max; i++)
		if (!facegeom_seen(&fr[i], cand, n))
			cand[n++] = fr[i];
	return n;
}

int
facegeom_merge(struct nn_box *b, int n)
{
	qsort(b, (size_t)n, sizeof(*b), facegeom_score_cmp);
	return facegeom_merge_sorted(b, n);
}
