/* maskaug - cut the mask classifier's training and validation crops, with
 * the augmentation that makes them look like what a camera and a face
 * detector give at run time.
 *
 *   maskaug [--region nose] [--exact] MODELS SIZE < LIST
 * LIST lines: "SRC DST MODE SEED [X Y W H]". The face box is X Y W H
 * (pixels, top-left corner; from an annotation), or, without one, the
 * highest-scoring face of the face detector at input 224, threshold 0.3,
 * mapped by maskcls_from_detector as the worker does, or the whole image. MODE chin first draws a synthetic
 * below-the-nose mask on that box (chin.c, seeded by SEED). MODE paste (the
 * line then ends "DSRC DX DY DW DH": a mask_on face and its box) moves that
 * face's real mask below the nose of the box (chin_paste, seeded by SEED). MODE nose
 * and nosepaste are chin and paste with the mask's top edge just under the
 * nose tip (chin_draw_nose, chin_paste_nose). SEED 0 writes
 * exactly the crop maskcls_run makes of the box (nn_face_square, margin
 * NN_MASK_MARGIN, SIZE x SIZE): validation crops. Any other SEED draws,
 * from a generator seeded by SEED alone (so a list gives the same crops on
 * every machine):
 *   - the box a detector might give: size x0.85..1.20, aspect +-10%,
 *     centre moved by up to 10% of the side;
 *   - JPEG re-encoding of the face's surroundings at quality 20..90 (half
 *     of the crops), as a camera frame is;
 *   - a smaller face (4 in 10 crops): the crop is cut at 14..48 px and
 *     scaled up to SIZE as nn_face_square scales up a far face;
 *   - a mirror image (half of the crops);
 *   - colour: brightness x0.7..1.3, contrast x0.7..1.3, saturation
 *     x0.6..1.4, each channel's gain x0.92..1.08 (white balance);
 *   - blur (3 in 10): Gaussian, sigma 0.4..1.3 px at SIZE.
 * --exact: no augmentation whatever SEED is (SEED still seeds a synthetic
 * mask): the validation crops.
 * --region nose: every crop is the square around the nose of the (jittered)
 * box, maskcls_nose_box, as a models folder with mask.region "nose" crops it
 * (a far face is cut whole at its small size first, then its nose region).
 * Writes DST as a SIZE x SIZE binary PPM. Prints a summary on stderr;
 * exit 1 if any line failed.
 *
 *   maskaug --boxes MODELS < LIST
 * LIST lines: SRC. Prints "SRC X Y W H found|whole" per line: the box the
 * line form above would use without one (to detect once, crop many). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chin.h"
#include "nn.h"
#include "nn_priv.h"
#include "ppm.h"
#include "toolopt.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#include <stb/stb_image.h>

struct rng { unsigned long long s; };

static double maskaug_rng_uniform(struct rng *r, double lo, double hi)
{
	/* splitmix64: good enough, and the same everywhere */
	unsigned long long z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return lo + (hi - lo) * ((z >> 11) * (1.0 / 9007199254740992.0));
}

struct sink { unsigned char *p; size_t n, cap; };

static void maskaug_sink_write(void *ctx, void *data, int size)
{
	struct sink *s = ctx;

	if (s->p == NULL)
		return;
	if (s->n + (size_t)size > s->cap) {
		unsigned char *q;

		s->cap = (s->n + (size_t)size) * 2;
		if ((q = realloc(s->p, s->cap)) == NULL) {
			free(s->p);
			s->p = NULL;
			return;
		}
		s->p = q;
	}
	memcpy(s->p + s->n, data, (size_t)size);
	s->n += (size_t)size;
}

/* maskaug_jpeg_region - JPEG-encode and decode the rectangle of im around box at
 * quality q, in place: what a camera's encoder does to the face. */
