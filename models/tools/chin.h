/* chin - synthesise a mask worn below the nose ("mask_chin"): a
 * mask-coloured shape over the mouth and chin of a detected face, nose left
 * visible. Deterministic for a given seed. */
#ifndef GW_TOOLS_CHIN_H
#define GW_TOOLS_CHIN_H

#include "image.h"
#include "nn.h"

void chin_draw(struct image *im, const struct nn_box *face, unsigned seed);

#endif
