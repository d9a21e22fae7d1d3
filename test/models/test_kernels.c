/* test_kernels - gatewatch's kernels (common/kernels.c) against darknet's
 * own forward, on real photos, for each network and input size given:
 *   layers   every layer's output of our forward within TOL (1e-5) of
 *            that output's largest |value| under darknet's stock forward,
 *            both at the CPU's best fp32 (nn.kernels avx512: AVX-512 where
 *            it has it) and with the AVX2 kernels forced (nn.kernels avx2);
 *            (auto takes AMX bf16 where the CPU has it: test_amx.sh);
 *            ours is loaded at the cfg's size and resized twice (to SIZE+64,
 *            then SIZE, by nn_resize), so this also covers kernels after
 *            resize_network; the last layer also of a network resized by
 *            darknet's resize_network alone (not re-attached);
 *   boxes    the wrappers (facedet/persondet/maskcls) opened with
 *            nn.kernels=stock and =avx512 find the same boxes (count and
 *            order equal, coordinates within 0.01 px, scores within 1e-4),
 *            so the forced-stock path stays alive and agrees;
 *   threads  two networks run at once in two threads give bit-for-bit
 *            the outputs one thread gave (nn.kernels auto: on AMX tiles
 *            where the CPU has them, each thread its own tile state).
 * Prints "ok - ..." / "not ok - ..." lines (test/run.sh).
 *
 * Usage: kernels-check MODELS NAME=SIZE[,SIZE...]... -- IMAGE...
 *   NAME is face, person or mask (mask: SIZE is the cfg's, 64). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "kernels.h"
#include "nn.h"
#include "nn_priv.h"
#include "util.h"

#include "tap.h"

#define TOL 1e-5
#define MAXSPEC 16
#define MAXIMG 16

struct spec {
	const char *name;
	int size;
};

static const char *models;
static struct image img[MAXIMG];
static int nimg;

static network *load(const char *name, const char *mode, int size, char *err, size_t errlen)
{
	network *net;

	nn_set_kernels(mode);
	if ((net = nn_load(models, name, err, errlen)) == NULL)
		return NULL;
	if (size != net->w || size != net->h)
		nn_resize(net, size, size);
	return net;
}

/* The photo stretched to the network's input, RGB / 255, planar. */
static void input_of(const struct image *im, int size, float *in)
{
	static const float zero[3] = { 0, 0, 0 };

	nn_resize_tf(im, im->w, im->h, size, size, zero, 1.0f / 255, in);
}

static void check_layers(const struct spec *s)
{
	char err[512];
	network *stock, *ours, *raw = NULL, *two = NULL;
	float *in;
	int i, j, worst_layer = -1, resize, fused = 0;
	double worst = 0, both = 0, mxl = 0;

	stock = load(s->name, "stock", s->size, err, sizeof(err));
	/* darknet cannot resize a softmax layer (the classifier): load as is */
	resize = strcmp(s->name, "mask") != 0;
	ours = load(s->name, "avx512", s->size + 64 * resize, err, sizeof(err));
	/* the AVX2 kernels forced (nn.kernels avx2): the same on a CPU
	 * without AVX-512, the other path on one with it */
	two = load(s->name, "avx2", s->size, err, sizeof(err));
	nn_set_kernels("avx512");
	if (stock == NULL || ours == NULL || two == NULL) {
		ok(0, "%s %d: load: %s", s->name, s->size, err);
		goto out;
	}
	if (resize) {
		nn_resize(ours, s->size, s->size);
		/* and one resized by darknet alone, never re-attached */
		if ((raw = load(s->name, "avx512", s->size + 32, err, sizeof(err))) == NULL) {
			ok(0, "%s %d: load: %s", s->name, s->size, err);
			goto out;
		}
		resize_network(raw, s->size, s->size);
	}
	if (kernels_attached(stock) != 0 || kernels_attached(ours) == 0) {
		ok(0, "%s %d: stock runs %d of our layers, avx512 %d (want 0 and > 0)", s->name,
		    s->size, kernels_attached(stock), kernels_attached(ours));
		goto out;
	}
	in = malloc(sizeof(float) * 3 * s->size * s->size);
	for (i = 0; in && i < nimg; i++) {
		input_of(&img[i], s->size, in);
		nn_predict(stock, in);
		nn_predict(ours, in);
		nn_predict(two, in);
		if (raw)
			nn_predict(raw, in);
		for (j = 0; j < stock->n; j++) {
			const layer *a = &stock->layers[j], *b = &ours->layers[j];
			double mx = 0, d = 0;
			int k;

			/* a convolution fused with its maxpool: only the pool's
			 * output exists (compared at the next layer) */
			if (!kernels_output_kept(ours, j) || !kernels_output_kept(two, j) ||
			    (raw && !kernels_output_kept(raw, j))) {
				fused += i == 0;
				continue;
			}

			if (a->outputs != b->outputs) {
				ok(0, "%s %d: layer %d has %d outputs, ours %d", s->name, s->size, j,
				    a->outputs, b->outputs);
				goto done;
			}
			for (k = 0; k < a->outputs; k++) {
				mx = fmax(mx, fabs(a->output[k]));
				d = fmax(d, fabs((double)a->output[k] - b->output[k]));
				d = fmax(d, fabs((double)a->output[k] - two->layers[j].output[k]));
				if (j == stock->n - 1) {
					both = fmax(both, fabs((double)b->output[k] - two->layers[j].output[k]));
					mxl = fmax(mxl, fabs(a->output[k]));
				}
				if (raw && j == stock->n - 1)
					d = fmax(d, fabs((double)a->output[k] - raw->layers[j].output[k]));
			}
			if (!(d <= TOL * mx) && !(mx == 0 && d == 0)) {
				ok(0, "%s %d: image %d layer %d: max difference %.3g of max |value| %.3g",
				    s->name, s->size, i, j, d, mx);
				goto done;
			}
			if (mx > 0 && d / mx > worst) {
				worst = d / mx;
				worst_layer = j;
			}
		}
	}
	ok(in != NULL && both <= TOL * mxl, "%s %d: %d of %d layers ours (%s%s), every layer's output on %d photos "
	    "within %.1g of its max (worst %.2g, layer %d; %d fused with their maxpool, not kept), "
	    "%s and avx2 alike (last layer within %.2g of its max)",
	    s->name, s->size, kernels_attached(ours), ours->n, resize ? "after 2 resizes" : "as loaded",
	    raw ? "; also one resized by resize_network alone: last layer" : "", nimg, TOL, worst,
	    worst_layer, fused, kernels_isa_name(kernels_isa()), mxl > 0 ? both / mxl : both);
done:
	free(in);
out:
	if (stock)
		free_network(stock);
	if (ours)
		free_network(ours);
	if (raw)
		free_network(raw);
	if (two)
		free_network(two);
}

