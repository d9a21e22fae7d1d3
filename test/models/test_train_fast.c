/* test_train_fast - the functions models/tools/train_fast.c puts in front
 * of libdarknet's (gemm, im2col, col2im, activations, fill, batch-norm
 * helpers, maxpool forward) against libdarknet's own, reached with dlsym
 * on the library's handle (which finds the library's definition, not the
 * one this program interposes). Random inputs of the shapes the mask
 * classifier trains with plus odd ones; every result within 1e-5 of the
 * largest |value| (2e-4 for the sums of the batch-norm gradients), maxpool
 * indexes identical. Prints "ok - ..." / "not ok - ..." lines. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <darknet.h>

/* ours, from train_fast.o (prototypes as libdarknet exports them) */
void gemm(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda,
    float *B, int ldb, float BETA, float *C, int ldc);
void im2col_cpu(float *im, int c, int h, int w, int k, int s, int p, float *col);
void col2im_cpu(float *col, int c, int h, int w, int k, int s, int p, float *im);
void activate_array(float *x, const int n, const ACTIVATION a);
void gradient_array(const float *x, const int n, const ACTIVATION a, float *delta);
void mean_cpu(float *x, int batch, int filters, int spatial, float *mean);
void variance_cpu(float *x, float *mean, int batch, int filters, int spatial, float *variance);
void normalize_cpu(float *x, float *mean, float *variance, int batch, int filters, int spatial);
void mean_delta_cpu(float *delta, float *variance, int batch, int filters, int spatial, float *md);
void variance_delta_cpu(float *x, float *delta, float *mean, float *variance, int batch,
    int filters, int spatial, float *vd);
void normalize_delta_cpu(float *x, float *mean, float *variance, float *md, float *vd,
    int batch, int filters, int spatial, float *delta);
void forward_maxpool_layer(const layer l, network net);
/* libdarknet's, not declared in darknet.h */
layer make_maxpool_layer(int batch, int h, int w, int c, int size, int stride, int padding);
char *get_activation_string(ACTIVATION a);

static void *lib;
static int failures;

static void *orig(const char *name)
{
	void *f = dlsym(lib, name);

	/* gemm_xx are darknet's only; the rest must not resolve to ours */
	if (f == NULL || (strncmp(name, "gemm_", 5) != 0 && f == dlsym(RTLD_DEFAULT, name))) {
		printf("not ok - %s: libdarknet's own not found apart from ours\n", name);
		exit(1);
	}
	return f;
}

static float *rnd(long n, int positive)
{
	float *p = malloc(sizeof(float) * n);
	long i;

	for (i = 0; i < n; i++)
		p[i] = (float)rand() / RAND_MAX * (positive ? 1 : 2) - (positive ? -0.01f : 1);
	return p;
}

static float *dup(const float *p, long n)
{
	float *q = malloc(sizeof(float) * n);

	memcpy(q, p, sizeof(float) * n);
	return q;
}

static void cmp(const char *what, const float *a, const float *b, long n, double tol)
{
	double mx = 0, d = 0;
	long i;

	for (i = 0; i < n; i++) {
		mx = fmax(mx, fabs(a[i]));
		d = fmax(d, fabs((double)a[i] - b[i]));
	}
	if (d <= tol * mx || (mx == 0 && d == 0)) {
		printf("ok - %s: within %.2g of max |value| %.3g\n", what, d / (mx > 0 ? mx : 1), mx);
	} else {
		printf("not ok - %s: difference %.3g of max |value| %.3g\n", what, d, mx);
		failures++;
	}
}

/* darknet's gemm_xx: C += ALPHA * op(A) op(B) (its gemm calls gemm_cpu,
 * which is ours here, so the reference is the inner loops) */
typedef void (*gemm_fn)(int, int, int, float, float *, int, float *, int, float *, int);
typedef void (*col_fn)(float *, int, int, int, int, int, int, float *);

