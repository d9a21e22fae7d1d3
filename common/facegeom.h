/* facegeom - the geometry of the face search in person boxes: head
 * regions, how well a face fits a person, one face found twice. */
#ifndef GW_FACEGEOM_H
#define GW_FACEGEOM_H

#include "image.h"
#include "nn.h"

/* facegeom_head - the head region of a body box: the box grown by 10% on
 * each side and clipped to im, then, for a box taller than wide (a
 * standing person), its top part, as tall as the box is wide but at least
 * 60% of the box (a close-up is mostly face); *full_h gets the grown box's
 * height. 0 if less than 8 x 8 pixels of it is left. */
int facegeom_head(const struct image *im, const struct nn_box *body, int *x, int *y, int *w, int *h,
                  int *full_h);

/* facegeom_fit - how well a face sits in a body box, 0 (its centre outside
 * the grown box) to 1 (centred across it, at its top). */
float facegeom_fit(const struct nn_box *body, const struct nn_box *face);

/* facegeom_merge - b sorted by score, best first, and two searches' views
 * of one face (IoU above 0.4, or either centre inside the other) kept once,
 * the best; returns the count kept. */
int facegeom_merge(struct nn_box *b, int n);

/* facegeom_seen - does b, of n faces, hold the same face as f already
 * (IoU above 0.4, or either centre inside the other)? */
int facegeom_seen(const struct nn_box *f, const struct nn_box *b, int n);

/* facegeom_confirmed - does one of b[0..n) scoring min or more hold the
 * same face as f (facegeom_seen's rule)? */
int facegeom_confirmed(const struct nn_box *f, const struct nn_box *b, int n, float min);

/* facegeom_add_unseen - the faces fr[0..nf) that none of cand[0..n)
 * holds (same rule as facegeom_merge) added to cand, at most max in all;
 * returns the new count. */
int facegeom_add_unseen(const struct nn_box *fr, int nf, struct nn_box *cand, int n, int max);

#endif
