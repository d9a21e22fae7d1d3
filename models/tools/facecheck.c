/* facecheck - check the converted face detector.
 *
 *   facecheck ref MODELS FIXTURE...
 *	compare darknet with TensorFlow.js reference fixtures written by
 *	models/scripts/face-reference.mjs: raw conv outputs (max abs diff <=
 *	1e-3) and decoded boxes after NMS at threshold 0.5 (same count, same
 *	order, IoU > 0.99 pairwise, |score diff| <= 1e-3).
 *   facecheck recall MODELS XML INPUT THRESHOLD MIN_RECALL
 *	recall on a dlib imglab XML (faces annotated as <box top left width
 *	height>; boxes marked ignore='1' skipped): an annotated face counts as
 *	found if some detection has IoU >= 0.3 with it. Asserts recall >=
 *	MIN_RECALL.
 * Prints "ok - ..." / "not ok - ..." lines; exit 1 if any failed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_priv.h"
#include "ppm.h"

#define MAXBOX 256

static const float face_mean[3] = { 117.001f, 114.697f, 97.404f };
static int failures;

static void result(int ok, const char *fmt, const char *why)
{
	if (ok)
		printf("ok - %s\n", fmt);
	else {
		printf("not ok - %s: %s\n", fmt, why);
		failures++;
	}
}

static int check_fixture(const char *models, const char *fixture)
{
	char line[1024], img_path[1024] = "", what[1200], why[512];
	int input = 0, gw = 0, gh = 0, gc = 0, nref = 0, nv = 0, i, n;
	struct nn_box ref[MAXBOX], got[MAXBOX];
	struct image im = { 0 };
	struct facedet *fd;
	network *net;
	double maxdiff = 0;
	float *in, *raw;
	FILE *f;

	if ((f = fopen(fixture, "r")) == NULL) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		result(0, fixture, why);
		return -1;
	}
	/* First pass: header and boxes. */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "image %1023s", img_path) == 1)
			continue;
		if (sscanf(line, "input %d", &input) == 1)
			continue;
		if (sscanf(line, "grid %d %d %d", &gw, &gh, &gc) == 3)
			continue;
		if (nref < MAXBOX && sscanf(line, "box %f %f %f %f %f", &ref[nref].x, &ref[nref].y,
		    &ref[nref].w, &ref[nref].h, &ref[nref].score) == 5)
			nref++;
	}
	if (ppm_load(img_path, &im) < 0 || gc != 25) {
		fclose(f);
		result(0, fixture, "cannot read its image or grid");
		return -1;
	}

	/* Raw outputs of the last conv layer (before [region]). */
	if ((net = nn_load(models, "face", why, sizeof(why))) == NULL) {
		fclose(f);
		free(im.rgb);
		result(0, fixture, why);
		return -1;
	}
	nn_resize(net, input, input);
	in = malloc(sizeof(float) * 3 * input * input);
	nn_resize_tf(&im, im.w > im.h ? im.w : im.h, im.w > im.h ? im.w : im.h, input, input,
	    face_mean, 1.0f / 255, in);
	nn_predict(net, in);
	raw = net->layers[net->n - 2].output;
	snprintf(what, sizeof(what), "%s: darknet grid is %dx%d", fixture, gw, gh);
	result(net->layers[net->n - 2].w == gw && net->layers[net->n - 2].h == gh, what, "grid differs");
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		long idx;
		float v;

		if (sscanf(line, "v %ld %f", &idx, &v) != 2)
			continue;
		if (idx < 0 || idx >= (long)gw * gh * 25)
			continue;
		{
			long cell = idx / 25, ch = idx % 25, a = ch / 5, k = ch % 5;
			double d = fabs(raw[(a * 6 + k) * gw * gh + cell] - v);

			if (d > maxdiff || isnan(d))
				maxdiff = isnan(d) ? INFINITY : d;
		}
		nv++;
	}
	fclose(f);
	free(in);
	free_network(net);
	snprintf(what, sizeof(what), "%s: %d raw outputs within 1e-3 of tfjs (max abs diff %.2g)",
	    fixture, nv, maxdiff);
	result(nv > 100 && maxdiff <= 1e-3, what, "too far from the reference");

	/* Decoded boxes through the public API. */
	if ((fd = facedet_open(models, input, why, sizeof(why))) == NULL) {
		free(im.rgb);
		result(0, fixture, why);
		return -1;
	}
	n = facedet_run(fd, &im, 0.5f, got, MAXBOX);
	facedet_close(fd);
	free(im.rgb);
	snprintf(what, sizeof(what), "%s: %d boxes after NMS (tfjs %d)", fixture, n, nref);
	result(n == nref, what, "box count differs");
	for (i = 0; i < n && i < nref; i++) {
		float iou = nn_iou(&got[i], &ref[i]);

		snprintf(what, sizeof(what),
		    "%s: box %d (%.1f,%.1f %.1fx%.1f) IoU %.5f with tfjs, score %.4f vs %.4f",
		    fixture, i, got[i].x, got[i].y, got[i].w, got[i].h, iou, got[i].score, ref[i].score);
		result(iou > 0.99f && fabsf(got[i].score - ref[i].score) <= 1e-3f, what, "box differs");
	}
	return 0;
}

