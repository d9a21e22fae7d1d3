/* kernels_avx512 - the direct 3x3 stride-1 convolution (kernels_avx2.c's
 * kx_conv3 and kx_conv3_pool2) in AVX-512: tiles of 8 output channels x
 * 32 pixels (16 accumulators of the 32 vector registers; 4 channels where
 * m % 8 == 4), row tails by masked loads and stores. Same packed weights
 * (kx_conv3_pack), the same operations in the same order per output: bit
 * for bit kx_conv3's result. Built with -mavx512f -mavx512bw -mavx512vl
 * (mk/kernels.mk): call nothing here unless kernels_isa_cpu() is
 * KERNELS_AVX512 or more. */
#include <immintrin.h>
#include <string.h>

#include "kernels_avx512.h"

static inline __m512 kz_act(__m512 v, enum kx_act act)
{
	if (act == KX_LEAKY)
		return _mm512_max_ps(v, _mm512_mul_ps(v, _mm512_set1_ps(.1f)));
	if (act == KX_RELU)
		return _mm512_max_ps(v, _mm512_setzero_ps());
	return v;
}

/* J x 4 output channels (J 1 or 2; the second four's weights at wp +
 * wnext) x V (1 or 2) vectors of 16 pixels of one output row; lanes of
 * the last vector from n on are neither read nor written. Tap t of the
 * 3x3 window reads row + (t / 3) * pw + t % 3 (+ channel * cplane). */
static inline __attribute__((always_inline)) void kz_conv3_tile(const float *row, long cplane,
    int c, const float *wp, long wnext, const float *bias, enum kx_act act, float *o, long oplane,
    const int J, const int V, int n, long pw)
{
	__mmask16 last = (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1);
	__m512 a[8][2];
	int ic, t, j, v;

#pragma GCC unroll 8
	for (j = 0; j < 4 * J; j++)
#pragma GCC unroll 2
		for (v = 0; v < V; v++)
			a[j][v] = _mm512_set1_ps(bias[j]);
	for (ic = 0; ic < c; ic++) {
		const float *r = row + ic * cplane, *wk = wp + ic * 36;

#pragma GCC unroll 9
		for (t = 0; t < 9; t++, wk += 4) {
			const float *s = r + (t / 3) * pw + t % 3;
			__m512 in[2];

#pragma GCC unroll 2
			for (v = 0; v < V - 1; v++)
				in[v] = _mm512_loadu_ps(s + 16 * v);
			in[V - 1] = _mm512_maskz_loadu_ps(last, s + 16 * (V - 1));
#pragma GCC unroll 8
			for (j = 0; j < 4 * J; j++) {
				__m512 w = _mm512_set1_ps(j < 4 ? wk[j] : wk[wnext + j - 4]);

#pragma GCC unroll 2
				for (v = 0; v < V; v++)
					a[j][v] = _mm512_fmadd_ps(w, in[v], a[j][v]);
			}
		}
	}
#pragma GCC unroll 8
	for (j = 0; j < 4 * J; j++, o += oplane) {
#pragma GCC unroll 2
		for (v = 0; v < V - 1; v++)
			_mm512_storeu_ps(o + 16 * v, kz_act(a[j][v], act));
		_mm512_mask_storeu_ps(o + 16 * (V - 1), last, kz_act(a[j][V - 1], act));
	}
}

/* One output row of J x 4 channels: tiles of 32 pixels, the last one (16
 * or 32) cut short. */
static inline __attribute__((always_inline)) void kz_conv3_row4(const float *row, long cplane,
    int c, const float *wp, long wnext, const float *b, enum kx_act act, float *o, long oplane,
    int ow, long pw, const int J)
{
	int x;

	for (x = 0; x < ow;) {
		int rem = ow - x;

		if (rem > 16) {
			kz_conv3_tile(row + x, cplane, c, wp, wnext, b, act, o + x, oplane, J, 2,
			    rem >= 32 ? 16 : rem - 16, pw);
			x += 32;
		} else {
			kz_conv3_tile(row + x, cplane, c, wp, wnext, b, act, o + x, oplane, J, 1, rem, pw);
			x += 16;
		}
	}
}

/* one output row of all m channels (row stride of the planes pw, plane
 * cplane; output planes oplane apart) */
static void kz_conv3_row(const float *row, long cplane, int c, const float *packed,
    const float *bias, int m, enum kx_act act, float *o, long oplane, int ow, long pw)
{
	int ob;

	for (ob = 0; ob + 1 < m / 4; ob += 2)
		kz_conv3_row4(row, cplane, c, packed + (long)ob * c * 36, (long)c * 36, bias + ob * 4, act,
		    o + (long)ob * 4 * oplane, oplane, ow, pw, 2);
	if (ob < m / 4)
		kz_conv3_row4(row, cplane, c, packed + (long)ob * c * 36, 0, bias + ob * 4, act,
		    o + (long)ob * 4 * oplane, oplane, ow, pw, 1);
}

void kz_conv3(const float *in, int c, int h, int w, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, float *ws)
{
	int ph = h + 2 * pad, pw = w + 2 * pad, oh = ph - 2, ow = pw - 2, y;
	long cplane = (long)ph * pw, oplane = (long)oh * ow;

	kx_pad_planes(in, c, h, w, pad, ws);
	for (y = 0; y < oh; y++)
		kz_conv3_row(ws + (long)y * pw, cplane, c, packed, bias, m, act, out + (long)y * ow,
		    oplane, ow, pw);
}

void kz_conv3_pool2(const float *in, int c, int h, int w, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws)
{
	int pw = w + 2 * pad, oh = h + 2 * pad - 2, ow = pw - 2, py, r, ch;
	long bplane = 4L * pw, pplane = (long)qh * qw;
	float *rows = ws + c * bplane + KX_CONV3_SLACK, *tmp = rows + (long)m * 2 * ow;

	for (py = 0; py < qh; py++) {
		int nr = oh - 2 * py < 2 ? oh - 2 * py : 2;

		/* the nr + 2 zero-padded input rows these output rows read,
		 * two output rows of every channel, kept in cache, pooled into
		 * one row of the pool's output (kx_conv3_pool2) */
		kx_pad_band(in, c, h, w, pad, 2 * py - pad, nr + 2, ws, bplane);
		for (r = 0; r < nr; r++)
			kz_conv3_row(ws + (long)r * pw, bplane, c, packed, bias, m, act,
			    rows + (long)r * ow, 2L * ow, ow, pw);
		for (ch = 0; ch < m && nr > 0; ch++)
			kx_maxpool(rows + (long)ch * 2 * ow, nr, ow, 2, 2, 0, out + ch * pplane + (long)py * qw,
			    1, qw, tmp);
	}
}
