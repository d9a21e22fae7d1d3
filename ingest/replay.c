/* replay - feed image files through ingest's first-pass check by hand.
 * Output, one line per file:
 *   {"file":..,"person":true|false,"persons":[{"x","y","w","h","score","by"}],
 *    "width":..,"height":..,"ms":..}   or   {"file":..,"error":".."}
 * "by" is "person" (NanoDet) or "face" (close-up fallback: the face box
 * grown to head and shoulders); "reason" is check_frame's.
 * A progress bar goes to stderr when it is a terminal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "json.h"
#include "replay.h"
#include "util.h"

static void
replay_progress(int done, int total)
{
	int width = 40, fill = total ? done * width / total : width, i;

	fputc('\r', stderr);
	fputc('[', stderr);
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %d/%d", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

int
replay_run(const struct config *cfg, char **files, int nfiles)
{
	struct check_params p;
	struct check_result res;
	char file[1100], err[300];
	int i, j, rc, status = 0, tty = isatty(2);

	memset(&p, 0, sizeof(p));
	p.models_dir = cfg->models_dir;
	p.input = cfg->person_input;
	p.threshold = (float)cfg->person_threshold;
	p.face_threshold = (float)cfg->face_threshold;
	p.max_pixels = cfg->ingest_max_pixels;
	p.motion_threshold = cfg->motion_threshold;
	p.motion_recheck_ms = cfg->motion_recheck_ms;
	for (i = 0; i < nfiles; i++) {
		unsigned char *buf = NULL;
		size_t len = 0;
		uint64_t t0;

		if (tty)
			replay_progress(i, nfiles);
		json_escape(file, sizeof(file), files[i]);
		rc = util_read_file(files[i], (size_t)cfg->ingest_max_bytes, &buf, &len);
		if (rc != 0) {
			json_escape(err, sizeof(err), rc == -EFBIG ? "file is over ingest.max_bytes" : strerror(-rc));
			printf("{\"file\":%s,\"error\":%s}\n", file, err);
			status = 1;
			continue;
		}
		t0 = util_mono_us();
		check_frame(&p, NULL, buf, len, &res);
		free(buf);
		if (res.outcome == CHECK_BAD_IMAGE || res.outcome == CHECK_DETECTOR_FAILED) {
			json_escape(err, sizeof(err), res.reason);
			printf("{\"file\":%s,\"error\":%s}\n", file, err);
			status = 1;
			continue;
		}
		printf("{\"file\":%s,\"person\":%s,\"persons\":[", file, res.npersons > 0 ? "true" : "false");
		for (j = 0; j < res.npersons; j++)
			printf("%s{\"x\":%.1f,\"y\":%.1f,\"w\":%.1f,\"h\":%.1f,\"score\":%.3f,\"by\":\"%s\"}",
			    j ? "," : "", res.persons[j].x, res.persons[j].y, res.persons[j].w, res.persons[j].h,
			    res.persons[j].score, check_by_name(res.by));
		json_escape(err, sizeof(err), res.reason);
		printf("],\"reason\":%s,\"width\":%d,\"height\":%d,\"ms\":%.1f}\n", err, res.width, res.height,
		    (double)(util_mono_us() - t0) / 1000.0);
		fflush(stdout);
	}
	if (tty)
		replay_progress(nfiles, nfiles);
	return status;
}
