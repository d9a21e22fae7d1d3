/* kernels_avx2 - AVX2/FMA loops for kernels.c: bias and activation over an
 * output block, direct depthwise convolution, maxpool. Built with -mavx2
 * -mfma (mk/kernels.mk); kernels.c calls it only after checking the CPU. */
#include <float.h>
#include <immintrin.h>
#include <string.h>

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

/* One output of a grouped convolution over cg input planes, any
 * position (borders). */
static float dw_point(const float *in, int cg, int h, int w, int size, int stride, int pad,
    const float *wt, float bias, int oy, int ox)
{
	float s = 0;
	int ci, ky, kx;

	for (ci = 0; ci < cg; ci++, in += (long)h * w, wt += size * size)
		for (ky = 0; ky < size; ky++) {
			int iy = oy * stride - pad + ky;

			if (iy < 0 || iy >= h)
				continue;
			for (kx = 0; kx < size; kx++) {
				int ix = ox * stride - pad + kx;

				if (ix >= 0 && ix < w && wt[ky * size + kx] != 0)
					s += wt[ky * size + kx] * in[(long)iy * w + ix];
			}
		}
	return s + bias;
}

void kx_depthwise(const float *in, int cg, int h, int w, int size, int stride, int pad,
    const float *wt, float bias, enum kx_act act, float *out, int oh, int ow)
{
	int oy, ox, ky, kx, ci;
	long plane = (long)h * w;
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
			o[ox] = act1(dw_point(in, cg, h, w, size, stride, pad, wt, bias, oy, ox), act);
		ox = xi0;
		if (stride == 1) {
			for (; ox + 32 <= xi1; ox += 32) {
				__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;

				for (ci = 0; ci < cg; ci++)
					for (ky = ky0; ky < ky1; ky++) {
						const float *r = in + ci * plane + (long)(oy - pad + ky) * w + ox - pad;
						const float *k = wt + (ci * size + ky) * size;

						for (kx = 0; kx < size; kx++) {
							__m256 kv = _mm256_set1_ps(k[kx]);

							if (k[kx] == 0)   /* resize-like kernels are sparse */
								continue;
							a0 = _mm256_fmadd_ps(kv, _mm256_loadu_ps(r + kx), a0);
							a1 = _mm256_fmadd_ps(kv, _mm256_loadu_ps(r + kx + 8), a1);
							a2 = _mm256_fmadd_ps(kv, _mm256_loadu_ps(r + kx + 16), a2);
							a3 = _mm256_fmadd_ps(kv, _mm256_loadu_ps(r + kx + 24), a3);
						}
					}
				__m256 b = _mm256_set1_ps(bias);
				_mm256_storeu_ps(o + ox, act8(_mm256_add_ps(a0, b), act));
				_mm256_storeu_ps(o + ox + 8, act8(_mm256_add_ps(a1, b), act));
				_mm256_storeu_ps(o + ox + 16, act8(_mm256_add_ps(a2, b), act));
				_mm256_storeu_ps(o + ox + 24, act8(_mm256_add_ps(a3, b), act));
			}
			for (; ox + 8 <= xi1; ox += 8) {
				__m256 a0 = _mm256_setzero_ps(), a1 = a0;

				for (ci = 0; ci < cg; ci++)
					for (ky = ky0; ky < ky1; ky++) {
						const float *r = in + ci * plane + (long)(oy - pad + ky) * w + ox - pad;
						const float *k = wt + (ci * size + ky) * size;

						for (kx = 0; kx < size; kx++) {
							__m256 t;

							if (k[kx] == 0)
								continue;
							/* two chains: half the FMA latency */
							t = _mm256_fmadd_ps(_mm256_set1_ps(k[kx]), _mm256_loadu_ps(r + kx), a1);
							a1 = a0;
							a0 = t;
						}
					}
				_mm256_storeu_ps(o + ox, act8(_mm256_add_ps(_mm256_add_ps(a0, a1),
				    _mm256_set1_ps(bias)), act));
			}
		}
		for (; ox < ow; ox++)
			o[ox] = act1(dw_point(in, cg, h, w, size, stride, pad, wt, bias, oy, ox), act);
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

void kx_conv3_pack(const float *w, int m, int c, float *packed)
{
	int ob, ic, t, j;

	for (ob = 0; ob < m / 4; ob++)
		for (ic = 0; ic < c; ic++)
			for (t = 0; t < 9; t++)
				for (j = 0; j < 4; j++)
					packed[(((long)ob * c + ic) * 9 + t) * 4 + j] =
					    w[((long)(ob * 4 + j) * c + ic) * 9 + t];
}

#define BCAST(k) _mm256_broadcast_ss(wk + (k))

/* 4 output channels x 24 pixels of one output row. */
static inline void conv3_tile3(const float *pin, long cplane, int pw, int c, const float *wp,
    const float *bias, enum kx_act act, float *o, long oplane)
{
	__m256 a00 = _mm256_set1_ps(bias[0]), a01 = a00, a02 = a00;
	__m256 a10 = _mm256_set1_ps(bias[1]), a11 = a10, a12 = a10;
	__m256 a20 = _mm256_set1_ps(bias[2]), a21 = a20, a22 = a20;
	__m256 a30 = _mm256_set1_ps(bias[3]), a31 = a30, a32 = a30;
	int ic, ky, kx;

	for (ic = 0; ic < c; ic++) {
		const float *r = pin + ic * cplane, *wk = wp + ic * 36;

		for (ky = 0; ky < 3; ky++, r += pw)
			for (kx = 0; kx < 3; kx++, wk += 4) {
				__m256 i0 = _mm256_loadu_ps(r + kx), i1 = _mm256_loadu_ps(r + kx + 8);
				__m256 i2 = _mm256_loadu_ps(r + kx + 16), w;

				w = BCAST(0);
				a00 = _mm256_fmadd_ps(w, i0, a00); a01 = _mm256_fmadd_ps(w, i1, a01);
				a02 = _mm256_fmadd_ps(w, i2, a02);
				w = BCAST(1);
				a10 = _mm256_fmadd_ps(w, i0, a10); a11 = _mm256_fmadd_ps(w, i1, a11);
				a12 = _mm256_fmadd_ps(w, i2, a12);
				w = BCAST(2);
				a20 = _mm256_fmadd_ps(w, i0, a20); a21 = _mm256_fmadd_ps(w, i1, a21);
				a22 = _mm256_fmadd_ps(w, i2, a22);
				w = BCAST(3);
				a30 = _mm256_fmadd_ps(w, i0, a30); a31 = _mm256_fmadd_ps(w, i1, a31);
				a32 = _mm256_fmadd_ps(w, i2, a32);
			}
	}
	_mm256_storeu_ps(o, act8(a00, act)); _mm256_storeu_ps(o + 8, act8(a01, act));
	_mm256_storeu_ps(o + 16, act8(a02, act));
	o += oplane;
	_mm256_storeu_ps(o, act8(a10, act)); _mm256_storeu_ps(o + 8, act8(a11, act));
	_mm256_storeu_ps(o + 16, act8(a12, act));
	o += oplane;
	_mm256_storeu_ps(o, act8(a20, act)); _mm256_storeu_ps(o + 8, act8(a21, act));
	_mm256_storeu_ps(o + 16, act8(a22, act));
	o += oplane;
	_mm256_storeu_ps(o, act8(a30, act)); _mm256_storeu_ps(o + 8, act8(a31, act));
	_mm256_storeu_ps(o + 16, act8(a32, act));
}

/* 8 output channels x 8 pixels (n <= 8 of them written). */
static inline void conv3_tile1(const float *pin, long cplane, int pw, int c, const float *wp,
    const float *wp2, const float *bias, const float *bias2, enum kx_act act, float *o,
    long oplane, int n)
{
	__m256 a0 = _mm256_set1_ps(bias[0]), a1 = _mm256_set1_ps(bias[1]);
	__m256 a2 = _mm256_set1_ps(bias[2]), a3 = _mm256_set1_ps(bias[3]);
	__m256 a4 = _mm256_set1_ps(bias2[0]), a5 = _mm256_set1_ps(bias2[1]);
	__m256 a6 = _mm256_set1_ps(bias2[2]), a7 = _mm256_set1_ps(bias2[3]);
	__m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
	int ic, ky, kx;

	for (ic = 0; ic < c; ic++) {
		const float *r = pin + ic * cplane, *wk = wp + ic * 36, *wk2 = wp2 + ic * 36;

		for (ky = 0; ky < 3; ky++, r += pw)
			for (kx = 0; kx < 3; kx++, wk += 4, wk2 += 4) {
				__m256 i0 = _mm256_loadu_ps(r + kx);

				a0 = _mm256_fmadd_ps(BCAST(0), i0, a0);
				a1 = _mm256_fmadd_ps(BCAST(1), i0, a1);
				a2 = _mm256_fmadd_ps(BCAST(2), i0, a2);
				a3 = _mm256_fmadd_ps(BCAST(3), i0, a3);
				a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(wk2), i0, a4);
				a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(wk2 + 1), i0, a5);
				a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(wk2 + 2), i0, a6);
				a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(wk2 + 3), i0, a7);
			}
	}
	_mm256_maskstore_ps(o, mask, act8(a0, act));
	_mm256_maskstore_ps(o + oplane, mask, act8(a1, act));
	_mm256_maskstore_ps(o + 2 * oplane, mask, act8(a2, act));
	_mm256_maskstore_ps(o + 3 * oplane, mask, act8(a3, act));
	if (wp2 == wp)   /* only 4 channels left: the other 4 are a copy */
		return;
	_mm256_maskstore_ps(o + 4 * oplane, mask, act8(a4, act));
	_mm256_maskstore_ps(o + 5 * oplane, mask, act8(a5, act));
	_mm256_maskstore_ps(o + 6 * oplane, mask, act8(a6, act));
	_mm256_maskstore_ps(o + 7 * oplane, mask, act8(a7, act));
}

