/* faceaug - training samples for facetrain (see faceaug.h).
 * The crop: 1 in 2 around a random face, its side 1.5..10 face sides
 * (the worker's head regions and person boxes), else 50..100% of each
 * side of the frame (its whole-frame search); aspect jittered, inside the
 * image. Stretched to the input, bilinear with half-pixel centres as
 * facedet.c, mirrored 1 in 2. Then: colour (brightness and contrast
 * x0.7..1.3, saturation x0.6..1.4, channel gains x0.92..1.08), blur (3 in
 * 10, Gaussian sigma 0.5..1.5 px at the input), JPEG (3 in 10, quality
 * 25..90). A face keeps its label when 60% of it is inside the crop
 * (clipped to it, as facedet.c clips), is ignored when less is, or when
 * its larger side is under min_px at the input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faceaug.h"
#include "util.h"

double faceaug_uniform(struct faceaug_rng *r, double lo, double hi)
{
	unsigned long long z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return lo + (hi - lo) * ((z >> 11) * (1.0 / 9007199254740992.0));
}

/* faceaug_crop - the crop rectangle c (x, y, w, h) inside im. */
static void faceaug_crop(const struct image *im, const struct faceaug_face *f, int nf, struct faceaug_rng *r,
                         float c[4])
{
	float W = (float)im->w, H = (float)im->h, cx, cy;

	if (nf > 0 && faceaug_uniform(r, 0, 1) < 0.5) {
		const struct faceaug_face *g = &f[(int)faceaug_uniform(r, 0, nf) % nf];
		float side = fmaxf(g->w, g->h) * (float)exp(faceaug_uniform(r, log(1.5), log(10)));
		float asp = (float)exp(faceaug_uniform(r, log(0.7), log(1.4)));

		c[2] = side * sqrtf(asp);
		c[3] = side / sqrtf(asp);
		cx = g->x + g->w / 2 + (float)faceaug_uniform(r, -0.35, 0.35) * c[2];
		cy = g->y + g->h / 2 + (float)faceaug_uniform(r, -0.35, 0.35) * c[3];
	} else {
		c[2] = W * (float)faceaug_uniform(r, 0.5, 1);
		c[3] = H * (float)faceaug_uniform(r, 0.5, 1);
		cx = (float)faceaug_uniform(r, c[2] / 2, W - c[2] / 2);
		cy = (float)faceaug_uniform(r, c[3] / 2, H - c[3] / 2);
	}
	c[2] = fminf(fmaxf(c[2], 16), W);
	c[3] = fminf(fmaxf(c[3], 16), H);
	c[0] = fminf(fmaxf(cx - c[2] / 2, 0), W - c[2]);
	c[1] = fminf(fmaxf(cy - c[3] / 2, 0), H - c[3]);
}

/* faceaug_boxes - the faces in crop c, as fractions of it (mirrored). */
static int faceaug_boxes(const struct faceaug_face *f, int nf, const float c[4], int flip, int input,
                         float min_px, struct faceloss_box *out, int max)
{
	int i, n = 0;

	for (i = 0; i < nf && n < max; i++) {
		float x0 = fmaxf(f[i].x, c[0]), y0 = fmaxf(f[i].y, c[1]);
		float x1 = fminf(f[i].x + f[i].w, c[0] + c[2]), y1 = fminf(f[i].y + f[i].h, c[1] + c[3]);
		struct faceloss_box *b = &out[n];

		if (x1 <= x0 || y1 <= y0)
			continue;
		b->x = (x0 - c[0]) / c[2];
		b->y = (y0 - c[1]) / c[3];
		b->w = (x1 - x0) / c[2];
		b->h = (y1 - y0) / c[3];
		if (flip)
			b->x = 1 - b->x - b->w;
		b->cls = f[i].cls;
		if ((x1 - x0) * (y1 - y0) < 0.6f * f[i].w * f[i].h || fmaxf(b->w, b->h) * input < min_px)
			b->cls = -1;
		n++;
	}
	return n;
}

/* faceaug_resample - crop c of im stretched to out (input x input RGB). */
static void faceaug_resample(const struct image *im, const float c[4], int flip, struct image *out)
{
	int n = out->w, x, y, k;
	float sx = c[2] / n, sy = c[3] / n;

	for (y = 0; y < n; y++) {
		float v = fminf(fmaxf(c[1] + (y + 0.5f) * sy - 0.5f, 0), (float)im->h - 1);
		int y0 = (int)v, y1 = y0 + 1 < im->h ? y0 + 1 : y0;
		float wy = v - y0;

		for (x = 0; x < n; x++) {
			float u = fminf(fmaxf(c[0] + (x + 0.5f) * sx - 0.5f, 0), (float)im->w - 1);
			int x0 = (int)u, x1 = x0 + 1 < im->w ? x0 + 1 : x0;
			float wx = u - x0;
			unsigned char *o = out->rgb + ((size_t)y * n + (flip ? n - 1 - x : x)) * 3;

			for (k = 0; k < 3; k++) {
				float tl = im->rgb[((size_t)y0 * im->w + x0) * 3 + k], tr = im->rgb[((size_t)y0 * im->w + x1) * 3 + k];
				float bl = im->rgb[((size_t)y1 * im->w + x0) * 3 + k], br = im->rgb[((size_t)y1 * im->w + x1) * 3 + k];
				float t = tl + (tr - tl) * wx, b = bl + (br - bl) * wx;

				o[k] = (unsigned char)fminf(fmaxf(t + (b - t) * wy + 0.5f, 0), 255);
			}
		}
	}
}

