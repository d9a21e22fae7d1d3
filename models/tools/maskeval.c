/* maskeval - measure the mask classifier through nn.h's API.
 *
 *   maskeval MODELS MIN_REAL MIN_CHIN < LIST
 * LIST lines: "SRC CLASS MODE" (CLASS mask_on|mask_off|mask_chin, MODE plain
 * or chin: chin draws the synthetic below-the-nose mask first, seeded by
 * line number as facecrop does). Faces are found as in facecrop (top face
 * at input 224, threshold 0.3, else the whole image). Prints the confusion
 * matrix, per-class accuracy, and asserts: on plain images, mask vs no-mask
 * accuracy (predicted mask_on iff labelled mask_on) >= MIN_REAL; on chin
 * images, accuracy of mask_chin >= MIN_CHIN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chin.h"
#include "nn.h"
#include "nn_priv.h"
#include "ppm.h"

static int failures;

static void result(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

int main(int argc, char **argv)
{
	char line[8192], src[4096], cls[32], mode[16], err[512], what[512];
	int conf[MASKCLS_N][MASKCLS_N] = { { 0 } };
	int real_n = 0, real_ok = 0, chin_n = 0, chin_ok = 0, lineno = 0, bad = 0, i, j;
	float min_real, min_chin;
	struct facedet *fd;
	struct maskcls *mc;

	if (argc != 4) {
		fprintf(stderr, "usage: maskeval MODELS MIN_REAL MIN_CHIN < LIST\n");
		return 2;
	}
	min_real = strtof(argv[2], NULL);
	min_chin = strtof(argv[3], NULL);
	if ((fd = facedet_open(argv[1], 224, err, sizeof(err))) == NULL ||
	    (mc = maskcls_open(argv[1], err, sizeof(err))) == NULL) {
		printf("not ok - load models: %s\n", err);
		return 1;
	}
	result(1, "mask classifier and face detector load");
	while (fgets(line, sizeof(line), stdin)) {
		struct image im;
		struct nn_box box;
		float probs[MASKCLS_N];
		int truth = -1, pred;

		lineno++;
		if (sscanf(line, "%4095s %31s %15s", src, cls, mode) != 3)
			continue;
		for (i = 0; i < MASKCLS_N; i++)
			if (strcmp(cls, maskcls_name(i)) == 0)
				truth = i;
		if (truth < 0 || ppm_decode(src, &im) < 0) {
			bad++;
			continue;
		}
		if (facedet_run(fd, &im, 0.3f, &box, 1) != 1) {
			box = (struct nn_box){ 0, 0, im.w, im.h, 0 };
			box.x += im.w * NN_MASK_MARGIN / (1 + 2 * NN_MASK_MARGIN);
			box.y += im.h * NN_MASK_MARGIN / (1 + 2 * NN_MASK_MARGIN);
			box.w /= 1 + 2 * NN_MASK_MARGIN;
			box.h /= 1 + 2 * NN_MASK_MARGIN;
		}
		if (strcmp(mode, "chin") == 0)
			chin_draw(&im, &box, (unsigned)lineno);
		pred = maskcls_run(mc, &im, &box, probs);
		free(im.rgb);
		if (pred < 0) {
			bad++;
			continue;
		}
		conf[truth][pred]++;
		if (strcmp(mode, "chin") == 0) {
			chin_n++;
			chin_ok += pred == MASKCLS_CHIN;
		} else {
			real_n++;
			real_ok += (pred == MASKCLS_ON) == (truth == MASKCLS_ON);
		}
	}
	printf("# confusion matrix (rows: truth, columns: predicted)\n#            ");
	for (j = 0; j < MASKCLS_N; j++)
		printf(" %9s", maskcls_name(j));
	printf("   accuracy\n");
	for (i = 0; i < MASKCLS_N; i++) {
		int n = 0;

		printf("# %-10s", maskcls_name(i));
		for (j = 0; j < MASKCLS_N; j++) {
			printf(" %9d", conf[i][j]);
			n += conf[i][j];
		}
		printf("   %.3f (%d)\n", n ? (double)conf[i][i] / n : 0, n);
	}
	snprintf(what, sizeof(what), "every listed image classified (%d failed)", bad);
	result(bad == 0, what);
	snprintf(what, sizeof(what), "real photos: mask vs no-mask accuracy %.3f (%d of %d), want >= %.2f",
	    real_n ? (double)real_ok / real_n : 0, real_ok, real_n, min_real);
	result(real_n > 0 && (float)real_ok / real_n >= min_real, what);
	snprintf(what, sizeof(what), "synthetic mask_chin accuracy %.3f (%d of %d), want >= %.2f",
	    chin_n ? (double)chin_ok / chin_n : 0, chin_ok, chin_n, min_chin);
	result(chin_n > 0 && (float)chin_ok / chin_n >= min_chin, what);
	maskcls_close(mc);
	facedet_close(fd);
	return failures ? 1 : 0;
}
