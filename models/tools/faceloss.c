/* faceloss - SSD loss for the face detector's heads (see faceloss.h).
 * Matching as SSD: each annotated face takes its best anchor, and every
 * anchor whose IoU with a face reaches pos_iou is that face's; anchors
 * under neg_iou with every face (ignored ones included) are negatives, of
 * which the neg_ratio x positives with the highest loss are trained (hard
 * negative mining). Class: binary cross-entropy on the sigmoid of each
 * channel, or with oneclass a face's score as facedet.c reads it (the
 * larger of the two) trained up and the other channel left alone, so the
 * Mask/NoMask split is the mask classifier's. Box: smooth L1 on the encoded offsets (variances 0.1 / 0.2, as
 * facedet.c decodes them). Losses are divided by norm (the caller's
 * running mean of positives per image); a positive's class and box loss
 * are also multiplied by weight[] of its face's class. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faceloss.h"
#include "nn_priv.h"

int faceloss_init(struct faceloss *fl, network *net)
{
	int i, nc = 0, nl = 0, lv, row, col, k, n = 0;

	memset(fl, 0, sizeof(*fl));
	for (i = 0; i < net->n; i++) {
		layer *l = &net->layers[i];

		if (l->type != CONVOLUTIONAL)
			continue;
		if (l->n == 2 * FACELOSS_ANCHORS && l->activation == LOGISTIC && nc < FACELOSS_LEVELS) {
			l->activation = LINEAR; /* logits: the sigmoid is ours */
			fl->cls[nc++] = l;
		} else if (l->n == 4 * FACELOSS_ANCHORS && l->activation == LINEAR && nl < FACELOSS_LEVELS) {
			fl->loc[nl++] = l;
		}
	}
	if (nc != FACELOSS_LEVELS || nl != FACELOSS_LEVELS) {
		fprintf(stderr, "faceloss: want %d class and %d box head convs, found %d and %d\n",
		    FACELOSS_LEVELS, FACELOSS_LEVELS, nc, nl);
		return -1;
	}
	for (lv = 0; lv < FACELOSS_LEVELS; lv++)
		n += fl->cls[lv]->out_w * fl->cls[lv]->out_h * FACELOSS_ANCHORS;
	fl->anchor = malloc(sizeof(*fl->anchor) * n);
	fl->best = malloc(sizeof(float) * n);
	fl->match = malloc(sizeof(int) * n);
	fl->negloss = malloc(sizeof(float) * n);
	fl->order = malloc(sizeof(int) * n);
	if (!fl->anchor || !fl->best || !fl->match || !fl->negloss || !fl->order) {
		fprintf(stderr, "faceloss: out of memory\n");
		return -1;
	}
	for (lv = 0, n = 0; lv < FACELOSS_LEVELS; lv++) {
		int fw = fl->cls[lv]->out_w, fh = fl->cls[lv]->out_h;

		for (row = 0; row < fh; row++)
			for (col = 0; col < fw; col++)
				for (k = 0; k < FACELOSS_ANCHORS; k++, n++)
					facedet_anchor(lv, k, col, row, fw, fh, fl->anchor[n]);
	}
	fl->n = n;
	fl->pos_iou = 0.4f;
	fl->neg_iou = 0.3f;
	fl->neg_ratio = 3;
	fl->norm = 10;
	fl->weight[0] = fl->weight[1] = fl->weight[2] = 1;
	return 0;
}

void faceloss_free(struct faceloss *fl)
{
	free(fl->anchor);
	free(fl->best);
	free(fl->match);
	free(fl->negloss);
	free(fl->order);
}

static float faceloss_iou(const float *a, const struct faceloss_box *b)
{
	float ax0 = a[0] - a[2] / 2, ay0 = a[1] - a[3] / 2, ax1 = a[0] + a[2] / 2, ay1 = a[1] + a[3] / 2;
	float iw = fminf(ax1, b->x + b->w) - fmaxf(ax0, b->x), ih = fminf(ay1, b->y + b->h) - fmaxf(ay0, b->y);
	float in;

	if (iw <= 0 || ih <= 0)
		return 0;
	in = iw * ih;
	return in / (a[2] * a[3] + b->w * b->h - in);
}

/* faceloss_match - best[] and match[] per anchor (-1: negative, -2:
 * ignored, else the box), every usable box given its best anchor. */
static int faceloss_match(struct faceloss *fl, const struct faceloss_box *b, int nb)
{
	int a, j, npos = 0;

	for (a = 0; a < fl->n; a++) {
		fl->best[a] = 0;
		fl->match[a] = -1;
		for (j = 0; j < nb; j++) {
			float v = faceloss_iou(fl->anchor[a], &b[j]);

			if (v > fl->best[a] && (b[j].cls >= 0 || v >= fl->neg_iou)) {
				fl->best[a] = v;
				fl->match[a] = j;
			}
		}
		if (fl->best[a] < fl->neg_iou)
			fl->match[a] = -1;
		else if (fl->best[a] < fl->pos_iou || b[fl->match[a]].cls < 0)
			fl->match[a] = -2;
	}
	for (j = 0; j < nb; j++) {
		int top = -1;
		float tv = 0;

		if (b[j].cls < 0)
			continue;
		for (a = 0; a < fl->n; a++) {
			float v = faceloss_iou(fl->anchor[a], &b[j]);

			if (v > tv) {
				tv = v;
				top = a;
			}
		}
		if (top >= 0 && tv > 0.1f)
			fl->match[top] = j;
	}
	for (a = 0; a < fl->n; a++)
		npos += fl->match[a] >= 0;
	return npos;
}

