/* facedet - find faces, masked or not, with AIZOOTech's face mask detector
 * (model360, MIT) converted to darknet by models/scripts/convert-face.py.
 * Preprocessing as its own inference code: the view stretched to the
 * square input (bilinear, half-pixel centres, as cv2.resize), RGB / 255.
 * Decoding as its SSD head: 4 anchors per cell on five feature maps,
 * offsets scaled by the variances 0.1 / 0.2, the face score the larger of
 * its two class scores (Mask, NoMask: the mask state is left to the mask
 * classifier), greedy NMS at IoU 0.4. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_priv.h"

#define FACEDET_LEVELS  5
#define FACEDET_ANCHORS 4      /* per cell */
#define FACEDET_IOU     0.4f   /* the source's NMS threshold */
#define FACEDET_MIN_INPUT 64
#define FACEDET_MAX_INPUT 1024

/* Anchor sizes per level (fractions of the input), ratios: the two sizes
 * at ratio 1, then the first size at 0.62 and 0.42 (w = s*sqrt(r),
 * h = s/sqrt(r)). From the source's anchor generator. */
static const float facedet_sizes[FACEDET_LEVELS][2] = {
	{ 0.04f, 0.056f }, { 0.08f, 0.11f }, { 0.16f, 0.22f }, { 0.32f, 0.45f }, { 0.64f, 0.72f },
};
static const float facedet_ratios[2] = { 0.62f, 0.42f };

struct facedet {
	network *net;           /* owned */
	int in_w, in_h;         /* the input; square but for facedet_open_canvas */
	layer *cls[FACEDET_LEVELS], *loc[FACEDET_LEVELS]; /* the head convs, in net */
	float (*anchor)[4];     /* owned: cx, cy, w, h per anchor, level by level */
	int nanchors;
	float *in;              /* owned: 3*input*input */
	int *xa, *ya;           /* owned: resampling tables, 2 per output pixel */
	float *fx, *fy;         /* owned */
	float *hrow[2];         /* owned, 3 * input each: a source row resampled across (facedet_input) */
	int hsrc[2];            /* the view row each holds, -2 = none */
	struct nn_box *cand;    /* owned: nanchors */
};

/* facedet_heads - find the five class and box convs (8 and 16 outputs)
 * in layer order, and check them against each other. */
static int
facedet_heads(struct facedet *fd, const char *dir, char *err, size_t errlen)
{
	int i, nc = 0, nl = 0;

	for (i = 0; i < fd->net->n; i++) {
		layer *l = &fd->net->layers[i];

		if (l->type != CONVOLUTIONAL)
			continue;
		if (l->n == 2 * FACEDET_ANCHORS && l->activation == LOGISTIC && nc < FACEDET_LEVELS)
			fd->cls[nc++] = l;
		else if (l->n == 4 * FACEDET_ANCHORS && l->activation == LINEAR && nl < FACEDET_LEVELS)
			fd->loc[nl++] = l;
	}
	if (nc != FACEDET_LEVELS || nl != FACEDET_LEVELS) {
		snprintf(err, errlen, "%s/face.cfg: want %d logistic convs of %d filters and %d linear of %d"
		    " (the SSD heads; written by convert-face.py)", dir, FACEDET_LEVELS,
		    2 * FACEDET_ANCHORS, FACEDET_LEVELS, 4 * FACEDET_ANCHORS);
		return -1;
	}
	return 0;
}

void facedet_anchor(int level, int k, int col, int row, int fw, int fh, float a[4])
{
	float s = facedet_sizes[level][k == 1], r = k < 2 ? 1.0f : facedet_ratios[k - 2];

	a[0] = (col + 0.5f) / fw;
	a[1] = (row + 0.5f) / fh;
	a[2] = s * sqrtf(r);
	a[3] = s / sqrtf(r);
}

