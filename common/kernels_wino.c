/* kernels_wino - Winograd F(2x2,3x3) convolution (see kernels_wino.h).
 *
 * Y = A^T [ (G g G^T) .* (B^T d B) ] A per 2x2 output tile, with
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
 *   G   = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1].
 * The sum over input channels of the element-wise products is, for each
 * of the 16 tile positions, a (filters x channels) by (channels x tiles)
 * matrix product. Tiles are numbered row by row over the whole plane and
 * taken 24 at a time (a panel): the input transform of the panel for
 * every channel (8 tiles per vector; a vector whose tiles end one tile
 * row and begin the next by one masked pass per row), then position by
 * position the products of every 4 filters by a 4 x 24 AVX2/FMA kernel
 * (the position's transformed input, c x 24, stays in L1 while the
 * weights stream by), into a buffer of m x 16 x 24 floats; then the
 * output transform with bias and activation. The input is first copied
 * into zero-padded rows, row by row across channels (kw_pad). */
#include <immintrin.h>
#include <string.h>

#include "kernels_act8.h"
#include "kernels_wino.h"

struct kw_geom {
	int oh, ow, th, tw, twp, ph, pw;
};

static void kw_geom(int h, int w, int pad, struct kw_geom *g)
{
	g->oh = h + 2 * pad - 2;
	g->ow = w + 2 * pad - 2;
	g->th = (g->oh + 1) / 2;
	g->tw = (g->ow + 1) / 2;
	g->twp = (g->tw + 7) & ~7;
	g->ph = 2 * g->th + 2;
	g->pw = 2 * g->twp + 2;
}

/* G g G^T of one 3x3 filter g, in double, to t16 (row-major 4x4) */
static void kw_filter(const float *g, float *t16)
{
	static const double G[4][3] = { { 1, 0, 0 }, { .5, .5, .5 }, { .5, -.5, .5 }, { 0, 0, 1 } };
	double t[4][3];
	int i, j, k;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 3; j++)
			for (t[i][j] = 0, k = 0; k < 3; k++)
				t[i][j] += G[i][k] * g[k * 3 + j];
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++) {
			double s = 0;

			for (k = 0; k < 3; k++)
				s += t[i][k] * G[j][k];
			t16[i * 4 + j] = (float)s;
		}
}

/* even and odd elements of the 16 floats a, b */
static inline __m256 kw_even(__m256 a, __m256 b)
{
	__m256 v = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));

	return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}

static inline __m256 kw_odd(__m256 a, __m256 b)
{
	__m256 v = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));

	return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* B^T d B of 8 tiles whose 4x4 inputs start at p (row stride pw, tiles 2
 * floats apart); V[k] goes to v + k * kstride, lanes lo .. nt-1 only. */
