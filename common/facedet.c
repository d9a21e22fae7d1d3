/* facedet - find faces with face-api's tiny_face_detector converted to
 * darknet (models/scripts/convert-face.js): preprocessing as face-api's
 * toBatchTensor + normalize, box decoding as its TinyYolov2Base. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_priv.h"

#define FACEDET_NUM     5
#define FACEDET_ENTRY   6      /* x, y, w, h, obj, class per anchor */
#define FACEDET_IOU     0.4f   /* face-api's IOU_THRESHOLD */
#define FACEDET_MAXCAND 4096

static const float facedet_anchors[FACEDET_NUM][2] = {
	{ 1.603231f, 2.094468f }, { 6.041143f, 7.080126f }, { 2.882459f, 3.518061f },
	{ 4.266906f, 5.178857f }, { 9.041765f, 10.66308f },
};
static const float facedet_mean[3] = { 117.001f, 114.697f, 97.404f };

struct facedet {
	network *net;           /* owned */
	int input;
	float *in;              /* owned: 3*input*input */
	unsigned char *view;    /* owned: input*input RGB, facedet_run_view's square */
	struct nn_box *cand;    /* owned: FACEDET_MAXCAND */
};

struct facedet *facedet_open(const char *models_dir, int input, char *err, size_t errlen)
{
	struct facedet *fd;
	layer *l;

	if (input != 224 && input != 320 && input != 416 && input != 608) {
		snprintf(err, errlen, "face detector input %d: must be 224, 320, 416 or 608", input);
		return NULL;
	}
	if ((fd = calloc(1, sizeof(*fd))) == NULL) {
		snprintf(err, errlen, "face detector: out of memory");
		return NULL;
	}
	if ((fd->net = nn_load(models_dir, "face", err, errlen)) == NULL) {
		free(fd);
		return NULL;
	}
	l = &fd->net->layers[fd->net->n - 1];
	if (l->type != REGION || l->n != FACEDET_NUM || l->classes != 1 || l->coords != 4) {
		snprintf(err, errlen, "%s/face.cfg: last layer is not [region] num=5 classes=1 coords=4",
		    models_dir);
		facedet_close(fd);
		return NULL;
	}
	nn_resize(fd->net, input, input);
	fd->input = input;
	fd->in = malloc(sizeof(float) * 3 * input * input);
	fd->cand = malloc(sizeof(*fd->cand) * FACEDET_MAXCAND);
	fd->view = malloc((size_t)input * input * 3);
	if (fd->in == NULL || fd->cand == NULL || fd->view == NULL) {
		snprintf(err, errlen, "face detector: out of memory");
		facedet_close(fd);
		return NULL;
	}
	return fd;
}

int facedet_run(struct facedet *fd, const struct image *im, float threshold, struct nn_box *out, int max)
{
	layer *l = &fd->net->layers[fd->net->n - 1];
	int side, n = 0, kept, row, col, a, i;
	size_t wh;
	float *o;

	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0 || max < 0)
		return -EINVAL;
	side = im->w > im->h ? im->w : im->h;
	nn_resize_tf(im, side, side, fd->input, fd->input, facedet_mean, 1.0f / 255, fd->in);
	o = nn_predict(fd->net, fd->in);
	/* [region] already applied the logistic to x, y and objectness. */
	wh = (size_t)l->w * l->h;
	for (row = 0; row < l->h; row++)
		for (col = 0; col < l->w; col++)
			for (a = 0; a < FACEDET_NUM; a++) {
				const float *e = o + (size_t)a * FACEDET_ENTRY * wh + (size_t)row * l->w + col;
				float score = e[4 * wh], cx, cy, bw, bh;

				if (!(score > threshold) || n == FACEDET_MAXCAND)
					continue;
				cx = (col + e[0]) / l->w;
				cy = (row + e[wh]) / l->h;
				bw = expf(e[2 * wh]) * facedet_anchors[a][0] / l->w;
				bh = expf(e[3 * wh]) * facedet_anchors[a][1] / l->h;
				fd->cand[n].x = (cx - bw / 2) * side;
				fd->cand[n].y = (cy - bh / 2) * side;
				fd->cand[n].w = bw * side;
				fd->cand[n].h = bh * side;
				fd->cand[n].score = score;
				n++;
			}
	nn_sort(fd->cand, n);
	kept = nn_nms(fd->cand, n, FACEDET_IOU);
	for (i = 0; i < kept && i < max; i++)
		out[i] = fd->cand[i];
	return i;
}

/* facedet_view - the rectangle x,y,w,h of im at the top-left of a black
 * square of side zoom * max(w, h), resampled to input x input into
 * fd->view with TensorFlow's bilinear rule (align_corners=false,
 * half_pixel_centers=false), the rule facedet_run uses: it then sees its
 * input size and leaves the pixels as they are. Returns source pixels per
 * view pixel. */
static double
facedet_view(struct facedet *fd, const struct image *im, int x, int y, int w, int h, float zoom)
{
	const int n = fd->input;
	double r = (double)(w > h ? w : h) * zoom / n;
	unsigned char *d = fd->view;
	int dx, dy, c;

	for (dy = 0; dy < n; dy++) {
		double sy = r * dy;
		int ya = (int)sy, yb = ya + 1 < h ? ya + 1 : h - 1;
		float fy = (float)(sy - ya);
		const unsigned char *ra, *rb;

		if (ya >= h) {
			memset(d, 0, (size_t)(n - dy) * n * 3);
			break;
		}
		ra = im->rgb + ((size_t)(y + ya) * im->w + x) * 3;
		rb = im->rgb + ((size_t)(y + yb) * im->w + x) * 3;
		for (dx = 0; dx < n; dx++, d += 3) {
			double sx = r * dx;
			int xa = (int)sx, xb = xa + 1 < w ? xa + 1 : w - 1;
			float fx = (float)(sx - xa);

			if (xa >= w) {
				memset(d, 0, (size_t)(n - dx) * 3);
				d += (size_t)(n - dx) * 3;
				break;
			}
			for (c = 0; c < 3; c++) {
				float top = ra[xa * 3 + c] + (ra[xb * 3 + c] - ra[xa * 3 + c]) * fx;
				float bot = rb[xa * 3 + c] + (rb[xb * 3 + c] - rb[xa * 3 + c]) * fx;

				d[c] = (unsigned char)(top + (bot - top) * fy + 0.5f);
			}
		}
	}
	return r;
}

int facedet_run_view(struct facedet *fd, const struct image *im, int x, int y, int w, int h,
                     float zoom, float threshold, struct nn_box *out, int max)
{
	struct image view;
	double r;
	int i, n;

	if (im == NULL || im->rgb == NULL || x < 0 || y < 0 || w <= 0 || h <= 0 ||
	    x + w > im->w || y + h > im->h || !(zoom >= 1.0f))
		return -EINVAL;
	r = facedet_view(fd, im, x, y, w, h, zoom);
	view = (struct image){ fd->input, fd->input, fd->view };
	if ((n = facedet_run(fd, &view, threshold, out, max)) <= 0)
		return n;
	for (i = 0; i < n; i++) {
		out[i].x = (float)(x + out[i].x * r);
		out[i].y = (float)(y + out[i].y * r);
		out[i].w = (float)(out[i].w * r);
		out[i].h = (float)(out[i].h * r);
	}
	return n;
}

void facedet_close(struct facedet *fd)
{
	if (fd == NULL)
		return;
	if (fd->net)
		free_network(fd->net);
	free(fd->in);
	free(fd->cand);
	free(fd->view);
	free(fd);
}
