/* slots - which people a result holds when there are more than its
 * MSG_PERSONS_MAX places: the faces found outside every person box come
 * before the person boxes in which the search found no face (a face is
 * what the mask classifier and the gate need; a box without one is only
 * someone to follow). */
#ifndef GW_SLOTS_H
#define GW_SLOTS_H

#include <stddef.h>

#include "nn.h"

/* slots_keep - which of n person boxes keep their place in a result of max
 * people beside nextra faces found in no box. A box with a face
 * (faces[i].score > 0), or one the search did not look into this time
 * (look[i] == 0; look NULL: every box was looked into), keeps its place;
 * the others give theirs up, the last (the person detector's weakest)
 * first, while the boxes kept and the nextra faces are more than max.
 * keep[i] is 1 or 0; returns how many boxes are kept. The faces that
 * still do not fit are the caller's to leave out. */
int slots_keep(const struct nn_box *faces, const unsigned char *look, int n, int nextra, int max,
               unsigned char *keep);

/* One of the caller's arrays that go with the person boxes, element by
 * element (SLOTS_ARRAY(a): a an array or a pointer to its first element). */
struct slots_array {
	void *p;
	size_t size;                 /* of one element */
};
#define SLOTS_ARRAY(a) { (a), sizeof(*(a)) }

/* slots_make_room - slots_keep's rule applied to n person boxes (at most
 * MSG_PERSONS_MAX; faces and look as there) and *nextra faces outside them:
 * when they are more than max, the boxes that give up their places leave
 * the first n elements of each of the narr arrays (faces may be one of
 * them), the others move up in order, and *nextra is cut to what fits
 * beside the boxes kept. Returns how many boxes are kept (n when all fit). */
int slots_make_room(const struct nn_box *faces, const unsigned char *look, int n, int *nextra, int max,
                    const struct slots_array *arrs, int narr);

#endif
