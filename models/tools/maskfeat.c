/* maskfeat - run a darknet network on crops and write what chosen layers
 * output, for training the mask classifier's head on a fixed backbone
 * (models/scripts/mask-head.py).
 *
 *   maskfeat DIR NAME LAYER[,LAYER...] OUT < LIST
 * Loads DIR/NAME.cfg + .weights through nn_load (so with the project's
 * forward kernels, as at run time). LIST: one crop (any image stb reads, at
 * the network's input size) per line. For each crop the image goes in as
 * maskcls_run feeds it (planar RGB / 255) and the outputs of the listed
 * layers, concatenated, are appended to OUT as float32. Prints the row
 * length on stdout; exit 1 on any unreadable or wrongly sized crop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "nn.h"
#include "nn_priv.h"
#include "ppm.h"
#include "toolopt.h"

static const char maskfeat_usage[] =
    "usage: maskfeat DIR NAME LAYER[,LAYER...] OUT < LIST\n";

int main(int argc, char **argv)
{
	char line[4096], err[512], *s;
	int layers[16], nl = 0, i, row = 0, n = 0;
	network *net;
	float *in;
	FILE *out;

	toolopt_std(argc, argv, "maskfeat", maskfeat_usage);

	if (argc != 5) {
		return toolopt_usage(maskfeat_usage);
	}
	if ((net = nn_load(argv[1], argv[2], err, sizeof(err))) == NULL) {
		fprintf(stderr, "maskfeat: %s\n", err);
		return 1;
	}
	for (s = strtok(argv[3], ","); s && nl < 16; s = strtok(NULL, ",")) {
		layers[nl] = atoi(s);
		if (layers[nl] < 0 || layers[nl] >= net->n) {
			fprintf(stderr, "maskfeat: no layer %s\n", s);
			return 2;
		}
		if (!kernels_output_kept(net, layers[nl])) {   /* fused with its maxpool */
			fprintf(stderr, "maskfeat: layer %s's output is not kept by the kernels\n", s);
			return 2;
		}
		row += net->layers[layers[nl++]].outputs;
	}
	if ((out = fopen(argv[4], "wb")) == NULL || (in = malloc(sizeof(float) * net->inputs)) == NULL) {
		perror(argv[4]);
		return 1;
	}
	printf("%d\n", row);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		struct image im;
		size_t plane, p;
		int c;

		line[strcspn(line, "\r\n")] = 0;
		if (ppm_decode(line, &im) < 0)
			return 1;
		if (im.w != net->w || im.h != net->h) {
			fprintf(stderr, "maskfeat: %s is %dx%d, want %dx%d\n", line, im.w, im.h, net->w, net->h);
			return 1;
		}
		plane = (size_t)im.w * im.h;
		for (p = 0; p < plane; p++)
			for (c = 0; c < 3; c++)
				in[c * plane + p] = im.rgb[p * 3 + c] / 255.0f;
		free(im.rgb);
		network_predict(net, in);
		for (i = 0; i < nl; i++) {
			layer *l = &net->layers[layers[i]];

			if (fwrite(l->output, sizeof(float), (size_t)l->outputs, out) != (size_t)l->outputs) {
				perror(argv[4]);
				return 1;
			}
		}
		n++;
	}
	if (fclose(out) != 0) {
		perror(argv[4]);
		return 1;
	}
	fprintf(stderr, "maskfeat: %d crops, %d floats each\n", n, row);
	free(in);
	free_network(net);
	return 0;
}
