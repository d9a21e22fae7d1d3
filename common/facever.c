/* facever - the face verifier (facever.h): a darknet net of [connected]
 * layers read from the models folder, on maskcls_features' rows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "facever.h"
#include "nn_priv.h"

/* The faces facever_filter kept from the last image, with their mask
 * probabilities (the verifier ran the mask classifier on them already). */
struct facever_seen {
	struct nn_box box;
	float probs[MASKCLS_N];
	int cls;
};

struct facever {
	network *net;     /* owned */
	float *in;        /* owned: nfeat */
	int nfeat;
	float threshold;  /* verify.threshold's `verify` */
	float detector;   /* its `detector`: faces scored this or more are not checked */
	struct facever_seen seen[FACEVER_SEEN_MAX];
	int nseen;
};

/* facever_read_threshold - verify.threshold: '#' lines are notes; "verify
 * P" (required) and "detector P" (optional: without it every face is
 * checked), each once, P in [0, 1]. */
static int facever_read_threshold(const char *dir, struct facever *fv, char *err, size_t errlen)
{
	char path[4096], line[256], key[32], extra[2];
	int lineno = 0, seen[2] = { 0, 0 }, k;
	float v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/verify.threshold", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fv->detector = 2;   /* above any score: every face checked */
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == 0 || line[0] == '#')
			continue;
		k = sscanf(line, "%31s %f %1s", key, &v, extra) != 2 ? -1 : strcmp(key, "verify") == 0 ? 0 :
		    strcmp(key, "detector") == 0 ? 1 : -1;
		if (k < 0 || seen[k]++ || !(v >= 0 && v <= 1)) {
			snprintf(err, errlen, "%s:%d: want \"verify P\" or \"detector P\" (0..1, once each), got \"%s\"",
			    path, lineno, line);
			fclose(f);
			return -1;
		}
		*(k == 0 ? &fv->threshold : &fv->detector) = v;
	}
	fclose(f);
	if (!seen[0]) {
		snprintf(err, errlen, "%s: no \"verify\" threshold", path);
		return -1;
	}
	return 0;
}

/* facever_check_net - max pools, convolutions and connected layers without
 * batch-norm, nfeat in, one out, and the weights file exactly as long as
 * they need (darknet reads a short file without a word). */
static int facever_check_net(const char *dir, const network *net, int nfeat, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;
	long floats = 0;
	int i;

	if (net->inputs != nfeat || net->outputs != 1) {
		snprintf(err, errlen, "%s/verify.cfg: %d inputs and %d outputs, want %d and 1 (the mask "
		    "classifier's features: retrain the verifier with its backbone)", dir, net->inputs, net->outputs, nfeat);
		return -1;
	}
	for (i = 0; i < net->n; i++) {
		const layer *l = &net->layers[i];

		if ((l->type != CONNECTED && l->type != CONVOLUTIONAL && l->type != MAXPOOL) || l->batch_normalize) {
			snprintf(err, errlen, "%s/verify.cfg: layer %d is not a [maxpool], [convolutional] or [connected] "
			    "layer without batch-norm", dir, i);
			return -1;
		}
		if (l->type == CONNECTED)
			floats += (long)l->outputs + (long)l->inputs * l->outputs;
		else if (l->type == CONVOLUTIONAL)
			floats += (long)l->n + (long)l->nweights;
	}
	snprintf(path, sizeof(path), "%s/verify.weights", dir);
	if (stat(path, &st) < 0 || st.st_size != 20 + 4 * floats) {
		snprintf(err, errlen, "%s: %lld bytes, want %ld", path, (long long)(st.st_size), 20 + 4 * floats);
		return -1;
	}
	return 0;
}

struct facever *facever_open(const char *models_dir, int nfeat, char *err, size_t errlen)
{
	struct facever *fv;

	if (nfeat <= 0) {
		snprintf(err, errlen, "face verifier: no features to read (%d)", nfeat);
		return NULL;
	}
	if ((fv = calloc(1, sizeof(*fv))) == NULL) {
		snprintf(err, errlen, "face verifier: out of memory");
		return NULL;
	}
	fv->nfeat = nfeat;
	if (facever_read_threshold(models_dir, fv, err, errlen) < 0 ||
	    (fv->net = nn_load(models_dir, "verify", err, errlen)) == NULL ||
	    facever_check_net(models_dir, fv->net, nfeat, err, errlen) < 0) {
		facever_close(fv);
		return NULL;
	}
	if ((fv->in = malloc(sizeof(float) * (size_t)nfeat)) == NULL) {
		snprintf(err, errlen, "face verifier: out of memory");
		facever_close(fv);
		return NULL;
	}
	return fv;
}

float facever_score(struct facever *fv, const float *feat)
{
	/* darknet's forward may write into its input: a copy */
	memcpy(fv->in, feat, sizeof(float) * (size_t)fv->nfeat);
	return nn_predict(fv->net, fv->in)[0];
}

float facever_threshold(const struct facever *fv)
{
	return fv->threshold;
}

int facever_filter(struct facever *fv, struct maskcls *mc, const struct image *im, struct nn_box *faces, int n)
{
	struct nn_box box;
	float probs[MASKCLS_N];
	int i, k = 0, cls;

	fv->nseen = 0;
	for (i = 0; i < n; i++) {
		if (faces[i].score >= fv->detector) {
			faces[k++] = faces[i];   /* the detector is sure: not checked */
			continue;
		}
		maskcls_from_detector(&faces[i], &box);
		if ((cls = maskcls_run(mc, im, &box, probs)) < 0)
			return cls;
		if (maskcls_features(mc, fv->in, fv->nfeat) != fv->nfeat)
			return -EINVAL;
		if (nn_predict(fv->net, fv->in)[0] < fv->threshold)
			continue;
		if (fv->nseen < FACEVER_SEEN_MAX) {
			struct facever_seen *s = &fv->seen[fv->nseen++];

			s->box = faces[i];
			memcpy(s->probs, probs, sizeof(probs));
			s->cls = cls;
		}
		faces[k++] = faces[i];
	}
	return k;
}

int facever_cached(const struct facever *fv, const struct nn_box *face, float probs[MASKCLS_N])
{
	int i;

	for (i = 0; i < fv->nseen; i++)
		if (memcmp(&fv->seen[i].box, face, sizeof(*face)) == 0) {
			memcpy(probs, fv->seen[i].probs, sizeof(fv->seen[i].probs));
			return fv->seen[i].cls;
		}
	return -1;
}

void facever_close(struct facever *fv)
{
	if (fv == NULL)
		return;
	if (fv->net)
		free_network(fv->net);
	free(fv->in);
	free(fv);
}
