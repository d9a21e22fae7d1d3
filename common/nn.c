/* nn - the parts the network wrappers share: quiet darknet loading (with
 * gatewatch's kernels attached), TensorFlow-style bilinear resizing, box
 * sorting, IoU and NMS. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "kernels.h"
#include "kernels_amx.h"
#include "nn_priv.h"

static pthread_mutex_t nn_load_lock = PTHREAD_MUTEX_INITIALIZER;
/* nn.kernels: set once by main before any network loads, then only read */
static int nn_stock;
static int nn_amx;      /* nn.kernels amx asked for (kernels_isa() says if granted) */

/* nn.kernels' modes and the instruction set each caps our kernels at */
static const struct {
	const char *mode;
	int isa;
} nn_modes[] = {
	{ "auto", KERNELS_AMX }, { "avx512", KERNELS_AVX512 }, { "avx2", KERNELS_AVX2 },
	{ "stock", KERNELS_STOCK }, { "amx", KERNELS_AMX },
};

int nn_kernels_valid(const char *mode)
{
	size_t i;

	for (i = 0; i < sizeof(nn_modes) / sizeof(nn_modes[0]); i++)
		if (strcmp(mode, nn_modes[i].mode) == 0)
			return (int)i;
	return -EINVAL;
}

int nn_set_kernels(const char *mode)
{
	int i = nn_kernels_valid(mode);

	if (i < 0)
		return i;
	nn_stock = nn_modes[i].isa == KERNELS_STOCK;
	/* asked by name: auto also caps at AMX, but its fp32 path on a CPU or
	 * kernel without AMX is no refusal to report */
	nn_amx = strcmp(nn_modes[i].mode, "amx") == 0;
	if (!nn_stock)
		kernels_set_isa(nn_modes[i].isa);
	return 0;
}

const char *nn_kernels_name(void)
{
	static char why[160];

	if (!nn_stock && nn_amx && kernels_isa() != KERNELS_AMX) {
		/* asked for and refused: say why, once, in the daemons' ready line */
		snprintf(why, sizeof(why), "%s (nn.kernels amx refused: %s)",
		    kernels_isa_name(kernels_isa()), kamx_why());
		return why;
	}
	return nn_stock ? "stock" : kernels_available() ? kernels_isa_name(kernels_isa()) :
	    "auto (no AVX2/FMA: stock)";
}

void nn_resize(network *net, int w, int h)
{
	resize_network(net, w, h);
	if (kernels_attached(net))
		kernels_attach(net);
}

float *nn_predict(network *net, float *input)
{
	if (kernels_attached(net))
		return kernels_predict(net, input);
	return network_predict(net, input);
}

static int nn_check_file(const char *path, long min_size, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	if (size < min_size) {
		snprintf(err, errlen, "%s: too short (%ld bytes)", path, size);
		return -1;
	}
	return 0;
}

network *nn_load(const char *dir, const char *name, char *err, size_t errlen)
{
	char cfg[4096], weights[4096];
	network *net;
	int saved, devnull;

	if (snprintf(cfg, sizeof(cfg), "%s/%s.cfg", dir, name) >= (int)sizeof(cfg) ||
	    snprintf(weights, sizeof(weights), "%s/%s.weights", dir, name) >= (int)sizeof(weights)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return NULL;
	}
	if (nn_check_file(cfg, 8, err, errlen) < 0 || nn_check_file(weights, 20, err, errlen) < 0)
		return NULL;

	pthread_mutex_lock(&nn_load_lock);
	fflush(stderr);
	saved = dup(2);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && devnull >= 0)
		dup2(devnull, 2);
	net = load_network(cfg, weights, 0);
	fflush(stderr);
	if (saved >= 0 && devnull >= 0)
		dup2(saved, 2);
	if (saved >= 0)
		close(saved);
	if (devnull >= 0)
		close(devnull);
	pthread_mutex_unlock(&nn_load_lock);

	if (net == NULL) {
		snprintf(err, errlen, "%s: darknet could not load it", cfg);
		return NULL;
	}
	set_batch_network(net, 1);
	if (!nn_stock)
		kernels_attach(net);
	return net;
}

/* One source row of nn_resize_tf, interpolated along x for each channel:
 * h[c * dw + x] = tl + (tr - tl) * fx, as TF computes "top" and "bottom"
 * (row beyond the image: zeros). pad holds the row plus a zero pixel, so
 * columns beyond the image read zeros without a test. */
