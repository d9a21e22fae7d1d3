/* analysefiles - `gatewatch-worker --replay`: run the analysis over files
 * and print what it saw, so a developer can check the worker stage alone
 * on a folder of frames. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "analyse.h"
#include "image.h"
#include "log.h"
#include "meta.h"
#include "analysefiles.h"
#include "spool.h"
#include "utf8.h"
#include "util.h"

/* analysefiles_real - v rounded to 4 decimals (what the analysis can tell). */
static json_t *
analysefiles_real(double v)
{
	return isfinite(v) ? json_real(round(v * 1e4) / 1e4) : json_null();
}

static json_t *
analysefiles_box(const struct msg_box *b)
{
	if (b->score <= 0)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "x", analysefiles_real(b->x), "y", analysefiles_real(b->y),
	    "w", analysefiles_real(b->w), "h", analysefiles_real(b->h), "score", analysefiles_real(b->score));
}

/* analysefiles_line - o as one JSON line on out (o taken over). */
static void
analysefiles_line(FILE *out, json_t *o)
{
	if (o == NULL || json_dumpf(o, out, JSON_COMPACT | JSON_REAL_PRECISION(10)) != 0)
		fputs("{\"error\":\"out of memory\"}", out);
	fputc('\n', out);
	json_decref(o);
}

static void
analysefiles_print(FILE *out, const char *file, const struct msg_result *r)
{
	json_t *o, *persons = json_array();
	uint32_t i;

	for (i = 0; persons && i < r->npersons; i++) {
		const struct msg_person *p = &r->persons[i];

		json_array_append_new(persons, json_pack("{s:o, s:o, s:s, s:o, s:{s:o, s:o, s:o}, s:s, s:s}",
		    "body", analysefiles_box(&p->body), "face", analysefiles_box(&p->face), "mask", msg_mask_name(p->mask),
		    "mask_score", analysefiles_real(p->mask_score), "probs", "mask_on", analysefiles_real(p->mask_probs[MSG_MASK_ON]),
		    "mask_off", analysefiles_real(p->mask_probs[MSG_MASK_OFF]), "mask_chin", analysefiles_real(p->mask_probs[MSG_MASK_CHIN]),
		    "verdict", msg_verdict_name(p->verdict), "reason", msg_reason_name(p->reason)));
	}
	o = json_pack("{s:o, s:I, s:I}", "file", utf8_json(file), "width", (json_int_t)r->width,
	    "height", (json_int_t)r->height);
	if (o != NULL && !isnan(r->temperature))
		json_object_set_new(o, "temperature", json_real(round(r->temperature * 100) / 100));
	if (o != NULL) {
		json_object_set_new(o, "persons", persons);
		json_object_set_new(o, "ms", json_real(round(r->analyse_ms * 10) / 10));
	} else
		json_decref(persons);
	analysefiles_line(out, o);
}

static void
analysefiles_error(FILE *out, const char *file, const char *why)
{
	analysefiles_line(out, json_pack("{s:o, s:o}", "file", utf8_json(file), "error", utf8_json(why)));
}

static void
analysefiles_progress(int done, int total)
{
	char bar[41];
	int i, fill = total ? done * 40 / total : 40;

	for (i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %d/%d%s", bar, done, total, done == total ? "\n" : "");
}

/* analysefiles_one - analyse one file; 0, or -1 with why filled. */
static int
analysefiles_one(struct analyse *a, const struct config *c, const char *file, struct msg_result *r,
           char *why, size_t whylen)
{
	unsigned char *img = NULL;
	char *metatext = NULL, err[256];
	struct image im = { 0, 0, NULL };
	struct meta meta;
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = spool_read(file, &img, &len, &metatext)) < 0) {
		snprintf(why, whylen, "%s", rc == -EBADMSG ? "damaged spool trailer" : strerror(-rc));
		return -1;
	}
	if (meta_parse(metatext, &meta, err, sizeof(err)) != 0)
		log_warnx(NULL, "%s: %s; analysing the whole image", file, err);
	err[0] = '\0';
	rc = image_decode(img, len, c->ingest_max_pixels, &im, err, sizeof(err));
	free(img);
	free(metatext);
	if (rc < 0) {
		snprintf(why, whylen, "cannot decode: %s", err[0] ? err : strerror(-rc));
		return -1;
	}
	analyse_given(a, meta.faces.input > 0 ? &meta.faces : NULL); /* ingest's close-up run, as the worker */
	rc = analyse_frame(a, &im, meta.persons, meta.npersons, meta.temperature, r, NULL);
	analyse_given(a, NULL);
	image_free(&im);
	if (rc < 0) {
		snprintf(why, whylen, "analysis failed: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

int
analysefiles_run(const struct config *c, int with_mask, char **files, int nfiles)
{
	struct msg_result *r;
	struct analyse *a;
	char err[512];
	int i, failed = 0, tty = isatty(STDERR_FILENO);

	if ((a = analyse_open(c, with_mask, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewatch-worker: cannot load models: %s\n", err);
		return 2;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		analyse_close(a);
		return 2;
	}
	for (i = 0; i < nfiles; i++) {
		if (analysefiles_one(a, c, files[i], r, err, sizeof(err)) == 0)
			analysefiles_print(stdout, files[i], r);
		else {
			analysefiles_error(stdout, files[i], err);
			failed++;
		}
		fflush(stdout);
		if (tty)
			analysefiles_progress(i + 1, nfiles);
	}
	free(r);
	analyse_close(a);
	return failed ? 1 : 0;
}
