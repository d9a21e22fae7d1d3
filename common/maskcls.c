/* maskcls - classify a face as mask_on / mask_off / mask_chin with the small
 * darknet classifier trained by models/scripts/train-mask.sh. The face is
 * cut out with nn_face_square exactly as the training crops were. Each class
 * has a minimum probability to be called (mask.thresholds beside the
 * weights, chosen on the validation split by mask-thresholds.py). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "nn.h"
#include "nn_priv.h"

static const char *const maskcls_names[MASKCLS_N] = { "mask_on", "mask_off", "mask_chin" };

struct maskcls {
	network *net;           /* owned */
	int size;               /* net input, square */
	int nose;               /* mask.region says "nose": crop maskcls_nose_box */
	float *in;              /* owned: 3*size*size */
	float *mirror;          /* owned: 3*size*size, in flipped left-right */
	float threshold[MASKCLS_N];
	int feat_layer;         /* the layer before the head's first [connected], -1: none */
	int nfeat;              /* its outputs */
	float *feat;            /* owned: nfeat, crop and mirror averaged (maskcls_features) */
};

/* maskcls_check_labels - mask.labels must list the classes in nn.h's order. */
static int maskcls_check_labels(const char *dir, char *err, size_t errlen)
{
	char path[4096], line[128];
	FILE *f;
	int i = 0;

	snprintf(path, sizeof(path), "%s/mask.labels", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) && i <= MASKCLS_N) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == 0)
			continue;
		if (i == MASKCLS_N || strcmp(line, maskcls_names[i]) != 0) {
			fclose(f);
			snprintf(err, errlen, "%s: line %d is \"%s\", want %s", path, i + 1, line,
			    i < MASKCLS_N ? maskcls_names[i] : "end of file");
			return -1;
		}
		i++;
	}
	fclose(f);
	if (i != MASKCLS_N) {
		snprintf(err, errlen, "%s: %d labels, want %d", path, i, MASKCLS_N);
		return -1;
	}
	return 0;
}

/* maskcls_read_thresholds - mask.thresholds: one "CLASS PROBABILITY" line per
 * class, every class once, probabilities in [0, 1]; '#' lines are notes. */
static int maskcls_read_thresholds(const char *dir, float thr[MASKCLS_N], char *err, size_t errlen)
{
	char path[4096], line[256], name[64], extra[2];
	int seen[MASKCLS_N] = { 0 }, lineno = 0, i;
	float v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/mask.thresholds", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == 0 || line[0] == '#')
			continue;
		if (sscanf(line, "%63s %f %1s", name, &v, extra) != 2 || !(v >= 0 && v <= 1)) {
			snprintf(err, errlen, "%s:%d: want \"CLASS PROBABILITY\" (0..1), got \"%s\"", path, lineno, line);
			fclose(f);
			return -1;
		}
		for (i = 0; i < MASKCLS_N && strcmp(name, maskcls_names[i]) != 0; i++)
			;
		if (i == MASKCLS_N || seen[i]++) {
			snprintf(err, errlen, "%s:%d: %s class \"%s\"", path, lineno,
			    i == MASKCLS_N ? "unknown" : "repeated", name);
			fclose(f);
			return -1;
		}
		thr[i] = v;
	}
	fclose(f);
	for (i = 0; i < MASKCLS_N; i++)
		if (!seen[i]) {
			snprintf(err, errlen, "%s: no threshold for %s", path, maskcls_names[i]);
			return -1;
		}
	return 0;
}

/* maskcls_read_region - mask.region, when present: "face" (as without it)
 * or "nose" (the head reads maskcls_nose_box's crop). 1 for nose. */
static int maskcls_read_region(const char *dir, char *err, size_t errlen)
{
	char path[4096], word[16] = "";
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/mask.region", dir);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fscanf(f, "%15s", word);
	fclose(f);
	if (n == 1 && strcmp(word, "face") == 0)
		return 0;
	if (n == 1 && strcmp(word, "nose") == 0)
		return 1;
	snprintf(err, errlen, "%s: want \"face\" or \"nose\"", path);
	return -1;
}

struct maskcls *maskcls_open(const char *models_dir, char *err, size_t errlen)
{
	struct maskcls *mc;

	if (maskcls_check_labels(models_dir, err, errlen) < 0)
		return NULL;
	if ((mc = calloc(1, sizeof(*mc))) == NULL) {
		snprintf(err, errlen, "mask classifier: out of memory");
		return NULL;
	}
	if (maskcls_read_thresholds(models_dir, mc->threshold, err, errlen) < 0 ||
	    (mc->nose = maskcls_read_region(models_dir, err, errlen)) < 0) {
		free(mc);
		return NULL;
	}
	if ((mc->net = nn_load(models_dir, "mask", err, errlen)) == NULL) {
		free(mc);
		return NULL;
	}
	if (mc->net->w != mc->net->h || mc->net->c != 3 || mc->net->outputs != MASKCLS_N) {
		snprintf(err, errlen, "%s/mask.cfg: want a square 3-channel input and %d outputs",
		    models_dir, MASKCLS_N);
		maskcls_close(mc);
		return NULL;
	}
	mc->size = mc->net->w;
	mc->feat_layer = -1;
	for (int i = 1; i < mc->net->n && mc->feat_layer < 0; i++)
		if (mc->net->layers[i].type == CONNECTED)
			mc->feat_layer = i - 1;   /* what the head reads: a [route]'s copy, or the backbone's end */
	if (mc->feat_layer >= 0 && kernels_output_kept(mc->net, mc->feat_layer)) {
		mc->nfeat = mc->net->layers[mc->feat_layer].outputs;
		if ((mc->feat = calloc((size_t)mc->nfeat, sizeof(float))) == NULL) {
			snprintf(err, errlen, "mask classifier: out of memory");
			maskcls_close(mc);
			return NULL;
		}
	}
	if ((mc->in = malloc(sizeof(float) * 3 * mc->size * mc->size)) == NULL ||
	    (mc->mirror = malloc(sizeof(float) * 3 * mc->size * mc->size)) == NULL) {
		snprintf(err, errlen, "mask classifier: out of memory");
		maskcls_close(mc);
		return NULL;
	}
	return mc;
}

