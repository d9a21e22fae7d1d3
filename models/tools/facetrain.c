/* facetrain - fine-tune the face detector (face.cfg/face.weights,
 * AIZOOTech's model360 converted by convert-face.py) on annotated scene
 * photos with darknet's own training path: forward_network in training
 * mode, our SSD loss setting the heads' deltas (faceloss.c),
 * backward_network, update_network (SGD with momentum, darknet's rule).
 * Linked with train_fast.o, so libdarknet's gemm, im2col, activations
 * and fill run gatewatch's fast versions through its PLT.
 *
 * Usage: facetrain CFG WEIGHTS LIST OUTDIR [-epochs N] [-lr X] [-batch N]
 *        [-seed N] [-freeze N] [-minpx X] [-oneclass] [-woff X] [-wchin X]
 *   CFG: face.cfg with batch=N subdivisions=N (one image per forward,
 *        N per update); WEIGHTS: the start
 *   LIST: one image a line: PATH COUNT then COUNT times X Y W H CLS (image
 *        pixels; CLS 0 mask_on, 1 mask_off, 2 mask_chin or unknown)
 *   OUTDIR: face_E.weights after each epoch E
 *   -freeze N: layers 0..N-1 keep their weights (no backward through
 *        them); default 6 (the first three convolutions)
 *   -oneclass: a face is a face (the larger of Mask / NoMask trained up,
 *        the class is the mask classifier's); -woff X, -wchin X: mask_off,
 *        mask_chin faces' loss x X (default 1)
 *   a face of CLS -1 in LIST is ignored: its anchors neither positive nor
 *        negative (a found face the annotations may lack)
 * One line per 50 images on stdout: images, mean class and box loss. Every
 * random choice comes from -seed: two runs give the same weights. Exit 0
 * done, 1 on a load failure, 2 usage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <darknet.h>

#include "faceaug.h"
#include "faceloss.h"
#include "toolopt.h"
#include "util.h"

#define FACETRAIN_MAX_FACES 256

struct facetrain_img {
	struct image im;
	struct faceaug_face *f;
	int nf;
};

struct facetrain_opt {
	int epochs, batch, freeze, oneclass;
	unsigned long long seed;
	float lr, minpx, woff, wchin;
};

static const char facetrain_usage[] =
    "usage: facetrain CFG WEIGHTS LIST OUTDIR [-epochs N] [-lr X] [-batch N] [-seed N] [-freeze N] [-minpx X]"
    " [-oneclass] [-woff X] [-wchin X]\n";

/* facetrain_load_one - decode one image and read its faces from fp. */
static int facetrain_load_one(FILE *fp, const char *path, int nf, struct facetrain_img *t)
{
	unsigned char *buf;
	size_t len;
	char err[256];
	int j;

	if (nf < 0 || nf > FACETRAIN_MAX_FACES || (t->f = calloc((size_t)nf + 1, sizeof(*t->f))) == NULL)
		return -1;
	for (j = 0; j < nf; j++)
		if (fscanf(fp, "%f %f %f %f %d", &t->f[j].x, &t->f[j].y, &t->f[j].w, &t->f[j].h, &t->f[j].cls) != 5)
			return -1;
	t->nf = nf;
	if (util_read_file(path, 64 << 20, &buf, &len) < 0 || image_decode(buf, len, 0, &t->im, err, sizeof(err)) < 0) {
		fprintf(stderr, "facetrain: %s: cannot read\n", path);
		return -1;
	}
	free(buf);
	return 0;
}

/* facetrain_load - every image of the list, decoded once. */
static struct facetrain_img *facetrain_load(const char *list, int *n)
{
	FILE *fp = fopen(list, "r");
	struct facetrain_img *t = NULL;
	char path[4096];
	int nf, cap = 0;

	*n = 0;
	if (fp == NULL) {
		perror(list);
		return NULL;
	}
	while (fscanf(fp, "%4095s %d", path, &nf) == 2) {
		if (*n == cap) {
			struct facetrain_img *q = realloc(t, sizeof(*t) * (size_t)(cap = cap ? cap * 2 : 256));

			if (q == NULL)
				break;
			t = q;
		}
		memset(&t[*n], 0, sizeof(*t));
		if (facetrain_load_one(fp, path, nf, &t[*n]) < 0) {
			fprintf(stderr, "facetrain: %s: bad line %d\n", list, *n + 1);
			fclose(fp);
			return NULL;
		}
		(*n)++;
	}
	fclose(fp);
	if (*n == 0)
		fprintf(stderr, "facetrain: %s: no images\n", list);
	return *n ? t : NULL;
}

/* facetrain_prepare - darknet's SGD settings, and the frozen layers. */
static void facetrain_prepare(network *net, const struct facetrain_opt *o)
{
	int i;

	net->learning_rate = o->lr;
	net->momentum = 0.9f;
	net->decay = 0.0005f;
	net->policy = CONSTANT;
	net->burn_in = 20;
	net->power = 2;
	net->train = 1;
	for (i = 0; i < o->freeze && i < net->n; i++)
		net->layers[i].learning_rate_scale = 0;
	if (o->freeze > 0 && o->freeze <= net->n)
		net->layers[o->freeze - 1].stopbackward = 1;
}

