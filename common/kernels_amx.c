/* kernels_amx - stride-1 convolutions on AMX bf16 tiles with fp32 sums
 * (see kernels_amx.h). The tile and AVX-512 code is compiled for those
 * instructions by target attributes on its functions alone, so the rest
 * of the file (the CPU and OS checks) runs on any x86-64. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_amx.h"
#include "kernels_priv.h"

/* libdarknet's, not declared in darknet.h */
void forward_convolutional_layer(layer l, network net);

#if defined(__x86_64__) && ((defined(__clang__) && __clang_major__ >= 12) || \
    (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define KAMX_BUILT 1
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#define KAMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16")))
#else
#define KAMX_BUILT 0
#endif

#define ARCH_GET_XCOMP_PERM 0x1022
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA  18

/* Rows of a band: about KAMX_BAND_PX flattened pixels a band, so a
 * band's sums (16 filters x 64 bytes a pixel block) stay in L2. */
#define KAMX_BAND_PX 1024

struct kamx_conv {
	int n, c, size, pad;
	int taps;       /* filter taps a K step loop runs: size*size, 1 for im2col */
	int kc;         /* K steps of 32 per tap */
	int im2col;     /* 1: K = (channel, ky, kx), c*size*size <= 32 */
	int mb;         /* blocks of 16 filters, even (zero filters added) */
	int pool;       /* as a layer's: the index of the 2x2 maxpool fused into it, or 0 */
	float *bias;    /* mb*16, in this allocation */
	uint16_t *w;    /* [mb][taps][kc][16][32] bf16, in this allocation */
};

static pthread_once_t kamx_once = PTHREAD_ONCE_INIT;
static const char *kamx_reason = "not checked";

#if KAMX_BUILT
static void kamx_check(void)
{
	unsigned a, b, c, d;
	long perm = 0;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 22))) {
		kamx_reason = "the CPU has no AMX-TILE/AMX-BF16";
		return;
	}
	if (!(b & (1u << 16)) || !(b & (1u << 30))) {
		kamx_reason = "the CPU has no AVX512F/AVX512BW";
		return;
	}
	if (!__get_cpuid_count(7, 1, &a, &b, &c, &d) || !(a & (1u << 5))) {
		kamx_reason = "the CPU has no AVX512-BF16";
		return;
	}
	__get_cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 27))) {
		kamx_reason = "the OS has not enabled XSAVE";
		return;
	}
	__asm__ volatile ("xgetbv" : "=a" (a), "=d" (d) : "c" (0));
	/* opmask, ZMM halves, ZMM 16-31 (5-7); XTILECFG, XTILEDATA (17-18) */
	if ((a & 0xe0) != 0xe0 || (a & 0x60000) != 0x60000) {
		kamx_reason = "the OS does not save AVX-512/AMX state (XCR0)";
		return;
	}
	if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) {
		kamx_reason = errno == EPERM ? "the kernel refused AMX (arch_prctl: EPERM)" :
		    "the kernel refused AMX (arch_prctl ARCH_REQ_XCOMP_PERM failed)";
		return;
	}
	if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &perm) != 0 ||
	    !(perm & (1L << XFEATURE_XTILEDATA))) {
		kamx_reason = "the kernel did not grant AMX (ARCH_GET_XCOMP_PERM)";
		return;
	}
	kamx_reason = "";
}
#else
static void kamx_check(void)
{
	kamx_reason = "built without a compiler that knows AMX";
}
#endif

int kamx_usable(void)
{
	pthread_once(&kamx_once, kamx_check);
	return kamx_reason[0] == '\0';
}

const char *kamx_why(void)
{
	pthread_once(&kamx_once, kamx_check);
	return kamx_reason;
}

/* float to bf16, rounded to nearest even as VCVTNE2PS2BF16 does */
static uint16_t kamx_bf16(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((u >> 16) | 0x40);   /* quiet NaN */
	u += 0x7fffu + ((u >> 16) & 1u);
	return (uint16_t)(u >> 16);
}