static inline void kw_in_tile8w(const float *p, long pw, float *v, long kstride, int lo, int nt)
{
	__m256 d[4][4], r[4][4];
	int i, j;

	for (i = 0; i < 4; i++) {
		const float *s = p + i * pw;
		__m256 a = _mm256_loadu_ps(s), b = _mm256_loadu_ps(s + 8);
		__m256 c2 = _mm256_loadu_ps(s + 2), e = _mm256_loadu_ps(s + 10);

		d[i][0] = kw_even(a, b);
		d[i][1] = kw_odd(a, b);
		d[i][2] = kw_even(c2, e);
		d[i][3] = kw_odd(c2, e);
	}
	for (j = 0; j < 4; j++) {
		r[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
		r[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
		r[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
		r[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
	}
	for (i = 0; i < 4; i++) {
		float *o = v + (long)(i * 4) * kstride;

		if (nt >= 8 && lo == 0) {
			_mm256_storeu_ps(o, _mm256_sub_ps(r[i][0], r[i][2]));
			_mm256_storeu_ps(o + kstride, _mm256_add_ps(r[i][1], r[i][2]));
			_mm256_storeu_ps(o + 2 * kstride, _mm256_sub_ps(r[i][2], r[i][1]));
			_mm256_storeu_ps(o + 3 * kstride, _mm256_sub_ps(r[i][1], r[i][3]));
		} else {   /* the row's last tiles: the next row's follow at once */
			kx_store8(o, _mm256_sub_ps(r[i][0], r[i][2]), lo, nt);
			kx_store8(o + kstride, _mm256_add_ps(r[i][1], r[i][2]), lo, nt);
			kx_store8(o + 2 * kstride, _mm256_sub_ps(r[i][2], r[i][1]), lo, nt);
			kx_store8(o + 3 * kstride, _mm256_sub_ps(r[i][1], r[i][3]), lo, nt);
		}
	}
}

/* floats lo .. n-1 (of 16) of v0 then v1 to o + lo .. o + n-1 */
static inline void kw_store16w(float *o, __m256 v0, __m256 v1, int lo, int n)
{
	if (lo < 8)
		kx_store8(o, v0, lo, n);
	if (n > 8)
		kx_store8(o + 8, v1, lo - 8, n - 8);
}

/* A^T M A + bias, act, of 8 tiles whose products are at mp + k * kstride:
 * y[0], y[1] the tiles' first output row (columns 0, 1), y[2], y[3] the
 * second (only when rows2 > 1) */
static inline __attribute__((always_inline)) void kw_out_y(const float *mp, long kstride,
    float bias, enum kx_act act, int rows2, __m256 y[4])
{
	__m256 s0[4], s1[4], b = _mm256_set1_ps(bias);
	int j;

	for (j = 0; j < 4; j++) {
		__m256 m0 = _mm256_loadu_ps(mp + (long)j * kstride);
		__m256 m1 = _mm256_loadu_ps(mp + (long)(4 + j) * kstride);
		__m256 m2 = _mm256_loadu_ps(mp + (long)(8 + j) * kstride);
		__m256 m3 = _mm256_loadu_ps(mp + (long)(12 + j) * kstride);

		s0[j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
		s1[j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
	}
	y[0] = kx_act8(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0[0], s0[1]), s0[2]), b), act);
	y[1] = kx_act8(_mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s0[1], s0[2]), s0[3]), b), act);
	if (rows2 > 1) {
		y[2] = kx_act8(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s1[0], s1[1]), s1[2]), b), act);
		y[3] = kx_act8(_mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s1[1], s1[2]), s1[3]), b), act);
	}
}

/* kw_out_y's outputs to o (row stride ow), columns c0 .. n-1 and rows2
 * (1 or 2) rows of them. */
static inline void kw_out_tile8w(const float *mp, long kstride, float bias, enum kx_act act,
    float *o, int ow, int c0, int n, int rows2)
{
	__m256 y[4];
	int r;

	kw_out_y(mp, kstride, bias, act, rows2, y);
	for (r = 0; r < rows2; r++) {
		__m256 lo = _mm256_unpacklo_ps(y[2 * r], y[2 * r + 1]);
		__m256 hi = _mm256_unpackhi_ps(y[2 * r], y[2 * r + 1]);

		kw_store16w(o + (long)r * ow, _mm256_permute2f128_ps(lo, hi, 0x20),
		    _mm256_permute2f128_ps(lo, hi, 0x31), c0, n);
	}
}

/* kw_out_y's four outputs of each tile pooled (max) into one: the 2x2
 * stride-2 maxpool of the output, tile t at o[t] for lanes t0 .. t1-1;
 * rows2 1: the tile's second row is past the output; lanes from c1 on:
 * their second column is. */
static inline void kw_out_tile8p(const float *mp, long kstride, float bias, enum kx_act act,
    float *o, int t0, int t1, int rows2, int c1)
{
	__m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	__m256 c2 = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(c1), idx)), y[4], r;

	kw_out_y(mp, kstride, bias, act, rows2, y);
	r = _mm256_max_ps(y[0], _mm256_blendv_ps(y[0], y[1], c2));
	if (rows2 > 1)
		r = _mm256_max_ps(r, _mm256_max_ps(y[2], _mm256_blendv_ps(y[2], y[3], c2)));
	kx_store8(o, r, t0, t1);
}

/* the c input planes, zero-padded to ph x pw with the image at (pad,
 * pad), row by row: row y of channel ic at p + (y * c + ic) * pw (the
 * rows a panel reads, all channels', are then one stream in memory, not
 * 4 x c short ones) */
static void kw_pad(const float *in, int c, int h, int w, int pad, const struct kw_geom *g, float *p)
{
	kw_pad_rows(in, c, h, w, pad, g->ph, g->pw, p);
}

