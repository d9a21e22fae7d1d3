/* faceaug - one training sample for facetrain: a crop of a scene photo
 * (around a face, as the worker's head regions, or most of the frame, as
 * its whole-frame search) stretched to the detector's square input as
 * facedet.c does, mirrored, with colour, blur and JPEG changes. */
#ifndef GW_FACEAUG_H
#define GW_FACEAUG_H

#include "faceloss.h"
#include "image.h"

struct faceaug_rng { unsigned long long s; };

/* faceaug_uniform - splitmix64, lo..hi: the same everywhere. */
double faceaug_uniform(struct faceaug_rng *r, double lo, double hi);

/* An annotated face in image pixels; cls as struct faceloss_box. */
struct faceaug_face { float x, y, w, h; int cls; };

/* faceaug_sample - fill in (3 planes of input x input, RGB / 255) and the
 * faces in it (fractions of the input, at most max into out; cut faces
 * and faces under min_px of the input are cls -1, ignored). tmp: a path
 * for the JPEG round trip. Returns the face count or -1. */
int faceaug_sample(const struct image *im, const struct faceaug_face *f, int nf, struct faceaug_rng *r,
                   int input, float min_px, const char *tmp, float *in, struct faceloss_box *out, int max);

#endif