struct kamx_conv *kamx_pack(const float *w, const float *bias, int n, int c, int size, int pad)
{
	int ss = size * size, im2col = c * ss <= 32;
	int taps = im2col ? 1 : ss, kc = im2col ? 1 : (c + 31) / 32, mb = ((n + 31) / 32) * 2;
	long nw = (long)mb * taps * kc * 512, hdr = (sizeof(struct kamx_conv) + 63) & ~63L;
	long nb = ((long)mb * 16 * sizeof(float) + 63) & ~63L;
	struct kamx_conv *p;
	int f, t, k, i;

	p = aligned_alloc(64, hdr + nb + nw * sizeof(uint16_t));
	if (p == NULL)
		return NULL;
	p->n = n;
	p->c = c;
	p->size = size;
	p->pad = pad;
	p->taps = taps;
	p->kc = kc;
	p->im2col = im2col;
	p->mb = mb;
	p->pool = 0;
	p->bias = (float *)((char *)p + hdr);
	p->w = (uint16_t *)((char *)p + hdr + nb);
	for (f = 0; f < mb * 16; f++)
		p->bias[f] = f < n ? bias[f] : 0.0f;
	memset(p->w, 0, nw * sizeof(uint16_t));
	for (f = 0; f < n; f++)
		for (t = 0; t < taps; t++)
			for (k = 0; k < kc * 32; k++) {
				/* tile (f/16, t, k/32), row f%16, column k%32 */
				long at = ((((long)(f / 16) * taps + t) * kc + k / 32) * 16 + f % 16) * 32 + k % 32;

				i = im2col ? k : k * ss + t;    /* darknet: [f][ch][ky][kx] */
				if (im2col ? k < c * ss : k < c)
					p->w[at] = kamx_bf16(w[(long)f * c * ss + i]);
			}
	return p;
}

/* The padded input as the tiles read it: Hp x Wp flattened, then slack
 * for the last pixel block's taps (zeros). */
struct kamx_geom {
	int hp, wp, oh, ow;
	long plane;     /* pixels a plane (a channel pair, or a padded channel) */
	int rows;       /* output rows a band */
	long qmax;      /* pixels of a band's sums, multiple of 32 */
};

static void kamx_geom(const struct kamx_conv *p, int h, int w, int pool, struct kamx_geom *g)
{
	g->hp = h + 2 * p->pad;
	g->wp = w + 2 * p->pad;
	g->oh = g->hp - p->size + 1;
	g->ow = g->wp - p->size + 1;
	g->plane = ((long)g->hp * g->wp + p->size + 32 + 15) & ~15L;
	g->rows = KAMX_BAND_PX / g->wp;
	if (g->rows < 2)
		g->rows = 2;
	if (pool)
		g->rows &= ~1;
	if (g->rows > g->oh)
		g->rows = g->oh;
	g->qmax = ((long)g->rows * g->wp + 31) & ~31L;
}

/* Scratch: the converted input (bf16 channel pairs; fp32 padded planes
 * for im2col, then the band's bf16 K rows), then the band's sums. */
static long kamx_in_bytes(const struct kamx_conv *p, const struct kamx_geom *g)
{
	long b = p->im2col ? (long)p->c * g->plane * 4 + 16L * g->qmax * 4 :
	    (long)p->kc * 16 * g->plane * 4;

	return (b + 63) & ~63L;
}

long kamx_scratch(const struct kamx_conv *p, int h, int w)
{
	struct kamx_geom g;

	kamx_geom(p, h, w, 0, &g);
	return 64 + kamx_in_bytes(p, &g) + (long)p->mb * 16 * g.qmax * 4;
}

#if KAMX_BUILT
/* Interleave two channels' 16 floats into 16 bf16 pairs (a in the low
 * half of each pair). */
