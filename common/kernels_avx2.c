/* kernels_avx2 - AVX2/FMA loops for kernels.c: bias and activation over an
 * output block, direct depthwise convolution, maxpool. Built with -mavx2
 * -mfma (mk/kernels.mk); kernels.c calls it only after checking the CPU. */
#include <float.h>
#include <immintrin.h>
#include <string.h>

#include "kernels_act8.h"
#include "kernels_avx2.h"

static inline float kx_act1(float v, enum kx_act act)
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
			_mm256_storeu_ps(r + j, kx_act8(_mm256_loadu_ps(r + j), act));
		for (; j < n; j++)
			r[j] = kx_act1(r[j], act);
	}
}

/* One output of a grouped convolution over cg input planes, any
 * position (borders). */
static float kx_dw_point(const float *in, int cg, int h, int w, int size, int stride, int pad,
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
			o[ox] = kx_act1(kx_dw_point(in, cg, h, w, size, stride, pad, wt, bias, oy, ox), act);
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
				_mm256_storeu_ps(o + ox, kx_act8(_mm256_add_ps(a0, b), act));
				_mm256_storeu_ps(o + ox + 8, kx_act8(_mm256_add_ps(a1, b), act));
				_mm256_storeu_ps(o + ox + 16, kx_act8(_mm256_add_ps(a2, b), act));
				_mm256_storeu_ps(o + ox + 24, kx_act8(_mm256_add_ps(a3, b), act));
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
				_mm256_storeu_ps(o + ox, kx_act8(_mm256_add_ps(_mm256_add_ps(a0, a1),
				    _mm256_set1_ps(bias)), act));
			}
		}
		for (; ox < ow; ox++)
			o[ox] = kx_act1(kx_dw_point(in, cg, h, w, size, stride, pad, wt, bias, oy, ox), act);
	}
}

/* 16 inputs of two rows -> 8 outputs of a 2x2 stride-2 pool. */
static inline __m256 kx_pool2x2(const float *a, const float *b)
{
	__m256 v0 = _mm256_max_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b));
	__m256 v1 = _mm256_max_ps(_mm256_loadu_ps(a + 8), _mm256_loadu_ps(b + 8));
	__m256 ev = _mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0));
	__m256 od = _mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1));
	__m256 m = _mm256_max_ps(ev, od);

	return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), _MM_SHUFFLE(3, 1, 2, 0)));
}

