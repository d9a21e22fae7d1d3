/* train_fast - fast versions of the darknet functions its trainer spends
 * its time in. libdarknet.so calls gemm, gemm_cpu, im2col_cpu, col2im_cpu,
 * activate_array, gradient_array, fill_cpu, the batch-norm helpers and
 * (as a layer's forward pointer) forward_maxpool_layer through its GOT/PLT, so a
 * program linked with this object (models/tools/train.c) runs these
 * instead of the library's: OpenBLAS sgemm instead of darknet's 4-wide
 * loops, row-wise im2col/col2im, vectorised activations. Same results as
 * darknet's to float rounding. One BLAS thread: training runs on a shared
 * machine, and darknet's own loader threads keep the other core busy. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "kernels.h"

/* The prototypes libdarknet.so exports (not all are in darknet.h). */
void gemm(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda,
    float *B, int ldb, float BETA, float *C, int ldc);
void gemm_cpu(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda,
    float *B, int ldb, float BETA, float *C, int ldc);
void im2col_cpu(float *data_im, int channels, int height, int width, int ksize, int stride,
    int pad, float *data_col);
void col2im_cpu(float *data_col, int channels, int height, int width, int ksize, int stride,
    int pad, float *data_im);
void activate_array(float *x, const int n, const ACTIVATION a);
void gradient_array(const float *x, const int n, const ACTIVATION a, float *delta);
float gradient(float x, ACTIVATION a);