KAMX_TARGET static inline __m512i kamx_pairs(__m512 a, __m512 b)
{
	const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
	    24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);

	/* cvtne2ps(b, a): elements 0-15 are a's, 16-31 b's */
	return _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(b, a));
}

/* Direct mode's input: channel pairs (2q, 2q+1) of the c x h x w planar
 * in, zero padded, as kc*16 planes of g->plane bf16 pairs. */
KAMX_TARGET static void kamx_convert(const struct kamx_conv *p, const float *in, int h, int w,
    const struct kamx_geom *g, uint32_t *dst)
{
	int pairs = p->kc * 16, q, y, x, pad = p->pad;

	for (q = 0; q < pairs; q++) {
		uint32_t *d = dst + (long)q * g->plane;
		const float *a = 2 * q < p->c ? in + (long)2 * q * h * w : NULL;
		const float *b = 2 * q + 1 < p->c ? in + (long)(2 * q + 1) * h * w : NULL;

		if (a == NULL) {
			memset(d, 0, g->plane * 4);
			continue;
		}
		memset(d, 0, ((long)pad * g->wp + pad) * 4);
		for (y = 0; y < h; y++) {
			uint32_t *row = d + (long)(y + pad) * g->wp + pad;

			for (x = 0; x < w; x += 16) {
				__mmask16 m = w - x >= 16 ? 0xffff : (__mmask16)((1u << (w - x)) - 1);
				__m512 va = _mm512_maskz_loadu_ps(m, a + (long)y * w + x);
				__m512 vb = b ? _mm512_maskz_loadu_ps(m, b + (long)y * w + x) : _mm512_setzero_ps();

				_mm512_mask_storeu_epi32(row + x, m, kamx_pairs(va, vb));
			}
			/* right pad of this row, left pad of the next */
			memset(row + w, 0, 2L * pad * 4);
		}
		memset(d + (long)(h + pad) * g->wp + pad, 0,
		    (g->plane - (long)(h + pad) * g->wp - pad) * 4);
	}
}

/* im2col mode's input, part one: the c channels zero padded, fp32. */
static void kamx_pad_planes(const struct kamx_conv *p, const float *in, int h, int w,
    const struct kamx_geom *g, float *dst)
{
	int ch, y;

	memset(dst, 0, (long)p->c * g->plane * 4);
	for (ch = 0; ch < p->c; ch++)
		for (y = 0; y < h; y++)
			memcpy(dst + (long)ch * g->plane + (long)(y + p->pad) * g->wp + p->pad,
			    in + ((long)ch * h + y) * w, (size_t)w * 4);
}

/* ...part two: the band's 32 K rows from q0 (pairs of K, qn pixels). */
KAMX_TARGET static void kamx_band_k(const struct kamx_conv *p, const float *pp,
    const struct kamx_geom *g, long q0, long qn, uint32_t *dst)
{
	int ss = p->size * p->size, r;
	long q;

	for (r = 0; r < 16; r++) {
		int k0 = 2 * r, k1 = 2 * r + 1;
		const float *a = k0 < p->c * ss ? pp + (long)(k0 / ss) * g->plane +
		    (k0 % ss / p->size) * g->wp + k0 % p->size + q0 : NULL;
		const float *b = k1 < p->c * ss ? pp + (long)(k1 / ss) * g->plane +
		    (k1 % ss / p->size) * g->wp + k1 % p->size + q0 : NULL;

		for (q = 0; q < qn; q += 16) {
			__m512 va = a ? _mm512_loadu_ps(a + q) : _mm512_setzero_ps();
			__m512 vb = b ? _mm512_loadu_ps(b + q) : _mm512_setzero_ps();

			_mm512_storeu_si512(dst + (long)r * qn + q, kamx_pairs(va, vb));
		}
	}
}

struct kamx_tilecfg {
	uint8_t palette, start;
	uint8_t reserved[14];
	uint16_t colsb[16];
	uint8_t rows[16];
};

