/* facecheck - check the converted face detector.
 *
 *   facecheck ref MODELS FIXTURE...
 *	compare darknet with the numpy reference fixtures written by
 *	models/scripts/face-reference.py from the source weights: the ten
 *	head convs' raw outputs (|diff| <= 1e-4 * max(1, |ref|)) and the
 *	decoded boxes after NMS at threshold 0.5 (same count, same order,
 *	IoU > 0.999 pairwise, |score diff| <= 1e-4).
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
#include "toolopt.h"

#define MAXBOX 256

static int failures;

static void facecheck_result(int ok, const char *fmt, const char *why)
{
	if (ok)
		printf("ok - %s\n", fmt);
	else {
		printf("not ok - %s: %s\n", fmt, why);
		failures++;
	}
}

/* facecheck_load_resized - path through `convert -resize NxN! -depth 8 ppm:-`, the
 * pixels face-reference.py read. Returns 0 or -1. */
static int facecheck_load_resized(const char *path, int n, struct image *im)
{
	char cmd[2048], hdr[64];
	int w, h, maxv, c;
	size_t len;
	FILE *p;

	if (strchr(path, '\'') != NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "/usr/bin/convert '%s' -resize %dx%d! -depth 8 ppm:-", path, n, n);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	if (fscanf(p, "%2s %d %d %d", hdr, &w, &h, &maxv) != 4 || strcmp(hdr, "P6") != 0 ||
	    w != n || h != n || maxv != 255 || (c = fgetc(p)) == EOF) {
		pclose(p);
		return -1;
	}
	len = (size_t)w * h * 3;
	im->w = w;
	im->h = h;
	if ((im->rgb = malloc(len)) == NULL || fread(im->rgb, 1, len, p) != len) {
		free(im->rgb);
		im->rgb = NULL;
		pclose(p);
		return -1;
	}
	return pclose(p) == 0 ? 0 : -1;
}

/* facecheck_heads - the 10 head convs in face-reference.py's order: class outputs
 * (8 filters, logistic) of levels 0..4, then box outputs (16, linear). */
static int facecheck_heads(network *net, layer **out)
{
	int i, nc = 0, nl = 0;

	for (i = 0; i < net->n; i++) {
		layer *l = &net->layers[i];

		if (l->type == CONVOLUTIONAL && l->n == 8 && l->activation == LOGISTIC && nc < 5)
			out[nc++] = l;
		else if (l->type == CONVOLUTIONAL && l->n == 16 && l->activation == LINEAR && nl < 5)
			out[5 + nl++] = l;
	}
	return nc == 5 && nl == 5 ? 0 : -1;
}

