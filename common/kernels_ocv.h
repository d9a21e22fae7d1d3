/* kernels_ocv - direct 3x3 convolution (stride 1 or 2) with 16 output
 * channels in two vectors and 6 pixels of a row per tile, for the layers
 * where the pixel-vector kernel (kx_conv3) leaves lanes idle: narrow
 * planes and stride 2. Built with -mavx2 -mfma (mk/kernels.mk): call
 * nothing here unless kernels_available() said yes. */
#ifndef GW_KERNELS_OCV_H
#define GW_KERNELS_OCV_H

#include "kernels_avx2.h"

/* ko_pack - reorder m x c x 3 x 3 filter weights (m % 8 == 0) for
 * ko_conv3: blocks of 16 output channels (the last one 8 if m % 16 is 8),
 * each [c][9][block width]; m*c*9 floats into packed. */
void ko_pack(const float *w, int m, int c, float *packed);

/* ko_conv3 - as kx_conv3 (same arguments, same scratch: c*(h+2pad)*
 * (w+2pad) + KX_CONV3_SLACK floats in ws), weights packed by ko_pack,
 * m % 8 == 0. */
void ko_conv3(const float *in, int c, int h, int w, int stride, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, float *ws);

#endif