/* The sums of one band: for each pair of filter blocks and each 32
 * pixels, 2 x 2 tiles of 16 x 16 (tiles 0-3), A (weights) in 4-5, B
 * (input) in 6-7. b: the band's first input pixel of K plane 0; bstride:
 * bytes between K planes; sums: [mb*16][qn] floats. */
KAMX_TARGET static void kamx_tiles(const struct kamx_conv *p, const uint32_t *b, long bstride,
    int wp, long qn, float *sums)
{
	long ss = qn * 4, kstep = 16 * bstride / 4, q;
	int mb, t, k;

	for (mb = 0; mb < p->mb; mb += 2) {
		const uint16_t *w0 = p->w + (long)mb * p->taps * p->kc * 512;
		const uint16_t *w1 = w0 + (long)p->taps * p->kc * 512;
		float *s0 = sums + (long)mb * 16 * qn, *s1 = s0 + 16 * qn;

		for (q = 0; q < qn; q += 32) {
			_tile_zero(0);
			_tile_zero(1);
			_tile_zero(2);
			_tile_zero(3);
			for (t = 0; t < p->taps; t++) {
				const uint32_t *bt = b + q + (p->im2col ? 0 : (t / p->size) * wp + t % p->size);

				for (k = 0; k < p->kc; k++) {
					long wk = ((long)t * p->kc + k) * 512;

					_tile_loadd(4, w0 + wk, 64);
					_tile_loadd(5, w1 + wk, 64);
					_tile_loadd(6, bt + k * kstep, bstride);
					_tile_loadd(7, bt + k * kstep + 16, bstride);
					_tile_dpbf16ps(0, 4, 6);
					_tile_dpbf16ps(1, 4, 7);
					_tile_dpbf16ps(2, 5, 6);
					_tile_dpbf16ps(3, 5, 7);
				}
			}
			_tile_stored(0, s0 + q, ss);
			_tile_stored(1, s0 + q + 16, ss);
			_tile_stored(2, s1 + q, ss);
			_tile_stored(3, s1 + q + 16, ss);
		}
	}
}

KAMX_TARGET static inline __m512 kamx_act(__m512 v, int act)
{
	if (act == KX_RELU)
		return _mm512_max_ps(v, _mm512_setzero_ps());
	if (act == KX_LEAKY)
		return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), v,
		    _mm512_set1_ps(0.1f));
	return v;
}

/* Output rows y0 .. y0+rows-1 from the band's sums: + bias, act. */
KAMX_TARGET static void kamx_write(const struct kamx_conv *p, const struct kamx_geom *g,
    const float *sums, long qn, int y0, int rows, int act, float *out)
{
	int f, r, x;

	for (f = 0; f < p->n; f++) {
		__m512 bias = _mm512_set1_ps(p->bias[f]);

		for (r = 0; r < rows; r++) {
			const float *s = sums + (long)f * qn + (long)r * g->wp;
			float *o = out + ((long)f * g->oh + y0 + r) * g->ow;

			for (x = 0; x < g->ow; x += 16) {
				__mmask16 m = g->ow - x >= 16 ? 0xffff : (__mmask16)((1u << (g->ow - x)) - 1);
				__m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, s + x), bias);

				_mm512_mask_storeu_ps(o + x, m, kamx_act(v, act));
			}
		}
	}
}

/* The same, pooled 2x2 stride 2 (darknet's maxpool, cells past the
 * output ignored): pooled rows y0/2 ...; act and bias after the max
 * (both keep order). */