static int facecheck_check_fixture(const char *models, const char *fixture)
{
	char line[1024], img_path[1024] = "", what[1200], why[512];
	int input = 0, nref = 0, nv = 0, i, n, count = 0;
	struct nn_box ref[MAXBOX], got[MAXBOX];
	struct image im = { 0 };
	struct facedet *fd;
	layer *hl[10];
	network *net;
	double maxrel = 0;
	float *in, **base;
	long *off, total = 0;
	FILE *f;

	if ((f = fopen(fixture, "r")) == NULL) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		facecheck_result(0, fixture, why);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "image %1023s", img_path) == 1)
			continue;
		if (sscanf(line, "input %d", &input) == 1)
			continue;
		if (sscanf(line, "count %d", &count) == 1)
			continue;
		if (nref < MAXBOX && sscanf(line, "box %f %f %f %f %f", &ref[nref].x, &ref[nref].y,
		    &ref[nref].w, &ref[nref].h, &ref[nref].score) == 5)
			nref++;
	}
	if (input < 64 || facecheck_load_resized(img_path, input, &im) < 0) {
		fclose(f);
		facecheck_result(0, fixture, "cannot read its image (or no input size)");
		return -1;
	}

	/* Raw outputs of the ten head convs, the input being the pixels / 255. */
	if ((net = nn_load(models, "face", why, sizeof(why))) == NULL || facecheck_heads(net, hl) < 0) {
		fclose(f);
		free(im.rgb);
		facecheck_result(0, fixture, net ? "face.cfg has no 5+5 SSD head convs" : why);
		if (net)
			free_network(net);
		return -1;
	}
	if (net->w != input || net->h != input)
		nn_resize(net, input, input);
	in = malloc(sizeof(float) * 3 * input * input);
	base = malloc(sizeof(*base) * 10);
	off = malloc(sizeof(*off) * 11);
	for (i = 0; i < input * input; i++) {
		in[i] = im.rgb[i * 3] / 255.0f;
		in[input * input + i] = im.rgb[i * 3 + 1] / 255.0f;
		in[2 * input * input + i] = im.rgb[i * 3 + 2] / 255.0f;
	}
	nn_predict(net, in);
	for (i = 0; i < 10; i++) {
		off[i] = total;
		base[i] = hl[i]->output;
		total += (long)hl[i]->outputs;
	}
	off[10] = total;
	snprintf(what, sizeof(what), "%s: darknet heads hold %ld values (reference %d)", fixture, total, count);
	facecheck_result(total == count, what, "head sizes differ");
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		long idx;
		double v, d;
		int k;

		if (sscanf(line, "v %ld %lf", &idx, &v) != 2 || idx < 0 || idx >= total)
			continue;
		for (k = 0; k < 9 && idx >= off[k + 1]; k++)
			;
		d = fabs(base[k][idx - off[k]] - v) / fmax(1.0, fabs(v));
		if (d > maxrel || isnan(d))
			maxrel = isnan(d) ? INFINITY : d;
		nv++;
	}
	fclose(f);
	free(in);
	free(base);
	free(off);
	free_network(net);
	snprintf(what, sizeof(what), "%s: %d raw outputs within 1e-4 relative of the numpy reference"
	    " (max %.2g)", fixture, nv, maxrel);
	facecheck_result(nv > 1000 && maxrel <= 1e-4, what, "too far from the reference");

	/* Decoded boxes through the public API (the image is already input-sized:
	 * facedet's resampling leaves it as it is). */
	if ((fd = facedet_open(models, input, why, sizeof(why))) == NULL) {
		free(im.rgb);
		facecheck_result(0, fixture, why);
		return -1;
	}
	n = facedet_run(fd, &im, 0.5f, got, MAXBOX);
	facedet_close(fd);
	free(im.rgb);
	snprintf(what, sizeof(what), "%s: %d boxes after NMS (reference %d)", fixture, n, nref);
	facecheck_result(n == nref, what, "box count differs");
	for (i = 0; i < n && i < nref; i++) {
		float iou = nn_iou(&got[i], &ref[i]);

		snprintf(what, sizeof(what),
		    "%s: box %d (%.1f,%.1f %.1fx%.1f) IoU %.6f with the reference, score %.5f vs %.5f",
		    fixture, i, got[i].x, got[i].y, got[i].w, got[i].h, iou, got[i].score, ref[i].score);
		facecheck_result(iou > 0.999f && fabsf(got[i].score - ref[i].score) <= 1e-4f, what, "box differs");
	}
	return 0;
}

static int facecheck_attr(const char *line, const char *name, float *v)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s='", name);
	if ((p = strstr(line, key)) == NULL)
		return -1;
	*v = strtof(p + strlen(key), NULL);
	return 0;
}

/* One image of a dlib XML file at a time: its path and its annotated
 * faces (those marked ignore left out). */
struct facecheck_xml {
	FILE *f;
	char dir[1024], path[2200];
	struct nn_box gt[MAXBOX];
	int ngt;
};