static int maskaug_jpeg_region(struct image *im, const struct nn_box *box, int q)
{
	float side = fmaxf(box->w, box->h) * 2.0f;
	int x0 = (int)fmaxf(0, box->x + box->w / 2 - side / 2), y0 = (int)fmaxf(0, box->y + box->h / 2 - side / 2);
	int x1 = (int)fminf(im->w, box->x + box->w / 2 + side / 2 + 1);
	int y1 = (int)fminf(im->h, box->y + box->h / 2 + side / 2 + 1);
	int w = x1 - x0, h = y1 - y0, y, dw, dh, n;
	struct sink s = { malloc(4096), 0, 4096 };
	unsigned char *reg, *dec;

	if (w < 8 || h < 8 || s.p == NULL) {
		free(s.p);
		return 0;
	}
	if ((reg = malloc((size_t)w * h * 3)) == NULL) {
		free(s.p);
		return -1;
	}
	for (y = 0; y < h; y++)
		memcpy(reg + (size_t)y * w * 3, im->rgb + ((size_t)(y0 + y) * im->w + x0) * 3, (size_t)w * 3);
	if (!stbi_write_jpg_to_func(maskaug_sink_write, &s, w, h, 3, reg, q) || s.p == NULL) {
		free(reg);
		free(s.p);
		return -1;
	}
	free(reg);
	dec = stbi_load_from_memory(s.p, (int)s.n, &dw, &dh, &n, 3);
	free(s.p);
	if (dec == NULL || dw != w || dh != h) {
		stbi_image_free(dec);
		return -1;
	}
	for (y = 0; y < h; y++)
		memcpy(im->rgb + ((size_t)(y0 + y) * im->w + x0) * 3, dec + (size_t)y * w * 3, (size_t)w * 3);
	stbi_image_free(dec);
	return 0;
}

/* maskaug_blur - separable Gaussian on an RGB8 image, edges repeated. */
static int maskaug_blur(struct image *im, float sigma)
{
	float k[9], sum = 0;
	int r = 4, i, x, y, c, pass;
	unsigned char *tmp = malloc((size_t)im->w * im->h * 3);

	if (tmp == NULL)
		return -1;
	for (i = -r; i <= r; i++)
		sum += k[i + r] = expf(-(float)(i * i) / (2 * sigma * sigma));
	for (i = 0; i <= 2 * r; i++)
		k[i] /= sum;
	for (pass = 0; pass < 2; pass++) {
		unsigned char *src = pass == 0 ? im->rgb : tmp, *dst = pass == 0 ? tmp : im->rgb;

		for (y = 0; y < im->h; y++)
			for (x = 0; x < im->w; x++)
				for (c = 0; c < 3; c++) {
					float v = 0;

					for (i = -r; i <= r; i++) {
						int xx = pass == 0 ? x + i : x, yy = pass == 0 ? y : y + i;

						xx = xx < 0 ? 0 : xx >= im->w ? im->w - 1 : xx;
						yy = yy < 0 ? 0 : yy >= im->h ? im->h - 1 : yy;
						v += k[i + r] * src[((size_t)yy * im->w + xx) * 3 + c];
					}
					dst[((size_t)y * im->w + x) * 3 + c] = (unsigned char)(v + 0.5f);
				}
	}
	free(tmp);
	return 0;
}

/* maskaug_colour - mirror, brightness, contrast, saturation, white balance. */
static void maskaug_colour(struct image *im, struct rng *r)
{
	float bright = (float)maskaug_rng_uniform(r, 0.7, 1.3), contrast = (float)maskaug_rng_uniform(r, 0.7, 1.3);
	float sat = (float)maskaug_rng_uniform(r, 0.6, 1.4), gain[3], mean = 0;
	int flip = maskaug_rng_uniform(r, 0, 1) < 0.5, x, y, c;
	size_t n = (size_t)im->w * im->h, i;

	for (c = 0; c < 3; c++)
		gain[c] = (float)maskaug_rng_uniform(r, 0.92, 1.08);
	if (flip)
		for (y = 0; y < im->h; y++)
			for (x = 0; x < im->w / 2; x++)
				for (c = 0; c < 3; c++) {
					unsigned char *a = im->rgb + ((size_t)y * im->w + x) * 3 + c;
					unsigned char *b = im->rgb + ((size_t)y * im->w + im->w - 1 - x) * 3 + c;
					unsigned char t = *a;

					*a = *b;
					*b = t;
				}
	for (i = 0; i < n * 3; i++)
		mean += im->rgb[i];
	mean /= n * 3;
	for (i = 0; i < n; i++) {
		unsigned char *p = im->rgb + i * 3;
		float grey = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2], v;

		for (c = 0; c < 3; c++) {
			v = grey + (p[c] - grey) * sat;
			v = (mean + (v - mean) * contrast) * bright * gain[c];
			p[c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
		}
	}
}

