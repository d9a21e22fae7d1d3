/* persondet - find people with NanoDet (human-models, COCO) converted to
 * darknet (models/scripts/convert-nanodet.js): preprocessing as human's
 * src/object/nanodet.ts (stretch to the input size with tf bilinear, /255),
 * box decoding as NanoDet's GFL head, person class only. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_priv.h"

#define PERSONDET_HEADS   3
#define PERSONDET_CLASSES 80     /* COCO; person is class 0 */
#define PERSONDET_BINS    11     /* distance bins per side (reg_max 10) */
#define PERSONDET_CH      (PERSONDET_CLASSES + 4 * PERSONDET_BINS)
#define PERSONDET_IOU     0.5f
#define PERSONDET_MAXCAND 4096

struct persondet {
	network *net;                   /* owned */
	int input;
	int head[PERSONDET_HEADS];      /* layer index of each head, strides 8, 16, 32 */
	float *in;                      /* owned: 3*input*input */
	struct nn_box *cand;            /* owned: PERSONDET_MAXCAND */
};

static const float persondet_mean[3] = { 0, 0, 0 };

/* persondet_find_heads - the three 124-channel convolutions, finest grid first. */
static int persondet_find_heads(network *net, int head[PERSONDET_HEADS])
{
	int i, j, n = 0;

	for (i = 0; i < net->n; i++) {
		layer *l = &net->layers[i];
		if (l->type != CONVOLUTIONAL || l->out_c != PERSONDET_CH)
			continue;
		if (n == PERSONDET_HEADS)
			return -1;
		head[n++] = i;
	}
	if (n != PERSONDET_HEADS)
		return -1;
	for (i = 1; i < n; i++)          /* insertion sort by grid width, descending */
		for (j = i; j > 0 && net->layers[head[j]].out_w > net->layers[head[j - 1]].out_w; j--) {
			int t = head[j];
			head[j] = head[j - 1];
			head[j - 1] = t;
		}
	return 0;
}

struct persondet *persondet_open(const char *models_dir, int input, char *err, size_t errlen)
{
	struct persondet *pd;
	int i;

	if (input != 416 && input != 320) {
		snprintf(err, errlen, "person detector input %d: must be 416 or 320", input);
		return NULL;
	}
	if ((pd = calloc(1, sizeof(*pd))) == NULL) {
		snprintf(err, errlen, "person detector: out of memory");
		return NULL;
	}
	if ((pd->net = nn_load(models_dir, "person", err, errlen)) == NULL) {
		free(pd);
		return NULL;
	}
	if (persondet_find_heads(pd->net, pd->head) < 0) {
		snprintf(err, errlen, "%s/person.cfg: not three %d-channel head convolutions",
		    models_dir, PERSONDET_CH);
		persondet_close(pd);
		return NULL;
	}
	if (pd->net->w != input || pd->net->h != input)
		nn_resize(pd->net, input, input);
	for (i = 0; i < PERSONDET_HEADS; i++) {
		layer *l = &pd->net->layers[pd->head[i]];
		if (l->out_w * (8 << i) != input || l->out_h * (8 << i) != input) {
			snprintf(err, errlen, "%s/person.cfg: head %d is %dx%d at input %d, want stride %d",
			    models_dir, i, l->out_w, l->out_h, input, 8 << i);
			persondet_close(pd);
			return NULL;
		}
	}
	pd->input = input;
	pd->in = malloc(sizeof(float) * 3 * input * input);
	pd->cand = malloc(sizeof(*pd->cand) * PERSONDET_MAXCAND);
	if (pd->in == NULL || pd->cand == NULL) {
		snprintf(err, errlen, "person detector: out of memory");
		persondet_close(pd);
		return NULL;
	}
	return pd;
}

/* persondet_side - expected distance (in cells) of one side: softmax over the bins,
 * then sum k * p_k. o points at bin 0 of this cell, bins are wh apart. */
static float persondet_side(const float *o, size_t wh)
{
	float m = o[0], sum = 0, ev = 0;
	int k;

	for (k = 1; k < PERSONDET_BINS; k++)
		if (o[k * wh] > m)
			m = o[k * wh];
	for (k = 0; k < PERSONDET_BINS; k++) {
		float e = expf(o[k * wh] - m);
		sum += e;
		ev += e * k;
	}
	return ev / sum;
}

int persondet_run(struct persondet *pd, const struct image *im, float threshold, struct nn_box *out, int max)
{
	float sx, sy, in = (float)pd->input;
	int n = 0, kept, i, h;

	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0 || max < 0)
		return -EINVAL;
	nn_resize_tf(im, im->w, im->h, pd->input, pd->input, persondet_mean, 1.0f / 255, pd->in);
	nn_predict(pd->net, pd->in);
	sx = (float)im->w / pd->input;
	sy = (float)im->h / pd->input;
	for (h = 0; h < PERSONDET_HEADS; h++) {
		layer *l = &pd->net->layers[pd->head[h]];
		size_t wh = (size_t)l->out_w * l->out_h, c;
		float stride = (float)(8 << h);
		const float *reg = l->output + PERSONDET_CLASSES * wh;

		for (c = 0; c < wh; c++) {
			float score = 1 / (1 + expf(-l->output[c]));   /* class 0 logit */
			float cx, cy, x0, y0, x1, y1;

			if (!(score >= threshold) || n == PERSONDET_MAXCAND)
				continue;
			cx = ((float)(c % l->out_w) + 0.5f) * stride;
			cy = ((float)(c / l->out_w) + 0.5f) * stride;
			x0 = fmaxf(0, cx - persondet_side(reg + c, wh) * stride);
			y0 = fmaxf(0, cy - persondet_side(reg + PERSONDET_BINS * wh + c, wh) * stride);
			x1 = fminf(in, cx + persondet_side(reg + 2 * PERSONDET_BINS * wh + c, wh) * stride);
			y1 = fminf(in, cy + persondet_side(reg + 3 * PERSONDET_BINS * wh + c, wh) * stride);
			pd->cand[n].x = x0 * sx;
			pd->cand[n].y = y0 * sy;
			pd->cand[n].w = (x1 - x0) * sx;
			pd->cand[n].h = (y1 - y0) * sy;
			pd->cand[n].score = score;
			n++;
		}
	}
	nn_sort(pd->cand, n);
	kept = nn_nms(pd->cand, n, PERSONDET_IOU);
	for (i = 0; i < kept && i < max; i++)
		out[i] = pd->cand[i];
	return i;
}

void persondet_close(struct persondet *pd)
{
	if (pd == NULL)
		return;
	if (pd->net)
		free_network(pd->net);
	free(pd->in);
	free(pd->cand);
	free(pd);
}