static void t_gemm(void)
{
	static const char *names[2][2] = { { "gemm_nn", "gemm_nt" }, { "gemm_tn", "gemm_tt" } };
	int ta, tb, M = 37, N = 53, K = 29, i;
	char what[64];

	for (ta = 0; ta < 2; ta++)
		for (tb = 0; tb < 2; tb++) {
			float *a = rnd((long)M * K, 0), *b = rnd((long)K * N, 0), *c = rnd((long)M * N, 0);
			float *c2 = dup(c, (long)M * N);

			gemm(ta, tb, M, N, K, 0.7f, a, ta ? M : K, b, tb ? K : N, 0.5f, c, N);
			for (i = 0; i < M * N; i++)
				c2[i] *= 0.5f;
			((gemm_fn)orig(names[ta][tb]))(M, N, K, 0.7f, a, ta ? M : K, b, tb ? K : N, c2, N);
			snprintf(what, sizeof(what), "gemm TA=%d TB=%d alpha .7 beta .5", ta, tb);
			cmp(what, c2, c, (long)M * N, 1e-5);
			free(a); free(b); free(c); free(c2);
		}
}

static void t_cols(void)
{
	static const int shape[][6] = {   /* c h w k s p */
		{ 3, 64, 64, 3, 1, 1 }, { 5, 13, 11, 3, 2, 1 }, { 4, 9, 10, 1, 1, 0 },
		{ 6, 12, 12, 2, 2, 0 }, { 2, 7, 9, 5, 1, 2 }, { 3, 8, 8, 3, 1, 0 },
	};
	col_fn dn_im2col = (col_fn)orig("im2col_cpu"), dn_col2im = (col_fn)orig("col2im_cpu");
	size_t t;
	char what[96];

	for (t = 0; t < sizeof(shape) / sizeof(shape[0]); t++) {
		const int *s = shape[t];
		int oh = (s[1] + 2 * s[5] - s[3]) / s[4] + 1, ow = (s[2] + 2 * s[5] - s[3]) / s[4] + 1;
		long ncol = (long)s[0] * s[3] * s[3] * oh * ow, nim = (long)s[0] * s[1] * s[2];
		float *im = rnd(nim, 0), *col = malloc(sizeof(float) * ncol);
		float *col2 = malloc(sizeof(float) * ncol), *back = rnd(nim, 0), *back2 = dup(back, nim);

		memset(col, 0x7f, sizeof(float) * ncol);   /* ours must write every cell */
		im2col_cpu(im, s[0], s[1], s[2], s[3], s[4], s[5], col);
		dn_im2col(im, s[0], s[1], s[2], s[3], s[4], s[5], col2);
		snprintf(what, sizeof(what), "im2col c%d %dx%d k%d s%d p%d", s[0], s[1], s[2], s[3], s[4], s[5]);
		cmp(what, col2, col, ncol, 0);
		col2im_cpu(col, s[0], s[1], s[2], s[3], s[4], s[5], back);
		dn_col2im(col, s[0], s[1], s[2], s[3], s[4], s[5], back2);
		snprintf(what, sizeof(what), "col2im c%d %dx%d k%d s%d p%d", s[0], s[1], s[2], s[3], s[4], s[5]);
		cmp(what, back2, back, nim, 1e-6);
		free(im); free(col); free(col2); free(back); free(back2);
	}
}

static void t_act(void)
{
	static const ACTIVATION acts[] = { LINEAR, LEAKY, RELU, LOGISTIC, TANH };
	void (*dn_act)(float *, int, ACTIVATION) = (void (*)(float *, int, ACTIVATION))orig("activate_array");
	void (*dn_grad)(const float *, int, ACTIVATION, float *) =
	    (void (*)(const float *, int, ACTIVATION, float *))orig("gradient_array");
	void (*dn_fill)(int, float, float *, int) = (void (*)(int, float, float *, int))orig("fill_cpu");
	size_t t;
	char what[64];
	int n = 1003;

	for (t = 0; t < sizeof(acts) / sizeof(acts[0]); t++) {
		float *x = rnd(n, 0), *x2 = dup(x, n), *d = rnd(n, 0), *d2 = dup(d, n);

		activate_array(x, n, acts[t]);
		dn_act(x2, n, acts[t]);
		snprintf(what, sizeof(what), "activate_array %s", get_activation_string(acts[t]));
		cmp(what, x2, x, n, 1e-6);
		gradient_array(x, n, acts[t], d);
		dn_grad(x2, n, acts[t], d2);
		snprintf(what, sizeof(what), "gradient_array %s", get_activation_string(acts[t]));
		cmp(what, d2, d, n, 1e-6);
		free(x); free(x2); free(d); free(d2);
	}
	{
		float *x = rnd(n, 0), *x2 = dup(x, n);

		fill_cpu(n, 0, x, 1);
		dn_fill(n, 0, x2, 1);
		fill_cpu(n / 3, 2.5f, x + 1, 3);
		dn_fill(n / 3, 2.5f, x2 + 1, 3);
		cmp("fill_cpu 0 and strided 2.5", x2, x, n, 0);
		free(x); free(x2);
	}
}

