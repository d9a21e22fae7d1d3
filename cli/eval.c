/* eval - `gatewatch eval`: run the system's own vision path over an
 * annotated photo set and score it. Each image goes through what a frame
 * meets in the running system: ingest's first pass (firstpass_run: person
 * detector, close-up face fallback), then, when it found somebody, the
 * worker's analysis of those boxes (analyse_frame: face search, mask
 * classifier, one-frame verdict). An image ingest would drop gets no faces.
 * What is counted and how faces are matched: evalscore.c; the report:
 * evalreport.c. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyse.h"
#include "args.h"
#include "cmd.h"
#include "config.h"
#include "evalfalse.h"
#include "evalfix.h"
#include "evalmiss.h"
#include "evalreport.h"
#include "evalscore.h"
#include "evalset.h"
#include "firstpass.h"
#include "image.h"
#include "jsonl.h"
#include "msg.h"
#include "nn.h"
#include "utf8.h"
#include "util.h"

#define EVAL_FILE_MAX (64u << 20)

struct eval_opts {
	const char *split;           /* "val", "train", "all" */
	const char *json_path;       /* NULL: no JSON report */
	const char *details_path;    /* NULL: no per-image lines */
	const char *misses_path;     /* NULL: no look at the missed faces (evalmiss.h) */
	const char *false_path;      /* NULL: no sources and causes of found faces (evalfalse.h) */
	int every;                   /* keep every n-th image of the split */
	int limit;                   /* at most this many images; 0 = all */
	int quiet;
	char **sets;                 /* owned array, argv strings */
	int nsets;
	char **extras;               /* owned array, argv strings: --extra files */
	int nextras;
	char **fixes;                /* owned array, argv strings: --corrections files */
	int nfixes;
};

/* The models, as ingest and the worker each load them. */
struct eval_models {
	struct persondet *person;
	struct facedet *face;        /* FIRSTPASS_FACE_INPUT: the close-up fallback */
	struct analyse *an;
	struct evalmiss *miss;       /* --misses, or NULL */
	struct evalfalse *fals;      /* --false, or NULL */
	struct firstpass_faces whole; /* the close-up run's faces of the image in hand */
};

static void
eval_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch eval [-c FILE] [--dir DIR] [--set KEY=VALUE]... [--split val|train|all]\n"
	    "                      [--every N] [--limit N] [--json FILE] [--details FILE] [-q]\n"
	    "                      [--extra FILE]... [--corrections FILE]... [--misses FILE] [--false FILE]\n"
	    "                      SET...\n"
	    "Runs the system's vision path (ingest's first pass, the worker's face search,\n"
	    "mask classifier and verdict) over annotated photos and prints a report:\n"
	    "face recall by mask class and face size, precision (duplicates count as\n"
	    "false), the mask classes of matched faces, verdicts per class, and the gate\n"
	    "verdict on images with exactly one face of 80 px or more.\n"
	    "SET: a JSON-lines file (one image a line: file, faces with x, y, w, h,\n"
	    "label), a folder holding annotations.jsonl, or a folder of PASCAL VOC .xml\n"
	    "files. Labels: mask_on|with_mask, mask_off|without_mask,\n"
	    "mask_chin|mask_weared_incorrect; others count as faces of unknown state.\n"
	    "  --extra FILE           more annotated faces for the set's images (same\n"
	    "                         JSON-lines shape, \"file\" as in the set), e.g.\n"
	    "                         models/data/mask-scenes-additions.jsonl: faces\n"
	    "                         mask-scenes' annotations lack (models/data/README.md)\n"
	    "  --corrections FILE     corrections to the set's own faces (one a line: the\n"
	    "                         face as annotated, corrected class or none, reason),\n"
	    "                         e.g. models/data/mask-scenes-corrections.jsonl;\n"
	    "                         applied before --extra\n"
	    "  --split val|train|all  the fixed split: an image is validation when the\n"
	    "                         number in its file name is a multiple of 5 (default all)\n"
	    "  --every N, --limit N   a fixed subset: every N-th image, at most N images\n"
	    "  --json FILE            also write the report as JSON\n"
	    "  --details FILE         one JSON line per image: found and annotated faces\n"
	    "  --misses FILE          one JSON line per missed face of 40+ px: the face\n"
	    "                         detector's scores on it where the search looks and\n"
	    "                         where it does not, and the cause; a count by cause\n"
	    "                         after the report (docs/MODELS.md, \"Where faces are missed\")\n"
	    "  --false FILE           one JSON line per found face: the search that found\n"
	    "                         it (whole frame, head region, whole box) and other\n"
	    "                         searches' scores on it, and for one matching no face\n"
	    "                         of the set's annotations a cause (in --extra, a\n"
	    "                         duplicate, overlapping a face, below a head, in no\n"
	    "                         person box, in a head region); a count by source\n"
	    "                         and cause after the report (docs/MODELS.md, \"Where\n"
	    "                         the false faces are\")\n"
	    "  -q                     no progress line\n"
	    "Settings come from the configuration (models.dir, ingest.person_input,\n"
	    "ingest.person_threshold, ingest.closeup_threshold, worker.face_input,\n"
	    "worker.face_threshold, worker.mask_threshold), so --set tries another value.\n");
}

