/* kernels_bench - time one network's forward (nn_predict, nothing else)
 * under darknet's stock forward and under gatewatch's kernels, on a real
 * photo, interleaved: stock, ours, stock, ours, ... so that load on the
 * machine falls on both alike. Times are the thread's CPU time (the other
 * jobs on a shared core do not count), the median of RUNS. With --layers,
 * also per layer kind: the share of our forward each kind takes.
 *
 * Usage: kernels-bench MODELS NAME SIZE RUNS IMAGE [--layers | --each | --dump DIR]
 *        kernels-bench MODELS NAME SIZE RUNS IMAGE --each --cold
 *        kernels-bench --peak
 * Prints one line: "NAME SIZE GFLOP stock_ms ours_ms [avx2_ms]" (GFLOP: 2 x the
 * multiply-adds of its convolutions; avx2_ms on a CPU with AVX-512: our
 * forward with the AVX2 kernels forced, nn.kernels avx2, interleaved too; then "kind share%" lines with
 * --layers). --peak prints "peak GFLOPS" of one core: a loop of
 * independent 8-wide FMAs, the most this core can do in AVX2; on a CPU
 * with AVX-512 also "peak512 GFLOPS", the same with 16-wide FMAs. Exit 1 if a network
 * does not load. --each --cold: darknet's stock forward runs before each
 * of our layer-by-layer passes, so our layers find the caches as the
 * interleaved total does (weights read from memory, not from L2).
 * --dump DIR writes the network's input (DIR/input.f32)
 * and darknet's stock output of every layer no other layer reads, or
 * that a region/yolo layer reads (DIR/out<i>.f32, raw floats), for
 * checking another runtime's conversion (test/bench/kernels-ort.mjs).
 * KERNELS_MODE=avx2 (or another nn.kernels mode) in the environment: "ours"
 * (and --each, --layers) in that mode instead of auto.
 * KERNELS_WINOGRAD=0 in the environment: our forward without Winograd
 * (kernels_set_winograd), to measure one against the other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <immintrin.h>

#include "image.h"
#include "kernels.h"
#include "nn.h"
#include "nn_priv.h"
#include "util.h"

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static network *load(const char *models, const char *name, const char *mode, int size)
{
	char err[512];
	network *net;

	nn_set_kernels(mode);
	if ((net = nn_load(models, name, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kernels-bench: %s\n", err);
		exit(1);
	}
	if (net->w != size || net->h != size)
		nn_resize(net, size, size);
	return net;
}

static const char *kind(const layer *l)
{
	if (l->type == CONVOLUTIONAL) {
		if (l->groups > 1 && l->c == l->groups)
			return "depthwise";
		return l->size == 1 ? "conv 1x1" : "conv kxk";
	}
	if (l->type == MAXPOOL)
		return "maxpool";
	if (l->type == ROUTE)
		return "route";
	if (l->type == SHORTCUT)
		return "shortcut";
	if (l->type == UPSAMPLE)
		return "upsample";
	return "other";
}

/* 12 independent FMA chains, 8 floats each: 2 x 8 x 12 FLOP per step
 * (12 chains cover the FMA latency of both pipes). */
__attribute__((target("avx2,fma"))) static double peak_gflops(void)
{
	__m256 m = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-6f);
	long steps = 20 * 1000 * 1000, i;
	double best = 0, t0;
	float sink = 0;
	int r;

	for (r = 0; r < 5; r++) {
		__m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2);
		__m256 a3 = _mm256_set1_ps(3), a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5);
		__m256 a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7), a8 = _mm256_set1_ps(8);
		__m256 a9 = _mm256_set1_ps(9), a10 = _mm256_set1_ps(10), a11 = _mm256_set1_ps(11);

		t0 = cpu_ms();
		for (i = 0; i < steps; i++) {
			a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c);
			a2 = _mm256_fmadd_ps(a2, m, c); a3 = _mm256_fmadd_ps(a3, m, c);
			a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
			a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c);
			a8 = _mm256_fmadd_ps(a8, m, c); a9 = _mm256_fmadd_ps(a9, m, c);
			a10 = _mm256_fmadd_ps(a10, m, c); a11 = _mm256_fmadd_ps(a11, m, c);
		}
		t0 = cpu_ms() - t0;
		a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
		    _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
		a0 = _mm256_add_ps(a0, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
		sink += _mm256_cvtss_f32(a0);
		if (t0 > 0 && 2.0 * 8 * 12 * steps / (t0 * 1e6) > best)
			best = 2.0 * 8 * 12 * steps / (t0 * 1e6);
	}
	return sink == 12345 ? 0 : best;   /* sink keeps the loop alive */
}

