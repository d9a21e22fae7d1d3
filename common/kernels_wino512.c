/* kernels_wino512 - Winograd F(2x2,3x3) convolution in AVX-512 (see
 * kernels_wino512.h): kernels_wino.c's algorithm with 16 tiles per vector
 * and panels of 48 tiles, the products 8 filters x 48 tiles at a time
 * (24 of the 32 vector registers accumulate), and masked stores where a
 * vector's tiles end a tile row (cheap on the Intel cores that have
 * AVX-512, unlike Zen 3's AVX2 ones). Same packed weights (kw_pack), the
 * same operations in the same order per output: the result is bit for bit
 * kw_conv3's. Built with -mavx512f -mavx512bw -mavx512vl (mk/kernels.mk):
 * call nothing here unless kernels_isa_cpu() is KERNELS_AVX512 or more. */
#include <immintrin.h>
#include <string.h>

#include "kernels_wino512.h"

/* Tiles per panel: 3 vectors of the 8 x 48 product kernel. */
#define KZ_PANEL 48

/* Floats from one position's transformed input to the next (16 more than
 * c panels: the transform's 16 stores of a vector in different L1 sets). */
#define KZ_VSTRIDE(c) ((long)(c) * KZ_PANEL + 16)

/* Floats of slack before and after the padded planes: a pass over a
 * row's last tiles reads (masked-off) lanes up to 15 tiles before and
 * after them. */
#define KZ_SLACK 64

struct kz_geom {
	int oh, ow, th, tw, ph, pw;
};

static void kz_geom(int h, int w, int pad, struct kz_geom *g)
{
	g->oh = h + 2 * pad - 2;
	g->ow = w + 2 * pad - 2;
	g->th = (g->oh + 1) / 2;
	g->tw = (g->ow + 1) / 2;
	g->ph = 2 * g->th + 2;
	g->pw = 2 * g->tw + 2;
}

static inline __m512 kz_act16(__m512 v, enum kx_act act)
{
	if (act == KX_LEAKY)
		return _mm512_max_ps(v, _mm512_mul_ps(v, _mm512_set1_ps(.1f)));
	if (act == KX_RELU)
		return _mm512_max_ps(v, _mm512_setzero_ps());
	return v;
}

/* lanes lo .. hi-1 (clipped to 0 .. 16) */
static inline __mmask16 kz_mask(int lo, int hi)
{
	unsigned m;

	lo = lo < 0 ? 0 : lo;
	hi = hi > 16 ? 16 : hi;
	if (hi <= lo)
		return 0;
	m = (hi - lo == 16 ? 0xffffu : ((1u << (hi - lo)) - 1)) << lo;
	return (__mmask16)m;
}

/* B^T d B of 16 tiles whose 4x4 inputs start at p (row stride pw, tiles
 * 2 floats apart); V[k] goes to v + k * kstride, lanes lo .. nt-1 only. */
