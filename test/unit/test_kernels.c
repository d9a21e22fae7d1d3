/* test_kernels - each instruction-set path of our kernels (common/kernels*.c)
 * against darknet's own forward (the plain reference) and against each
 * other, on random layers of every shape the three networks use: 3x3 at
 * stride 1 (direct, output-channel and Winograd kernels, fused with the
 * 2x2 pool after them or not, padding 1 and 0), 3x3 at stride 2, 1x1,
 * depthwise, small groups, every activation the networks have, on planes
 * of ragged sizes (tile and vector edges, odd planes under a pool) and
 * channel counts that leave a half block (m % 8 == 4). Each layer is built
 * from a cfg with random weights and run on a random input three ways:
 * darknet's forward, nn.kernels avx2 and the CPU's best (avx512 on this
 * machine); every output within 1e-5 of the reference's largest value, and
 * the AVX-512 path bit for bit the AVX2 one (same operations in the same
 * order). The whole face network both ways: test/models/test_kernels.sh. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "kernels.h"
#include "nn.h"
#include "nn_priv.h"

#define TOL 1e-5

struct shape {
	const char *what;
	int c, h, w;
	const char *layers;   /* cfg sections after [net] */
};

static network *build(const struct shape *s, unsigned seed)
{
	FILE *f = fopen("net.cfg", "w");
	network *net;
	int i, j, saved, devnull;

	if (f == NULL)
		return NULL;
	fprintf(f, "[net]\nbatch=1\nwidth=%d\nheight=%d\nchannels=%d\n\n%s", s->w, s->h, s->c,
	    s->layers);
	fclose(f);
	fflush(stderr);   /* darknet prints its layer table */
	saved = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);
	net = parse_network_cfg("net.cfg");
	dup2(saved, 2);
	close(saved);
	close(devnull);
	set_batch_network(net, 1);
	srand(seed);
	for (i = 0; i < net->n; i++) {
		layer *l = &net->layers[i];

		if (l->type != CONVOLUTIONAL)
			continue;
		for (j = 0; j < l->nweights; j++)
			l->weights[j] = (float)rand() / RAND_MAX - .5f;
		for (j = 0; j < l->n; j++)
			l->biases[j] = (float)rand() / RAND_MAX - .5f;
	}
	return net;
}

/* the largest |a - b| over n floats, and the largest |a| */
static void diff(const float *a, const float *b, int n, double *d, double *mx)
{
	int i;

	*d = *mx = 0;
	for (i = 0; i < n; i++) {
		*mx = fmax(*mx, fabs(a[i]));
		*d = fmax(*d, fabs((double)a[i] - b[i]));
	}
}

static void run_shape(const struct shape *s, unsigned seed)
{
	network *ref = build(s, seed), *two, *best;
	int n, i, isa;
	float *in, *oref, *otwo, *obest;
	double d2, db, dz, mx;
	char what[256];

	kernels_set_isa(KERNELS_AVX2);
	two = build(s, seed);
	kernels_attach(two);
	isa = kernels_set_isa(KERNELS_AVX512);
	best = build(s, seed);
	kernels_attach(best);
	n = s->c * s->h * s->w;
	in = malloc(sizeof(float) * n);
	for (i = 0; i < n; i++)
		in[i] = (float)rand() / RAND_MAX;
	oref = nn_predict(ref, in);
	otwo = nn_predict(two, in);
	obest = nn_predict(best, in);
	n = ref->layers[ref->n - 1].outputs;
	diff(oref, otwo, n, &d2, &mx);
	diff(oref, obest, n, &db, &mx);
	diff(otwo, obest, n, &dz, &mx);
	snprintf(what, sizeof(what), "%s (%dx%dx%d, seed %u): avx2 and %s within %.1g of darknet's "
	    "largest output (%.2g, %.2g of %.3g), %s bit for bit avx2 (%.2g)", s->what, s->c, s->h,
	    s->w, seed, kernels_isa_name(isa), TOL, d2, db, mx, kernels_isa_name(isa), dz);
	CHECK(kernels_attached(two) > 0 && kernels_attached(best) > 0 && d2 <= TOL * mx &&
	    db <= TOL * mx && dz == 0, what);
	free(in);
	free_network(ref);
	free_network(two);
	free_network(best);
}