static unsigned char faceaug_clamp(float v)
{
	return (unsigned char)fminf(fmaxf(v + 0.5f, 0), 255);
}

/* faceaug_colour - brightness, contrast, saturation, white balance. */
static void faceaug_colour(struct image *im, struct faceaug_rng *r)
{
	float bright = (float)faceaug_uniform(r, 0.7, 1.3), contrast = (float)faceaug_uniform(r, 0.7, 1.3);
	float sat = (float)faceaug_uniform(r, 0.6, 1.4), gain[3], mean = 0;
	size_t i, n = (size_t)im->w * im->h;
	int k;

	for (k = 0; k < 3; k++)
		gain[k] = (float)faceaug_uniform(r, 0.92, 1.08);
	for (i = 0; i < n * 3; i++)
		mean += im->rgb[i];
	mean /= (float)(n * 3);
	for (i = 0; i < n; i++) {
		unsigned char *p = im->rgb + i * 3;
		float g = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];

		for (k = 0; k < 3; k++) {
			float v = g + (p[k] - g) * sat;

			v = ((v - mean) * contrast + mean) * bright * gain[k];
			p[k] = faceaug_clamp(v);
		}
	}
}

/* faceaug_blur - separable Gaussian of sigma s (radius 2 s + 1). */
static void faceaug_blur(struct image *im, float s)
{
	int rad = (int)(2 * s + 1), n = im->w, x, y, k, j, pass;
	float w[8], sum = 0;
	float *row = malloc(sizeof(float) * (size_t)n * 3);

	if (row == NULL || rad > 7) {
		free(row);
		return;
	}
	for (j = 0; j <= rad; j++)
		sum += (w[j] = expf(-(float)(j * j) / (2 * s * s))) * (j ? 2 : 1);
	for (pass = 0; pass < 2; pass++)
		for (y = 0; y < n; y++) {
			for (x = 0; x < n; x++)
				for (k = 0; k < 3; k++) {
					float acc = 0;

					for (j = -rad; j <= rad; j++) {
						int t = x + j < 0 ? 0 : x + j >= n ? n - 1 : x + j;
						size_t o = pass ? ((size_t)t * n + y) * 3 : ((size_t)y * n + t) * 3;

						acc += w[abs(j)] * im->rgb[o + k];
					}
					row[x * 3 + k] = acc / sum;
				}
			for (x = 0; x < n; x++)
				for (k = 0; k < 3; k++)
					im->rgb[(pass ? ((size_t)x * n + y) : ((size_t)y * n + x)) * 3 + k] = faceaug_clamp(row[x * 3 + k]);
		}
	free(row);
}

/* faceaug_jpeg - through a JPEG of quality q and back, in place. */
static int faceaug_jpeg(struct image *im, const char *tmp, int q)
{
	unsigned char *buf;
	size_t len;
	struct image dec;
	char err[256];

	if (image_write_jpeg(im, tmp, q) < 0 || util_read_file(tmp, 1 << 24, &buf, &len) < 0)
		return -1;
	if (image_decode(buf, len, 0, &dec, err, sizeof(err)) < 0 || dec.w != im->w || dec.h != im->h) {
		free(buf);
		return -1;
	}
	memcpy(im->rgb, dec.rgb, (size_t)im->w * im->h * 3);
	image_free(&dec);
	free(buf);
	return 0;
}

int faceaug_sample(const struct image *im, const struct faceaug_face *f, int nf, struct faceaug_rng *r,
                   int input, float min_px, const char *tmp, float *in, struct faceloss_box *out, int max)
{
	float c[4];
	int flip, n, k;
	size_t i, plane = (size_t)input * input;
	struct image s = { input, input, malloc(plane * 3) };

	if (s.rgb == NULL)
		return -1;
	faceaug_crop(im, f, nf, r, c);
	flip = faceaug_uniform(r, 0, 1) < 0.5;
	n = faceaug_boxes(f, nf, c, flip, input, min_px, out, max);
	faceaug_resample(im, c, flip, &s);
	faceaug_colour(&s, r);
	if (faceaug_uniform(r, 0, 1) < 0.3)
		faceaug_blur(&s, (float)faceaug_uniform(r, 0.5, 1.5));
	if (faceaug_uniform(r, 0, 1) < 0.3 && faceaug_jpeg(&s, tmp, (int)faceaug_uniform(r, 25, 90)) < 0) {
		free(s.rgb);
		return -1;
	}
	for (i = 0; i < plane; i++)
		for (k = 0; k < 3; k++)
			in[k * plane + i] = s.rgb[i * 3 + k] * (1.0f / 255);
	free(s.rgb);
	return n;
}