void kx_maxpool(const float *in, int h, int w, int size, int stride, int pad,
    float *out, int oh, int ow, float *tmp)
{
	int off = -pad / 2, oy, ox, y, x, xs, xe;

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
				_mm256_storeu_ps(o + ox, kx_pool2x2(a + 2 * ox, b + 2 * ox));
		}
		if (ox >= ow)
			continue;
		/* the window's rows reduced first (vectors), then its columns;
		 * only the columns outputs ox .. ow-1 read (after the vector
		 * pass above, a few at the row's end: the whole row cost the
		 * face network's first layer 0.3 of its 3.8 ms at 360) */
		xs = off + ox * stride;
		xe = off + (ow - 1) * stride + size;
		xs = xs < 0 ? 0 : xs;
		xe = xe > w ? w : xe;
		if (xe <= xs)
			xe = xs = 0;
		memcpy(tmp + xs, in + (long)y0 * w + xs, sizeof(float) * (xe - xs));
		for (y = y0 + 1; y < y1; y++) {
			const float *r = in + (long)y * w;

			for (x = xs; x + 8 <= xe; x += 8)
				_mm256_storeu_ps(tmp + x, _mm256_max_ps(_mm256_loadu_ps(tmp + x), _mm256_loadu_ps(r + x)));
			for (; x < xe; x++)
				tmp[x] = r[x] > tmp[x] ? r[x] : tmp[x];
		}
		for (; ox < ow; ox++) {
			int x0 = off + ox * stride, x1 = x0 + size;
			float m = -FLT_MAX;

			if (x0 < 0)
				x0 = 0;
			if (x1 > w)
				x1 = w;
			for (x = x0; x < x1; x++)
				m = tmp[x] > m ? tmp[x] : m;
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

/* 4 output channels x V (1 or 2) vectors (8 pixels each) of one output row; only
 * n pixels of the last vector are written. Tap t of the 3x3 window reads
 * pin + toff[t] (+ channel * cplane). Inputs may be read past the row
 * (into the next one or the slack): those lanes are never stored. */
static inline __attribute__((always_inline)) void kx_conv3_tile(const float *pin, long cplane,
    const long *toff, int c, const float *wp, const float *bias, enum kx_act act, float *o,
    long oplane, const int V, int n, const int S1, long pw)
{
	__m256 a[4][2];
	int ic, t, j, v;

#pragma GCC unroll 4
	for (j = 0; j < 4; j++)
#pragma GCC unroll 2
		for (v = 0; v < V; v++)
			a[j][v] = _mm256_set1_ps(bias[j]);
	for (ic = 0; ic < c; ic++) {
		const float *r = pin + ic * cplane, *wk = wp + ic * 36;

#pragma GCC unroll 9
		for (t = 0; t < 9; t++, wk += 4) {
			__m256 in[2];

#pragma GCC unroll 2
			for (v = 0; v < V; v++)
				in[v] = _mm256_loadu_ps(r + (S1 ? (t / 3) * pw + t % 3 : toff[t]) + 8 * v);
#pragma GCC unroll 4
			for (j = 0; j < 4; j++) {
				__m256 w = _mm256_broadcast_ss(wk + j);

#pragma GCC unroll 2
				for (v = 0; v < V; v++)
					a[j][v] = _mm256_fmadd_ps(w, in[v], a[j][v]);
			}
		}
	}
#pragma GCC unroll 4
	for (j = 0; j < 4; j++, o += oplane) {
#pragma GCC unroll 2
		for (v = 0; v < V - 1; v++)
			_mm256_storeu_ps(o + 8 * v, kx_act8(a[j][v], act));
		kx_store8(o + 8 * (V - 1), kx_act8(a[j][V - 1], act), 0, n);
	}
}

/* One output row of 4 channels: tiles of 16 pixels, the last one (8 or
 * 16) cut short. S1: stride 1, whose taps are constant offsets from the
 * row (no table to read: it left the tile kernel short of registers).
 * Not 24-pixel tiles: their 12 accumulators, 3 inputs and a weight fill
 * all 16 registers and GCC spills (measured, 3x3 at 64x64, 32 out:
 * 3 in 66 -> 85 GFLOP/s, 16 or 32 in 72 -> 94 with 16-pixel tiles). */
static inline __attribute__((always_inline)) void kx_conv3_row(const float *row, long cplane,
    const long *toff, int c, const float *wp, const float *b, enum kx_act act, float *o,
    long oplane, int ow, const int S1, long pw)
{
	int x;

	for (x = 0; x < ow;) {
		int rem = ow - x;

		if (rem > 8) {
			kx_conv3_tile(row + x, cplane, toff, c, wp, b, act, o + x, oplane, 2,
			    rem >= 16 ? 8 : rem - 8, S1, pw);
			x += 16;
		} else {
			kx_conv3_tile(row + x, cplane, toff, c, wp, b, act, o + x, oplane, 1, rem, S1, pw);
			x += 8;
		}
	}
}

void kx_conv3(const float *in, int c, int h, int w, int stride, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, float *ws)
{
	int ph = h + 2 * pad, pw = w + 2 * pad, oh = (ph - 3) / stride + 1, ow = (pw - 3) / stride + 1;
	int we = (pw + 1) / 2, ic, y, ob, t;
	long cplane = (long)ph * pw, oplane = (long)oh * ow, toff[9];

	/* zero-padded copy of the input (stride 2: each row split into its
	 * even then its odd columns, so a tap's 8 pixels are contiguous); the
	 * slack after it is read (never used) by masked lanes */
	if (stride == 1) {
		kx_pad_planes(in, c, h, w, pad, ws);
	} else {
		for (ic = 0; ic < c; ic++)
			for (y = 0; y < ph; y++) {
				float *r = ws + ic * cplane + (long)y * pw;
				const float *src = in + (long)ic * h * w + (long)(y - pad) * w - pad;
				int j;

				if (y < pad || y >= pad + h) {
					memset(r, 0, sizeof(float) * pw);
					continue;
				}
				for (j = 0; j < pw; j++)
					r[(j & 1) ? we + (j >> 1) : (j >> 1)] = j < pad || j >= pad + w ? 0 : src[j];
			}
		memset(ws + c * cplane, 0, sizeof(float) * KX_CONV3_SLACK);
	}
	for (t = 0; t < 9; t++) {
		int ky = t / 3, kx = t % 3;

		toff[t] = stride == 1 ? (long)ky * pw + kx : (long)ky * pw + (kx == 1 ? we : kx / 2);
	}
	for (y = 0; y < oh; y++) {
		const float *row = ws + (long)y * stride * pw;

		for (ob = 0; ob < m / 4; ob++) {
			const float *wp = packed + (long)ob * c * 36, *b = bias + ob * 4;
			float *o = out + (long)ob * 4 * oplane + (long)y * ow;

			if (stride == 1)
				kx_conv3_row(row, cplane, toff, c, wp, b, act, o, oplane, ow, 1, pw);
			else
				kx_conv3_row(row, cplane, toff, c, wp, b, act, o, oplane, ow, 0, pw);
		}
	}
}

void kx_pad_band(const float *in, int c, int h, int w, int pad, int y0, int rows, float *ws,
    long bplane)
{
	int pw = w + 2 * pad, k, ic;

	for (k = 0; k < rows; k++)
		for (ic = 0; ic < c; ic++) {
			float *d = ws + ic * bplane + (long)k * pw;
			int y = y0 + k;

			if (y < 0 || y >= h) {
				memset(d, 0, sizeof(float) * pw);
				continue;
			}
			memset(d, 0, sizeof(float) * pad);
			memcpy(d + pad, in + ((long)ic * h + y) * w, sizeof(float) * w);
			memset(d + pad + w, 0, sizeof(float) * pad);
		}
}

long kx_conv3_pool2_ws(int c, int h, int w, int pad, int m)
{
	long pw = w + 2 * pad, ow = pw - 2;

	(void)h;
	return (long)c * 4 * pw + KX_CONV3_SLACK + (long)m * 2 * ow + ow;
}

void kx_conv3_pool2(const float *in, int c, int h, int w, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws)
{
	int pw = w + 2 * pad, oh = h + 2 * pad - 2, ow = pw - 2, py, r, ob, ch;
	long bplane = 4L * pw, pplane = (long)qh * qw, toff[9] = { 0 };
	float *rows = ws + c * bplane + KX_CONV3_SLACK, *tmp = rows + (long)m * 2 * ow;

	memset(ws + c * bplane, 0, sizeof(float) * KX_CONV3_SLACK);
	for (py = 0; py < qh; py++) {
		int nr = oh - 2 * py < 2 ? oh - 2 * py : 2;

		/* the nr + 2 zero-padded input rows these output rows read (the
		 * whole padded input would be written and read back: 1.6 MB at
		 * face 360) ... */
		kx_pad_band(in, c, h, w, pad, 2 * py - pad, nr + 2, ws, bplane);
		/* ... two output rows of every channel, kept in cache ... */
		for (r = 0; r < nr; r++)
			for (ob = 0; ob < m / 4; ob++)
				kx_conv3_row(ws + (long)r * pw, bplane, toff, c, packed + (long)ob * c * 36,
				    bias + ob * 4, act, rows + (long)ob * 4 * 2 * ow + (long)r * ow, 2L * ow, ow,
				    1, pw);
		/* ... and pooled into one row of the pool's output */
		for (ch = 0; ch < m && nr > 0; ch++)
			kx_maxpool(rows + (long)ch * 2 * ow, nr, ow, 2, 2, 0, out + ch * pplane + (long)py * qw,
			    1, qw, tmp);
	}
}

#ifndef KX_FC_AHEAD
#define KX_FC_AHEAD 8
#endif

void kx_fc_pack(const float *w, int m, int n, float *packed)
{
	int ob, j, i;

	for (ob = 0; ob < (m + 63) / 64; ob++)
		for (j = 0; j < n; j++)
			for (i = 0; i < 64; i++)
				packed[((long)ob * n + j) * 64 + i] =
				    ob * 64 + i < m ? w[(long)(ob * 64 + i) * n + j] : 0;
}

void kx_fc_sparse(const float *packed, int m, int n, const float *x, const float *bias,
    float *out, int *nz)
{
	int k = 0, j, ob, v;

	for (j = 0; j < n; j++)
		if (x[j] != 0)
			nz[k++] = j;
	for (ob = 0; ob < (m + 63) / 64; ob++) {
		const float *wp = packed + (long)ob * n * 64;
		__m256 a[8];
		float acc[64];

#pragma GCC unroll 8
		for (v = 0; v < 8; v++)
			a[v] = _mm256_setzero_ps();
		for (j = 0; j < k; j++) {
			const float *col = wp + (long)nz[j] * 64;
			__m256 xv = _mm256_set1_ps(x[nz[j]]);

			if (j + KX_FC_AHEAD < k) {   /* scattered columns: no hardware prefetch */
				const char *f = (const char *)(wp + (long)nz[j + KX_FC_AHEAD] * 64);

				_mm_prefetch(f, _MM_HINT_T0);
				_mm_prefetch(f + 64, _MM_HINT_T0);
				_mm_prefetch(f + 128, _MM_HINT_T0);
				_mm_prefetch(f + 192, _MM_HINT_T0);
			}

#pragma GCC unroll 8
			for (v = 0; v < 8; v++)
				a[v] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(col + 8 * v), a[v]);
		}
#pragma GCC unroll 8
		for (v = 0; v < 8; v++)
			_mm256_storeu_ps(acc + 8 * v, a[v]);
		for (v = 0; v < 64 && ob * 64 + v < m; v++)
			out[ob * 64 + v] = acc[v] + bias[ob * 64 + v];
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

/* even elements of the 16 floats at p, in order */
static inline __m256 kx_even16(const float *p)
{
	__m256 t = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));

	return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* kx_depthwise_padded at stride 2, 8 outputs a vector (each tap's 16
 * inputs split to their even ones; it was scalar): person 416's 2x2
 * stride-2 resize layers, 128 channels to 26x26 and 13x13, 0.32-0.50 ->
 * 0.16-0.24 ms and 0.10-0.16 -> 0.065-0.097. A row's last vector reads
 * up to 15 floats past the row (the next row's, or the planes' zeroed
 * slack). */
static void kx_depthwise_s2(const float *pin, const long *off, const float *wv, int nz, int pw,
    float bias, enum kx_act act, float *out, int oh, int ow)
{
	int oy, ox, t;

	for (oy = 0; oy < oh; oy++) {
		const float *r = pin + (long)oy * 2 * pw;
		float *o = out + (long)oy * ow;

		for (ox = 0; ox < ow; ox += 8) {
			__m256 a = _mm256_set1_ps(bias);

			for (t = 0; t < nz; t++)
				a = _mm256_fmadd_ps(_mm256_set1_ps(wv[t]), kx_even16(r + off[t] + 2 * ox), a);
			kx_store8(o + ox, kx_act8(a, act), 0, ow - ox);
		}
	}
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
	if (stride == 2) {
		kx_depthwise_s2(pin, off, wv, nz, pw, bias, act, out, oh, ow);
		return;
	}
	if (stride != 1) {
		for (oy = 0; oy < oh; oy++) {
			const float *r = pin + (long)oy * stride * pw;
			float *o = out + (long)oy * ow;

			for (ox = 0; ox < ow; ox++) {
				float a = bias;

				for (t = 0; t < nz; t++)
					a += wv[t] * r[off[t] + (long)ox * stride];
				o[ox] = kx_act1(a, act);
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
			_mm256_storeu_ps(o + ox, kx_act8(a0, act));
			_mm256_storeu_ps(o + ox + 8, kx_act8(a1, act));
		}
		for (; ox < ow; ox += 8) {
			__m256 a0 = _mm256_set1_ps(bias);

			for (t = 0; t < nz; t++)
				a0 = _mm256_fmadd_ps(_mm256_set1_ps(wv[t]), _mm256_loadu_ps(r + off[t] + ox), a0);
			kx_store8(o + ox, kx_act8(a0, act), 0, ow - ox);
		}
	}
}

void kx_shortcut(const float *a, const float *b, float alpha, float beta, int n,
    enum kx_act act, float *out)
{
	__m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
	int i;

	/* alpha * a + beta * b, two roundings as darknet's s1*out + s2*add */
	for (i = 0; i + 8 <= n; i += 8)
		_mm256_storeu_ps(out + i, kx_act8(_mm256_add_ps(_mm256_mul_ps(va, _mm256_loadu_ps(a + i)),
		    _mm256_mul_ps(vb, _mm256_loadu_ps(b + i))), act));
	for (; i < n; i++) {
		float x = alpha * a[i], y = beta * b[i];

		out[i] = kx_act1(x + y, act);
	}
}