/* maskaug_augment_crop - the jittered, degraded crop of box (see the top comment). */
/* maskaug_cut - nn_face_square of box, or of its nose region (nose). */
static int maskaug_cut(const struct image *im, const struct nn_box *box, int nose, int size, struct image *out)
{
	struct nn_box n;

	if (!nose)
		return nn_face_square(im, box, NN_MASK_MARGIN, size, out);
	maskcls_nose_box(box, &n);
	return nn_face_square(im, &n, NN_MASK_MARGIN, size, out);
}

static int maskaug_augment_crop(struct image *im, const struct nn_box *box, unsigned seed, int nose, int size,
    struct image *out)
{
	struct rng r = { seed * 0x2545f4914f6cdd1dULL + 1 };
	struct nn_box b = *box;
	float side = fmaxf(box->w, box->h), scale, aspect, cx, cy;
	int rc;

	scale = (float)maskaug_rng_uniform(&r, 0.85, 1.20);
	aspect = (float)maskaug_rng_uniform(&r, 0.90, 1.10);
	cx = box->x + box->w / 2 + side * (float)maskaug_rng_uniform(&r, -0.10, 0.10);
	cy = box->y + box->h / 2 + side * (float)maskaug_rng_uniform(&r, -0.10, 0.10);
	b.w = box->w * scale * aspect;
	b.h = box->h * scale / aspect;
	b.x = cx - b.w / 2;
	b.y = cy - b.h / 2;
	if (maskaug_rng_uniform(&r, 0, 1) < 0.5 && maskaug_jpeg_region(im, &b, (int)maskaug_rng_uniform(&r, 20, 90)) < 0)
		return -1;
	if (maskaug_rng_uniform(&r, 0, 1) < 0.4) {
		/* a far face: cut small, then scale up as maskcls_run would */
		int small = (int)maskaug_rng_uniform(&r, 14, 48);
		struct image lo;
		struct nn_box whole;
		float m = 1 + 2 * NN_MASK_MARGIN;

		if (small * 1.0f >= side * m)
			rc = maskaug_cut(im, &b, nose, size, out);
		else {
			if (nn_face_square(im, &b, NN_MASK_MARGIN, small, &lo) < 0)
				return -1;
			/* the box whose margin-grown square is the whole small image */
			whole = (struct nn_box){ small * NN_MASK_MARGIN / m, small * NN_MASK_MARGIN / m,
			    small / m, small / m, 0 };
			rc = maskaug_cut(&lo, &whole, nose, size, out);
			free(lo.rgb);
		}
	} else
		rc = maskaug_cut(im, &b, nose, size, out);
	if (rc < 0)
		return -1;
	maskaug_colour(out, &r);
	if (maskaug_rng_uniform(&r, 0, 1) < 0.3 && maskaug_blur(out, (float)maskaug_rng_uniform(&r, 0.4, 1.3)) < 0) {
		free(out->rgb);
		return -1;
	}
	return 0;
}

/* maskaug_face_box - the best face of im, or the whole image; 1 if found. */
static int maskaug_face_box(struct facedet *fd, const struct image *im, struct nn_box *box)
{
	if (facedet_run(fd, im, 0.3f, box, 1) == 1) {
		struct nn_box det = *box;

		maskcls_from_detector(&det, box); /* as the worker does */
		return 1;
	}
	/* nn_face_square adds the margin; cancel it for whole images */
	*box = (struct nn_box){ 0, 0, im->w, im->h, 0 };
	box->x += im->w * NN_MASK_MARGIN / (1 + 2 * NN_MASK_MARGIN);
	box->y += im->h * NN_MASK_MARGIN / (1 + 2 * NN_MASK_MARGIN);
	box->w /= 1 + 2 * NN_MASK_MARGIN;
	box->h /= 1 + 2 * NN_MASK_MARGIN;
	return 0;
}

static int maskaug_boxes(const char *models)
{
	char line[8192], err[512];
	struct facedet *fd = facedet_open(models, 224, err, sizeof(err));
	int bad = 0;

	if (fd == NULL) {
		fprintf(stderr, "maskaug: %s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		struct image im;
		struct nn_box box;
		int f;

		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == 0)
			continue;
		if (ppm_decode(line, &im) < 0) {
			bad++;
			continue;
		}
		f = maskaug_face_box(fd, &im, &box);
		printf("%s %.2f %.2f %.2f %.2f %s\n", line, box.x, box.y, box.w, box.h, f ? "found" : "whole");
		free(im.rgb);
	}
	facedet_close(fd);
	return bad ? 1 : 0;
}