static inline void kz_in_tile16(const float *p, long pw, float *v, long kstride, int lo, int nt)
{
	const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
	const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
	__mmask16 k = kz_mask(lo, nt);
	__m512 d[4][4], r[4][4];
	int i, j;

	for (i = 0; i < 4; i++) {
		const float *s = p + i * pw;
		__m512 a = _mm512_loadu_ps(s), b = _mm512_loadu_ps(s + 16);
		__m512 c2 = _mm512_loadu_ps(s + 2), e = _mm512_loadu_ps(s + 18);

		d[i][0] = _mm512_permutex2var_ps(a, ev, b);
		d[i][1] = _mm512_permutex2var_ps(a, od, b);
		d[i][2] = _mm512_permutex2var_ps(c2, ev, e);
		d[i][3] = _mm512_permutex2var_ps(c2, od, e);
	}
	for (j = 0; j < 4; j++) {
		r[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
		r[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
		r[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
		r[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
	}
	for (i = 0; i < 4; i++) {
		float *o = v + (long)(i * 4) * kstride;

		_mm512_mask_storeu_ps(o, k, _mm512_sub_ps(r[i][0], r[i][2]));
		_mm512_mask_storeu_ps(o + kstride, k, _mm512_add_ps(r[i][1], r[i][2]));
		_mm512_mask_storeu_ps(o + 2 * kstride, k, _mm512_sub_ps(r[i][2], r[i][1]));
		_mm512_mask_storeu_ps(o + 3 * kstride, k, _mm512_sub_ps(r[i][1], r[i][3]));
	}
}

/* A^T M A + bias, act, of 16 tiles whose products are at mp + k *
 * kstride: y[0], y[1] the tiles' first output row (columns 0, 1), y[2],
 * y[3] the second (only when rows2 > 1) */
static inline __attribute__((always_inline)) void kz_out_y(const float *mp, long kstride,
    float bias, enum kx_act act, int rows2, __m512 y[4])
{
	__m512 s0[4], s1[4], b = _mm512_set1_ps(bias);
	int j;

	for (j = 0; j < 4; j++) {
		__m512 m0 = _mm512_loadu_ps(mp + (long)j * kstride);
		__m512 m1 = _mm512_loadu_ps(mp + (long)(4 + j) * kstride);
		__m512 m2 = _mm512_loadu_ps(mp + (long)(8 + j) * kstride);
		__m512 m3 = _mm512_loadu_ps(mp + (long)(12 + j) * kstride);

		s0[j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
		s1[j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
	}
	y[0] = kz_act16(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0[0], s0[1]), s0[2]), b), act);
	y[1] = kz_act16(_mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(s0[1], s0[2]), s0[3]), b), act);
	if (rows2 > 1) {
		y[2] = kz_act16(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s1[0], s1[1]), s1[2]), b), act);
		y[3] = kz_act16(_mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(s1[1], s1[2]), s1[3]), b), act);
	}
}

/* kz_out_y's outputs to o (row stride ow), columns c0 .. n-1 of 32, rows2
 * (1 or 2) rows of them. */
static inline void kz_out_tile16w(const float *mp, long kstride, float bias, enum kx_act act,
    float *o, int ow, int c0, int n, int rows2)
{
	const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
	const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
	__mmask16 k0 = kz_mask(c0, n), k1 = kz_mask(c0 - 16, n - 16);
	__m512 y[4];
	int r;

	kz_out_y(mp, kstride, bias, act, rows2, y);
	for (r = 0; r < rows2; r++) {
		float *q = o + (long)r * ow;

		_mm512_mask_storeu_ps(q, k0, _mm512_permutex2var_ps(y[2 * r], lo, y[2 * r + 1]));
		if (k1)
			_mm512_mask_storeu_ps(q + 16, k1, _mm512_permutex2var_ps(y[2 * r], hi, y[2 * r + 1]));
	}
}

/* kz_out_y's four outputs of each tile pooled (max) into one: the 2x2
 * stride-2 maxpool of the output, tile t at o[t] for lanes t0 .. t1-1;
 * rows2 1: the tile's second row is past the output; lanes from c1 on:
 * their second column is. */
static inline void kz_out_tile16p(const float *mp, long kstride, float bias, enum kx_act act,
    float *o, int t0, int t1, int rows2, int c1)
{
	__mmask16 c2 = kz_mask(0, c1);
	__m512 y[4], r;

	kz_out_y(mp, kstride, bias, act, rows2, y);
	r = _mm512_max_ps(y[0], _mm512_mask_blend_ps(c2, y[0], y[1]));
	if (rows2 > 1)
		r = _mm512_max_ps(r, _mm512_max_ps(y[2], _mm512_mask_blend_ps(c2, y[2], y[3])));
	_mm512_mask_storeu_ps(o, kz_mask(t0, t1), r);
}

long kwz_scratch(int c, int h, int w, int pad, int m)
{
	struct kz_geom g;

	kz_geom(h, w, pad, &g);
	return (long)c * g.ph * g.pw + 2 * KZ_SLACK + 16 * KZ_VSTRIDE(c) + 16L * (m + 4) * KZ_PANEL +
	    64;
}

/* mb[j][48] = sum over c of u[j][c] * v[c][48] for 8 filters j (4 at u0,
 * 4 at u1, each [c][4]), NV vectors of 16 tiles */
