/* decode_bench - reference figures for the pipeline benchmark, measured in
 * one process on one thread with the project's own code: how fast
 * image_decode (stb_image, the decode floor of ingest) decodes a file, and
 * how long spool_commit (write, fsync file, rename, fsync directory) takes,
 * and how long image_write_jpeg (the worker's snapshot: JPEG encode,
 * write, fsync, rename) takes for the decoded FILE.
 * A benchmark, not a test: it prints figures and asserts nothing.
 *
 * usage: decode_bench decode FILE N      decode FILE N times
 *        decode_bench commit DIR FILE N  commit FILE N times to a spool in DIR
 *        decode_bench encode DIR FILE N  write FILE's pixels as DIR/snapshot.jpg N times
 *        decode_bench skip DIR FILE N    commit FILE N times, timing spool_skip of each
 *                                        (the dispatcher's loop, per frame a gate camera skips)
 * Output, one line: "decode ms_median=.. ms_mean=.. ms_p99=.. per_s=.. n=.."
 * (per_s = 1000 / mean), the same with "commit", "encode" or "skip" first. Exit 1
 * on error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameid.h"
#include "image.h"
#include "spool.h"
#include "util.h"

static int
decode_bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
decode_bench_print(const char *what, double *ms, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += ms[i];
	qsort(ms, (size_t)n, sizeof(*ms), decode_bench_cmp);
	printf("%s ms_median=%.3f ms_mean=%.3f ms_p99=%.3f per_s=%.1f n=%d\n", what, ms[n / 2], sum / n,
	    ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], 1000.0 * n / sum, n);
}

static int
decode_bench_decode(const unsigned char *buf, size_t len, double *ms, int n)
{
	struct image im;
	char err[256];
	int i, rc;

	for (i = -3; i < n; i++) { /* three warm-up runs, not counted */
		uint64_t t0 = util_mono_us();

		if ((rc = image_decode(buf, len, 0, &im, err, sizeof(err))) < 0) {
			fprintf(stderr, "decode_bench: image_decode: %s\n", err[0] ? err : strerror(-rc));
			return -1;
		}
		if (i >= 0)
			ms[i] = (double)(util_mono_us() - t0) / 1000.0;
		image_free(&im);
	}
	return 0;
}

static int
decode_bench_commit(const char *dir, const unsigned char *buf, size_t len, double *ms, int n, int skip)
{
	struct spool sp;
	char id[FRAMEID_SIZE];
	const char *meta = "{\"camera\":\"bench\",\"persons\":[]}";
	int i, rc;

	if ((rc = spool_open(&sp, dir, 0, 0, 0)) < 0) {
		fprintf(stderr, "decode_bench: spool_open %s: %s\n", dir, strerror(-rc));
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint64_t t0;

		frameid_next(id);
		t0 = util_mono_us();
		if ((rc = spool_commit(&sp, "bench", id, "jpg", buf, len, meta)) < 0) {
			fprintf(stderr, "decode_bench: spool_commit: %s\n", strerror(-rc));
			return -1;
		}
		ms[i] = (double)(util_mono_us() - t0) / 1000.0;
		if (skip) {
			t0 = util_mono_us();
			if ((rc = spool_skip(&sp, "bench", id)) < 0) {
				fprintf(stderr, "decode_bench: spool_skip: %s\n", strerror(-rc));
				return -1;
			}
			ms[i] = (double)(util_mono_us() - t0) / 1000.0;
			continue;
		}
		/* keep the queue directory small, as a drained spool is */
		if (spool_claim(&sp, "bench", id) < 0 || spool_done(&sp, "bench", id) < 0) {
			fprintf(stderr, "decode_bench: cannot remove committed frame %s\n", id);
			return -1;
		}
	}
	return 0;
}

static int
decode_bench_encode(const char *dir, const unsigned char *buf, size_t len, double *ms, int n)
{
	struct image im;
	char err[256], path[4096];
	int i, rc;

	if ((rc = image_decode(buf, len, 0, &im, err, sizeof(err))) < 0) {
		fprintf(stderr, "decode_bench: image_decode: %s\n", err[0] ? err : strerror(-rc));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/snapshot.jpg", dir);
	for (i = -3; i < n && rc == 0; i++) { /* three warm-up runs, not counted */
		uint64_t t0 = util_mono_us();

		if ((rc = image_write_jpeg(&im, path, 80)) < 0)
			fprintf(stderr, "decode_bench: image_write_jpeg %s: %s\n", path, strerror(-rc));
		else if (i >= 0)
			ms[i] = (double)(util_mono_us() - t0) / 1000.0;
	}
	image_free(&im);
	return rc < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	unsigned char *buf = NULL;
	size_t len;
	double *ms;
	const char *file;
	int n, rc, commit, encode, skip;

	commit = argc == 5 && strcmp(argv[1], "commit") == 0;
	encode = argc == 5 && strcmp(argv[1], "encode") == 0;
	skip = argc == 5 && strcmp(argv[1], "skip") == 0;
	if (encode || skip)
		commit = 1;   /* the same arguments */
	if (!commit && !(argc == 4 && strcmp(argv[1], "decode") == 0)) {
		fprintf(stderr, "usage: decode_bench decode FILE N | decode_bench commit|encode|skip DIR FILE N\n");
		return 2;
	}
	file = argv[commit ? 3 : 2];
	n = atoi(argv[commit ? 4 : 3]);
	if (n < 1 || n > 1000000) {
		fprintf(stderr, "decode_bench: N must be 1..1000000\n");
		return 2;
	}
	if ((rc = util_read_file(file, 64u << 20, &buf, &len)) < 0) {
		fprintf(stderr, "decode_bench: %s: %s\n", file, strerror(-rc));
		return 1;
	}
	if ((ms = calloc((size_t)n, sizeof(*ms))) == NULL) {
		free(buf);
		return 1;
	}
	if (encode)
		rc = decode_bench_encode(argv[2], buf, len, ms, n);
	else
		rc = commit ? decode_bench_commit(argv[2], buf, len, ms, n, skip) : decode_bench_decode(buf, len, ms, n);
	if (rc == 0)
		decode_bench_print(encode ? "encode" : skip ? "skip" : commit ? "commit" : "decode", ms, n);
	free(ms);
	free(buf);
	return rc == 0 ? 0 : 1;
}
