/* kernels_avx2 - the AVX2/FMA inner loops of kernels.c. This file alone is
 * compiled with -mavx2 -mfma: call nothing here unless kernels_available()
 * said yes. Activations: KX_LINEAR, KX_LEAKY (x > 0 ? x : .1x), KX_RELU. */
#ifndef GW_KERNELS_AVX2_H
#define GW_KERNELS_AVX2_H

enum kx_act { KX_LINEAR, KX_LEAKY, KX_RELU };

/* kx_bias_fill - c[i*ldc + j] = bias[i] for i < m, j < n. */
void kx_bias_fill(float *c, int ldc, int m, int n, const float *bias);

/* kx_act - apply act in place to the m x n block at c (row stride ldc). */
void kx_act(float *c, int ldc, int m, int n, enum kx_act act);

/* kx_depthwise - one channel of a depthwise convolution: the h x w plane in
 * through the size x size kernel wt (row-major) at stride and pad, plus
 * bias, then act, into the oh x ow plane out. */
void kx_depthwise(const float *in, int h, int w, int size, int stride, int pad,
    const float *wt, float bias, enum kx_act act, float *out, int oh, int ow);

/* kx_maxpool - one channel of darknet's maxpool: window size, stride,
 * offset -pad/2 (pad as darknet's l.pad), cells outside the plane ignored. */
void kx_maxpool(const float *in, int h, int w, int size, int stride, int pad,
    float *out, int oh, int ow);

#endif
