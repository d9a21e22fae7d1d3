/* nn_priv - helpers shared by the network wrappers in common/ (facedet.c,
 * persondet.c, maskcls.c) and by the model tests. Not part of nn.h's API:
 * these expose darknet types. */
#ifndef GW_NN_PRIV_H
#define GW_NN_PRIV_H

#include <stddef.h>
#include <darknet.h>
#include "image.h"
#include "nn.h"

/* nn_load - load <dir>/<name>.cfg + .weights with batch 1, with darknet's
 * layer table (printed on stderr) silenced. darknet exits the process on
 * a missing file or bad cfg, so both files are checked for readability and
 * the weights for a darknet header first. Not thread-safe against other
 * threads writing to fd 2 during the call (their output is discarded).
 * Unless nn_set_kernels("stock") was called, gatewatch's kernels
 * (kernels.h) run its convolutions and pools where the CPU allows.
 * Returns the network or NULL with the reason in err. */
network *nn_load(const char *dir, const char *name, char *err, size_t errlen);

/* nn_resize - resize_network, then re-attach gatewatch's kernels if the
 * network runs them. Use it instead of resize_network. */
void nn_resize(network *net, int w, int h);

/* nn_predict - run net on input (its w*h*c planar floats) with whichever
 * forward nn_load gave it; returns net->output (owned by net). Use it
 * instead of network_predict (which clears every layer's delta first). */
float *nn_predict(network *net, float *input);

/* nn_resize_tf - sample the sw x sh window at the top-left of im (parts
 * outside im are zero, i.e. pad to that size at the bottom/right) to
 * dw x dh with TensorFlow's resizeBilinear(align_corners=false,
 * half_pixel_centers=false), then write (px - mean[c]) * scale as planar
 * CHW floats into dst (3*dw*dh). */
void nn_resize_tf(const struct image *im, int sw, int sh, int dw, int dh,
    const float mean[3], float scale, float *dst);

/* facedet_anchor - anchor k (0..3) of cell col, row of the fw x fh map of
 * the face detector's head level (0..4): centre x, y and w, h as fractions
 * of the input, the source's anchor generator. facedet.c decodes with it,
 * models/tools/faceloss.c trains with it. */
void facedet_anchor(int level, int k, int col, int row, int fw, int fh, float a[4]);

/* The mask classifier's view of a face: the detector's box grown by
 * NN_MASK_MARGIN of its larger side on every side, made square around its
 * centre. Training crops (models/tools/maskaug) and maskcls_run both use
 * nn_face_square, so the classifier sees the same pixels in both. */
#define NN_MASK_MARGIN 0.2f

/* nn_face_square - resample that square (pixels beyond the image edge
 * repeat the edge) bilinearly to size x size RGB8 into out, which is
 * allocated here (free out->rgb). Returns 0 or -ENOMEM. */
int nn_face_square(const struct image *im, const struct nn_box *face, float margin,
    int size, struct image *out);

/* nn_sort - sort boxes by score, highest first. */
void nn_sort(struct nn_box *b, int n);

#endif
