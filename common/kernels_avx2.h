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

/* kx_depthwise - one output channel of a depthwise or grouped
 * convolution: the cg h x w planes at in (one group's input) through the
 * cg x size x size kernel wt (row-major) at stride and pad, plus bias,
 * then act, into the oh x ow plane out. */
void kx_depthwise(const float *in, int cg, int h, int w, int size, int stride, int pad,
    const float *wt, float bias, enum kx_act act, float *out, int oh, int ow);

/* kx_maxpool - one channel of darknet's maxpool: window size, stride,
 * offset -pad/2 (pad as darknet's l.pad), cells outside the plane ignored.
 * tmp: scratch of w floats. */
void kx_maxpool(const float *in, int h, int w, int size, int stride, int pad,
    float *out, int oh, int ow, float *tmp);

/* kx_shortcut - out = alpha * a + beta * b (n floats, each product
 * rounded as darknet's shortcut_cpu does), then act. out may be a. */
void kx_shortcut(const float *a, const float *b, float alpha, float beta, int n,
    enum kx_act act, float *out);

/* kx_conv3_pack - reorder m x c x 3 x 3 filter weights (m % 4 == 0) for
 * kx_conv3: [m/4][c][9][4], m*c*9 floats into packed. */
void kx_conv3_pack(const float *w, int m, int c, float *packed);

/* Floats kx_conv3 may read past the padded input (masked-off lanes). */
#define KX_CONV3_SLACK 32

/* kx_conv3 - direct 3x3 convolution (stride 1 or 2) of the c x h x w
 * planar in with zero padding pad, weights packed by kx_conv3_pack, plus
 * bias, then act, into the m x oh x ow out (oh = (h + 2pad - 3) / stride
 * + 1). ws: scratch of c*(h+2pad)*(w+2pad) + KX_CONV3_SLACK floats.
 * m % 4 == 0. */
void kx_conv3(const float *in, int c, int h, int w, int stride, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, float *ws);

/* kx_pad_band - rows y0 .. y0+rows-1 of the c h x w planes at in, each
 * zero-padded by pad on both sides (rows outside the plane all zeros), to
 * ws: channel ic's rows bplane floats apart, rows w + 2pad apart. */
void kx_pad_band(const float *in, int c, int h, int w, int pad, int y0, int rows, float *ws,
    long bplane);

/* kx_conv3_pool2 - kx_conv3 at stride 1 followed by darknet's 2x2
 * stride-2 maxpool (offset 0) of its output, two output rows at a time so
 * the convolution's output never leaves the cache: out is the pool's
 * m x qh x qw output (qh = (oh + 1) / 2 or oh / 2, likewise qw),
 * bit for bit what kx_conv3 then kx_maxpool give. ws: scratch of
 * kx_conv3_pool2_ws(c, h, w, pad, m) floats. m % 4 == 0. */
long kx_conv3_pool2_ws(int c, int h, int w, int pad, int m);
void kx_conv3_pool2(const float *in, int c, int h, int w, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws);

/* kx_fc_pack - the m x n weights of a connected layer (row-major, one
 * row per output) as kx_fc_sparse reads them: for each block of 64
 * outputs, each input's 64 weights together ([m/64 rounded up][n][64],
 * zero past m). */
void kx_fc_pack(const float *w, int m, int n, float *packed);

/* kx_fc_sparse - out = W x + bias (m outputs, n inputs; W packed by
 * kx_fc_pack), reading the weights of nonzero inputs only (after a ReLU
 * most are zero: 70-77% in the mask network). nz: scratch of n ints. */
void kx_fc_sparse(const float *packed, int m, int n, const float *x, const float *bias,
    float *out, int *nz);

/* kx_pad_planes - the c h x w planes of in with pad zeros around each,
 * into out (c*(h+2pad)*(w+2pad) + KX_CONV3_SLACK floats, slack zeroed). */
void kx_pad_planes(const float *in, int c, int h, int w, int pad, float *out);

/* kx_depthwise_padded - kx_depthwise over planes padded by kx_pad_planes
 * (ph x pw each): nonzero taps only (at most 64 of them); vectorised at
 * stride 1. */
void kx_depthwise_padded(const float *pin, int cg, int ph, int pw, int size, int stride,
    const float *wt, float bias, enum kx_act act, float *out, int oh, int ow);

#endif
