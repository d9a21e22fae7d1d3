/* kernels_wino - Winograd F(2x2,3x3) for 3x3 stride-1 convolutions: each
 * 2x2 output tile from a 4x4 input tile with 16 multiplies per channel
 * pair instead of 36. Input and output transforms are AVX2 loops (8 tiles
 * per vector); the element-wise products our own 4 x 24 kernel over
 * panels of 24 tiles, the output transform with bias and activation run
 * on each panel's products while they are near the core (no packing, no
 * zeroing pass, no products buffer in memory, as the 16 OpenBLAS sgemm
 * calls of an earlier version had). Built with -mavx2 -mfma
 * (mk/kernels.mk): call nothing here unless kernels_available() said
 * yes. */
#ifndef GW_KERNELS_WINO_H
#define GW_KERNELS_WINO_H

#include "kernels_avx2.h"

/* Floats of transformed weights for m filters of c channels. */
#define KW_WEIGHTS(m, c) (16L * (m) * (c))

/* kw_pack - U = G g G^T of each m x c x 3 x 3 filter (m % 4 == 0),
 * computed in double, stored as [16][m/4][c][4] (tile position, 4 filters,
 * channel), KW_WEIGHTS(m, c) floats at u. */
void kw_pack(const float *w, int m, int c, float *u);

/* kw_scratch - floats of scratch kw_conv3 needs for a c x h x w input
 * with padding pad into m channels. */
long kw_scratch(int c, int h, int w, int pad, int m);

/* kw_conv3 - 3x3 stride-1 convolution of the c x h x w planar in with
 * zero padding pad, weights packed by kw_pack, plus bias, then act, into
 * the m x oh x ow out (oh = h + 2pad - 2, ow likewise, ow >= 8: stores
 * start up to 14 floats before a vector's first tile). ws: kw_scratch
 * floats. */
void kw_conv3(const float *in, int c, int h, int w, int pad, const float *u, const float *bias,
    int m, enum kx_act act, float *out, float *ws);

/* kw_conv3_pool2 - kw_conv3 followed by darknet's 2x2 stride-2 maxpool
 * (offset 0) of its output, pooled in the output transform (each 2x2
 * tile is one pool window): out is the pool's m x qh x qw output (qh =
 * (oh + 1) / 2 or oh / 2, likewise qw), bit for bit kw_conv3 then
 * kx_maxpool; the convolution's output is never written. Same ws. */
void kw_conv3_pool2(const float *in, int c, int h, int w, int pad, const float *u,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws);

/* kw_pad_rows - the c h x w planes of in zero-padded to ph x pw with the
 * image at (pad, pad), row by row across channels: row y of channel ic
 * at p + (y * c + ic) * pw; then 16 zero floats. */
void kw_pad_rows(const float *in, int c, int h, int w, int pad, int ph, int pw, float *p);

#endif