static void nn_resize_row(const struct image *im, int row, int dw, const int *ia, const int *ib,
    const float *fx, unsigned char *pad, float *h)
{
	int x, c;

	if (row >= im->h) {
		memset(h, 0, sizeof(float) * 3 * dw);
		return;
	}
	memcpy(pad, im->rgb + (size_t)row * im->w * 3, (size_t)im->w * 3);
	for (c = 0; c < 3; c++) {
		float *restrict o = h + (size_t)c * dw;

		for (x = 0; x < dw; x++) {
			float tl = pad[ia[x] + c], tr = pad[ib[x] + c];

			o[x] = tl + (tr - tl) * fx[x];
		}
	}
}

void nn_resize_tf(const struct image *im, int sw, int sh, int dw, int dh,
    const float mean[3], float scale, float *dst)
{
	/* As tfjs-backend-cpu's ResizeBilinear: src = out * (in / out). The
	 * arithmetic per value is TF's (top, bottom, then the vertical lerp),
	 * in the same order, so results are bit-identical to the per-pixel
	 * form; tables and row caching only remove repeated work. */
	double ry = (double)sh / dh, rx = (double)sw / dw;
	size_t plane = (size_t)dw * dh;
	int *ia = malloc(sizeof(int) * dw * 2), *ib = ia ? ia + dw : NULL;
	float *fx = malloc(sizeof(float) * dw);
	float *rows = malloc(sizeof(float) * 3 * dw * 2);
	unsigned char *pad = malloc((size_t)im->w * 3 + 3);
	float *ha, *hb;
	int y, x, c, have_a = -1, have_b = -1;

	if (ia == NULL || fx == NULL || rows == NULL || pad == NULL) {
		/* cannot happen for the sizes used (< 2k columns): black */
		free(ia);
		free(fx);
		free(rows);
		free(pad);
		memset(dst, 0, sizeof(float) * plane * 3);
		return;
	}
	memset(pad + (size_t)im->w * 3, 0, 3);
	for (x = 0; x < dw; x++) {
		double s = rx * x;
		int f = (int)floor(s), g = f + 1 < sw ? f + 1 : sw - 1;

		ia[x] = (f < im->w ? f : im->w) * 3;   /* im->w: the zero pixel */
		ib[x] = (g < im->w ? g : im->w) * 3;
		fx[x] = (float)(s - f);
	}
	ha = rows;
	hb = rows + 3 * dw;
	for (y = 0; y < dh; y++) {
		double s = ry * y;
		int ya = (int)floor(s), yb = ya + 1 < sh ? ya + 1 : sh - 1;
		float fy = (float)(s - ya);

		if (ya != have_a) {
			if (ya == have_b) {   /* going down: the old bottom is the new top */
				float *t = ha;

				ha = hb;
				hb = t;
				have_a = have_b;
				have_b = -1;
			} else {
				nn_resize_row(im, ya, dw, ia, ib, fx, pad, ha);
				have_a = ya;
			}
		}
		if (yb != have_b) {
			if (yb == have_a) {
				memcpy(hb, ha, sizeof(float) * 3 * dw);
			} else {
				nn_resize_row(im, yb, dw, ia, ib, fx, pad, hb);
			}
			have_b = yb;
		}
		for (c = 0; c < 3; c++) {
			const float *restrict top = ha + (size_t)c * dw;
			const float *restrict bot = hb + (size_t)c * dw;
			float *restrict o = dst + c * plane + (size_t)y * dw;
			float m = mean[c];

			x = 0;
#ifdef __SSE2__
			/* the same single-precision operations, four at a time */
			for (; x + 4 <= dw; x += 4) {
				__m128 t = _mm_loadu_ps(top + x), b = _mm_loadu_ps(bot + x);
				__m128 v = _mm_add_ps(t, _mm_mul_ps(_mm_sub_ps(b, t), _mm_set1_ps(fy)));

				_mm_storeu_ps(o + x, _mm_mul_ps(_mm_sub_ps(v, _mm_set1_ps(m)), _mm_set1_ps(scale)));
			}
#endif
			for (; x < dw; x++) {
				float v = top[x] + (bot[x] - top[x]) * fy;

				o[x] = (v - m) * scale;
			}
		}
	}
	free(ia);
	free(fx);
	free(rows);
	free(pad);
}

/* nn_merge - the runs a[0..na) and b[0..nb), each best first, into out,
 * best first; of equal scores a's first (stable). */