static float faceloss_sigmoid(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

/* faceloss_where - the level, the map size and the cell of anchor a. */
static int faceloss_where(const struct faceloss *fl, int a, size_t *wh, size_t *p, int *k)
{
	int lv;

	for (lv = 0; lv < FACELOSS_LEVELS; lv++) {
		int cnt = fl->cls[lv]->out_w * fl->cls[lv]->out_h * FACELOSS_ANCHORS;

		if (a < cnt)
			break;
		a -= cnt;
	}
	*wh = (size_t)fl->cls[lv]->out_w * fl->cls[lv]->out_h;
	*p = (size_t)(a / FACELOSS_ANCHORS);
	*k = a % FACELOSS_ANCHORS;
	return lv;
}

/* faceloss_positive - class and box deltas of positive anchor a. */
static void faceloss_positive(struct faceloss *fl, int a, const struct faceloss_box *b, struct faceloss_sums *s)
{
	const float *an = fl->anchor[a];
	size_t wh, p;
	int k, lv = faceloss_where(fl, a, &wh, &p, &k), c, i;
	layer *lc = fl->cls[lv], *ll = fl->loc[lv];
	float t[4];

	float wt = b->cls >= 0 && b->cls < 3 ? fl->weight[b->cls] : 1, lo[2];

	for (c = 0; c < 2; c++)
		lo[c] = lc->output[(size_t)(2 * k + c) * wh + p];
	for (c = 0; c < 2; c++) {
		size_t o = (size_t)(2 * k + c) * wh + p;
		float pr = faceloss_sigmoid(lo[c]), tg = b->cls == c || (b->cls == 2 && c == 1);

		if (fl->oneclass) {
			if (lo[c] < lo[1 - c] || (lo[c] == lo[1 - c] && c == 0))
				continue; /* the larger channel is the face's score */
			tg = 1;
		} else if (b->cls == 2 && c == 0) {
			continue;
		}
		lc->delta[o] = wt * (tg - pr) / fl->norm;
		s->cls -= wt * logf(fmaxf(tg ? pr : 1 - pr, 1e-7f));
	}
	t[0] = (b->x + b->w / 2 - an[0]) / (0.1f * an[2]);
	t[1] = (b->y + b->h / 2 - an[1]) / (0.1f * an[3]);
	t[2] = logf(b->w / an[2]) / 0.2f;
	t[3] = logf(b->h / an[3]) / 0.2f;
	for (i = 0; i < 4; i++) {
		size_t o = (size_t)(4 * k + i) * wh + p;
		float d = ll->output[o] - t[i], ad = fabsf(d);

		s->box += wt * (ad < 1 ? 0.5f * d * d : ad - 0.5f);
		ll->delta[o] = -wt * (ad < 1 ? d : (d > 0 ? 1.0f : -1.0f)) / fl->norm;
	}
}

static const float *faceloss_sort_key;

static int faceloss_cmp(const void *x, const void *y)
{
	float a = faceloss_sort_key[*(const int *)x], b = faceloss_sort_key[*(const int *)y];

	return (a < b) - (a > b);
}

void faceloss_delta(struct faceloss *fl, const struct faceloss_box *b, int nb, struct faceloss_sums *s)
{
	int a, nneg = 0, keep, npos = faceloss_match(fl, b, nb), c;

	for (a = 0; a < fl->n; a++) {
		size_t wh, p;
		int k, lv;

		if (fl->match[a] >= 0) {
			faceloss_positive(fl, a, &b[fl->match[a]], s);
			continue;
		}
		if (fl->match[a] != -1)
			continue;
		lv = faceloss_where(fl, a, &wh, &p, &k);
		fl->negloss[a] = 0;
		for (c = 0; c < 2; c++)
			fl->negloss[a] -= logf(fmaxf(1 - faceloss_sigmoid(fl->cls[lv]->output[(size_t)(2 * k + c) * wh + p]), 1e-7f));
		fl->order[nneg++] = a;
	}
	keep = (int)(fl->neg_ratio * (npos > 2 ? npos : 2));
	if (keep > nneg)
		keep = nneg;
	faceloss_sort_key = fl->negloss;
	qsort(fl->order, (size_t)nneg, sizeof(int), faceloss_cmp);
	for (a = 0; a < keep; a++) {
		size_t wh, p;
		int k, lv = faceloss_where(fl, fl->order[a], &wh, &p, &k);

		for (c = 0; c < 2; c++) {
			size_t o = (size_t)(2 * k + c) * wh + p;

			fl->cls[lv]->delta[o] = -faceloss_sigmoid(fl->cls[lv]->output[o]) / fl->norm;
		}
		s->cls += fl->negloss[fl->order[a]];
	}
	s->pos += npos;
	s->neg += keep;
}