/* facedet_anchors - the anchor boxes for the feature maps at this input. */
static int
facedet_anchors(struct facedet *fd, char *err, size_t errlen)
{
	int lv, row, col, k, n = 0;

	for (lv = 0; lv < FACEDET_LEVELS; lv++) {
		if (fd->cls[lv]->out_w != fd->loc[lv]->out_w || fd->cls[lv]->out_h != fd->loc[lv]->out_h) {
			snprintf(err, errlen, "face detector: head %d maps differ", lv);
			return -1;
		}
		n += fd->cls[lv]->out_w * fd->cls[lv]->out_h * FACEDET_ANCHORS;
	}
	if ((fd->anchor = malloc(sizeof(*fd->anchor) * n)) == NULL ||
	    (fd->cand = malloc(sizeof(*fd->cand) * n)) == NULL) {
		snprintf(err, errlen, "face detector: out of memory");
		return -1;
	}
	for (lv = 0, n = 0; lv < FACEDET_LEVELS; lv++) {
		int fw = fd->cls[lv]->out_w, fh = fd->cls[lv]->out_h;

		for (row = 0; row < fh; row++)
			for (col = 0; col < fw; col++)
				for (k = 0; k < FACEDET_ANCHORS; k++, n++) {
					facedet_anchor(lv, k, col, row, fw, fh, fd->anchor[n]);
					/* sizes are of the width: square in pixels */
					fd->anchor[n][3] *= (float)fd->in_w / fd->in_h;
				}
	}
	fd->nanchors = n;
	return 0;
}

struct facedet *facedet_open(const char *models_dir, int input, char *err, size_t errlen)
{
	return facedet_open_canvas(models_dir, input, input, err, errlen);
}

struct facedet *facedet_open_canvas(const char *models_dir, int w, int h, char *err, size_t errlen)
{
	struct facedet *fd;