void kx_conv3(const float *in, int c, int h, int w, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, float *ws)
{
	int ph = h + 2 * pad, pw = w + 2 * pad, oh = ph - 2, ow = pw - 2, ic, y, x, ob;
	long cplane = (long)ph * pw, oplane = (long)oh * ow;

	/* zero-padded copy of the input; the slack after it is read (never
	 * used) by the masked tail tiles */
	for (ic = 0; ic < c; ic++) {
		float *p = ws + ic * cplane;
		const float *s = in + (long)ic * h * w;

		memset(p, 0, sizeof(float) * pw * pad);
		for (y = 0; y < h; y++) {
			float *r = p + (long)(y + pad) * pw;

			memset(r, 0, sizeof(float) * pad);
			memcpy(r + pad, s + (long)y * w, sizeof(float) * w);
			memset(r + pad + w, 0, sizeof(float) * pad);
		}
		memset(p + (long)(h + pad) * pw, 0, sizeof(float) * pw * pad);
	}
	memset(ws + c * cplane, 0, sizeof(float) * KX_CONV3_SLACK);
	for (y = 0; y < oh; y++) {
		const float *row = ws + (long)y * pw;

		for (ob = 0; ob < m / 4; ob++) {
			const float *wp = packed + (long)ob * c * 36;
			float *o = out + (long)ob * 4 * oplane + (long)y * ow;

			for (x = 0; x + 24 <= ow; x += 24)
				conv3_tile3(row + x, cplane, pw, c, wp, bias + ob * 4, act, o + x, oplane);
			/* the rest, 8 channels at a time where two blocks are left */
			if (x < ow && ob % 2 == 0) {
				int two = ob + 1 < m / 4, xx;
				const float *wp2 = two ? wp + (long)c * 36 : wp;
				const float *b2 = bias + ob * 4 + (two ? 4 : 0);

				for (xx = x; xx < ow; xx += 8)
					conv3_tile1(row + xx, cplane, pw, c, wp, wp2, bias + ob * 4, b2, act,
					    o + xx, oplane, ow - xx < 8 ? ow - xx : 8);
			}
		}
	}
}

