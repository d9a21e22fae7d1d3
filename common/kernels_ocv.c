/* kernels_ocv - direct 3x3 convolution with output channels in the
 * vector lanes (see kernels_ocv.h): a tile is P pixels of one output row
 * times 16 (or 8) output channels, P x 2 accumulators; per input channel
 * and tap, 2 weight vectors are loaded and each pixel broadcast once. The
 * pixel's address is a constant offset from the row's, whatever the
 * stride, so any plane width and stride 2 keep every lane busy (the
 * pixel-vector kernel of kernels_avx2.c wastes lanes on narrow rows and
 * reads strided inputs through a split copy). Built with -mavx2 -mfma. */
#include <immintrin.h>

#include "kernels_act8.h"
#include "kernels_ocv.h"

/* Input rows (all channels) per block: the block's padded rows are read
 * once per 16 output channels, so they should stay in L2. */
#define KO_BLOCK_BYTES (192L * 1024)

void ko_pack(const float *w, int m, int c, float *packed)
{
	int ob, ic, t, j;

	for (ob = 0; ob < m; ob += 16) {
		int bw = m - ob < 16 ? m - ob : 16;

		for (ic = 0; ic < c; ic++)
			for (t = 0; t < 9; t++)
				for (j = 0; j < bw; j++)
					packed[(long)ob * c * 9 + ((long)ic * 9 + t) * bw + j] =
					    w[((long)(ob + j) * c + ic) * 9 + t];
	}
}

/* P pixels (stride S apart in the padded row at r) x NV*8 output
 * channels; np of the P pixels are stored, to out + j * oplane for
 * channel j of the block. wb: [c][9][NV*8]. */
static inline __attribute__((always_inline)) void ko_tile(const float *r, long cplane,
    const long *toff, int c, const float *wb, const float *bias, enum kx_act act, float *out,
    long oplane, const int P, const int NV, const int S, int np)
{
	__m256 a[6][2], w0, w1 = _mm256_setzero_ps();
	float tmp[6][16];
	int ic, t, p, j;

#pragma GCC unroll 6
	for (p = 0; p < P; p++) {
		a[p][0] = _mm256_loadu_ps(bias);
		if (NV > 1)
			a[p][1] = _mm256_loadu_ps(bias + 8);
	}
	for (ic = 0; ic < c; ic++, r += cplane) {
#pragma GCC unroll 9
		for (t = 0; t < 9; t++, wb += NV * 8) {
			const float *s = r + toff[t];

			w0 = _mm256_loadu_ps(wb);
			if (NV > 1)
				w1 = _mm256_loadu_ps(wb + 8);
#pragma GCC unroll 6
			for (p = 0; p < P; p++) {
				__m256 x = _mm256_broadcast_ss(s + p * S);

				a[p][0] = _mm256_fmadd_ps(w0, x, a[p][0]);
				if (NV > 1)
					a[p][1] = _mm256_fmadd_ps(w1, x, a[p][1]);
			}
		}
	}
#pragma GCC unroll 6
	for (p = 0; p < P; p++) {
		_mm256_storeu_ps(tmp[p], kx_act8(a[p][0], act));
		if (NV > 1)
			_mm256_storeu_ps(tmp[p] + 8, kx_act8(a[p][1], act));
	}
	for (j = 0; j < NV * 8; j++, out += oplane)
		for (p = 0; p < np; p++)
			out[p] = tmp[p][j];
}

/* One output row of one block of output channels: tiles of 6 pixels,
 * then the rest by 4, 2, 1. */
static inline __attribute__((always_inline)) void ko_row(const float *r, long cplane,
    const long *toff, int c, const float *wb, const float *bias, enum kx_act act, float *out,
    long oplane, int ow, const int NV, const int S)
{
	int x = 0;

	for (; x + 6 <= ow; x += 6)
		ko_tile(r + x * S, cplane, toff, c, wb, bias, act, out + x, oplane, 6, NV, S, 6);
	if (ow - x >= 4) {
		ko_tile(r + x * S, cplane, toff, c, wb, bias, act, out + x, oplane, 4, NV, S, 4);
		x += 4;
	}
	if (ow - x >= 2) {
		ko_tile(r + x * S, cplane, toff, c, wb, bias, act, out + x, oplane, 2, NV, S, 2);
		x += 2;
	}
	if (ow - x >= 1)
		ko_tile(r + x * S, cplane, toff, c, wb, bias, act, out + x, oplane, 1, NV, S, 1);
}

static void ko_row_any(const float *r, long cplane, const long *toff, int c, const float *wb,
    const float *bias, enum kx_act act, float *out, long oplane, int ow, int bw, int stride)
{
	if (bw == 16 && stride == 1)
		ko_row(r, cplane, toff, c, wb, bias, act, out, oplane, ow, 2, 1);
	else if (bw == 16)
		ko_row(r, cplane, toff, c, wb, bias, act, out, oplane, ow, 2, 2);
	else if (stride == 1)
		ko_row(r, cplane, toff, c, wb, bias, act, out, oplane, ow, 1, 1);
	else
		ko_row(r, cplane, toff, c, wb, bias, act, out, oplane, ow, 1, 2);
}

void ko_conv3(const float *in, int c, int h, int w, int stride, int pad, const float *packed,
    const float *bias, int m, enum kx_act act, float *out, float *ws)
{
	int ph = h + 2 * pad, pw = w + 2 * pad, oh = (ph - 3) / stride + 1, ow = (pw - 3) / stride + 1;
	long cplane = (long)ph * pw, oplane = (long)oh * ow, toff[9], rowbytes;
	int rows, y0, y, ob, t;

	kx_pad_planes(in, c, h, w, pad, ws);
	for (t = 0; t < 9; t++)
		toff[t] = (long)(t / 3) * pw + t % 3;
	rowbytes = (long)c * stride * pw * (long)sizeof(float);
	rows = (int)(KO_BLOCK_BYTES / (rowbytes > 0 ? rowbytes : 1));
	if (rows < 1)
		rows = 1;
	for (y0 = 0; y0 < oh; y0 += rows) {
		int y1 = y0 + rows < oh ? y0 + rows : oh;

		for (ob = 0; ob < m; ob += 16) {
			int bw = m - ob < 16 ? m - ob : 16;
			const float *wb = packed + (long)ob * c * 9;

			for (y = y0; y < y1; y++)
				ko_row_any(ws + (long)y * stride * pw, cplane, toff, c, wb, bias + ob, act,
				    out + (long)ob * oplane + (long)y * ow, oplane, ow, bw, stride);
		}
	}
}
