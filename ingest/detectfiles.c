/* detectfiles - `gatewatch-ingest --replay`: feed image files through
 * ingest's first-pass check by hand.
 * Output, one line per file:
 *   {"file":..,"person":true|false,"persons":[{"x","y","w","h","score","by"}],
 *    "width":..,"height":..,"ms":..,"faces":..|null}   or   {"file":..,"error":".."}
 * "by" is "person" (NanoDet) or "face" (close-up fallback: the face box
 * grown to head and shoulders); "reason" is check_frame's; "faces" the
 * close-up run's faces as the spool trailer has them (camsg_faces), null
 * when it did not run.
 * A progress bar goes to stderr when it is a terminal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "camsg.h"
#include "check.h"
#include "detectfiles.h"
#include "utf8.h"
#include "util.h"

static void
detectfiles_progress(int done, int total)
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

/* detectfiles_print - o as one JSON line (o taken over); NULL: out of memory. */
static void
detectfiles_print(json_t *o)
{
	if (o == NULL || json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10)) != 0)
		fputs("{\"error\":\"out of memory\"}", stdout);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(o);
}

/* detectfiles_one - check one file and print its line; 0, or 1 on error. */
static int
detectfiles_one(const struct config *cfg, const struct check_params *p, const char *file)
{
	struct check_result res;
	unsigned char *buf = NULL;
	size_t len = 0;
	uint64_t t0;
	int rc;

	rc = util_read_file(file, (size_t)cfg->ingest_max_bytes, &buf, &len);
	if (rc != 0) {
		detectfiles_print(json_pack("{s:o, s:s}", "file", utf8_json(file),
		    "error", rc == -EFBIG ? "file is over ingest.max_bytes" : strerror(-rc)));
		return 1;
	}
	t0 = util_mono_us();
	check_frame(p, NULL, buf, len, &res);
	free(buf);
	if (res.outcome == CHECK_BAD_IMAGE || res.outcome == CHECK_DETECTOR_FAILED) {
		detectfiles_print(json_pack("{s:o, s:o}", "file", utf8_json(file), "error", utf8_json(res.reason)));
		return 1;
	}
	detectfiles_print(json_pack("{s:o, s:b, s:o, s:o, s:i, s:i, s:o, s:o}", "file", utf8_json(file),
	    "person", res.npersons > 0, "persons", camsg_boxes(res.persons, res.npersons, check_by_name(res.by)),
	    "reason", utf8_json(res.reason), "width", res.width, "height", res.height,
	    "ms", camsg_real((double)(util_mono_us() - t0) / 1000.0, 10),
	    "faces", res.faces.input > 0 ? camsg_faces(&res.faces) : json_null()));
	return 0;
}

int
detectfiles_run(const struct config *cfg, char **files, int nfiles)
{
	struct check_params p;
	int i, status = 0, tty = isatty(2);

	check_params_set(&p, cfg);
	for (i = 0; i < nfiles; i++) {
		if (tty)
			detectfiles_progress(i, nfiles);
		status |= detectfiles_one(cfg, &p, files[i]);
	}
	if (tty)
		detectfiles_progress(nfiles, nfiles);
	return status;
}