	if (w < FACEDET_MIN_INPUT || w > FACEDET_MAX_INPUT || h < FACEDET_MIN_INPUT || h > w) {
		snprintf(err, errlen, "face detector input %dx%d: width %d..%d, height %d..width", w, h,
		    FACEDET_MIN_INPUT, FACEDET_MAX_INPUT, FACEDET_MIN_INPUT);
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
	if (fd->net->c != 3 || facedet_heads(fd, models_dir, err, errlen) < 0) {
		if (fd->net->c != 3)
			snprintf(err, errlen, "%s/face.cfg: want 3 input channels", models_dir);
		facedet_close(fd);
		return NULL;
	}
	if (fd->net->w != w || fd->net->h != h)
		nn_resize(fd->net, w, h);
	fd->in_w = w;
	fd->in_h = h;
	fd->in = malloc(sizeof(float) * 3 * w * h);
	fd->xa = malloc(sizeof(int) * 2 * w);
	fd->ya = malloc(sizeof(int) * 2 * w);
	fd->fx = malloc(sizeof(float) * w);
	fd->fy = malloc(sizeof(float) * w);
	fd->hrow[0] = malloc(sizeof(float) * 3 * w);
	fd->hrow[1] = malloc(sizeof(float) * 3 * w);
	if (fd->in == NULL || fd->xa == NULL || fd->ya == NULL || fd->fx == NULL || fd->fy == NULL ||
	    fd->hrow[0] == NULL || fd->hrow[1] == NULL) {
		snprintf(err, errlen, "face detector: out of memory");
		facedet_close(fd);
		return NULL;
	}
	if (facedet_anchors(fd, err, errlen) < 0) {
		facedet_close(fd);
		return NULL;
	}
	return fd;
}

/* facedet_table - for n output pixels over a canvas of cn source pixels
 * whose first len are real (the rest black): the two source indices
 * (-1 = black) and the weight of the second, half-pixel centres, edges
 * clamped (cv2.resize INTER_LINEAR). */
static void
facedet_table(int n, double cn, int len, int *idx, float *frac)
{
	double scale = cn / n;
	int i, last = (int)ceil(cn) - 1;

	for (i = 0; i < n; i++) {
		double u = (i + 0.5) * scale - 0.5;
		int a, b;

		if (u < 0)
			u = 0;
		if (u > last)
			u = last;
		a = (int)u;
		b = a + 1 <= last ? a + 1 : a;
		frac[i] = (float)(u - a);
		idx[2 * i] = a < len ? a : -1;
		idx[2 * i + 1] = b < len ? b : -1;
	}
}

/* facedet_across - view row r (-1: black) resampled across to cell
 * pixels, planar, into one of fd->hrow (kept while the next output rows
 * need it); returns it. */
static const float *
facedet_across(struct facedet *fd, const struct image *im, const struct facedet_view *v, int r, int cell,
               int keep)
{
	const unsigned char *p = r >= 0 ? im->rgb + ((size_t)(v->y + r) * im->w + v->x) * 3 : NULL;
	float *h;
	int k = fd->hsrc[0] == r ? 0 : fd->hsrc[1] == r ? 1 : -1, dx, c;

	if (k >= 0)
		return fd->hrow[k];
	k = fd->hsrc[0] == keep ? 1 : 0;
	h = fd->hrow[k];
	fd->hsrc[k] = r;
	for (dx = 0; dx < cell; dx++) {
		int ca = fd->xa[2 * dx], cb = fd->xa[2 * dx + 1];
		float wx = fd->fx[dx];

		for (c = 0; c < 3; c++) {
			float l = p && ca >= 0 ? p[ca * 3 + c] : 0, rt = p && cb >= 0 ? p[cb * 3 + c] : 0;

			h[c * cell + dx] = l + (rt - l) * wx;
		}
	}
	return h;
}

/* facedet_input - the view (x, y, w, h of im) stretched into the
 * cell x cell square at ox, oy of the input, planar RGB/255: each source
 * row resampled across once (facedet_across), then each output row as the
 * two rows' blend, the same arithmetic as one bilinear sample per pixel. */
static void
facedet_input(struct facedet *fd, const struct image *im, const struct facedet_view *v, int ox, int oy,
              int cell)
{
	const int n = fd->in_w;
	const size_t plane = (size_t)n * fd->in_h;
	int dx, dy, c;

	facedet_table(cell, (double)v->w, v->w, fd->xa, fd->fx);
	facedet_table(cell, (double)v->h, v->h, fd->ya, fd->fy);
	fd->hsrc[0] = fd->hsrc[1] = -2;
	for (dy = 0; dy < cell; dy++) {
		int ra = fd->ya[2 * dy], rb = fd->ya[2 * dy + 1];
		const float *top = facedet_across(fd, im, v, ra, cell, rb);
		const float *bot = facedet_across(fd, im, v, rb, cell, ra);
		float wy = fd->fy[dy];
		float *row = fd->in + (size_t)(oy + dy) * n + ox;

		for (c = 0; c < 3; c++)
			for (dx = 0; dx < cell; dx++) {
				float t = top[c * cell + dx], b = bot[c * cell + dx];

				row[c * plane + dx] = (t + (b - t) * wy) * (1.0f / 255);
			}
	}
}

/* facedet_decode - the boxes over threshold whose centre lies in the
 * cell x cell square at ox, oy of the input, which holds view v: in image
 * pixels, clipped to the view, sorted, NMS; at most max into out. Returns
 * the count. */
static int
facedet_decode(struct facedet *fd, const struct facedet_view *v, int ox, int oy, int cell, float threshold,
               struct nn_box *out, int max)
{
	const float cw = (float)v->w, ch = (float)v->h, kx = (float)fd->in_w / cell, ky = (float)fd->in_h / cell;
	int lv, i, n = 0, a = 0, kept;