#define CONV(n, size, stride, pad, act) \
	"[convolutional]\nfilters=" #n "\nsize=" #size "\nstride=" #stride "\npad=" #pad \
	"\nactivation=" act "\n\n"
#define POOL "[maxpool]\nsize=2\nstride=2\n\n"

static const struct shape shapes[] = {
	/* face and mask: the first layer, 3 channels, fused with its pool */
	{ "3x3 3 -> 32 + pool (direct, fused)", 3, 61, 77, CONV(32, 3, 1, 1, "relu") POOL },
	{ "3x3 3 -> 32 + pool, odd plane", 3, 45, 45, CONV(32, 3, 1, 1, "relu") POOL },
	{ "3x3 3 -> 12 (m % 8 == 4), no pool", 3, 33, 50, CONV(12, 3, 1, 1, "leaky") },
	/* Winograd, pooled in its output transform and not */
	{ "3x3 32 -> 64 + pool (Winograd, fused)", 32, 47, 45, CONV(64, 3, 1, 1, "relu") POOL },
	{ "3x3 64 -> 64 (Winograd)", 64, 23, 23, CONV(64, 3, 1, 1, "relu") },
	{ "3x3 64 -> 128 + pool (Winograd), 23x23", 64, 23, 23, CONV(128, 3, 1, 1, "relu") POOL },
	{ "3x3 128 -> 128 12x12 (Winograd; AVX-512's scratch over the workspace: AVX2's)", 128, 12,
	  12, CONV(128, 3, 1, 1, "relu") },
	{ "3x3 128 -> 128 12x12 (Winograd) after a 5x5 (workspace for AVX-512's)", 128, 12, 12,
	  CONV(128, 5, 1, 2, "relu") CONV(128, 3, 1, 1, "relu") },
	{ "3x3 32 -> 36 (Winograd, m % 8 == 4)", 32, 19, 37, CONV(36, 3, 1, 1, "linear") },
	{ "3x3 48 -> 20 (Winograd, 16+ out over 1024 tiles)", 48, 66, 64, CONV(20, 3, 1, 1, "leaky") },
	/* small planes (output-channel kernel), padding 0 */
	{ "3x3 128 -> 64 at 6x6", 128, 6, 6, CONV(64, 3, 1, 1, "relu") },
	{ "3x3 64 -> 64 pad 0 at 6x6", 64, 6, 6, CONV(64, 3, 1, 0, "relu") },
	/* the heads: few outputs on 45x45 and 23x23 */
	{ "3x3 64 -> 8 (direct), 45x45", 64, 45, 45, CONV(8, 3, 1, 1, "linear") },
	{ "3x3 64 -> 16 logistic, 23x23", 64, 23, 23, CONV(16, 3, 1, 1, "logistic") },
	{ "3x3 16 -> 4, 9x33 (one half tile)", 16, 9, 33, CONV(4, 3, 1, 1, "relu") },
	/* person: stride 2, 1x1, depthwise and small groups */
	{ "3x3 3 -> 32 stride 2", 3, 41, 39, CONV(32, 3, 2, 1, "leaky") },
	{ "3x3 32 -> 64 stride 2", 32, 27, 26, CONV(64, 3, 2, 1, "leaky") },
	{ "1x1 64 -> 96", 64, 13, 17, CONV(96, 1, 1, 0, "leaky") },
	{ "3x3 depthwise 24", 24, 19, 21,
	  "[convolutional]\nfilters=24\ngroups=24\nsize=3\nstride=1\npad=1\nactivation=linear\n\n" },
	{ "2x2 depthwise stride 2", 16, 26, 26,
	  "[convolutional]\nfilters=16\ngroups=16\nsize=2\nstride=2\npad=0\nactivation=linear\n\n" },
	{ "5x5 3 -> 24 stride 2 (im2col + sgemm)", 3, 31, 30, CONV(24, 5, 2, 2, "relu") },
};

CASE(kernels_paths)
{
	size_t i;

	if (kernels_isa_cpu() == KERNELS_STOCK) {
		CHECK(1, "# SKIP this CPU has no AVX2/FMA: darknet's own forward runs");
		return;
	}
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		run_shape(&shapes[i], 1 + (unsigned)i);
	kernels_set_isa(KERNELS_AVX512);
}

CHECK_MAIN()