/* Boxes (or class probabilities for mask) of one wrapper in one mode. */
static int run_wrapper(const struct spec *s, const char *mode, struct nn_box *box, int *count,
    char *err, size_t errlen)
{
	int i, n;

	nn_set_kernels(mode);
	if (strcmp(s->name, "person") == 0) {
		struct persondet *pd = persondet_open(models, s->size, err, errlen);

		if (pd == NULL)
			return -1;
		for (i = 0; i < nimg; i++) {
			n = persondet_run(pd, &img[i], 0.3f, box + i * 64, 64);
			count[i] = n;
		}
		persondet_close(pd);
	} else if (strcmp(s->name, "face") == 0) {
		struct facedet *fd = facedet_open(models, s->size, err, errlen);

		if (fd == NULL)
			return -1;
		for (i = 0; i < nimg; i++)
			count[i] = facedet_run(fd, &img[i], 0.3f, box + i * 64, 64);
		facedet_close(fd);
	} else {
		struct maskcls *mc = maskcls_open(models, err, errlen);
		float p[MASKCLS_N];

		if (mc == NULL)
			return -1;
		for (i = 0; i < nimg; i++) {
			/* the middle third of the photo as the "face" */
			struct nn_box f = { img[i].w / 3.0f, img[i].h / 3.0f, img[i].w / 3.0f,
				img[i].h / 3.0f, 1 };
			int c = maskcls_run(mc, &img[i], &f, p);

			count[i] = 1;
			box[i * 64] = (struct nn_box){ p[0], p[1], p[2], 0, (float)c };
		}
		maskcls_close(mc);
	}
	return 0;
}

static void check_boxes(const struct spec *s)
{
	static struct nn_box a[MAXIMG * 64], b[MAXIMG * 64];
	int ca[MAXIMG], cb[MAXIMG], i, j, total = 0;
	double dxy = 0, dsc = 0;
	char err[512];

	if (run_wrapper(s, "stock", a, ca, err, sizeof(err)) < 0 ||
	    run_wrapper(s, "avx512", b, cb, err, sizeof(err)) < 0) {
		ok(0, "%s %d: open: %s", s->name, s->size, err);
		return;
	}
	for (i = 0; i < nimg; i++) {
		if (ca[i] != cb[i]) {
			ok(0, "%s %d: image %d: stock found %d, ours %d", s->name, s->size, i, ca[i], cb[i]);
			return;
		}
		for (j = 0; j < ca[i]; j++) {
			const struct nn_box *p = &a[i * 64 + j], *q = &b[i * 64 + j];

			dxy = fmax(dxy, fmax(fmax(fabsf(p->x - q->x), fabsf(p->y - q->y)),
			    fmax(fabsf(p->w - q->w), fabsf(p->h - q->h))));
			dsc = fmax(dsc, fabsf(p->score - q->score));
		}
		total += ca[i];
	}
	if (strcmp(s->name, "mask") == 0)
		ok(dxy <= 1e-5 && dsc == 0, "mask %d: stock and avx512 give the same class on %d photos "
		    "(probabilities within %.2g)", s->size, nimg, dxy);
	else
		ok(dxy <= 0.01 && dsc <= 1e-4, "%s %d: stock and avx512 find the same %d boxes on %d photos "
		    "(coordinates within %.2g px, scores within %.2g)", s->name, s->size, total, nimg, dxy, dsc);
}

