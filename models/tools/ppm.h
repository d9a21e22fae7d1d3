/* ppm - read any image through ImageMagick (/usr/bin/convert ... ppm:-) and
 * read/write binary PPM, for the model tools only: the decoder is the same
 * on every side of a comparison (tfjs reference, darknet training, tests). */
#ifndef GW_TOOLS_PPM_H
#define GW_TOOLS_PPM_H

#include "image.h"

/* ppm_load - decode path (any format convert reads) into im (owned by the
 * caller, free(im->rgb)). Returns 0 or -1 with a message on stderr. */
int ppm_load(const char *path, struct image *im);
/* ppm_decode - decode a JPEG/PNG/PPM file with stb_image (compiled static
 * here, as common/image.c does) into im; much faster than ppm_load (no
 * process per image) for bulk work. Returns 0 or -1 with a message. */
int ppm_decode(const char *path, struct image *im);
/* ppm_write - write im as binary PPM. Returns 0 or -1. */
int ppm_write(const char *path, const struct image *im);

#endif