/* facetrain_epoch - one pass over the images in a seeded order. */
static int facetrain_epoch(network *net, struct faceloss *fl, struct facetrain_img *t, int n,
                           struct faceaug_rng *r, const struct facetrain_opt *o, const char *tmp, int epoch)
{
	static struct faceloss_box b[FACETRAIN_MAX_FACES];
	struct faceloss_sums s = { 0, 0, 0, 0 };
	int *order = malloc(sizeof(int) * (size_t)n), i, done = 0;

	if (order == NULL)
		return -1;
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		int j = (int)faceaug_uniform(r, 0, i + 1) % (i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (i = 0; i < n; i++) {
		struct facetrain_img *m = &t[order[i]];
		int nb = faceaug_sample(&m->im, m->f, m->nf, r, net->w, o->minpx, tmp, net->input, b, FACETRAIN_MAX_FACES);
		long pos0 = s.pos;

		if (nb < 0) {
			free(order);
			return -1;
		}
		net->train = 1;
		forward_network(net);
		faceloss_delta(fl, b, nb, &s);
		backward_network(net);
		fl->norm = 0.98f * fl->norm + 0.02f * (float)(s.pos - pos0 > 1 ? s.pos - pos0 : 1);
		*net->seen += 1;
		if (*net->seen % (size_t)o->batch == 0)
			update_network(net);
		if (++done % 50 == 0 || i == n - 1) {
			printf("epoch %d images %d: class %.4f box %.4f per image, positives %.1f, negatives %.1f, rate %g\n",
			    epoch, done, s.cls / done, s.box / done, (double)s.pos / done, (double)s.neg / done,
			    get_current_rate(net));
			fflush(stdout);
		}
	}
	free(order);
	return 0;
}

static int facetrain_args(int argc, char **argv, struct facetrain_opt *o)
{
	int i;

	*o = (struct facetrain_opt){ 4, 16, 6, 0, 1, 0.0005f, 10, 1, 1 };
	for (i = 5; i < argc; i += 2) {
		if (strcmp(argv[i], "-oneclass") == 0) {
			o->oneclass = 1;
			i--;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "-epochs") == 0)
			o->epochs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-lr") == 0)
			o->lr = strtof(argv[i + 1], NULL);
		else if (strcmp(argv[i], "-batch") == 0)
			o->batch = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-seed") == 0)
			o->seed = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "-freeze") == 0)
			o->freeze = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-minpx") == 0)
			o->minpx = strtof(argv[i + 1], NULL);
		else if (strcmp(argv[i], "-woff") == 0)
			o->woff = strtof(argv[i + 1], NULL);
		else if (strcmp(argv[i], "-wchin") == 0)
			o->wchin = strtof(argv[i + 1], NULL);
		else
			return -1;
	}
	return argc >= 5 && o->epochs > 0 && o->woff > 0 && o->wchin > 0 && o->batch > 0 && o->lr > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct facetrain_opt o;
	struct facetrain_img *t;
	struct faceloss fl;
	struct faceaug_rng r;
	network *net;
	char path[4096], tmp[4096];
	int n, e;

	toolopt_std(argc, argv, "facetrain", facetrain_usage);
	if (facetrain_args(argc, argv, &o) < 0)
		return toolopt_usage(facetrain_usage);
	r.s = o.seed * 0x2545f4914f6cdd1dULL + 1;
	srand((unsigned)o.seed);
	if ((t = facetrain_load(argv[3], &n)) == NULL)
		return 1;
	net = load_network(argv[1], argv[2], 0);
	if (net == NULL || net->batch != 1 || faceloss_init(&fl, net) < 0) {
		fprintf(stderr, "facetrain: %s: want the face detector with batch = subdivisions\n", argv[1]);
		return 1;
	}
	facetrain_prepare(net, &o);
	fl.oneclass = o.oneclass;
	fl.weight[1] = o.woff;
	fl.weight[2] = o.wchin;
	snprintf(tmp, sizeof(tmp), "%s/aug.tmp.jpg", argv[4]);
	printf("facetrain: %d images, %d epochs, rate %g, batch %d, layers 0..%d frozen, seed %llu, %s, mask_off x %g,"
	    " mask_chin x %g\n", n, o.epochs, o.lr, o.batch, o.freeze - 1, o.seed,
	    o.oneclass ? "one face class" : "Mask / NoMask", o.woff, o.wchin);
	for (e = 1; e <= o.epochs; e++) {
		if (facetrain_epoch(net, &fl, t, n, &r, &o, tmp, e) < 0) {
			fprintf(stderr, "facetrain: augmentation failed\n");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/face_%d.weights", argv[4], e);
		save_weights(net, path);
	}
	remove(tmp);
	faceloss_free(&fl);
	free_network(net);
	return 0;
}