KAMX_TARGET static void kamx_write_pool(const struct kamx_conv *p, const struct kamx_geom *g,
    const float *sums, long qn, int y0, int rows, int act, float *out)
{
	const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
	const __m512i od = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
	const __m512 ninf = _mm512_set1_ps(-INFINITY);
	int qh = (g->oh + 1) / 2, qw = (g->ow + 1) / 2, f, r, x;

	for (f = 0; f < p->n; f++) {
		__m512 bias = _mm512_set1_ps(p->bias[f]);

		for (r = 0; r < rows; r += 2) {
			const float *s = sums + (long)f * qn + (long)r * g->wp;
			float *o = out + ((long)f * qh + (y0 + r) / 2) * qw;
			int two = r + 1 < rows;

			for (x = 0; x < qw; x += 16) {
				int left = g->ow - 2 * x;
				__mmask16 lo = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
				__mmask16 hi = left >= 32 ? 0xffff : left <= 16 ? 0 :
				    (__mmask16)((1u << (left - 16)) - 1);
				__mmask16 m = qw - x >= 16 ? 0xffff : (__mmask16)((1u << (qw - x)) - 1);
				__m512 a0 = _mm512_mask_loadu_ps(ninf, lo, s + 2 * x);
				__m512 a1 = _mm512_mask_loadu_ps(ninf, hi, s + 2 * x + 16);

				if (two) {
					a0 = _mm512_max_ps(a0, _mm512_mask_loadu_ps(ninf, lo, s + g->wp + 2 * x));
					a1 = _mm512_max_ps(a1, _mm512_mask_loadu_ps(ninf, hi, s + g->wp + 2 * x + 16));
				}
				a0 = _mm512_max_ps(_mm512_permutex2var_ps(a0, ev, a1),
				    _mm512_permutex2var_ps(a0, od, a1));
				_mm512_mask_storeu_ps(o + x, m, kamx_act(_mm512_add_ps(a0, bias), act));
			}
		}
	}
}

KAMX_TARGET void kamx_run(const struct kamx_conv *p, const float *in, int h, int w, int act,
    int pool, float *out, void *ws)
{
	struct kamx_tilecfg cfg;
	struct kamx_geom g;
	uint32_t *inb;
	float *sums;
	int y0, i;

	ws = (void *)(((uintptr_t)ws + 63) & ~(uintptr_t)63);
	inb = ws;
	kamx_geom(p, h, w, pool, &g);
	sums = (float *)((char *)ws + kamx_in_bytes(p, &g));
	if (p->im2col)
		kamx_pad_planes(p, in, h, w, &g, (float *)ws);
	else
		kamx_convert(p, in, h, w, &g, inb);
	memset(&cfg, 0, sizeof(cfg));
	cfg.palette = 1;
	for (i = 0; i < 8; i++) {
		cfg.rows[i] = 16;
		cfg.colsb[i] = 64;
	}
	_tile_loadconfig(&cfg);
	for (y0 = 0; y0 < g.oh; y0 += g.rows) {
		int rows = g.oh - y0 < g.rows ? g.oh - y0 : g.rows;
		long q0 = (long)y0 * g.wp, qn = ((long)rows * g.wp + 31) & ~31L;

		if (p->im2col) {
			uint32_t *kb = (uint32_t *)((char *)ws + (long)p->c * g.plane * 4);

			kamx_band_k(p, (const float *)ws, &g, q0, qn, kb);
			kamx_tiles(p, kb, qn * 4, g.wp, qn, sums);
		} else {
			kamx_tiles(p, inb + q0, g.plane * 4, g.wp, qn, sums);
		}
		if (pool)
			kamx_write_pool(p, &g, sums, qn, y0, rows, act, out);
		else
			kamx_write(p, &g, sums, qn, y0, rows, act, out);
	}
	_tile_release();
}
#else
void kamx_run(const struct kamx_conv *p, const float *in, int h, int w, int act, int pool,
    float *out, void *ws)
{
	(void)p; (void)in; (void)h; (void)w; (void)act; (void)pool; (void)out; (void)ws;
	abort();   /* kamx_usable() said no: never called */
}
#endif

/* The darknet side: a covered convolution's packed weights live in its
 * l->x (darknet's batch-norm copy of the output, unused once kernels.c
 * folded batch-norm; free_layer frees it; resize_network touches it
 * only with batch_normalize). Packed again at every attach. */