static const char maskaug_usage[] =
    "usage: maskaug [--region face|nose] [--exact] MODELS SIZE < LIST | maskaug --boxes MODELS < LIST\n";

int main(int argc, char **argv)
{
	char line[16384], src[4096], dst[4096], dsrc[4096], mode[16], err[512];
	int size, lineno = 0, boxed = 0, found = 0, whole = 0, bad = 0, exact = 0, nose = 0;
	struct facedet *fd = NULL;

	toolopt_std(argc, argv, "maskaug", maskaug_usage);

	if (argc == 3 && strcmp(argv[1], "--boxes") == 0)
		return maskaug_boxes(argv[2]);
	if (argc >= 5 && strcmp(argv[1], "--region") == 0) {
		if (strcmp(argv[2], "nose") != 0 && strcmp(argv[2], "face") != 0)
			return toolopt_usage(maskaug_usage);
		nose = strcmp(argv[2], "nose") == 0;
		argv += 2;
		argc -= 2;
	}
	if (argc == 4 && strcmp(argv[1], "--exact") == 0) {
		exact = 1;
		argv++;
		argc--;
	}
	if (argc != 3 || (size = atoi(argv[2])) < 8 || size > 1024) {
		return toolopt_usage(maskaug_usage);
	}
	while (fgets(line, sizeof(line), stdin)) {
		struct image im, crop;
		struct nn_box box, dbox;
		unsigned seed;
		int n, paste;

		lineno++;
		n = sscanf(line, "%4095s %4095s %15s %u %f %f %f %f %4095s %f %f %f %f", src, dst, mode, &seed,
		    &box.x, &box.y, &box.w, &box.h, dsrc, &dbox.x, &dbox.y, &dbox.w, &dbox.h);
		paste = n >= 3 && (strcmp(mode, "paste") == 0 || strcmp(mode, "nosepaste") == 0);
		if ((paste ? n != 13 || !(dbox.w > 0 && dbox.h > 0) : n != 4 && n != 8) ||
		    (n >= 8 && !(box.w > 0 && box.h > 0))) {
			fprintf(stderr, "maskaug: line %d: want SRC DST MODE SEED [X Y W H [DSRC DX DY DW DH]]\n", lineno);
			bad++;
			continue;
		}
		if (ppm_decode(src, &im) < 0) {
			bad++;
			continue;
		}
		box.score = 1;
		if (n >= 8) {
			boxed++;
		} else {
			if (fd == NULL && (fd = facedet_open(argv[1], 224, err, sizeof(err))) == NULL) {
				fprintf(stderr, "maskaug: %s\n", err);
				return 1;
			}
			if (maskaug_face_box(fd, &im, &box))
				found++;
			else
				whole++;
		}
		if (strcmp(mode, "chin") == 0)
			chin_draw(&im, &box, seed);
		else if (strcmp(mode, "nose") == 0)
			chin_draw_nose(&im, &box, seed);
		if (paste) {
			struct image donor;

			if (ppm_decode(dsrc, &donor) < 0) {
				free(im.rgb);
				bad++;
				continue;
			}
			if (strcmp(mode, "nosepaste") == 0)
				chin_paste_nose(&im, &box, &donor, &dbox, seed);
			else
				chin_paste(&im, &box, &donor, &dbox, seed);
			free(donor.rgb);
		}
		if ((seed == 0 || exact ? maskaug_cut(&im, &box, nose, size, &crop) :
		    maskaug_augment_crop(&im, &box, seed, nose, size, &crop)) < 0 || ppm_write(dst, &crop) < 0) {
			fprintf(stderr, "maskaug: %s: cannot write\n", dst);
			bad++;
		} else
			free(crop.rgb);
		free(im.rgb);
	}
	facedet_close(fd);
	fprintf(stderr, "maskaug: %d lines, %d boxed, %d face found, %d whole image, %d failed\n",
	    lineno, boxed, found, whole, bad);
	return bad ? 1 : 0;
}
