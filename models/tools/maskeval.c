/* maskeval - measure the mask classifier through nn.h's API (maskcls_run,
 * then maskcls_decide with the model's thresholds), on face boxes.
 *
 *   maskeval MODELS [CLASS=MIN ...] < LIST
 *   maskeval -p MODELS < LIST
 * LIST lines: "SRC CLASS MODE SEED [X Y W H [GROUP]]" (the validation list
 * of models/scripts/mask-lists.py). CLASS is the truth (mask_on, mask_off,
 * mask_chin); MODE chin draws the synthetic below-the-nose mask first
 * (chin.c, seeded by SEED), plain leaves the photo as it is. The box is
 * X Y W H, or, without one (or with W = 0), the best face of tiny_face_detector at 224,
 * threshold 0.3, mapped by maskcls_from_detector as the worker does, else
 * the whole image.
 *
 * Default form: prints the confusion matrix (rows truth, columns called,
 * "unsure" when no class reaches its threshold), for real photos (plain)
 * and synthetic masks (chin) apart, and checks each CLASS=MIN: the share
 * of real faces of that class called right is at least MIN;
 * "synthetic=MIN" checks synthetic mask_chin the same way. Exit 1 when a
 * check fails, the model does not load, or a line cannot be read.
 * -p: prints "GROUP CLASS MODE P_ON P_OFF P_CHIN" per line instead (for
 * mask-thresholds.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chin.h"
#include "nn.h"
#include "nn_priv.h"
#include "ppm.h"
#include "toolopt.h"

static int failures;

static void maskeval_result(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

static void maskeval_print_matrix(const char *title, int conf[MASKCLS_N][MASKCLS_N + 1])
{
	int i, j;

	printf("# %s (rows: truth, columns: called)\n#            ", title);
	for (j = 0; j < MASKCLS_N; j++)
		printf(" %9s", maskcls_name(j));
	printf("    unsure   right\n");
	for (i = 0; i < MASKCLS_N; i++) {
		int n = 0;

		for (j = 0; j <= MASKCLS_N; j++)
			n += conf[i][j];
		if (n == 0)
			continue;
		printf("# %-10s", maskcls_name(i));
		for (j = 0; j <= MASKCLS_N; j++)
			printf(" %9d", conf[i][j]);
		printf("   %.3f (%d)\n", (double)conf[i][i] / n, n);
	}
}

static const char maskeval_usage[] =
    "usage: maskeval MODELS [CLASS=MIN ...] < LIST | maskeval -p MODELS < LIST\n";

int main(int argc, char **argv)
{
	char line[8192], src[4096], cls[32], mode[16], group[64], err[512], what[512];
	int real[MASKCLS_N][MASKCLS_N + 1] = { { 0 } }, synth[MASKCLS_N][MASKCLS_N + 1] = { { 0 } };
	int lineno = 0, bad = 0, probs_only = 0, i, j, a = 1;
	struct facedet *fd = NULL;
	struct maskcls *mc;

	toolopt_std(argc, argv, "maskeval", maskeval_usage);

	if (argc > 1 && strcmp(argv[1], "-p") == 0) {
		probs_only = 1;
		a = 2;
	}
	if (argc <= a) {
		return toolopt_usage(maskeval_usage);
	}
	if ((mc = maskcls_open(argv[a], err, sizeof(err))) == NULL) {
		printf("not ok - load the mask classifier: %s\n", err);
		return 1;
	}
	if (!probs_only)
		maskeval_result(1, "mask classifier loads (network, labels, thresholds)");
	while (fgets(line, sizeof(line), stdin)) {
		struct image im;
		struct nn_box box = { 0, 0, 0, 0, 1 };
		float probs[MASKCLS_N];
		unsigned seed;
		int truth = -1, pred, n;

		lineno++;
		strcpy(group, "-");
		n = sscanf(line, "%4095s %31s %15s %u %f %f %f %f %63s", src, cls, mode, &seed,
		    &box.x, &box.y, &box.w, &box.h, group);
		for (i = 0; i < MASKCLS_N; i++)
			if (strcmp(cls, maskcls_name(i)) == 0)
				truth = i;
		if ((n != 4 && n != 8 && n != 9) || truth < 0 || ppm_decode(src, &im) < 0) {
			fprintf(stderr, "maskeval: line %d: bad line or image\n", lineno);
			bad++;
			continue;
		}
		if (n == 4 || !(box.w > 0 && box.h > 0)) {
			if (fd == NULL && (fd = facedet_open(argv[a], 224, err, sizeof(err))) == NULL) {
				printf("not ok - load the face detector: %s\n", err);
				return 1;
			}
			if (facedet_run(fd, &im, 0.3f, &box, 1) == 1) {
				struct nn_box det = box;

				maskcls_from_detector(&det, &box); /* as analyse does */
			} else {
				box = (struct nn_box){ 0, 0, im.w, im.h, 0 };
				box.x += im.w * NN_MASK_MARGIN / (1 + 2 * NN_MASK_MARGIN);
				box.y += im.h * NN_MASK_MARGIN / (1 + 2 * NN_MASK_MARGIN);
				box.w /= 1 + 2 * NN_MASK_MARGIN;
				box.h /= 1 + 2 * NN_MASK_MARGIN;
			}
		}
		if (strcmp(mode, "chin") == 0)
			chin_draw(&im, &box, seed);
		pred = maskcls_run(mc, &im, &box, probs);
		free(im.rgb);
		if (pred < 0) {
			fprintf(stderr, "maskeval: line %d: maskcls_run failed (%d)\n", lineno, pred);
			bad++;
			continue;
		}
		if (probs_only) {
			printf("%s %s %s %.6f %.6f %.6f\n", group, cls, mode, probs[0], probs[1], probs[2]);
			continue;
		}
		pred = maskcls_decide(mc, probs);
		if (strcmp(mode, "chin") == 0)
			synth[truth][pred]++;
		else
			real[truth][pred]++;
	}
	facedet_close(fd);
	if (probs_only) {
		maskcls_close(mc);
		return bad ? 1 : 0;
	}
	printf("# thresholds: ");
	for (i = 0; i < MASKCLS_N; i++)
		printf("%s %.3f%s", maskcls_name(i), maskcls_threshold(mc, i), i + 1 < MASKCLS_N ? ", " : "\n");
	maskeval_print_matrix("real photos", real);
	maskeval_print_matrix("synthetic below-the-nose masks", synth);
	snprintf(what, sizeof(what), "every listed face classified (%d failed)", bad);
	maskeval_result(bad == 0, what);
	for (j = a + 1; j < argc; j++) {
		char name[64];
		float min;
		int (*m)[MASKCLS_N + 1] = real, right, all = 0, k;

		if (sscanf(argv[j], "%63[^=]=%f", name, &min) != 2) {
			fprintf(stderr, "maskeval: bad check %s (want CLASS=MIN)\n", argv[j]);
			return 2;
		}
		if (strcmp(name, "synthetic") == 0) {
			m = synth;
			strcpy(name, "mask_chin");
		}
		for (i = 0; i < MASKCLS_N && strcmp(name, maskcls_name(i)) != 0; i++)
			;
		if (i == MASKCLS_N) {
			fprintf(stderr, "maskeval: unknown class in %s\n", argv[j]);
			return 2;
		}
		right = m[i][i];
		for (k = 0; k <= MASKCLS_N; k++)
			all += m[i][k];
		snprintf(what, sizeof(what), "%s%s called right %.3f (%d of %d), want >= %.3f",
		    m == synth ? "synthetic " : "", name, all ? (double)right / all : 0, right, all, min);
		maskeval_result(all > 0 && (float)right / all >= min, what);
	}
	maskcls_close(mc);
	return failures ? 1 : 0;
}
