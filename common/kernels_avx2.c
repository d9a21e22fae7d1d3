/* kernels_avx2 - AVX2/FMA loops for kernels.c: bias and activation over an
 * output block, direct depthwise convolution, maxpool. Built with -mavx2
 * -mfma (mk/kernels.mk); kernels.c calls it only after checking the CPU. */
#include <float.h>
#include <immintrin.h>

#include "kernels_avx2.h"

static inline __m256 act8(__m256 v, enum kx_act act)
{
	if (act == KX_LEAKY)
		return _mm256_max_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(.1f)));
	if (act == KX_RELU)
		return _mm256_max_ps(v, _mm256_setzero_ps());
	return v;
}

static inline float act1(float v, enum kx_act act)
{
	if (act == KX_LEAKY)
		return v > 0 ? v : .1f * v;
	if (act == KX_RELU)
		return v > 0 ? v : 0;
	return v;
}

void kx_bias_fill(float *c, int ldc, int m, int n, const float *bias)
{
	int i, j;

	for (i = 0; i < m; i++) {
		float *r = c + (long)i * ldc;
		__m256 b = _mm256_set1_ps(bias[i]);

		for (j = 0; j + 8 <= n; j += 8)
			_mm256_storeu_ps(r + j, b);
		for (; j < n; j++)
			r[j] = bias[i];
	}
}

void kx_act(float *c, int ldc, int m, int n, enum kx_act act)
{
	int i, j;

	if (act == KX_LINEAR)
		return;
	for (i = 0; i < m; i++) {
		float *r = c + (long)i * ldc;

		for (j = 0; j + 8 <= n; j += 8)
			_mm256_storeu_ps(r + j, act8(_mm256_loadu_ps(r + j), act));
		for (; j < n; j++)
			r[j] = act1(r[j], act);
	}
}

/* One output of a depthwise convolution, any position (borders). */
static float dw_point(const float *in, int h, int w, int size, int stride, int pad,
    const float *wt, float bias, int oy, int ox)
{
	float s = 0;
	int ky, kx;

	for (ky = 0; ky < size; ky++) {
		int iy = oy * stride - pad + ky;

		if (iy < 0 || iy >= h)
			continue;
		for (kx = 0; kx < size; kx++) {
			int ix = ox * stride - pad + kx;

			if (ix >= 0 && ix < w)
				s += wt[ky * size + kx] * in[(long)iy * w + ix];
		}
	}
	return s + bias;
}

void kx_depthwise(const float *in, int h, int w, int size, int stride, int pad,
    const float *wt, float bias, enum kx_act act, float *out, int oh, int ow)
{
	int oy, ox, ky, kx;
	/* columns whose window lies inside the plane */
	int xi0 = pad, xi1 = (w + pad - size) / stride + 1;

	if (xi0 > ow)
		xi0 = ow;
	if (xi1 > ow)
		xi1 = ow;
	if (xi1 < xi0)
		xi1 = xi0;
	for (oy = 0; oy < oh; oy++) {
		float *o = out + (long)oy * ow;
		int ky0 = pad - oy * stride, ky1 = h + pad - oy * stride;

		if (ky0 < 0)
			ky0 = 0;
		if (ky1 > size)
			ky1 = size;
		for (ox = 0; ox < xi0; ox++)
			o[ox] = act1(dw_point(in, h, w, size, stride, pad, wt, bias, oy, ox), act);
		ox = xi0;
		if (stride == 1) {
			for (; ox + 32 <= xi1; ox += 32) {
				__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;

				for (ky = ky0; ky < ky1; ky++) {
					const float *r = in + (long)(oy - pad + ky) * w + ox - pad;

					for (kx = 0; kx < size; kx++) {
						__m256 k = _mm256_set1_ps(wt[ky * size + kx]);

						a0 = _mm256_fmadd_ps(k, _mm256_loadu_ps(r + kx), a0);
						a1 = _mm256_fmadd_ps(k, _mm256_loadu_ps(r + kx + 8), a1);
						a2 = _mm256_fmadd_ps(k, _mm256_loadu_ps(r + kx + 16), a2);
						a3 = _mm256_fmadd_ps(k, _mm256_loadu_ps(r + kx + 24), a3);
					}
				}
				__m256 b = _mm256_set1_ps(bias);
				_mm256_storeu_ps(o + ox, act8(_mm256_add_ps(a0, b), act));
				_mm256_storeu_ps(o + ox + 8, act8(_mm256_add_ps(a1, b), act));
				_mm256_storeu_ps(o + ox + 16, act8(_mm256_add_ps(a2, b), act));
				_mm256_storeu_ps(o + ox + 24, act8(_mm256_add_ps(a3, b), act));
			}
			for (; ox + 8 <= xi1; ox += 8) {
				__m256 a0 = _mm256_setzero_ps();

				for (ky = ky0; ky < ky1; ky++) {
					const float *r = in + (long)(oy - pad + ky) * w + ox - pad;

					for (kx = 0; kx < size; kx++)
						a0 = _mm256_fmadd_ps(_mm256_set1_ps(wt[ky * size + kx]),
						    _mm256_loadu_ps(r + kx), a0);
				}
				_mm256_storeu_ps(o + ox, act8(_mm256_add_ps(a0, _mm256_set1_ps(bias)), act));
			}
		}
		for (; ox < ow; ox++)
			o[ox] = act1(dw_point(in, h, w, size, stride, pad, wt, bias, oy, ox), act);
	}
}

/* 16 inputs of two rows -> 8 outputs of a 2x2 stride-2 pool. */
static inline __m256 pool2x2(const float *a, const float *b)
{
	__m256 v0 = _mm256_max_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b));
	__m256 v1 = _mm256_max_ps(_mm256_loadu_ps(a + 8), _mm256_loadu_ps(b + 8));
	__m256 ev = _mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0));
	__m256 od = _mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1));
	__m256 m = _mm256_max_ps(ev, od);

	return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), _MM_SHUFFLE(3, 1, 2, 0)));
}

void kx_maxpool(const float *in, int h, int w, int size, int stride, int pad,
    float *out, int oh, int ow)
{
	int off = -pad / 2, oy, ox, y, x;

	for (oy = 0; oy < oh; oy++) {
		int y0 = off + oy * stride, y1 = y0 + size;
		float *o = out + (long)oy * ow;

		if (y0 < 0)
			y0 = 0;
		if (y1 > h)
			y1 = h;
		ox = 0;
		if (size == 2 && stride == 2 && off == 0 && y1 - y0 == 2) {
			const float *a = in + (long)y0 * w, *b = a + w;

			for (; ox + 8 <= ow && 2 * ox + 16 <= w; ox += 8)
				_mm256_storeu_ps(o + ox, pool2x2(a + 2 * ox, b + 2 * ox));
		}
		for (; ox < ow; ox++) {
			int x0 = off + ox * stride, x1 = x0 + size;
			float m = -FLT_MAX;

			if (x0 < 0)
				x0 = 0;
			if (x1 > w)
				x1 = w;
			for (y = y0; y < y1; y++)
				for (x = x0; x < x1; x++)
					if (in[(long)y * w + x] > m)
						m = in[(long)y * w + x];
			o[ox] = m;
		}
	}
}