/* eval_image - run one image through the first pass and the analysis
 * and count it. Returns 0, or -1 with why (the image could not be read
 * or decoded, a model failed, out of memory). */
static int
eval_image(struct eval_models *m, const struct config *c, const struct evalset_image *im,
           struct evalscore *st, struct msg_result *r, FILE *details, char *why, size_t whylen)
{
	struct nn_box persons[MSG_PERSONS_MAX];
	struct evalscore_seen seen = { persons, 0, FIRSTPASS_BY_PERSON, r, NULL };
	struct image img = { 0, 0, NULL };
	unsigned char *buf = NULL;
	char err[256];
	size_t len;
	uint64_t t0, t1, t2, c1, c2;
	int rc;

	if ((rc = util_read_file(im->path, EVAL_FILE_MAX, &buf, &len)) < 0) {
		snprintf(why, whylen, "%s", strerror(-rc));
		return -1;
	}
	err[0] = '\0';
	rc = image_decode(buf, len, c->ingest_max_pixels, &img, err, sizeof(err));
	free(buf);
	if (rc < 0) {
		snprintf(why, whylen, "cannot decode: %s", err[0] ? err : strerror(-rc));
		return -1;
	}
	if (m->fals != NULL)
		evalfalse_begin(m->fals);
	t0 = util_mono_us();
	m->whole.threshold = analyse_whole_threshold(c);
	seen.n = firstpass_run(m->person, m->face, &img, (float)c->person_threshold, (float)c->closeup_threshold,
	    persons, MSG_PERSONS_MAX, &seen.by, NULL, &m->whole);
	t1 = util_mono_us();
	c1 = util_cpu_us();
	memset(r, 0, sizeof(*r));
	/* as the worker gets them through the spool: the close-up run's faces
	 * stand for its whole-frame search (analyse_given) */
	analyse_given(m->an, m->whole.input > 0 ? &m->whole : NULL);
	rc = seen.n > 0 ? analyse_frame(m->an, &img, persons, seen.n, NAN, r, NULL) : 0;
	analyse_given(m->an, NULL);
	c2 = util_cpu_us();
	t2 = util_mono_us();
	if (seen.n < 0 || rc < 0)
		image_free(&img);
	if (seen.n < 0) {
		snprintf(why, whylen, "%s detector failed: %s", seen.by == FIRSTPASS_BY_FACE ? "face" : "person",
		    strerror(-seen.n));
		return -1;
	}
	if (rc < 0) {
		snprintf(why, whylen, "analysis failed: %s", strerror(-rc));
		return -1;
	}
	st->first_ms += (double)(t1 - t0) / 1000.0;
	st->analyse_ms += (double)(t2 - t1) / 1000.0;
	st->analyse_cpu_ms += (double)(c2 - c1) / 1000.0;
	st->person_boxes += seen.n > 0 ? seen.n : 0;
	if ((m->miss != NULL || m->fals != NULL) && (seen.amatch = malloc(sizeof(int) * ((size_t)im->nfaces + 1))) == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = evalscore_add(st, im, &seen, details);
	if (rc < 0)
		snprintf(why, whylen, "%s", details ? "out of memory or writing --details failed" : "out of memory");
	if (rc == 0 && m->fals != NULL && (rc = evalfalse_image(m->fals, &img, im, persons, seen.n,
	    seen.by == FIRSTPASS_BY_FACE ? "face" : "person", r, seen.amatch)) < 0)
		snprintf(why, whylen, "--false: %s", strerror(-rc));
	if (rc == 0 && m->miss != NULL && (rc = evalmiss_image(m->miss, &img, im, persons, seen.n, r, seen.amatch)) < 0)
		snprintf(why, whylen, "--misses: face detector or writing failed: %s", strerror(-rc));
	free(seen.amatch);
	image_free(&img);
	return rc < 0 ? -1 : 0;
}

static void
eval_progress(int done, int total, uint64_t t0)
{
	double el = (double)(util_mono_us() - t0) / 1e6, eta = done ? el / done * (total - done) : 0;
	char bar[31];
	int i, fill = total ? done * 30 / total : 30;

	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %d/%d  %.0fs, %.0fs left ", bar, done, total, el, eta);
	if (done == total)
		fputc('\n', stderr);
}

static int
eval_parse_count(const char *flag, const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 100000000) {
		fprintf(stderr, "gatewatch eval: %s %s: not a count\n", flag, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

enum {
	EVAL_KEY_SPLIT = ARGS_KEY_OWN, EVAL_KEY_JSON, EVAL_KEY_DETAILS, EVAL_KEY_EVERY, EVAL_KEY_LIMIT, EVAL_KEY_EXTRA,
	EVAL_KEY_MISSES, EVAL_KEY_FIX, EVAL_KEY_FALSE
};

static const struct args_flag eval_flags[] = {
	{ "split", 1, EVAL_KEY_SPLIT }, { "json", 1, EVAL_KEY_JSON }, { "details", 1, EVAL_KEY_DETAILS },
	{ "every", 1, EVAL_KEY_EVERY }, { "limit", 1, EVAL_KEY_LIMIT }, { "quiet", 0, 'q' },
	{ "extra", 1, EVAL_KEY_EXTRA }, { "misses", 1, EVAL_KEY_MISSES }, { "corrections", 1, EVAL_KEY_FIX },
	{ "false", 1, EVAL_KEY_FALSE },
	{ NULL, 0, 0 },
};

/* eval_flag - args_parse's handler: eval's flags and the sets (operands). */
static int
eval_flag(void *ctx, int key, const char *arg)
{
	struct eval_opts *o = ctx;

	switch (key) {
	case ARGS_OPERAND:
		o->sets[o->nsets++] = (char *)arg;
		return 0;
	case 'q':
		o->quiet = 1;
		return 0;
	case EVAL_KEY_SPLIT:
		o->split = arg;
		if (strcmp(arg, "val") && strcmp(arg, "train") && strcmp(arg, "all")) {
			fprintf(stderr, "gatewatch eval: --split %s: want val, train or all\n", arg);
			return -1;
		}
		return 0;
	case EVAL_KEY_JSON:
		o->json_path = arg;
		return 0;
	case EVAL_KEY_DETAILS:
		o->details_path = arg;
		return 0;
	case EVAL_KEY_MISSES:
		o->misses_path = arg;
		return 0;
	case EVAL_KEY_FALSE:
		o->false_path = arg;
		return 0;
	case EVAL_KEY_EXTRA:
		o->extras[o->nextras++] = (char *)arg;
		return 0;
	case EVAL_KEY_FIX:
		o->fixes[o->nfixes++] = (char *)arg;
		return 0;
	case EVAL_KEY_EVERY:
		if (eval_parse_count("--every", arg, &o->every) < 0)
			return -1;
		if (o->every < 1) {
			fprintf(stderr, "gatewatch eval: --every %s: want 1 or more\n", arg);
			return -1;
		}
		return 0;
	default:
		return eval_parse_count("--limit", arg, &o->limit);
	}
}

/* eval_args - the command line into o and the config flags into ac.
 * Returns -1 to go on, or the exit status (0 after --help, 2). */
static int
eval_args(int argc, char **argv, struct eval_opts *o, struct args_config *ac)
{
	int rc = args_parse("eval", argc, argv, eval_flags, ac, eval_flag, o, eval_usage, NULL);

	if (rc != -1)
		return rc;
	if (o->nsets == 0) {
		fprintf(stderr, "gatewatch eval: no annotated set given\n");
		eval_usage(stderr);
		return 2;
	}
	return -1;
}

/* eval_pick - the indices of the split's images, every n-th, at most the
 * limit, into pick (set->n entries). Returns how many. */
static int
eval_pick(const struct evalset *set, const struct eval_opts *o, int *pick)
{
	int i, total = 0, k = 0;

	for (i = 0; i < set->n; i++) {
		int val = evalset_is_val(&set->v[i]);

		if ((strcmp(o->split, "val") == 0 && !val) || (strcmp(o->split, "train") == 0 && val))
			continue;
		if (k++ % o->every != 0)
			continue;
		if (o->limit > 0 && total == o->limit)
			break;
		pick[total++] = i;
	}
	return total;
}

/* eval_loop - every picked image; the errors are counted and said. */
static void
eval_loop(struct eval_models *m, const struct config *c, const struct eval_opts *o, const struct evalset *set,
          const int *pick, int total, struct evalscore *st, struct msg_result *r, FILE *details)
{
	int done, tty = !o->quiet && isatty(STDERR_FILENO);
	uint64_t t0 = util_mono_us();
	char why[512];

	for (done = 0; done < total; done++) {
		const struct evalset_image *im = &set->v[pick[done]];

		if (eval_image(m, c, im, st, r, details, why, sizeof(why)) < 0) {
			st->errors++;
			if (tty)
				fputc('\n', stderr);
			fprintf(stderr, "gatewatch eval: %s: %s (left out)\n", im->path, why);
		}
		if (tty)
			eval_progress(done + 1, total, t0);
	}
}

/* eval_print - the report on stdout, and as JSON to o->json_path. Returns 0 or -1. */
static int
eval_print(const struct evalscore *st, const struct config *c, const struct eval_opts *o,
           const struct evalset *set)
{
	json_t *run, *sets = json_array(), *extras = json_array(), *fixes = json_array();
	int i, rc = 0;

	printf("gatewatch eval: %d images (split %s", st->images, o->split);
	if (o->every > 1)
		printf(", every %d", o->every);
	printf(") of");
	for (i = 0; i < o->nsets; i++)
		printf(" %s", o->sets[i]);
	printf(", %d annotated faces", st->faces);
	if (o->nextras > 0) {
		printf(" (annotations plus %d faces from", set->extra);
		for (i = 0; i < o->nextras; i++)
			printf(" %s", o->extras[i]);
		printf(", %d of them in these images)", st->extra_faces);
	}
	if (o->nfixes > 0) {
		printf(" (%d faces corrected by", set->corrected);
		for (i = 0; i < o->nfixes; i++)
			printf(" %s", o->fixes[i]);
		printf(", %d of them in these images)", st->corrected_faces);
	}
	printf("; %d left out (unreadable)\n", st->errors);
	printf("models %s: person_input %d, person_threshold %.2f, closeup_threshold %.2f, face_input %d,"
	    " face_threshold %.2f, mask_threshold %.2f\n", c->models_dir, c->person_input, c->person_threshold,
	    c->closeup_threshold, c->face_input, c->face_threshold, c->mask_threshold);
	evalreport_text(stdout, st);
	fflush(stdout);
	if (o->json_path == NULL) {
		json_decref(sets);
		json_decref(extras);
		json_decref(fixes);
		return 0;
	}
	for (i = 0; i < o->nsets; i++)
		json_array_append_new(sets, utf8_json(o->sets[i]));
	for (i = 0; i < o->nextras; i++)
		json_array_append_new(extras, utf8_json(o->extras[i]));
	for (i = 0; i < o->nfixes; i++)
		json_array_append_new(fixes, utf8_json(o->fixes[i]));
	run = evalreport_json(st, c, json_pack("{s:o, s:o, s:i, s:i, s:o, s:i, s:i, s:s, s:i, s:i}", "sets", sets,
	    "extra", extras, "extra_faces", set->extra, "extra_faces_picked", st->extra_faces, "corrections", fixes,
	    "corrected_faces", set->corrected, "corrected_faces_picked", st->corrected_faces, "split", o->split,
	    "every", o->every, "limit", o->limit));
	errno = 0;
	if (run == NULL || json_dump_file(run, o->json_path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0) {
		fprintf(stderr, "gatewatch eval: cannot write %s: %s (the report is above, on stdout)\n", o->json_path,
		    errno ? strerror(errno) : "out of memory");
		rc = -1;
	}
	json_decref(run);
	return rc;
}

/* eval_open - the models as the programs load them. Returns 0 or -1 (said). */
static int
eval_open(struct eval_models *m, const struct config *c, const struct eval_opts *o)
{
	const char *misses = o->misses_path;

	char err[1024];

	if (misses != NULL && (m->miss = evalmiss_open(c, misses, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewatch eval: --misses: %s\n", err);
		return -1;
	}
	if ((m->person = persondet_open(c->models_dir, c->person_input, err, sizeof(err))) == NULL ||
	    (m->face = facedet_open(c->models_dir, FIRSTPASS_FACE_INPUT, err, sizeof(err))) == NULL ||
	    (m->an = analyse_open(c, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewatch eval: cannot load models: %s\n", err);
		return -1;
	}
	if (o->false_path != NULL && (m->fals = evalfalse_open(m->an, o->false_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewatch eval: --false: %s\n", err);
		return -1;
	}
	return 0;
}

/* eval_setup - config, sets and the images picked. Returns -1 to go on,
 * or the exit status (said). */
static int
eval_setup(struct eval_opts *o, int cargc, char **cargv, struct config *c, struct evalset *set,
           int **pick, int *total)
{
	char err[1024];
	int i, next = 0;

	config_defaults(c);
	if (config_args(c, cargc, cargv, &next, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch eval: %s\n", err);
		return 2;
	}
	for (i = 0; i < o->nsets; i++)
		if (evalset_load(set, o->sets[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "gatewatch eval: %s\n", err);
			return 2;
		}
	for (i = 0; i < o->nfixes; i++)
		if (evalfix_load(set, o->fixes[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "gatewatch eval: --corrections %s: %s\n", o->fixes[i], err);
			return 2;
		}
	for (i = 0; i < o->nextras; i++)
		if (evalset_extra(set, o->extras[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "gatewatch eval: --extra %s: %s\n", o->extras[i], err);
			return 2;
		}
	if ((*pick = malloc(sizeof(**pick) * ((size_t)set->n + 1))) == NULL)
		return 1;
	if ((*total = eval_pick(set, o, *pick)) == 0) {
		fprintf(stderr, "gatewatch eval: no image in split %s\n", o->split);
		return 2;
	}
	return -1;
}

int
cmd_eval(int argc, char **argv)
{
	struct eval_opts o = { "all", NULL, NULL, NULL, NULL, 1, 0, 0, NULL, 0, NULL, 0, NULL, 0 };
	struct eval_models m = { .person = NULL };   /* no models yet */
	struct evalset set = { 0, 0, NULL, 0, 0 };
	struct evalscore *st = NULL;
	struct msg_result *r = NULL;
	int rc = 1, total = 0, *pick = NULL;
	FILE *details = NULL;
	struct config c;
	struct args_config ac = { NULL, 0 };

	o.sets = calloc((size_t)argc + 1, sizeof(*o.sets));
	o.extras = calloc((size_t)argc + 1, sizeof(*o.extras));
	o.fixes = calloc((size_t)argc + 1, sizeof(*o.fixes));
	if (args_config_start(&ac, 2 * argc, argv) != 0 || o.sets == NULL || o.extras == NULL || o.fixes == NULL)
		goto out;
	if ((rc = eval_args(argc, argv, &o, &ac)) >= 0 ||
	    (rc = eval_setup(&o, ac.cargc, ac.cargv, &c, &set, &pick, &total)) >= 0)
		goto out;
	rc = 1;
	if (eval_open(&m, &c, &o) != 0)
		goto out;
	if (o.details_path && (details = fopen(o.details_path, "w")) == NULL) {
		fprintf(stderr, "gatewatch eval: %s: %s\n", o.details_path, strerror(errno));
		goto out;
	}
	st = calloc(1, sizeof(*st));
	r = malloc(sizeof(*r));
	if (st == NULL || r == NULL)
		goto out;
	eval_loop(&m, &c, &o, &set, pick, total, st, r, details);
	analyse_passes(m.an, &st->passes_frame, &st->passes_box, &st->passes_half);
	st->passes_given = analyse_given_used(m.an);
	if (eval_print(st, &c, &o, &set) == 0)
		rc = st->errors > 0 ? 1 : 0;
	if (m.miss != NULL)
		evalmiss_print(m.miss, stdout);
	if (m.fals != NULL)
		evalfalse_print(m.fals, stdout);
out:
	if (evalmiss_close(m.miss) != 0) {
		fprintf(stderr, "gatewatch eval: cannot write %s\n", o.misses_path);
		rc = 1;
	}
	if (evalfalse_close(m.fals) != 0) {
		fprintf(stderr, "gatewatch eval: cannot write %s\n", o.false_path);
		rc = 1;
	}
	if (jsonl_close(details) != 0) {
		fprintf(stderr, "gatewatch eval: cannot write %s\n", o.details_path);
		rc = 1;
	}
	free(st);
	free(r);
	free(pick);
	analyse_close(m.an);
	facedet_close(m.face);
	persondet_close(m.person);
	evalset_free(&set);
	args_config_free(&ac);
	free(o.sets);
	free(o.extras);
	free(o.fixes);
	return rc;
}
