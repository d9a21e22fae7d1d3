/* kernels_wino512 - Winograd F(2x2,3x3) for 3x3 stride-1 convolutions in
 * AVX-512 (F, BW, VL): kernels_wino.h's kw_conv3 and kw_conv3_pool2 with
 * 16 tiles per vector, on the same packed weights (kw_pack), bit for bit
 * their result. Built with -mavx512f -mavx512bw -mavx512vl
 * (mk/kernels.mk): call nothing here unless kernels_isa_cpu() is
 * KERNELS_AVX512 or more. */
#ifndef GW_KERNELS_WINO512_H
#define GW_KERNELS_WINO512_H

#include "kernels_wino.h"

/* kwz_scratch - floats of scratch kwz_conv3 needs for a c x h x w input
 * with padding pad into m channels. */
long kwz_scratch(int c, int h, int w, int pad, int m);

/* kwz_conv3 - as kw_conv3 (any ow), ws: kwz_scratch floats. */
void kwz_conv3(const float *in, int c, int h, int w, int pad, const float *u, const float *bias,
    int m, enum kx_act act, float *out, float *ws);

/* kwz_conv3_pool2 - as kw_conv3_pool2, ws: kwz_scratch floats. */
void kwz_conv3_pool2(const float *in, int c, int h, int w, int pad, const float *u,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws);

#endif
