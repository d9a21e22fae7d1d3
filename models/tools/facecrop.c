/* facecrop - cut the mask classifier's training crops.
 *
 *   facecrop MODELS SIZE < LIST
 * LIST lines: "SRC DST MODE", MODE plain or chin. For each SRC: find the
 * highest-scoring face (tiny_face_detector at input 224, threshold 0.3; the
 * whole image if none), for chin draw a synthetic below-the-nose mask on it
 * (seed = line number), and write the nn_face_square crop (the same one
 * maskcls_run uses) as a SIZE x SIZE PPM to DST. Prints a summary line on
 * stderr; exit 1 if any line failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chin.h"
#include "nn.h"
#include "nn_priv.h"
#include "ppm.h"

int main(int argc, char **argv)
{
	char line[8192], src[4096], dst[4096], mode[16], err[512];
	int size, lineno = 0, faces = 0, whole = 0, bad = 0;
	struct facedet *fd;

	if (argc != 3 || (size = atoi(argv[2])) < 8 || size > 1024) {
		fprintf(stderr, "usage: facecrop MODELS SIZE < LIST\n");
		return 2;
	}
	if ((fd = facedet_open(argv[1], 224, err, sizeof(err))) == NULL) {
		fprintf(stderr, "facecrop: %s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		struct image im, crop;
		struct nn_box box;

		lineno++;
		if (sscanf(line, "%4095s %4095s %15s", src, dst, mode) != 3) {
			fprintf(stderr, "facecrop: line %d: want SRC DST MODE\n", lineno);
			bad++;
			continue;
		}
		if (ppm_decode(src, &im) < 0) {
			bad++;
			continue;
		}
		if (facedet_run(fd, &im, 0.3f, &box, 1) == 1) {
			faces++;
		} else {
			box = (struct nn_box){ 0, 0, im.w, im.h, 0 };
			/* nn_face_square adds the margin; cancel it for whole images */
			box.x += im.w * NN_MASK_MARGIN / (1 + 2 * NN_MASK_MARGIN);
			box.y += im.h * NN_MASK_MARGIN / (1 + 2 * NN_MASK_MARGIN);
			box.w /= 1 + 2 * NN_MASK_MARGIN;
			box.h /= 1 + 2 * NN_MASK_MARGIN;
			whole++;
		}
		if (strcmp(mode, "chin") == 0)
			chin_draw(&im, &box, (unsigned)lineno);
		if (nn_face_square(&im, &box, NN_MASK_MARGIN, size, &crop) < 0 || ppm_write(dst, &crop) < 0) {
			fprintf(stderr, "facecrop: %s: cannot write\n", dst);
			bad++;
		} else
			free(crop.rgb);
		free(im.rgb);
	}
	facedet_close(fd);
	fprintf(stderr, "facecrop: %d images, %d with a face, %d whole image, %d failed\n",
	    lineno, faces, whole, bad);
	return bad ? 1 : 0;
}