	for (lv = 0; lv < FACEDET_LEVELS; lv++) {
		const layer *lc = fd->cls[lv], *ll = fd->loc[lv];
		size_t wh = (size_t)lc->out_w * lc->out_h, p;

		for (p = 0; p < wh; p++)
			for (i = 0; i < FACEDET_ANCHORS; i++, a++) {
				const float *an = fd->anchor[a];
				float s0 = lc->output[(2 * i) * wh + p], s1 = lc->output[(2 * i + 1) * wh + p];
				float score = s0 > s1 ? s0 : s1, bx, by, bw, bh, x0, y0, x1, y1;

				if (!(score > threshold))
					continue;
				bx = (ll->output[(4 * i) * wh + p] * 0.1f * an[2] + an[0]) * kx - (float)ox / cell;
				by = (ll->output[(4 * i + 1) * wh + p] * 0.1f * an[3] + an[1]) * ky - (float)oy / cell;
				if ((cell < fd->in_w || cell < fd->in_h) && !(bx >= 0 && bx < 1 && by >= 0 && by < 1))
					continue; /* centre in another view's cell */
				bw = expf(ll->output[(4 * i + 2) * wh + p] * 0.2f) * an[2] * kx;
				bh = expf(ll->output[(4 * i + 3) * wh + p] * 0.2f) * an[3] * ky;
				/* to image pixels, clipped to the view (the rest is padding) */
				x0 = fmaxf((bx - bw / 2) * cw, 0);
				y0 = fmaxf((by - bh / 2) * ch, 0);
				x1 = fminf((bx + bw / 2) * cw, (float)v->w);
				y1 = fminf((by + bh / 2) * ch, (float)v->h);
				if (!(x1 > x0) || !(y1 > y0))
					continue;
				fd->cand[n++] = (struct nn_box){ v->x + x0, v->y + y0, x1 - x0, y1 - y0, score };
			}
	}
	nn_sort(fd->cand, n);
	kept = nn_nms(fd->cand, n, FACEDET_IOU);
	for (i = 0; i < kept && i < max; i++)
		out[i] = fd->cand[i];
	return i;
}

/* facedet_view_ok - v lies inside im and is not empty. */
static int
facedet_view_ok(const struct image *im, const struct facedet_view *v)
{
	return v->x >= 0 && v->y >= 0 && v->w > 0 && v->h > 0 && v->x + v->w <= im->w && v->y + v->h <= im->h;
}

int facedet_run_tiles(struct facedet *fd, const struct image *im, const struct facedet_view *v, int nv,
                      int grid, float threshold, struct nn_box *out, int *count, int max)
{
	int t, cell, rows, total = 0;

	if (fd == NULL || im == NULL || im->rgb == NULL || grid < 1 || nv < 1 || max < 0)
		return -EINVAL;
	cell = fd->in_w / grid;
	rows = fd->in_h / cell;
	if (rows < 1 || nv > grid * rows)
		return -EINVAL;
	for (t = 0; t < nv; t++)
		if (!facedet_view_ok(im, &v[t]))
			return -EINVAL;
	if (nv < grid * rows || cell * grid < fd->in_w || cell * rows < fd->in_h)
		memset(fd->in, 0, sizeof(float) * 3 * fd->in_w * fd->in_h);
	for (t = 0; t < nv; t++)
		facedet_input(fd, im, &v[t], t % grid * cell, t / grid * cell, cell);
	nn_predict(fd->net, fd->in);
	for (t = 0; t < nv; t++) {
		count[t] = facedet_decode(fd, &v[t], t % grid * cell, t / grid * cell, cell, threshold,
		    out + total, max - total);
		total += count[t];
	}
	return total;
}

int facedet_run(struct facedet *fd, const struct image *im, float threshold, struct nn_box *out, int max)
{
	struct facedet_view v;
	int count;

	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0)
		return -EINVAL;
	v = (struct facedet_view){ 0, 0, im->w, im->h };
	return facedet_run_tiles(fd, im, &v, 1, 1, threshold, out, &count, max);
}

void facedet_close(struct facedet *fd)
{
	if (fd == NULL)
		return;
	if (fd->net)
		free_network(fd->net);
	free(fd->anchor);
	free(fd->cand);
	free(fd->in);
	free(fd->xa);
	free(fd->ya);
	free(fd->fx);
	free(fd->fy);
	free(fd->hrow[0]);
	free(fd->hrow[1]);
	free(fd);
}
