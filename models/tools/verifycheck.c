/* verifycheck - the face verifier (common/facever.c) through its run-time
 * code: the mask classifier's features of each box (maskcls_run, then
 * maskcls_features), then facever_score against verify.threshold.
 *
 *   verifycheck MODELS FACES_MIN OTHER_MAX < LIST
 * LIST lines: "SRC X Y W H LABEL": the box as the mask classifier crops it
 * (an annotated face box; a detector's box is mapped by
 * maskcls_from_detector first), LABEL 1 for a face, 0 for anything else.
 * Prints how many of each the verifier takes for faces, and checks: faces
 * taken >= FACES_MIN (a share), others taken <= OTHER_MAX (when the list
 * holds any). Exit 1 when a
 * check fails, a model does not load or a line cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facever.h"
#include "nn.h"
#include "ppm.h"
#include "toolopt.h"

static const char verifycheck_usage[] = "usage: verifycheck MODELS FACES_MIN OTHER_MAX < LIST\n";

int main(int argc, char **argv)
{
	char line[8192], src[4096], err[512];
	int lineno = 0, bad = 0, n[2] = { 0, 0 }, taken[2] = { 0, 0 }, nfeat, label, rc = 0;
	double faces_min, other_max;
	struct maskcls *mc;
	struct facever *fv;
	float *feat;

	toolopt_std(argc, argv, "verifycheck", verifycheck_usage);
	if (argc != 4)
		return toolopt_usage(verifycheck_usage);
	faces_min = atof(argv[2]);
	other_max = atof(argv[3]);
	if ((mc = maskcls_open(argv[1], err, sizeof(err))) == NULL ||
	    (nfeat = maskcls_features(mc, NULL, 0)) <= 0 ||
	    (fv = facever_open(argv[1], nfeat, err, sizeof(err))) == NULL) {
		printf("not ok - face verifier loads: %s\n", mc == NULL ? err : nfeat <= 0 ?
		    "the mask classifier gives no features" : err);
		return 1;
	}
	printf("ok - face verifier loads (%d features, threshold %.4f)\n", nfeat, facever_threshold(fv));
	if ((feat = malloc(sizeof(float) * (size_t)nfeat)) == NULL)
		return 1;
	while (fgets(line, sizeof(line), stdin)) {
		struct nn_box box = { 0, 0, 0, 0, 1 };
		float probs[MASKCLS_N];
		struct image im;

		lineno++;
		if (sscanf(line, "%4095s %f %f %f %f %d", src, &box.x, &box.y, &box.w, &box.h, &label) != 6 ||
		    (label != 0 && label != 1) || !(box.w > 0 && box.h > 0)) {
			fprintf(stderr, "verifycheck: line %d: want SRC X Y W H LABEL\n", lineno);
			bad++;
			continue;
		}
		if (ppm_decode(src, &im) < 0) {
			bad++;
			continue;
		}
		if (maskcls_run(mc, &im, &box, probs) < 0 || maskcls_features(mc, feat, nfeat) != nfeat) {
			fprintf(stderr, "verifycheck: line %d: the mask classifier failed\n", lineno);
			bad++;
		} else {
			n[label]++;
			taken[label] += facever_score(fv, feat) >= facever_threshold(fv);
		}
		free(im.rgb);
	}
	printf("# faces taken %d/%d, others taken %d/%d\n", taken[1], n[1], taken[0], n[0]);
	if (bad) {
		printf("not ok - %d lines could not be scored\n", bad);
		rc = 1;
	}
	if (n[1] == 0 || (double)taken[1] / n[1] < faces_min) {
		printf("not ok - faces taken for faces: %.3f, floor %.3f\n", n[1] ? (double)taken[1] / n[1] : 0, faces_min);
		rc = 1;
	} else
		printf("ok - faces taken for faces: %.3f, floor %.3f\n", (double)taken[1] / n[1], faces_min);
	if (n[0] == 0)
		printf("# no others in the list: nothing to check\n");
	else if ((double)taken[0] / n[0] > other_max) {
		printf("not ok - others taken for faces: %.3f, ceiling %.3f\n", (double)taken[0] / n[0], other_max);
		rc = 1;
	} else
		printf("ok - others taken for faces: %.3f, ceiling %.3f\n", (double)taken[0] / n[0], other_max);
	free(feat);
	facever_close(fv);
	maskcls_close(mc);
	return rc;
}