struct worker {
	const struct spec *s;
	network *net;
	float *out[MAXIMG];     /* owned: the last layer's output per photo */
	int rounds;
	int mismatch;
};

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	float *in = malloc(sizeof(float) * 3 * w->s->size * w->s->size);
	int r, i, n = w->net->layers[w->net->n - 1].outputs;

	for (r = 0; in && r < w->rounds; r++)
		for (i = 0; i < nimg; i++) {
			float *o;

			input_of(&img[i], w->s->size, in);
			o = nn_predict(w->net, in);
			if (w->out[i] == NULL) {
				w->out[i] = malloc(sizeof(float) * n);
				memcpy(w->out[i], o, sizeof(float) * n);
			} else if (memcmp(w->out[i], o, sizeof(float) * n) != 0) {
				w->mismatch++;
			}
		}
	free(in);
	return NULL;
}

static void check_threads(const struct spec *s1, const struct spec *s2)
{
	struct worker solo[2], duo[2];
	pthread_t t[2];
	char err[512];
	int i, k, n, same = 1;

	memset(solo, 0, sizeof(solo));
	memset(duo, 0, sizeof(duo));
	for (k = 0; k < 2; k++) {
		const struct spec *s = k ? s2 : s1;

		solo[k].s = duo[k].s = s;
		solo[k].rounds = 1;
		duo[k].rounds = 2;
		solo[k].net = load(s->name, "auto", s->size, err, sizeof(err));
		duo[k].net = load(s->name, "auto", s->size, err, sizeof(err));
		if (solo[k].net == NULL || duo[k].net == NULL) {
			ok(0, "threads: load %s: %s", s->name, err);
			return;
		}
		run_worker(&solo[k]);
	}
	for (k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, run_worker, &duo[k]);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	for (k = 0; k < 2; k++) {
		n = duo[k].net->layers[duo[k].net->n - 1].outputs;
		for (i = 0; i < nimg; i++)
			if (solo[k].out[i] == NULL || duo[k].out[i] == NULL ||
			    memcmp(solo[k].out[i], duo[k].out[i], sizeof(float) * n) != 0)
				same = 0;
		same = same && duo[k].mismatch == 0;
		for (i = 0; i < nimg; i++) {
			free(solo[k].out[i]);
			free(duo[k].out[i]);
		}
		free_network(solo[k].net);
		free_network(duo[k].net);
	}
	ok(same, "threads: %s %d and %s %d in two threads at once give the outputs of one thread, "
	    "bit for bit (%d photos x 2 rounds)", s1->name, s1->size, s2->name, s2->size, nimg);
}

int main(int argc, char **argv)
{
	struct spec spec[MAXSPEC];
	int nspec = 0, i;
	char err[512];

	if (argc < 4) {
		fprintf(stderr, "usage: kernels-check MODELS NAME=SIZE[,SIZE...]... -- IMAGE...\n");
		return 2;
	}
	models = argv[1];
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *eq = strchr(argv[i], '='), *p;

		if (eq == NULL) {
			fprintf(stderr, "kernels-check: %s: want NAME=SIZE[,SIZE...]\n", argv[i]);
			return 2;
		}
		*eq = 0;
		for (p = eq + 1; *p && nspec < MAXSPEC; ) {
			spec[nspec].name = argv[i];
			spec[nspec++].size = (int)strtol(p, &p, 10);
			if (*p == ',')
				p++;
		}
	}
	for (i++; i < argc && nimg < MAXIMG; i++) {
		unsigned char *buf;
		size_t len;

		if (util_read_file(argv[i], 64 << 20, &buf, &len) < 0 ||
		    image_decode(buf, len, 100L << 20, &img[nimg], err, sizeof(err)) < 0) {
			ok(0, "%s: cannot read or decode", argv[i]);
			return 1;
		}
		free(buf);
		nimg++;
	}
	if (nspec == 0 || nimg == 0) {
		fprintf(stderr, "kernels-check: no network or no image\n");
		return 2;
	}
	if (!kernels_available()) {
		ok(1, "# SKIP this CPU has no AVX2/FMA: gatewatch runs darknet's own forward");
		return 0;
	}
	for (i = 0; i < nspec; i++) {
		check_layers(&spec[i]);
		check_boxes(&spec[i]);
	}
	/* two different networks if given two, else two copies of one */
	for (i = 1; i < nspec && strcmp(spec[i].name, spec[0].name) == 0; i++)
		;
	check_threads(&spec[0], &spec[i < nspec ? i : 0]);
	for (i = 0; i < nimg; i++)
		image_free(&img[i]);
	return failures ? 1 : 0;
}
