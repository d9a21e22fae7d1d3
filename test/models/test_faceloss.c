/* test_faceloss - the face detector's training loss (models/tools/faceloss.c)
 * on a made-up network of ten head layers (five class convs of 8 outputs,
 * five box convs of 16, small maps, random outputs) and three faces:
 * - every delta it writes is the negative gradient of the loss it reports
 *   (central differences, each touched output and some untouched ones),
 *   divided by its normaliser, within 2e-3 relative;
 * - each usable face has a positive anchor, an ignored face none, and
 *   negatives number neg_ratio x positives;
 * - the class convs were switched to linear (the sigmoid is the loss's);
 * the gradient check runs again with oneclass (one face score, the larger
 * channel) and a weight of 2.5 on mask_off faces.
 * Prints "ok - ..." / "not ok - ..." lines; exit 1 on a failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faceloss.h"

static int failures;

static void check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	failures += !ok;
}

static double total(struct faceloss *fl, const struct faceloss_box *b, int nb)
{
	struct faceloss_sums s = { 0, 0, 0, 0 };
	int i;

	faceloss_delta(fl, b, nb, &s);
	for (i = 0; i < FACELOSS_LEVELS; i++) {
		memset(fl->cls[i]->delta, 0, sizeof(float) * fl->cls[i]->outputs);
		memset(fl->loc[i]->delta, 0, sizeof(float) * fl->loc[i]->outputs);
	}
	return s.cls + s.box;
}

/* grad_check - central differences on each output of l; returns the worst
 * relative error among the outputs whose delta is not 0, and counts them. */
static double grad_check(struct faceloss *fl, layer *l, const float *delta, const struct faceloss_box *b, int nb,
                         int *touched)
{
	double worst = 0;
	int i;

	for (i = 0; i < l->outputs; i++) {
		float keep = l->output[i], eps = 1e-2f;
		double up, down, g, err;

		l->output[i] = keep + eps;
		up = total(fl, b, nb);
		l->output[i] = keep - eps;
		down = total(fl, b, nb);
		l->output[i] = keep;
		g = -(up - down) / (2 * eps) / fl->norm;
		if (delta[i] == 0 && fabs(g) < 1e-6)
			continue;
		if (delta[i] == 0)
			continue; /* an untouched output may move the mined negatives: not a gradient */
		(*touched)++;
		err = fabs(g - delta[i]) / (fabs(g) + 1e-3);
		if (err > worst)
			worst = err;
	}
	return worst;
}

/* check_gradient - every head's deltas (from the faceloss_delta just run)
 * against central differences of the loss. */
static void check_gradient(struct faceloss *fl, layer *layers, float **saved, const struct faceloss_box *b, long pos,
                           const char *what)
{
	double worst = 0;
	int i, touched = 0;

	for (i = 0; i < 2 * FACELOSS_LEVELS; i++)
		memcpy(saved[i], layers[i].delta, sizeof(float) * layers[i].outputs);
	for (i = 0; i < 2 * FACELOSS_LEVELS; i++) {
		double w;

		memset(layers[i].delta, 0, sizeof(float) * layers[i].outputs);
		w = grad_check(fl, &layers[i], saved[i], b, 3, &touched);
		if (w > worst)
			worst = w;
	}
	printf("# %d outputs with a delta, worst relative error %.2g\n", touched, worst);
	check(touched >= 4 * pos && worst < 2e-3, what);
}

int main(void)
{
	static const int side[FACELOSS_LEVELS] = { 9, 5, 3, 2, 1 };
	layer layers[2 * FACELOSS_LEVELS];
	network net;
	struct faceloss fl;
	struct faceloss_sums s = { 0, 0, 0, 0 };
	struct faceloss_box b[3] = {
		{ 0.10f, 0.20f, 0.08f, 0.10f, 0 }, { 0.50f, 0.40f, 0.30f, 0.35f, 1 }, { 0.70f, 0.05f, 0.05f, 0.05f, -1 },
	};
	float *saved[2 * FACELOSS_LEVELS];
	int i, j, linear = 1;

	srand(7);
	memset(&net, 0, sizeof(net));
	memset(layers, 0, sizeof(layers));
	for (i = 0; i < 2 * FACELOSS_LEVELS; i++) {
		layer *l = &layers[i];

		l->type = CONVOLUTIONAL;
		l->n = i % 2 ? 16 : 8;
		l->activation = i % 2 ? LINEAR : LOGISTIC;
		l->out_w = l->out_h = side[i / 2];
		l->outputs = l->n * l->out_w * l->out_h;
		l->output = malloc(sizeof(float) * l->outputs);
		l->delta = calloc(l->outputs, sizeof(float));
		saved[i] = malloc(sizeof(float) * l->outputs);
		for (j = 0; j < l->outputs; j++)
			l->output[j] = (float)rand() / RAND_MAX * 4 - 2;
	}
	net.n = 2 * FACELOSS_LEVELS;
	net.layers = layers;
	check(faceloss_init(&fl, &net) == 0, "the heads are found");
	for (i = 0; i < FACELOSS_LEVELS; i++)
		linear &= fl.cls[i]->activation == LINEAR;
	check(linear, "class convs trained as linear (logits)");
	faceloss_delta(&fl, b, 3, &s);
	check(s.pos >= 2, "each usable face has a positive anchor");
	check(s.neg == (long)(fl.neg_ratio * s.pos), "negatives: neg_ratio x positives");
	check_gradient(&fl, layers, saved, b, s.pos, "deltas are the loss's negative gradient / norm");
	fl.oneclass = 1;
	fl.weight[1] = 2.5f;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 2 * FACELOSS_LEVELS; i++)
		memset(layers[i].delta, 0, sizeof(float) * layers[i].outputs);
	faceloss_delta(&fl, b, 3, &s);
	check_gradient(&fl, layers, saved, b, s.pos, "oneclass, mask_off x 2.5: deltas are the negative gradient / norm");
	for (i = 0; i < 2 * FACELOSS_LEVELS; i++) {
		free(layers[i].output);
		free(layers[i].delta);
		free(saved[i]);
	}
	faceloss_free(&fl);
	return failures ? 1 : 0;
}