static void nn_merge(const struct nn_box *a, int na, const struct nn_box *b, int nb, struct nn_box *out)
{
	int i = 0, j = 0, k = 0;

	while (i < na && j < nb)
		out[k++] = b[j].score > a[i].score ? b[j++] : a[i++];
	while (i < na)
		out[k++] = a[i++];
	while (j < nb)
		out[k++] = b[j++];
}

/* nn_sort - best score first, stable (a bottom-up merge sort; without
 * memory for it, an insertion sort): boxes of equal score keep their
 * order, so the boxes over a higher threshold come out in the same order
 * whatever boxes under it were sorted with them, and greedy NMS keeps the
 * same of them (firstpass.h: ingest's close-up search handed to the
 * worker). glibc's qsort was a merge sort here too (stable). */
void nn_sort(struct nn_box *b, int n)
{
	struct nn_box *tmp, *src = b, *dst, *t, x;
	int w, i, j, na, nb;

	if (n < 2)
		return;
	if ((tmp = malloc(sizeof(*tmp) * (size_t)n)) == NULL) {
		for (i = 1; i < n; i++) {
			x = b[i];
			for (j = i; j > 0 && x.score > b[j - 1].score; j--)
				b[j] = b[j - 1];
			b[j] = x;
		}
		return;
	}
	dst = tmp;
	for (w = 1; w < n; w *= 2) {
		for (i = 0; i < n; i += 2 * w) {
			na = n - i < w ? n - i : w;
			nb = n - i - na < w ? n - i - na : w;
			nn_merge(src + i, na, src + i + na, nb, dst + i);
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != b)
		memcpy(b, src, sizeof(*b) * (size_t)n);
	free(tmp);
}

float nn_iou(const struct nn_box *a, const struct nn_box *b)
{
	float x1 = fmaxf(a->x, b->x), y1 = fmaxf(a->y, b->y);
	float x2 = fminf(a->x + a->w, b->x + b->w), y2 = fminf(a->y + a->h, b->y + b->h);
	float inter, uni;

	if (x2 <= x1 || y2 <= y1)
		return 0;
	inter = (x2 - x1) * (y2 - y1);
	uni = a->w * a->h + b->w * b->h - inter;
	return uni > 0 ? inter / uni : 0;
}

int nn_center_inside(const struct nn_box *a, const struct nn_box *b)
{
	float cx = a->x + a->w / 2, cy = a->y + a->h / 2;

	return cx > b->x && cx < b->x + b->w && cy > b->y && cy < b->y + b->h;
}

int nn_nms(struct nn_box *b, int n, float iou_threshold)
{
	int kept = 0, i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < kept; j++)
			if (nn_iou(&b[j], &b[i]) > iou_threshold)
				break;
		if (j == kept)
			b[kept++] = b[i];
	}
	return kept;
}

int nn_face_square(const struct image *im, const struct nn_box *face, float margin,
    int size, struct image *out)
{
	float side = fmaxf(face->w, face->h) * (1 + 2 * margin);
	float x0 = face->x + face->w / 2 - side / 2, y0 = face->y + face->h / 2 - side / 2;
	float step = side / size;
	int x, y, c;

	if ((out->rgb = malloc((size_t)size * size * 3)) == NULL)
		return -ENOMEM;
	out->w = out->h = size;
	for (y = 0; y < size; y++) {
		float sy = fminf(fmaxf(y0 + (y + 0.5f) * step - 0.5f, 0), im->h - 1);
		int ya = (int)sy, yb = ya + 1 < im->h ? ya + 1 : ya;
		float fy = sy - ya;

		for (x = 0; x < size; x++) {
			float sx = fminf(fmaxf(x0 + (x + 0.5f) * step - 0.5f, 0), im->w - 1);
			int xa = (int)sx, xb = xa + 1 < im->w ? xa + 1 : xa;
			float fx = sx - xa;
			const unsigned char *a = im->rgb + ((size_t)ya * im->w + xa) * 3;
			const unsigned char *b = im->rgb + ((size_t)ya * im->w + xb) * 3;
			const unsigned char *d = im->rgb + ((size_t)yb * im->w + xa) * 3;
			const unsigned char *e = im->rgb + ((size_t)yb * im->w + xb) * 3;

			for (c = 0; c < 3; c++) {
				float top = a[c] + (b[c] - a[c]) * fx;
				float bot = d[c] + (e[c] - d[c]) * fx;
				out->rgb[((size_t)y * size + x) * 3 + c] =
				    (unsigned char)(top + (bot - top) * fy + 0.5f);
			}
		}
	}
	return 0;
}