static void t_batchnorm(void)
{
	int b = 4, f = 16, sp = 31 * 29;
	long n = (long)b * f * sp;
	float *x = rnd(n, 0), *delta = rnd(n, 0), *delta2 = dup(delta, n);
	float m[16], m2[16], v[16], v2[16], md[16], md2[16], vd[16], vd2[16];
	float *y = dup(x, n), *y2 = dup(x, n);

	mean_cpu(x, b, f, sp, m);
	((void (*)(float *, int, int, int, float *))orig("mean_cpu"))(x, b, f, sp, m2);
	cmp("mean_cpu", m2, m, f, 1e-5);
	variance_cpu(x, m2, b, f, sp, v);
	((void (*)(float *, float *, int, int, int, float *))orig("variance_cpu"))(x, m2, b, f, sp, v2);
	cmp("variance_cpu", v2, v, f, 1e-5);
	normalize_cpu(y, m2, v2, b, f, sp);
	((void (*)(float *, float *, float *, int, int, int))orig("normalize_cpu"))(y2, m2, v2, b, f, sp);
	cmp("normalize_cpu", y2, y, n, 1e-5);
	mean_delta_cpu(delta, v2, b, f, sp, md);
	((void (*)(float *, float *, int, int, int, float *))orig("mean_delta_cpu"))(delta, v2, b, f, sp, md2);
	cmp("mean_delta_cpu", md2, md, f, 2e-4);
	variance_delta_cpu(x, delta, m2, v2, b, f, sp, vd);
	((void (*)(float *, float *, float *, float *, int, int, int, float *))orig("variance_delta_cpu"))(
	    x, delta, m2, v2, b, f, sp, vd2);
	cmp("variance_delta_cpu", vd2, vd, f, 2e-4);
	normalize_delta_cpu(x, m2, v2, md2, vd2, b, f, sp, delta);
	((void (*)(float *, float *, float *, float *, float *, int, int, int, float *))orig(
	    "normalize_delta_cpu"))(x, m2, v2, md2, vd2, b, f, sp, delta2);
	cmp("normalize_delta_cpu", delta2, delta, n, 1e-5);
	free(x); free(delta); free(delta2); free(y); free(y2);
}

static void t_maxpool(void)
{
	static const int shape[][5] = { { 2, 2, 1, 64, 64 }, { 2, 2, 1, 15, 13 }, { 3, 2, 2, 16, 16 }, { 2, 1, 1, 9, 7 } };
	void (*dn)(layer, network) = (void (*)(layer, network))orig("forward_maxpool_layer");
	size_t t;
	char what[64];

	for (t = 0; t < sizeof(shape) / sizeof(shape[0]); t++) {
		const int *s = shape[t];   /* size stride padding h w */
		layer l = make_maxpool_layer(2, s[3], s[4], 5, s[0], s[1], s[2]);
		network net;
		float *out2 = malloc(sizeof(float) * l.outputs * l.batch);
		int *idx2 = malloc(sizeof(int) * l.outputs * l.batch), same;

		memset(&net, 0, sizeof(net));
		net.input = rnd(l.inputs * l.batch, 0);
		forward_maxpool_layer(l, net);
		memcpy(out2, l.output, sizeof(float) * l.outputs * l.batch);
		memcpy(idx2, l.indexes, sizeof(int) * l.outputs * l.batch);
		dn(l, net);
		snprintf(what, sizeof(what), "maxpool size %d stride %d pad %d on %dx%d", s[0], s[1], s[2], s[3], s[4]);
		cmp(what, l.output, out2, l.outputs * l.batch, 0);
		same = memcmp(idx2, l.indexes, sizeof(int) * l.outputs * l.batch) == 0;
		printf("%s - %s: same argmax indexes\n", same ? "ok" : "not ok", what);
		failures += !same;
		free(net.input); free(out2); free(idx2);
		free(l.output); free(l.delta); free(l.indexes);
	}
}

int main(void)
{
	if ((lib = dlopen("/usr/lib/darknet/libdarknet.so", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		printf("not ok - dlopen libdarknet: %s\n", dlerror());
		return 1;
	}
	srand(1);
	t_gemm();
	t_cols();
	t_act();
	t_batchnorm();
	t_maxpool();
	return failures ? 1 : 0;
}