static int facecheck_xml_open(struct facecheck_xml *x, const char *xml)
{
	const char *slash = strrchr(xml, '/');

	if ((x->f = fopen(xml, "r")) == NULL) {
		facecheck_result(0, xml, strerror(errno));
		return -1;
	}
	snprintf(x->dir, sizeof(x->dir), "%.*s", slash ? (int)(slash - xml) : 1, slash ? xml : ".");
	x->path[0] = 0;
	x->ngt = 0;
	return 0;
}

/* facecheck_xml_next - the next image: 1, or 0 at the end (file closed). */
static int facecheck_xml_next(struct facecheck_xml *x)
{
	char line[1024];

	while (fgets(line, sizeof(line), x->f)) {
		const char *p;
		float t, l, w, h, ign;

		if ((p = strstr(line, "<image file='")) != NULL) {
			p += strlen("<image file='");
			snprintf(x->path, sizeof(x->path), "%s/%.*s", x->dir, (int)strcspn(p, "'"), p);
			x->ngt = 0;
		} else if (strstr(line, "<box ") && x->ngt < MAXBOX &&
		    facecheck_attr(line, "top", &t) == 0 && facecheck_attr(line, "left", &l) == 0 &&
		    facecheck_attr(line, "width", &w) == 0 && facecheck_attr(line, "height", &h) == 0) {
			if (facecheck_attr(line, "ignore", &ign) != 0 || ign == 0)
				x->gt[x->ngt++] = (struct nn_box){ l, t, w, h, 1 };
		} else if (strstr(line, "</image>") && x->path[0]) {
			return 1;
		}
	}
	fclose(x->f);
	return 0;
}

static int facecheck_recall(const char *models, const char *xml, int input, float thresh, float min_recall)
{
	char what[256], why[512];
	struct nn_box det[MAXBOX];
	struct facecheck_xml x;
	int total = 0, found = 0, ndet_total = 0, matched_det = 0, images = 0;
	struct facedet *fd;

	if ((fd = facedet_open(models, input, why, sizeof(why))) == NULL) {
		facecheck_result(0, xml, why);
		return -1;
	}
	if (facecheck_xml_open(&x, xml) < 0) {
		facedet_close(fd);
		return -1;
	}
	while (facecheck_xml_next(&x)) {
		struct image im;
		int n, i, j, *used;

		if (ppm_decode(x.path, &im) < 0) {
			facecheck_result(0, x.path, "cannot decode");
			continue;
		}
		n = facedet_run(fd, &im, thresh, det, MAXBOX);
		free(im.rgb);
		used = calloc(n > 0 ? n : 1, sizeof(int));
		for (i = 0; i < x.ngt; i++) {
			for (j = 0; j < n; j++)
				if (nn_iou(&x.gt[i], &det[j]) >= 0.3f) {
					found++;
					used[j] = 1;
					break;
				}
		}
		for (j = 0; j < n; j++)
			matched_det += used[j];
		free(used);
		total += x.ngt;
		ndet_total += n > 0 ? n : 0;
		images++;
	}
	facedet_close(fd);
	snprintf(what, sizeof(what),
	    "%s at input %d, threshold %.2f: recall %.3f (%d of %d faces in %d images), "
	    "%d of %d detections match a face; want recall >= %.2f",
	    strrchr(xml, '/') ? strrchr(xml, '/') + 1 : xml, input, thresh,
	    total ? (double)found / total : 0, found, total, images, matched_det, ndet_total, min_recall);
	facecheck_result(total > 0 && (float)found / total >= min_recall, what, "recall too low");
	return 0;
}

/* facecheck_pair - each annotated face's head region (the face grown by
 * half its size on each side, clipped) searched alone as a waiting tile
 * is: in a 2 x 2 grid of the square input, and in the 360 x 180 canvas of
 * worker.tile_pair (facedet_open_canvas). A face counts as found when a
 * box of its region's search has IoU >= 0.3 with it; the canvas must find
 * at least min_recall, and no fewer than the square grid less one, with
 * boxes that agree with the grid's (IoU >= 0.8: same place and shape). */