void kw_pad_rows(const float *in, int c, int h, int w, int pad, int ph, int pw, float *p)
{
	int ic, y, x;

	/* zeros only where the image is not: zeroing it all first, then
	 * copying over, wrote the plane twice (face 360's 32 -> 64 layer:
	 * 4.2 MB, past the L2) */
	for (y = 0; y < ph; y++) {
		float *r = p + (long)y * c * pw;

		if (y < pad || y >= pad + h) {
			memset(r, 0, sizeof(float) * c * pw);
			continue;
		}
		for (ic = 0; ic < c; ic++, r += pw) {
			for (x = 0; x < pad; x++)
				r[x] = 0;
			memcpy(r + pad, in + ((long)ic * h + y - pad) * w, sizeof(float) * w);
			for (x = pad + w; x < pw; x++)
				r[x] = 0;
		}
	}
	memset(p + (long)c * ph * pw, 0, sizeof(float) * 16);
}

/* Tiles per panel: 3 vectors of the 4 x 24 product kernel. */
#define KW_PANEL 24

/* Floats from one position's transformed input to the next: 16 more
 * than c panels, so that the input transform's 16 stores of a vector do
 * not all fall in one L1 set (c * 96 bytes is a multiple of 4 KB for
 * many c: measured 17% of the time in the transform without it). */
#define KW_VSTRIDE(c) ((long)(c) * KW_PANEL + 16)

void kw_pack(const float *w, int m, int c, float *u)
{
	float t[16];
	int o, ic, k;

	for (o = 0; o < m; o++)
		for (ic = 0; ic < c; ic++) {
			kw_filter(w + ((long)o * c + ic) * 9, t);
			for (k = 0; k < 16; k++)
				u[(((long)k * (m / 4) + o / 4) * c + ic) * 4 + o % 4] = t[k];
		}
}

long kw_scratch(int c, int h, int w, int pad, int m)
{
	struct kw_geom g;

	kw_geom(h, w, pad, &g);
	return (long)c * (g.th * 2 + 2) * (g.tw * 2 + 2) + 16 * KW_VSTRIDE(c) + 16L * m * KW_PANEL + 48;
}

/* mb[j][24] = sum over c of u[c][j] * v[c][24], j < 4, NV vectors */
static inline __attribute__((always_inline)) void kw_gemm4(const float *v, const float *u, int c,
    float *mb, const int NV)
{
	__m256 a[4][3];
	int ic, j, x;

#pragma GCC unroll 4
	for (j = 0; j < 4; j++)
#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			a[j][x] = _mm256_setzero_ps();
	for (ic = 0; ic < c; ic++, v += KW_PANEL, u += 4) {
		__m256 in[3];

#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			in[x] = _mm256_loadu_ps(v + 8 * x);
#pragma GCC unroll 4
		for (j = 0; j < 4; j++) {
			__m256 w = _mm256_broadcast_ss(u + j);

#pragma GCC unroll 3
			for (x = 0; x < NV; x++)
				a[j][x] = _mm256_fmadd_ps(w, in[x], a[j][x]);
		}
	}
#pragma GCC unroll 4
	for (j = 0; j < 4; j++)
#pragma GCC unroll 3
		for (x = 0; x < NV; x++)
			_mm256_storeu_ps(mb + j * KW_PANEL + 8 * x, a[j][x]);
}

/* the input transform of tiles q0 .. q0+nt-1 of every channel into v
 * ([16][c][KW_PANEL], positions KW_VSTRIDE apart); 8 tiles per vector, those of a vector in two or
 * more tile rows by one masked pass per row (lane i of a pass reads the
 * tile i places before or after that row's first, inside the padded
 * planes or their slack). */
static void kw_panel_in(const float *pin, int c, const struct kw_geom *g, int q0, int nt, float *v)
{
	long kstride = KW_VSTRIDE(c);
	int ic, q, k;

	for (ic = 0; ic < c; ic++) {
		const float *plane = pin + (long)ic * g->pw;
		long rs = (long)c * g->pw;   /* row stride (kw_pad) */
		float *vc = v + (long)ic * KW_PANEL;

		for (q = 0; q < KW_PANEL; q += 8) {
			int ng = nt - q > 8 ? 8 : nt - q, ty = (q0 + q) / g->tw, tx = (q0 + q) % g->tw, i;

			if (ng <= 0) {
				for (k = 0; k < 16; k++)
					memset(vc + k * kstride + q, 0, sizeof(float) * 8);
				continue;
			}
			for (i = 0; i < ng; ty++, tx = 0) {
				int seg = g->tw - tx < ng - i ? g->tw - tx : ng - i;

				kw_in_tile8w(plane + 2 * ty * rs + 2 * (tx - i), rs, vc + q, kstride,
				    i, i + seg);
				i += seg;
			}
		}
	}
}