static int attr(const char *line, const char *name, float *v)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s='", name);
	if ((p = strstr(line, key)) == NULL)
		return -1;
	*v = strtof(p + strlen(key), NULL);
	return 0;
}

static int recall(const char *models, const char *xml, int input, float thresh, float min_recall)
{
	char line[1024], dir[1024], path[2200], what[256], why[512];
	struct nn_box gt[MAXBOX], det[MAXBOX];
	int ngt = 0, total = 0, found = 0, ndet_total = 0, matched_det = 0, images = 0;
	struct facedet *fd;
	const char *slash;
	FILE *f;

	if ((f = fopen(xml, "r")) == NULL) {
		result(0, xml, strerror(errno));
		return -1;
	}
	if ((fd = facedet_open(models, input, why, sizeof(why))) == NULL) {
		fclose(f);
		result(0, xml, why);
		return -1;
	}
	slash = strrchr(xml, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - xml) : 1, slash ? xml : ".");
	path[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p;
		float t, l, w, h, ign;

		if ((p = strstr(line, "<image file='")) != NULL) {
			p += strlen("<image file='");
			snprintf(path, sizeof(path), "%s/%.*s", dir, (int)strcspn(p, "'"), p);
			ngt = 0;
		} else if (strstr(line, "<box ") && ngt < MAXBOX &&
		    attr(line, "top", &t) == 0 && attr(line, "left", &l) == 0 &&
		    attr(line, "width", &w) == 0 && attr(line, "height", &h) == 0) {
			if (attr(line, "ignore", &ign) == 0 && ign != 0)
				continue;
			gt[ngt++] = (struct nn_box){ l, t, w, h, 1 };
		} else if (strstr(line, "</image>") && path[0]) {
			struct image im;
			int n, i, j, *used;

			if (ppm_decode(path, &im) < 0) {
				result(0, path, "cannot decode");
				continue;
			}
			n = facedet_run(fd, &im, thresh, det, MAXBOX);
			free(im.rgb);
			used = calloc(n > 0 ? n : 1, sizeof(int));
			for (i = 0; i < ngt; i++) {
				for (j = 0; j < n; j++)
					if (nn_iou(&gt[i], &det[j]) >= 0.3f) {
						found++;
						used[j] = 1;
						break;
					}
			}
			for (j = 0; j < n; j++)
				matched_det += used[j];
			free(used);
			total += ngt;
			ndet_total += n > 0 ? n : 0;
			images++;
			path[0] = 0;
		}
	}
	fclose(f);
	facedet_close(fd);
	snprintf(what, sizeof(what),
	    "%s at input %d, threshold %.2f: recall %.3f (%d of %d faces in %d images), "
	    "%d of %d detections match a face; want recall >= %.2f",
	    strrchr(xml, '/') ? strrchr(xml, '/') + 1 : xml, input, thresh,
	    total ? (double)found / total : 0, found, total, images, matched_det, ndet_total, min_recall);
	result(total > 0 && (float)found / total >= min_recall, what, "recall too low");
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc >= 4 && strcmp(argv[1], "ref") == 0) {
		for (i = 3; i < argc; i++)
			check_fixture(argv[2], argv[i]);
	} else if (argc == 7 && strcmp(argv[1], "recall") == 0) {
		recall(argv[2], argv[3], atoi(argv[4]), strtof(argv[5], NULL), strtof(argv[6], NULL));
	} else {
		fprintf(stderr, "usage: facecheck ref MODELS FIXTURE...\n"
		    "       facecheck recall MODELS XML INPUT THRESHOLD MIN_RECALL\n");
		return 2;
	}
	return failures ? 1 : 0;
}