static void kamx_forward(layer l, network net);

/* A 2x2 maxpool whose output kamx_forward writes: nothing left to do. */
static void kamx_pool_fused(layer l, network net)
{
	(void)l;
	(void)net;
}

int kamx_conv_attach(layer *l, const network *net)
{
	struct kamx_conv *p;

	(void)net;
	if (!kamx_usable() || l->type != CONVOLUTIONAL || l->stride != 1 || l->groups > 1 ||
	    l->batch != 1 || l->batch_normalize || l->size < 1 || l->out_w < 1 || l->out_h < 1 ||
	    l->out_w != l->w + 2 * l->pad - l->size + 1 || l->out_h != l->h + 2 * l->pad - l->size + 1)
		return 0;
	if ((p = kamx_pack(l->weights, l->biases, l->n, l->c, l->size, l->pad)) == NULL)
		return 0;
	free(l->x);
	l->x = (float *)p;
	l->forward = kamx_forward;
	return 1;
}

int kamx_ours(const layer *l)
{
	return l->forward == kamx_forward || l->forward == kamx_pool_fused;
}

int kamx_fused(const layer *l)
{
	return l->forward == kamx_forward && ((const struct kamx_conv *)l->x)->pool > 0;
}

void kamx_fuse_pools(network *net)
{
	int i;

	for (i = 0; i + 1 < net->n; i++) {
		layer *l = &net->layers[i], *q = &net->layers[i + 1];

		if (l->forward == kamx_forward && q->type == MAXPOOL && q->size == 2 && q->stride == 2 &&
		    q->pad / 2 == 0 && q->c == l->out_c && q->h == l->out_h && q->w == l->out_w &&
		    q->out_w == (l->out_w + 1) / 2 && q->out_h == (l->out_h + 1) / 2 &&
		    kernels_act_of(l->activation) >= 0 && !kernels_read_elsewhere(net, i)) {
			((struct kamx_conv *)l->x)->pool = i + 1;
			q->forward = kamx_pool_fused;
		}
	}
}

/* The fp32 path, for a workspace too small (a network resized by
 * darknet alone, not attached again): darknet's own forward (the layer
 * is batch-norm free once folded; kernels.c's kernels would need weights
 * packed at attach), then the fused pool. */
static void kamx_fallback(layer l, network net, const struct kamx_conv *p)
{
	layer q;
	int ch, y, x;

	forward_convolutional_layer(l, net);
	if (p->pool == 0)
		return;
	q = net.layers[p->pool];
	for (ch = 0; ch < q.c; ch++)
		for (y = 0; y < q.out_h; y++)
			for (x = 0; x < q.out_w; x++) {
				const float *s = l.output + ((long)ch * l.out_h + 2 * y) * l.out_w + 2 * x;
				float m = s[0];

				if (2 * x + 1 < l.out_w && s[1] > m)
					m = s[1];
				if (2 * y + 1 < l.out_h && s[l.out_w] > m)
					m = s[l.out_w];
				if (2 * x + 1 < l.out_w && 2 * y + 1 < l.out_h && s[l.out_w + 1] > m)
					m = s[l.out_w + 1];
				q.output[((long)ch * q.out_h + y) * q.out_w + x] = m;
			}
}

static void kamx_forward(layer l, network net)
{
	const struct kamx_conv *p = (const struct kamx_conv *)l.x;
	int act = kernels_act_of(l.activation);

	if (kamx_scratch(p, l.h, l.w) > kernels_ws_bytes(&net)) {
		kamx_fallback(l, net, p);
		return;
	}
	kamx_run(p, net.input, l.h, l.w, act, p->pool > 0,
	    p->pool > 0 ? net.layers[p->pool].output : l.output, net.workspace);
	if (act < 0)
		kernels_activate(l.output, l.outputs, l.activation);
}