/* the same with 16 floats a chain (AVX-512): 2 x 16 x 12 FLOP per step */
__attribute__((target("avx512f"))) static double peak512_gflops(void)
{
	__m512 m = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(1e-6f);
	long steps = 20 * 1000 * 1000, i;
	double best = 0, t0;
	float sink = 0;
	int r;

	for (r = 0; r < 5; r++) {
		__m512 a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2);
		__m512 a3 = _mm512_set1_ps(3), a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5);
		__m512 a6 = _mm512_set1_ps(6), a7 = _mm512_set1_ps(7), a8 = _mm512_set1_ps(8);
		__m512 a9 = _mm512_set1_ps(9), a10 = _mm512_set1_ps(10), a11 = _mm512_set1_ps(11);

		t0 = cpu_ms();
		for (i = 0; i < steps; i++) {
			a0 = _mm512_fmadd_ps(a0, m, c); a1 = _mm512_fmadd_ps(a1, m, c);
			a2 = _mm512_fmadd_ps(a2, m, c); a3 = _mm512_fmadd_ps(a3, m, c);
			a4 = _mm512_fmadd_ps(a4, m, c); a5 = _mm512_fmadd_ps(a5, m, c);
			a6 = _mm512_fmadd_ps(a6, m, c); a7 = _mm512_fmadd_ps(a7, m, c);
			a8 = _mm512_fmadd_ps(a8, m, c); a9 = _mm512_fmadd_ps(a9, m, c);
			a10 = _mm512_fmadd_ps(a10, m, c); a11 = _mm512_fmadd_ps(a11, m, c);
		}
		t0 = cpu_ms() - t0;
		a0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
		    _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
		a0 = _mm512_add_ps(a0, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
		sink += _mm512_reduce_add_ps(a0);
		if (t0 > 0 && 2.0 * 16 * 12 * steps / (t0 * 1e6) > best)
			best = 2.0 * 16 * 12 * steps / (t0 * 1e6);
	}
	return sink == 12345 ? 0 : best;   /* sink keeps the loop alive */
}

static int write_floats(const char *dir, const char *name, const float *p, long n)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s.f32", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	ok = fwrite(p, sizeof(float), n, f) == (size_t)n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* --dump: the input, and the stock outputs a converted model names out<i> */
static int dump(const network *net, const float *in, const char *dir)
{
	char *read = calloc(net->n, 1), name[32];
	int i, k, rc = write_floats(dir, "input", in, (long)net->inputs);

	for (i = 0; i < net->n; i++) {
		const layer *l = &net->layers[i];

		if (l->type == ROUTE)
			for (k = 0; k < l->n; k++)
				read[l->input_layers[k]] = 1;
		else if (i > 0)
			read[i - 1] = 1;
		if (l->type == SHORTCUT)
			read[l->index] = 1;
	}
	for (i = 0; i < net->n && rc == 0; i++) {
		const layer *l = &net->layers[i];
		int head = l->type == REGION || l->type == YOLO || l->type == DETECTION;
		int feeds_head = i + 1 < net->n && (net->layers[i + 1].type == REGION ||
		    net->layers[i + 1].type == YOLO || net->layers[i + 1].type == DETECTION);

		if ((read[i] && !feeds_head) || head)
			continue;
		snprintf(name, sizeof(name), "out%d", i);
		rc = write_floats(dir, name, l->output, (long)l->outputs);
		printf("%s %d %d %d\n", name, l->out_c, l->out_h, l->out_w);
	}
	free(read);
	return rc;
}

static double gflop(const network *net)
{
	double f = 0;
	int i;

	for (i = 0; i < net->n; i++) {
		const layer *l = &net->layers[i];

		if (l->type == CONVOLUTIONAL)
			f += 2.0 * l->n * l->out_h * l->out_w * l->size * l->size * (l->c / (l->groups > 0 ? l->groups : 1));
	}
	return f / 1e9;
}

/* One forward pass of net on in, layer by layer: ms[i] is layer i's time. */
static void
kernels_bench_forward(network net, float *in, double *ms)
{
	int i;

	net.input = in;
	net.train = 0;
	for (i = 0; i < net.n; i++) {
		layer l = net.layers[i];
		double t0 = cpu_ms();

		net.index = i;
		l.forward(l, net);
		net.input = l.output;
		ms[i] = cpu_ms() - t0;
	}
}

