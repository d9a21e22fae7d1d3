/* test_person_tool - run common/persondet.c on one binary PPM (P6) image and
 * report what test_person.mjs compares with the tfjs reference: the person
 * boxes on stdout (one JSON object) and, with a dump directory, the raw
 * head outputs as float32 files head0.f32 (stride 8), head1.f32, head2.f32
 * (124 x h x w each, CHW).
 *
 * Usage: person-tool MODELS_DIR INPUT IMAGE.ppm THRESHOLD [DUMP_DIR | --bench N]
 * --bench N runs persondet_run N more times (after the first) and prints
 * "bench: INPUT cpu_ms_per_inference" (process CPU time, so other load on
 * the core does not count) on stderr, for test/bench/models-person.sh.
 *
 * persondet.c is included, not linked, to reach the network's layers
 * without widening nn.h. Exit: 0 ok, 1 persondet error, 2 usage/input. */
#include "../../common/persondet.c"

#include <time.h>

static unsigned char *read_ppm(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	unsigned char *px;
	int max;

	if (f == NULL)
		return NULL;
	if (fscanf(f, "P6 %d %d %d", w, h, &max) != 3 || max != 255 || fgetc(f) == EOF ||
	    *w <= 0 || *h <= 0 || *w > 20000 || *h > 20000) {
		fclose(f);
		return NULL;
	}
	px = malloc((size_t)*w * *h * 3);
	if (px && fread(px, 3, (size_t)*w * *h, f) != (size_t)*w * *h) {
		free(px);
		px = NULL;
	}
	fclose(f);
	return px;
}

int main(int argc, char **argv)
{
	char err[512], path[4096];
	struct nn_box box[256];
	struct persondet *pd;
	struct image im;
	int n, i;

	int bench = 0;

	if (argc == 7 && strcmp(argv[5], "--bench") == 0) {
		bench = atoi(argv[6]);
		argc = 5;
	}
	if (argc < 5 || argc > 6 || bench < 0 || bench > 1000) {
		fprintf(stderr, "usage: person-tool MODELS_DIR INPUT IMAGE.ppm THRESHOLD [DUMP_DIR | --bench N]\n");
		return 2;
	}
	if ((im.rgb = read_ppm(argv[3], &im.w, &im.h)) == NULL) {
		fprintf(stderr, "person-tool: %s: not a readable binary PPM\n", argv[3]);
		return 2;
	}
	if ((pd = persondet_open(argv[1], atoi(argv[2]), err, sizeof(err))) == NULL) {
		fprintf(stderr, "person-tool: %s\n", err);
		return 1;
	}
	n = persondet_run(pd, &im, (float)atof(argv[4]), box, 256);
	if (n < 0) {
		fprintf(stderr, "person-tool: persondet_run: %s\n", strerror(-n));
		return 1;
	}
	if (bench > 0) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		for (i = 0; i < bench; i++)
			persondet_run(pd, &im, (float)atof(argv[4]), box, 256);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		fprintf(stderr, "bench: %d %.1f\n", pd->input,
		    ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / bench);
	}
	for (i = 0; argc == 6 && i < PERSONDET_HEADS; i++) {
		layer *l = &pd->net->layers[pd->head[i]];
		FILE *f;

		snprintf(path, sizeof(path), "%s/head%d.f32", argv[5], i);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(l->output, sizeof(float), (size_t)l->outputs, f) != (size_t)l->outputs ||
		    fclose(f) != 0) {
			fprintf(stderr, "person-tool: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	printf("{\"width\":%d,\"height\":%d,\"input\":%d,\"persons\":[", im.w, im.h, pd->input);
	for (i = 0; i < n; i++)
		printf("%s{\"x\":%.3f,\"y\":%.3f,\"w\":%.3f,\"h\":%.3f,\"score\":%.5f}", i ? "," : "",
		    box[i].x, box[i].y, box[i].w, box[i].h, box[i].score);
	printf("]}\n");
	persondet_close(pd);
	free(im.rgb);
	return 0;
}
