/* chin - synthesise a mask worn below the nose ("mask_chin"): a
 * mask-coloured shape over the mouth and chin of a detected face, nose left
 * visible. Deterministic for a given seed. */
#ifndef GW_TOOLS_CHIN_H
#define GW_TOOLS_CHIN_H

#include "image.h"
#include "nn.h"

void chin_draw(struct image *im, const struct nn_box *face, unsigned seed);
/* chin_draw_nose - the same mask with its top edge just under the nose tip
 * of an annotated (or mapped detector) box: CHIN_NOSE_TOP_LO..HI of it. */
#define CHIN_NOSE_TOP_LO 0.50f
#define CHIN_NOSE_TOP_HI 0.58f
void chin_draw_nose(struct image *im, const struct nn_box *face, unsigned seed);
/* chin_paste - the same, with a real mask: the mask of a mask_on face
 * (donor, its box dbox) moved onto the mouth and chin of face, nose left
 * visible (see chin.c). */
void chin_paste(struct image *im, const struct nn_box *face, const struct image *donor,
                const struct nn_box *dbox, unsigned seed);
/* chin_paste_nose - chin_paste with the top edge at CHIN_NOSE_TOP_LO..HI. */
void chin_paste_nose(struct image *im, const struct nn_box *face, const struct image *donor,
                     const struct nn_box *dbox, unsigned seed);

#endif