int main(int argc, char **argv)
{
	static const float zero[3] = { 0, 0, 0 };
	network *stock, *ours, *two = NULL;
	struct image im;
	unsigned char *buf;
	size_t len;
	char err[256];
	double *ts, *to, *t2;
	float *in;
	int size, runs, r, i;

	if (argc == 2 && strcmp(argv[1], "--peak") == 0) {
		printf("peak %.1f\n", peak_gflops());
		if (kernels_isa_cpu() >= KERNELS_AVX512)
			printf("peak512 %.1f\n", peak512_gflops());
		return 0;
	}
	if (argc < 6) {
		fprintf(stderr, "usage: kernels-bench MODELS NAME SIZE RUNS IMAGE [--layers]\n");
		return 2;
	}
	size = atoi(argv[3]);
	runs = atoi(argv[4]);
	if (size < 16 || size > 2048 || runs < 1 || runs > 10000)
		return 2;
	if (util_read_file(argv[5], 64 << 20, &buf, &len) < 0 ||
	    image_decode(buf, len, 100L << 20, &im, err, sizeof(err)) < 0) {
		fprintf(stderr, "kernels-bench: %s: cannot read\n", argv[5]);
		return 1;
	}
	if (getenv("KERNELS_WINOGRAD") && strcmp(getenv("KERNELS_WINOGRAD"), "0") == 0)
		kernels_set_winograd(0);
	stock = load(argv[1], argv[2], "stock", size);
	/* on an AVX-512 CPU also the AVX2 kernels forced (nn.kernels avx2) */
	if (kernels_isa_cpu() > KERNELS_AVX2)
		two = load(argv[1], argv[2], "avx2", size);
	ours = load(argv[1], argv[2], getenv("KERNELS_MODE") ? getenv("KERNELS_MODE") : "auto", size);
	in = malloc(sizeof(float) * 3 * size * size);
	ts = malloc(sizeof(double) * runs);
	to = malloc(sizeof(double) * runs);
	t2 = malloc(sizeof(double) * runs);
	nn_resize_tf(&im, im.w, im.h, size, size, zero, 1.0f / 255, in);
	if (argc > 7 && strcmp(argv[6], "--dump") == 0) {
		nn_predict(stock, in);
		if (dump(stock, in, argv[7]) < 0) {
			fprintf(stderr, "kernels-bench: cannot write %s\n", argv[7]);
			return 1;
		}
		return 0;
	}
	nn_predict(stock, in);   /* warm-up */
	nn_predict(ours, in);
	for (r = 0; r < runs; r++) {
		double t0 = cpu_ms();

		nn_predict(stock, in);
		ts[r] = cpu_ms() - t0;
		t0 = cpu_ms();
		nn_predict(ours, in);
		to[r] = cpu_ms() - t0;
		t0 = cpu_ms();
		if (two)
			nn_predict(two, in);
		t2[r] = cpu_ms() - t0;
	}
	qsort(ts, runs, sizeof(double), cmp);
	qsort(to, runs, sizeof(double), cmp);
	qsort(t2, runs, sizeof(double), cmp);
	printf("%s %d %.4f %.3f %.3f", argv[2], size, gflop(ours), ts[runs / 2], to[runs / 2]);
	if (two)
		printf(" %.3f", t2[runs / 2]);
	printf("\n");
	if (argc > 6 && strcmp(argv[6], "--each") == 0) {
		/* our forward, layer by layer: ms (the least of RUNS: other
		 * load only ever adds) and GFLOP/s of each */
		network net = *ours;
		double *t = calloc(net.n, sizeof(double)), *ms = calloc(net.n, sizeof(double));
		int cold = argc > 7 && strcmp(argv[7], "--cold") == 0;

		for (i = 0; i < net.n; i++)
			t[i] = 1e30;

		for (r = 0; r < runs; r++) {
			if (cold)
				nn_predict(stock, in);
			kernels_bench_forward(net, in, ms);
			for (i = 0; i < net.n; i++)
				if (ms[i] < t[i])
					t[i] = ms[i];
		}
		for (i = 0; i < net.n; i++) {
			const layer *l = &net.layers[i];
			double f = l->type == CONVOLUTIONAL ? 2.0 * l->n * l->out_h * l->out_w * l->size *
			    l->size * (l->c / (l->groups > 0 ? l->groups : 1)) : 0;

			printf("%3d %-9s %4d -> %4d %dx%d/%d %4dx%-4d %7.3f ms %6.1f GFLOP/s\n", i, kind(l),
			    l->c, l->out_c, l->size, l->size, l->stride, l->out_w, l->out_h, t[i],
			    f / t[i] / 1e6);
		}
		free(t);
		free(ms);
	}
	if (argc > 6 && strcmp(argv[6], "--layers") == 0) {
		/* our forward, layer by layer, summed by kind over RUNS runs */
		const char *kinds[16];
		double t[16] = { 0 }, total = 0;
		int nk = 0, k;
		network net = *ours;

		double *ms = calloc(net.n, sizeof(double));

		for (r = 0; r < runs; r++) {
			kernels_bench_forward(net, in, ms);
			for (i = 0; i < net.n; i++) {
				const char *name = kind(&net.layers[i]);

				for (k = 0; k < nk && strcmp(kinds[k], name) != 0; k++)
					;
				if (k == nk && nk < 16)
					kinds[nk++] = name;
				if (k < nk) {
					t[k] += ms[i];
					total += ms[i];
				}
			}
		}
		free(ms);
		for (k = 0; k < nk; k++)
			printf("  %-10s %5.1f%%\n", kinds[k], 100 * t[k] / total);
	}
	free_network(stock);
	free_network(ours);
	free(in);
	free(ts);
	free(to);
	image_free(&im);
	free(buf);
	return 0;
}