void kx_pad_planes(const float *in, int c, int h, int w, int pad, float *out)
{
	int pw = w + 2 * pad, ph = h + 2 * pad, ic, y;

	for (ic = 0; ic < c; ic++) {
		float *p = out + (long)ic * ph * pw;
		const float *s = in + (long)ic * h * w;

		memset(p, 0, sizeof(float) * pw * pad);
		for (y = 0; y < h; y++) {
			float *r = p + (long)(y + pad) * pw;

			memset(r, 0, sizeof(float) * pad);
			memcpy(r + pad, s + (long)y * w, sizeof(float) * w);
			memset(r + pad + w, 0, sizeof(float) * pad);
		}
		memset(p + (long)(h + pad) * pw, 0, sizeof(float) * pw * pad);
	}
	memset(out + (long)c * ph * pw, 0, sizeof(float) * KX_CONV3_SLACK);
}

void kx_depthwise_padded(const float *pin, int cg, int ph, int pw, int size, int stride,
    const float *wt, float bias, enum kx_act act, float *out, int oh, int ow)
{
	long plane = (long)ph * pw;
	int oy, ox, ci, ky, kx, nz = 0, t;
	/* the nonzero taps only: offsets into the padded planes, weights */
	long off[64];
	float wv[64];

	for (ci = 0; ci < cg && nz < 64; ci++)
		for (ky = 0; ky < size; ky++)
			for (kx = 0; kx < size; kx++)
				if (wt[(ci * size + ky) * size + kx] != 0 && nz < 64) {
					off[nz] = ci * plane + (long)ky * pw + kx;
					wv[nz++] = wt[(ci * size + ky) * size + kx];
				}
	if (stride != 1) {
		for (oy = 0; oy < oh; oy++) {
			const float *r = pin + (long)oy * stride * pw;
			float *o = out + (long)oy * ow;

			for (ox = 0; ox < ow; ox++) {
				float a = bias;

				for (t = 0; t < nz; t++)
					a += wv[t] * r[off[t] + (long)ox * stride];
				o[ox] = act1(a, act);
			}
		}
		return;
	}
	for (oy = 0; oy < oh; oy++) {
		const float *r = pin + (long)oy * pw;
		float *o = out + (long)oy * ow;

		for (ox = 0; ox + 16 <= ow; ox += 16) {
			__m256 a0 = _mm256_set1_ps(bias), a1 = a0;

			for (t = 0; t < nz; t++) {
				__m256 k = _mm256_set1_ps(wv[t]);

				a0 = _mm256_fmadd_ps(k, _mm256_loadu_ps(r + off[t] + ox), a0);
				a1 = _mm256_fmadd_ps(k, _mm256_loadu_ps(r + off[t] + ox + 8), a1);
			}
			_mm256_storeu_ps(o + ox, act8(a0, act));
			_mm256_storeu_ps(o + ox + 8, act8(a1, act));
		}
		for (; ox < ow; ox += 8) {
			__m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(ow - ox),
			    _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
			__m256 a0 = _mm256_set1_ps(bias);

			for (t = 0; t < nz; t++)
				a0 = _mm256_fmadd_ps(_mm256_set1_ps(wv[t]), _mm256_loadu_ps(r + off[t] + ox), a0);
			_mm256_maskstore_ps(o + ox, mask, act8(a0, act));
		}
	}
}