static inline __attribute__((always_inline)) void kz_gemm8(const float *v, const float *u0,
    const float *u1, int c, float *mb, long mstride, const int NV)
{
	__m512 a[8][3];
	int ic, j, x;

#pragma GCC unroll 8
	for (j = 0; j < 8; j++)
#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			a[j][x] = _mm512_setzero_ps();
	for (ic = 0; ic < c; ic++, v += KZ_PANEL, u0 += 4, u1 += 4) {
		__m512 in[3];

#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			in[x] = _mm512_loadu_ps(v + 16 * x);
#pragma GCC unroll 8
		for (j = 0; j < 8; j++) {
			__m512 w = _mm512_set1_ps(j < 4 ? u0[j] : u1[j - 4]);

#pragma GCC unroll 3
			for (x = 0; x < NV; x++)
				a[j][x] = _mm512_fmadd_ps(w, in[x], a[j][x]);
		}
	}
#pragma GCC unroll 8
	for (j = 0; j < 8; j++)
#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			_mm512_storeu_ps(mb + (j / 4) * mstride + (j % 4) * KZ_PANEL + 16 * x, a[j][x]);
}

/* the same for 4 filters (the last 4 of m % 8 == 4) */
static inline __attribute__((always_inline)) void kz_gemm4(const float *v, const float *u, int c,
    float *mb, const int NV)
{
	__m512 a[4][3];
	int ic, j, x;

#pragma GCC unroll 4
	for (j = 0; j < 4; j++)
#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			a[j][x] = _mm512_setzero_ps();
	for (ic = 0; ic < c; ic++, v += KZ_PANEL, u += 4) {
		__m512 in[3];

#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			in[x] = _mm512_loadu_ps(v + 16 * x);
#pragma GCC unroll 4
		for (j = 0; j < 4; j++) {
			__m512 w = _mm512_set1_ps(u[j]);

#pragma GCC unroll 3
			for (x = 0; x < NV; x++)
				a[j][x] = _mm512_fmadd_ps(w, in[x], a[j][x]);
		}
	}
#pragma GCC unroll 4
	for (j = 0; j < 4; j++)
#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			_mm512_storeu_ps(mb + j * KZ_PANEL + 16 * x, a[j][x]);
}

/* the input transform of tiles q0 .. q0+nt-1 of every channel into v
 * ([16][c][KZ_PANEL], positions KZ_VSTRIDE apart); 16 tiles per vector,
 * those of a vector in two or more tile rows by one masked pass per row
 * (lane i of a pass reads the tile i places before or after that row's
 * first, inside the padded planes or their slack). */
static void kz_panel_in(const float *pin, int c, const struct kz_geom *g, int q0, int nt, float *v)
{
	long kstride = KZ_VSTRIDE(c), rs = (long)c * g->pw;   /* row stride (kw_pad_rows) */
	int ic, q, k;

	for (ic = 0; ic < c; ic++) {
		const float *plane = pin + (long)ic * g->pw;
		float *vc = v + (long)ic * KZ_PANEL;

		for (q = 0; q < KZ_PANEL; q += 16) {
			int ng = nt - q > 16 ? 16 : nt - q, ty = (q0 + q) / g->tw, tx = (q0 + q) % g->tw, i;

			if (ng <= 0) {
				for (k = 0; k < 16; k++)
					memset(vc + k * kstride + q, 0, sizeof(float) * 16);
				continue;
			}
			if (ng < 16)   /* the products read whole vectors */
				for (k = 0; k < 16; k++)
					memset(vc + k * kstride + q + ng, 0, sizeof(float) * (16 - ng));
			for (i = 0; i < ng; ty++, tx = 0) {
				int seg = g->tw - tx < ng - i ? g->tw - tx : ng - i;

				kz_in_tile16(plane + 2 * ty * rs + 2 * (tx - i), rs, vc + q, kstride,
				    i, i + seg);
				i += seg;
			}
		}
	}
}

/* the output transform of 4 channels' products mb ([16][4][KZ_PANEL]) for
 * tiles q0 .. q0+nt-1 (a vector's tiles in two or more rows: one masked
 * store per row); qh 0: into the output, else into its 2x2 stride-2
 * maxpool (qh x qw) */
static void kz_panel_out(const float *mb, int q0, int nt, const struct kz_geom *g, const float *bias,
    enum kx_act act, float *out, int qh, int qw)
{
	long plane = qh > 0 ? (long)qh * qw : (long)g->oh * g->ow;
	int j, q, i;