int maskcls_run(struct maskcls *mc, const struct image *im, const struct nn_box *face, float probs[MASKCLS_N])
{
	struct image crop;
	struct nn_box nose;
	size_t plane = (size_t)mc->size * mc->size, i;
	int c, x, y, n = mc->size, best = 0;
	float *p;

	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0 || face == NULL ||
	    !(face->w > 0) || !(face->h > 0))
		return -EINVAL;
	if (mc->nose) {
		maskcls_nose_box(face, &nose);
		face = &nose;
	}
	if (nn_face_square(im, face, NN_MASK_MARGIN, mc->size, &crop) < 0)
		return -ENOMEM;
	/* darknet's image loader: planar RGB, px / 255. */
	for (i = 0; i < plane; i++)
		for (c = 0; c < 3; c++)
			mc->in[c * plane + i] = crop.rgb[i * 3 + c] / 255.0f;
	free(crop.rgb);
	/* The face and its mirror image, probabilities averaged: a face is
	 * the same face either way round, and the average is steadier than
	 * either (validation: 96.0% -> 97.0% right, docs/MODELS.md). */
	for (c = 0; c < 3; c++)
		for (y = 0; y < n; y++)
			for (x = 0; x < n; x++)
				mc->mirror[c * plane + (size_t)y * n + x] = mc->in[c * plane + (size_t)y * n + n - 1 - x];
	p = nn_predict(mc->net, mc->in);
	for (c = 0; c < MASKCLS_N; c++)
		probs[c] = p[c];
	if (mc->feat)
		memcpy(mc->feat, mc->net->layers[mc->feat_layer].output, sizeof(float) * (size_t)mc->nfeat);
	p = nn_predict(mc->net, mc->mirror);
	if (mc->feat) {
		const float *o = mc->net->layers[mc->feat_layer].output;

		for (i = 0; i < (size_t)mc->nfeat; i++)
			mc->feat[i] = (mc->feat[i] + o[i]) / 2;
	}
	for (c = 0; c < MASKCLS_N; c++) {
		probs[c] = (probs[c] + p[c]) / 2;
		if (probs[c] > probs[best])
			best = c;
	}
	return best;
}

/* The AIZOO detector's face boxes, against mask-scenes' annotated boxes of
 * the same faces, medians over the 1452 matched faces of 20+ px of the
 * TRAIN split (models/scripts/fit-vision.py, models/trained/vision.fit):
 * centre 0.13 of the larger side higher (p10-p90 0.07-0.18), 1.15x taller
 * (1.01-1.30). The classifier learnt annotated boxes, so the detector's
 * are mapped back before it sees them. */
#define MASKCLS_DET_DY 0.13f
#define MASKCLS_DET_H 1.15f

void maskcls_from_detector(const struct nn_box *det, struct nn_box *out)
{
	float side = det->w > det->h ? det->w : det->h;
	float cy = det->y + det->h / 2 + MASKCLS_DET_DY * side;

	*out = *det;
	out->h = det->h / MASKCLS_DET_H;
	out->y = cy - out->h / 2;
}

/* The nose region, rows of the (annotation-like) face box: real masks worn
 * below the nose have their top edge at 0.45-0.55, masks worn properly
 * cover the nose from about 0.30 (docs/MODELS.md, round 6). */
#define MASKCLS_NOSE_TOP 0.22f
#define MASKCLS_NOSE_BOTTOM 0.72f

void maskcls_nose_box(const struct nn_box *face, struct nn_box *out)
{
	float side = (MASKCLS_NOSE_BOTTOM - MASKCLS_NOSE_TOP) * face->h / (1 + 2 * NN_MASK_MARGIN);
	float cx = face->x + face->w / 2;
	float cy = face->y + (MASKCLS_NOSE_TOP + MASKCLS_NOSE_BOTTOM) / 2 * face->h;

	*out = *face;
	out->w = out->h = side;
	out->x = cx - side / 2;
	out->y = cy - side / 2;
}

int maskcls_decide(const struct maskcls *mc, const float probs[MASKCLS_N])
{
	int c, best = 0;

	for (c = 1; c < MASKCLS_N; c++)
		if (probs[c] > probs[best])
			best = c;
	return probs[best] >= mc->threshold[best] ? best : MASKCLS_UNSURE;
}

int maskcls_features(const struct maskcls *mc, float *out, int n)
{
	if (mc->feat == NULL)
		return -ENOENT;
	if (out == NULL)
		return mc->nfeat;
	if (n != mc->nfeat)
		return -EINVAL;
	memcpy(out, mc->feat, sizeof(float) * (size_t)n);
	return n;
}

float maskcls_threshold(const struct maskcls *mc, int cls)
{
	return cls >= 0 && cls < MASKCLS_N ? mc->threshold[cls] : 1;
}

void maskcls_close(struct maskcls *mc)
{
	if (mc == NULL)
		return;
	if (mc->net)
		free_network(mc->net);
	free(mc->in);
	free(mc->mirror);
	free(mc->feat);
	free(mc);
}

const char *maskcls_name(int cls)
{
	return cls >= 0 && cls < MASKCLS_N ? maskcls_names[cls] : "unknown";
}