static int facecheck_pair(const char *models, const char *xml, float thresh, float min_recall)
{
	char what[256], why[512];
	struct nn_box det[MAXBOX];
	struct facedet *fd[2];
	struct facecheck_xml x;
	int total = 0, found[2] = { 0, 0 }, agree = 0, i, k;
	struct image im;

	fd[0] = facedet_open(models, 360, why, sizeof(why));
	fd[1] = fd[0] ? facedet_open_canvas(models, 360, 180, why, sizeof(why)) : NULL;
	if (fd[1] == NULL || facecheck_xml_open(&x, xml) < 0) {
		if (fd[1] == NULL)
			facecheck_result(0, xml, why);
		facedet_close(fd[0]);
		facedet_close(fd[1]);
		return -1;
	}
	while (facecheck_xml_next(&x)) {
		if (ppm_decode(x.path, &im) < 0) {
			facecheck_result(0, x.path, "cannot decode");
			continue;
		}
		for (i = 0; i < x.ngt; i++) {
			const struct nn_box *g = &x.gt[i];
			int x0 = (int)fmaxf(g->x - g->w / 2, 0), y0 = (int)fmaxf(g->y - g->h / 2, 0);
			int x1 = (int)fminf(g->x + g->w * 1.5f, (float)im.w), y1 = (int)fminf(g->y + g->h * 1.5f, (float)im.h);
			struct facedet_view v = { x0, y0, x1 - x0, y1 - y0 };
			struct nn_box hit[2] = { { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 } };

			for (k = 0; k < 2; k++) {
				int count, n = facedet_run_tiles(fd[k], &im, &v, 1, 2, thresh, det, &count, MAXBOX), j;

				for (j = 0; j < n; j++)
					if (nn_iou(g, &det[j]) >= 0.3f) {
						found[k]++;
						hit[k] = det[j];
						break;
					}
			}
			agree += hit[0].score > 0 && hit[1].score > 0 && nn_iou(&hit[0], &hit[1]) >= 0.8f;
		}
		total += x.ngt;
		free(im.rgb);
	}
	facedet_close(fd[0]);
	facedet_close(fd[1]);
	snprintf(what, sizeof(what), "%s, head regions alone in a tile, threshold %.2f: 360 x 180 canvas found %d "
	    "(%d with the grid's box), 2 x 2 grid of 360 %d, of %d faces; want >= %.2f and no fewer than the grid "
	    "less one", strrchr(xml, '/') ? strrchr(xml, '/') + 1 : xml, thresh, found[1], agree, found[0], total,
	    min_recall);
	facecheck_result(total > 0 && (float)found[1] / total >= min_recall && agree >= found[0] - 1, what,
	    "the canvas finds fewer faces, or other boxes");
	return 0;
}

static const char facecheck_usage[] =
    "usage: facecheck ref MODELS FIXTURE...\n"
    "       facecheck recall MODELS XML INPUT THRESHOLD MIN_RECALL\n"
    "       facecheck pair MODELS XML THRESHOLD MIN_RECALL\n";

int main(int argc, char **argv)
{
	int i;

	toolopt_std(argc, argv, "facecheck", facecheck_usage);

	if (argc >= 4 && strcmp(argv[1], "ref") == 0) {
		for (i = 3; i < argc; i++)
			facecheck_check_fixture(argv[2], argv[i]);
	} else if (argc == 6 && strcmp(argv[1], "pair") == 0) {
		facecheck_pair(argv[2], argv[3], strtof(argv[4], NULL), strtof(argv[5], NULL));
	} else if (argc == 7 && strcmp(argv[1], "recall") == 0) {
		facecheck_recall(argv[2], argv[3], atoi(argv[4]), strtof(argv[5], NULL), strtof(argv[6], NULL));
	} else {
		return toolopt_usage(facecheck_usage);
	}
	return failures ? 1 : 0;
}