	for (j = 0; j < 4; j++, out += plane)
		for (q = 0; q < nt; q += 16) {
			int ng = nt - q > 16 ? 16 : nt - q, ty = (q0 + q) / g->tw, tx = (q0 + q) % g->tw;

			for (i = 0; i < ng; ty++, tx = 0) {
				int seg = g->tw - tx < ng - i ? g->tw - tx : ng - i;
				int cols = g->ow - 2 * tx < 2 * seg ? g->ow - 2 * tx : 2 * seg;
				int segq = qw - tx < seg ? qw - tx : seg;
				const float *mp = mb + j * KZ_PANEL + q;

				if (qh == 0)
					kz_out_tile16w(mp, 4 * KZ_PANEL, bias[j], act,
					    out + (long)2 * ty * g->ow + 2 * (tx - i), g->ow, 2 * i, 2 * i + cols,
					    2 * ty + 1 < g->oh ? 2 : 1);
				else if (ty < qh && segq > 0)
					kz_out_tile16p(mp, 4 * KZ_PANEL, bias[j], act, out + (long)ty * qw + (tx - i),
					    i, i + segq, 2 * ty + 1 < g->oh ? 2 : 1, g->ow / 2 - tx + i);
				i += seg;
			}
		}
}

/* qh 0: the convolution's output; else its pool's */
static void kz_conv3_any(const float *in, int c, int h, int w, int pad, const float *u,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws)
{
	struct kz_geom g;
	float *pin = ws + KZ_SLACK, *v, *mb;
	long oplane, msize = 16L * 4 * KZ_PANEL, psize;
	int nq, q0, ob, k;

	kz_geom(h, w, pad, &g);
	oplane = (long)g.oh * g.ow;
	nq = g.th * g.tw;
	psize = (long)c * g.ph * g.pw;
	v = pin + psize + KZ_SLACK;
	mb = v + 16 * KZ_VSTRIDE(c);
	memset(ws, 0, sizeof(float) * KZ_SLACK);
	kw_pad_rows(in, c, h, w, pad, g.ph, g.pw, pin);
	memset(pin + psize, 0, sizeof(float) * KZ_SLACK);
	for (q0 = 0; q0 < nq; q0 += KZ_PANEL) {
		int nt = nq - q0 < KZ_PANEL ? nq - q0 : KZ_PANEL;

		kz_panel_in(pin, c, &g, q0, nt, v);
		/* position by position: its transformed input (c x 48) stays
		 * in L1 while the weights stream by */
		for (k = 0; k < 16; k++) {
			const float *vk = v + k * KZ_VSTRIDE(c);

			for (ob = 0; ob + 1 < m / 4; ob += 2) {
				const float *uk = u + ((long)k * (m / 4) + ob) * c * 4;
				float *mk = mb + ob * msize + k * 4 * KZ_PANEL;

				if (nt > 32)
					kz_gemm8(vk, uk, uk + (long)c * 4, c, mk, msize, 3);
				else if (nt > 16)
					kz_gemm8(vk, uk, uk + (long)c * 4, c, mk, msize, 2);
				else
					kz_gemm8(vk, uk, uk + (long)c * 4, c, mk, msize, 1);
			}
			if (ob < m / 4) {
				const float *uk = u + ((long)k * (m / 4) + ob) * c * 4;
				float *mk = mb + ob * msize + k * 4 * KZ_PANEL;

				if (nt > 32)
					kz_gemm4(vk, uk, c, mk, 3);
				else if (nt > 16)
					kz_gemm4(vk, uk, c, mk, 2);
				else
					kz_gemm4(vk, uk, c, mk, 1);
			}
		}
		for (ob = 0; ob < m / 4; ob++)
			kz_panel_out(mb + ob * msize, q0, nt, &g, bias + ob * 4, act,
			    out + (long)ob * 4 * (qh > 0 ? (long)qh * qw : oplane), qh, qw);
	}
}

void kwz_conv3(const float *in, int c, int h, int w, int pad, const float *u, const float *bias,
    int m, enum kx_act act, float *out, float *ws)
{
	kz_conv3_any(in, c, h, w, pad, u, bias, m, act, out, 0, 0, ws);
}

void kwz_conv3_pool2(const float *in, int c, int h, int w, int pad, const float *u,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws)
{
	kz_conv3_any(in, c, h, w, pad, u, bias, m, act, out, qh, qw, ws);
}