void gemm_cpu(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda,
    float *B, int ldb, float BETA, float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	if (K <= 0) {
		/* darknet scales C by BETA even when there is nothing to add */
		int i, j;

		for (i = 0; i < M; i++)
			for (j = 0; j < N; j++)
				C[(long)i * ldc + j] *= BETA;
		return;
	}
	cblas_sgemm(CblasRowMajor, TA ? CblasTrans : CblasNoTrans, TB ? CblasTrans : CblasNoTrans,
	    M, N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
}

void gemm(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda,
    float *B, int ldb, float BETA, float *C, int ldc)
{
	gemm_cpu(TA, TB, M, N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
}

void im2col_cpu(float *data_im, int channels, int height, int width, int ksize, int stride,
    int pad, float *data_col)
{
	int oh = (height + 2 * pad - ksize) / stride + 1;

	kernels_im2col(data_im, channels, height, width, ksize, stride, pad, 0, oh, data_col);
}

void col2im_cpu(float *data_col, int channels, int height, int width, int ksize, int stride,
    int pad, float *data_im)
{
	int oh = (height + 2 * pad - ksize) / stride + 1;
	int ow = (width + 2 * pad - ksize) / stride + 1;
	int c, ky, kx, y, x;

	for (c = 0; c < channels; c++)
		for (ky = 0; ky < ksize; ky++)
			for (kx = 0; kx < ksize; kx++) {
				const float *col = data_col + ((long)(c * ksize + ky) * ksize + kx) * oh * ow;
				float *plane = data_im + (long)c * height * width;
				int x0 = pad - kx > 0 ? (pad - kx + stride - 1) / stride : 0;
				int x1 = width - 1 + pad - kx >= 0 ? (width - 1 + pad - kx) / stride + 1 : 0;

				if (x1 > ow)
					x1 = ow;
				for (y = 0; y < oh; y++, col += ow) {
					int iy = y * stride - pad + ky;
					float *dst;

					if (iy < 0 || iy >= height)
						continue;
					dst = plane + (long)iy * width + kx - pad;
					for (x = x0; x < x1; x++)
						dst[x * stride] += col[x];
				}
			}
}

void activate_array(float *x, const int n, const ACTIVATION a)
{
	kernels_activate(x, n, a);
}

void gradient_array(const float *x, const int n, const ACTIVATION a, float *delta)
{
	int i;

	switch (a) {
	case LINEAR:
		return;
	case LEAKY:
		for (i = 0; i < n; i++)
			delta[i] *= x[i] > 0 ? 1.0f : .1f;
		return;
	case RELU:
		for (i = 0; i < n; i++)
			delta[i] *= x[i] > 0 ? 1.0f : 0.0f;
		return;
	default:
		for (i = 0; i < n; i++)
			delta[i] *= gradient(x[i], a);
	}
}

void fill_cpu(int N, float ALPHA, float *X, int INCX)
{
	int i;

	if (INCX == 1 && ALPHA == 0) {
		memset(X, 0, sizeof(float) * (N > 0 ? N : 0));
		return;
	}
	for (i = 0; i < N; i++)
		X[(long)i * INCX] = ALPHA;
}

/* Batch-norm statistics and their gradients, as darknet's blas.c computes
 * them (same formulas, same epsilons: .000001 forward, .00001 backward),
 * walking memory in order and without a pow() per element. */
void mean_cpu(float *x, int batch, int filters, int spatial, float *mean);
void variance_cpu(float *x, float *mean, int batch, int filters, int spatial, float *variance);
void normalize_cpu(float *x, float *mean, float *variance, int batch, int filters, int spatial);
void mean_delta_cpu(float *delta, float *variance, int batch, int filters, int spatial,
    float *mean_delta);
void variance_delta_cpu(float *x, float *delta, float *mean, float *variance, int batch,
    int filters, int spatial, float *variance_delta);
void normalize_delta_cpu(float *x, float *mean, float *variance, float *mean_delta,
    float *variance_delta, int batch, int filters, int spatial, float *delta);

void mean_cpu(float *x, int batch, int filters, int spatial, float *mean)
{
	float scale = 1. / (batch * spatial);
	int i, j, k;

	for (i = 0; i < filters; i++) {
		float s = 0;

		for (j = 0; j < batch; j++) {
			const float *p = x + ((long)j * filters + i) * spatial;

			for (k = 0; k < spatial; k++)
				s += p[k];
		}
		mean[i] = s * scale;
	}
}

void variance_cpu(float *x, float *mean, int batch, int filters, int spatial, float *variance)
{
	float scale = 1. / (batch * spatial - 1);
	int i, j, k;

	for (i = 0; i < filters; i++) {
		float s = 0, m = mean[i];

		for (j = 0; j < batch; j++) {
			const float *p = x + ((long)j * filters + i) * spatial;

			for (k = 0; k < spatial; k++)
				s += (p[k] - m) * (p[k] - m);
		}
		variance[i] = s * scale;
	}
}

void normalize_cpu(float *x, float *mean, float *variance, int batch, int filters, int spatial)
{
	int j, f, k;

	for (j = 0; j < batch; j++)
		for (f = 0; f < filters; f++) {
			float *p = x + ((long)j * filters + f) * spatial, m = mean[f];
			float inv = (float)(1.0 / (sqrt(variance[f]) + .000001f));

			for (k = 0; k < spatial; k++)
				p[k] = (p[k] - m) * inv;
		}
}

void mean_delta_cpu(float *delta, float *variance, int batch, int filters, int spatial,
    float *mean_delta)
{
	int i, j, k;

	for (i = 0; i < filters; i++) {
		float s = 0;

		for (j = 0; j < batch; j++) {
			const float *p = delta + ((long)j * filters + i) * spatial;

			for (k = 0; k < spatial; k++)
				s += p[k];
		}
		mean_delta[i] = s * (-1. / sqrt(variance[i] + .00001f));
	}
}

void variance_delta_cpu(float *x, float *delta, float *mean, float *variance, int batch,
    int filters, int spatial, float *variance_delta)
{
	int i, j, k;

	for (i = 0; i < filters; i++) {
		float s = 0, m = mean[i];

		for (j = 0; j < batch; j++) {
			const float *p = x + ((long)j * filters + i) * spatial;
			const float *d = delta + ((long)j * filters + i) * spatial;

			for (k = 0; k < spatial; k++)
				s += d[k] * (p[k] - m);
		}
		variance_delta[i] = s * (-.5 * pow(variance[i] + .00001f, (float)(-3. / 2.)));
	}
}

void normalize_delta_cpu(float *x, float *mean, float *variance, float *mean_delta,
    float *variance_delta, int batch, int filters, int spatial, float *delta)
{
	int j, f, k;

	for (j = 0; j < batch; j++)
		for (f = 0; f < filters; f++) {
			long o = ((long)j * filters + f) * spatial;
			float a = (float)(1. / sqrt(variance[f] + .00001f));
			float b = (float)(variance_delta[f] * 2. / (spatial * batch));
			float c = (float)(mean_delta[f] / (spatial * batch)), m = mean[f];

			for (k = 0; k < spatial; k++)
				delta[o + k] = delta[o + k] * a + b * (x[o + k] - m) + c;
		}
}

/* darknet's maxpool forward with the argmax indexes its backward needs:
 * the first largest cell in row-major window order, windows clipped to
 * the plane instead of testing every cell. */
void forward_maxpool_layer(const layer l, network net);
void forward_maxpool_layer(const layer l, network net)
{
	int off = -l.pad / 2, b, c, oy, ox, y, x;

	for (b = 0; b < l.batch; b++)
		for (c = 0; c < l.c; c++) {
			long plane = (long)(b * l.c + c) * l.h * l.w;
			const float *in = net.input + plane;
			long obase = (long)(b * l.c + c) * l.out_h * l.out_w;

			for (oy = 0; oy < l.out_h; oy++) {
				int y0 = off + oy * l.stride, y1 = y0 + l.size;

				if (y0 < 0)
					y0 = 0;
				if (y1 > l.h)
					y1 = l.h;
				for (ox = 0; ox < l.out_w; ox++) {
					int x0 = off + ox * l.stride, x1 = x0 + l.size, best = -1;
					float m = -FLT_MAX;

					if (x0 < 0)
						x0 = 0;
					if (x1 > l.w)
						x1 = l.w;
					for (y = y0; y < y1; y++)
						for (x = x0; x < x1; x++)
							if (in[(long)y * l.w + x] > m) {
								m = in[(long)y * l.w + x];
								best = y * l.w + x;
							}
					l.output[obase + (long)oy * l.out_w + ox] = m;
					l.indexes[obase + (long)oy * l.out_w + ox] = best < 0 ? -1 : (int)(plane + best);
				}
			}
		}
}
