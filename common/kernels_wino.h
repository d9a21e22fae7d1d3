/* kernels_wino - Winograd F(2x2,3x3) for 3x3 stride-1 convolutions: each
 * 2x2 output tile from a 4x4 input tile with 16 multiplies per channel
 * pair instead of 36. Input and output transforms are AVX2 loops (8 tiles
 * per vector); the element-wise products either 16 OpenBLAS sgemm calls
 * per block of tile rows (kw_conv3), or our own 4 x 24 product kernel
 * over panels of 24 tiles, the output transform with bias and activation
 * run on each panel's products while they are in L1 (kw_conv3f: no
 * packing, no zeroing pass, no products buffer in memory). Built with -mavx2 -mfma (mk/kernels.mk): call
 * nothing here unless kernels_available() said yes. */
#ifndef GW_KERNELS_WINO_H
#define GW_KERNELS_WINO_H

#include "kernels_avx2.h"

/* Floats of transformed weights for m filters of c channels. */
#define KW_WEIGHTS(m, c) (16L * (m) * (c))

/* kw_pack - U = G g G^T of each m x c x 3 x 3 filter, stored as 16
 * row-major m x c matrices (one per position of the 4x4 tile), into
 * KW_WEIGHTS(m, c) floats at u. */
void kw_pack(const float *w, int m, int c, float *u);

/* kw_scratch - floats of scratch kw_conv3 needs for a c x h x w input
 * with padding pad into m channels when it handles rows tile rows of
 * output per block. */
long kw_scratch(int c, int h, int w, int pad, int m, int rows);

/* kw_rows - tile rows per block for these sizes within ws_floats of
 * scratch (0: kw_conv3 cannot run in that space). */
int kw_rows(int c, int h, int w, int pad, int m, long ws_floats);

/* kw_conv3 - 3x3 stride-1 convolution of the c x h x w planar in with
 * zero padding pad, weights packed by kw_pack, plus bias, then act, into
 * the m x oh x ow out (oh = h + 2pad - 2). ws: kw_scratch(..., rows)
 * floats, rows from kw_rows. */
void kw_conv3(const float *in, int c, int h, int w, int pad, const float *u, const float *bias,
    int m, enum kx_act act, float *out, float *ws, int rows);

/* kw_packf - kw_pack's U regrouped for kw_conv3f: [16][m/4][c][4]
 * (m % 4 == 0), in KW_WEIGHTS(m, c) floats at u. */
void kw_packf(const float *w, int m, int c, float *u);

/* kw_scratchf - floats of scratch kw_conv3f needs. */
long kw_scratchf(int c, int h, int w, int pad);

/* kw_conv3f - as kw_conv3, with our own products instead of sgemm: the
 * tiles taken 24 at a time, each panel's transformed input kept near the
 * core while every 4 output channels are multiplied, then transformed
 * out with bias and act at once. Weights by kw_packf; ws: kw_scratchf
 * floats. */
void kw_conv3f(const float *in, int c, int h, int w, int pad, const float *u, const float *bias,
    int m, enum kx_act act, float *out, float *ws);

#endif
