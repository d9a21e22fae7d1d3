/* nnbench - time the face detector and mask classifier through nn.h.
 *
 *   nnbench MODELS IMAGE RUNS
 * Prints "face INPUT MS" for inputs 224/320/360/416/608 and "mask - MS": the
 * median of RUNS calls after one warm-up call, wall clock per call (the
 * face figure includes preprocessing, decoding and NMS). Timing is a
 * report, never a test. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn.h"
#include "ppm.h"
#include "toolopt.h"

static double nnbench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int nnbench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static const char nnbench_usage[] =
    "usage: nnbench MODELS IMAGE RUNS\n";

int main(int argc, char **argv)
{
	static const int inputs[] = { 224, 320, 360, 416, 608 };
	struct nn_box box[16], face = { 0 };
	float probs[MASKCLS_N];
	struct image im;
	char err[512];
	double *t;
	int runs, i, k;

	toolopt_std(argc, argv, "nnbench", nnbench_usage);

	if (argc != 4 || (runs = atoi(argv[3])) < 1 || runs > 1000) {
		return toolopt_usage(nnbench_usage);
	}
	if (ppm_decode(argv[2], &im) < 0)
		return 1;
	t = malloc(sizeof(double) * runs);
	for (k = 0; k < (int)(sizeof(inputs) / sizeof(inputs[0])); k++) {
		struct facedet *fd = facedet_open(argv[1], inputs[k], err, sizeof(err));

		if (fd == NULL) {
			fprintf(stderr, "nnbench: %s\n", err);
			return 1;
		}
		if (facedet_run(fd, &im, 0.5f, box, 16) > 0 && inputs[k] == 360)
			face = box[0];
		for (i = 0; i < runs; i++) {
			double t0 = nnbench_now_ms();
			facedet_run(fd, &im, 0.5f, box, 16);
			t[i] = nnbench_now_ms() - t0;
		}
		qsort(t, runs, sizeof(double), nnbench_cmp);
		printf("face %d %.1f\n", inputs[k], t[runs / 2]);
		facedet_close(fd);
	}
	{
		struct maskcls *mc = maskcls_open(argv[1], err, sizeof(err));

		if (mc == NULL) {
			fprintf(stderr, "nnbench: %s\n", err);
			return 1;
		}
		if (face.w <= 0)
			face = (struct nn_box){ 0, 0, im.w, im.h, 1 };
		maskcls_run(mc, &im, &face, probs);
		for (i = 0; i < runs; i++) {
			double t0 = nnbench_now_ms();
			maskcls_run(mc, &im, &face, probs);
			t[i] = nnbench_now_ms() - t0;
		}
		qsort(t, runs, sizeof(double), nnbench_cmp);
		printf("mask - %.2f\n", t[runs / 2]);
		maskcls_close(mc);
	}
	free(t);
	free(im.rgb);
	return 0;
}
