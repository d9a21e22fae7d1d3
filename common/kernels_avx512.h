/* kernels_avx512 - AVX-512 (F, BW, VL) versions of kernels_avx2.h's
 * direct 3x3 convolution at stride 1, on the same packed weights
 * (kx_conv3_pack), bit for bit their result. Built with -mavx512f
 * -mavx512bw -mavx512vl (mk/kernels.mk): call nothing here unless
 * kernels_isa_cpu() is KERNELS_AVX512 or more. */
#ifndef GW_KERNELS_AVX512_H
#define GW_KERNELS_AVX512_H

#include "kernels_avx2.h"

/* kz_conv3 - kx_conv3 at stride 1 (same ws, m % 4 == 0). */
void kz_conv3(const float *in, int c, int h, int w, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, float *ws);

/* kz_conv3_pool2 - kx_conv3_pool2 (same ws: kx_conv3_pool2_ws). */
void kz_conv3_pool2(const float *in, int c, int h, int w, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws);

#endif
