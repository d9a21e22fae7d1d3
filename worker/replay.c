/* replay - run the analysis over files and print what it saw, so a
 * developer can check the worker stage alone on a folder of frames. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyse.h"
#include "image.h"
#include "log.h"
#include "meta.h"
#include "replay.h"
#include "spool.h"
#include "util.h"

static void
replay_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void
replay_box(FILE *out, const struct msg_box *b)
{
	if (b->score <= 0) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"x\":%.1f,\"y\":%.1f,\"w\":%.1f,\"h\":%.1f,\"score\":%.4f}",
	    b->x, b->y, b->w, b->h, b->score);
}

static void
replay_print(FILE *out, const char *file, const struct msg_result *r)
{
	uint32_t i;

	fputs("{\"file\":", out);
	replay_str(out, file);
	fprintf(out, ",\"width\":%u,\"height\":%u", r->width, r->height);
	if (!isnan(r->temperature))
		fprintf(out, ",\"temperature\":%.2f", r->temperature);
	fputs(",\"persons\":[", out);
	for (i = 0; i < r->npersons; i++) {
		const struct msg_person *p = &r->persons[i];

		fputs(i ? ",{\"body\":" : "{\"body\":", out);
		replay_box(out, &p->body);
		fputs(",\"face\":", out);
		replay_box(out, &p->face);
		fprintf(out, ",\"mask\":\"%s\",\"mask_score\":%.4f,"
		    "\"probs\":{\"mask_on\":%.4f,\"mask_off\":%.4f,\"mask_chin\":%.4f},"
		    "\"verdict\":\"%s\",\"reason\":\"%s\"}",
		    msg_mask_name(p->mask), p->mask_score,
		    p->mask_probs[MSG_MASK_ON], p->mask_probs[MSG_MASK_OFF], p->mask_probs[MSG_MASK_CHIN],
		    msg_verdict_name(p->verdict), msg_reason_name(p->reason));
	}
	fprintf(out, "],\"ms\":%.1f}\n", r->analyse_ms);
}

static void
replay_error(FILE *out, const char *file, const char *why)
{
	fputs("{\"file\":", out);
	replay_str(out, file);
	fputs(",\"error\":", out);
	replay_str(out, why);
	fputs("}\n", out);
}

static void
replay_progress(int done, int total)
{
	char bar[41];
	int i, fill = total ? done * 40 / total : 40;

	for (i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %d/%d%s", bar, done, total, done == total ? "\n" : "");
}

/* replay_one - analyse one file; 0, or -1 with why filled. */
static int
replay_one(struct analyse *a, const struct config *c, const char *file, struct msg_result *r,
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
	rc = analyse_frame(a, &im, meta.persons, meta.npersons, meta.temperature, r, NULL);
	image_free(&im);
	if (rc < 0) {
		snprintf(why, whylen, "analysis failed: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

int
replay_run(const struct config *c, int with_mask, char **files, int nfiles)
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
		if (replay_one(a, c, files[i], r, err, sizeof(err)) == 0)
			replay_print(stdout, files[i], r);
		else {
			replay_error(stdout, files[i], err);
			failed++;
		}
		fflush(stdout);
		if (tty)
			replay_progress(i + 1, nfiles);
	}
	free(r);
	analyse_close(a);
	return failed ? 1 : 0;
}