/* the output transform of 4 channels' products mb ([16][4][KW_PANEL])
 * for tiles q0 .. q0+nt-1 (a vector's tiles in two or more rows: one
 * masked store per row); qh 0: into the output, else into its 2x2
 * stride-2 maxpool (qh x qw, qh = th or oh / 2, likewise qw) */
static void kw_panel_out(const float *mb, int q0, int nt, const struct kw_geom *g, const float *bias,
    enum kx_act act, float *out, int qh, int qw)
{
	long plane = qh > 0 ? (long)qh * qw : (long)g->oh * g->ow;
	int j, q, i;

	for (j = 0; j < 4; j++, out += plane)
		for (q = 0; q < nt; q += 8) {
			int ng = nt - q > 8 ? 8 : nt - q, ty = (q0 + q) / g->tw, tx = (q0 + q) % g->tw;

			for (i = 0; i < ng; ty++, tx = 0) {
				int seg = g->tw - tx < ng - i ? g->tw - tx : ng - i;
				int cols = g->ow - 2 * tx < 2 * seg ? g->ow - 2 * tx : 2 * seg;
				int segq = qw - tx < seg ? qw - tx : seg;
				const float *mp = mb + j * KW_PANEL + q;

				if (qh == 0)
					kw_out_tile8w(mp, 4 * KW_PANEL, bias[j], act,
					    out + (long)2 * ty * g->ow + 2 * (tx - i), g->ow, 2 * i, 2 * i + cols,
					    2 * ty + 1 < g->oh ? 2 : 1);
				else if (ty < qh && segq > 0)
					kw_out_tile8p(mp, 4 * KW_PANEL, bias[j], act, out + (long)ty * qw + (tx - i),
					    i, i + segq, 2 * ty + 1 < g->oh ? 2 : 1, g->ow / 2 - tx + i);
				i += seg;
			}
		}
}

static void kw_conv3_any(const float *in, int c, int h, int w, int pad, const float *u,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws);

void kw_conv3(const float *in, int c, int h, int w, int pad, const float *u, const float *bias,
    int m, enum kx_act act, float *out, float *ws)
{
	kw_conv3_any(in, c, h, w, pad, u, bias, m, act, out, 0, 0, ws);
}

void kw_conv3_pool2(const float *in, int c, int h, int w, int pad, const float *u,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws)
{
	kw_conv3_any(in, c, h, w, pad, u, bias, m, act, out, qh, qw, ws);
}

/* qh 0: the convolution's output; else its pool's */
static void kw_conv3_any(const float *in, int c, int h, int w, int pad, const float *u,
    const float *bias, int m, enum kx_act act, float *out, int qh, int qw, float *ws)
{
	struct kw_geom g;
	float *pin = ws + 16, *v, *mb;   /* (slack before: kw_panel_in) */
	long oplane, msize = 16L * 4 * KW_PANEL;
	int nq, q0, ob, k;

	kw_geom(h, w, pad, &g);
	g.twp = g.tw;
	g.pw = 2 * g.tw + 2;
	oplane = (long)g.oh * g.ow;
	nq = g.th * g.tw;
	v = pin + (long)c * g.ph * g.pw + 16;
	mb = v + 16 * KW_VSTRIDE(c);
	kw_pad(in, c, h, w, pad, &g, pin);
	for (q0 = 0; q0 < nq; q0 += KW_PANEL) {
		int nt = nq - q0 < KW_PANEL ? nq - q0 : KW_PANEL;

		kw_panel_in(pin, c, &g, q0, nt, v);
		/* position by position: its transformed input (c x 24) stays
		 * in L1 while the weights stream by */
		for (k = 0; k < 16; k++) {
			const float *vk = v + k * KW_VSTRIDE(c);

			for (ob = 0; ob < m / 4; ob++) {
				const float *uk = u + ((long)k * (m / 4) + ob) * c * 4;
				float *mk = mb + ob * msize + k * 4 * KW_PANEL;

				if (nt > 16)
					kw_gemm4(vk, uk, c, mk, 3);
				else if (nt > 8)
					kw_gemm4(vk, uk, c, mk, 2);
				else
					kw_gemm4(vk, uk, c, mk, 1);
			}
		}
		for (ob = 0; ob < m / 4; ob++)
			kw_panel_out(mb + ob * msize, q0, nt, &g, bias + ob * 4, act,
			    out + (long)ob * 4 * (qh > 0 ? (long)qh * qw : oplane), qh, qw);
	}
}
