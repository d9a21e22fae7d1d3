/* eval - `gatewatch eval`: run the system's own vision path over an
 * annotated photo set and score it. Each image goes through what a frame
 * meets in the running system: ingest's first pass (firstpass_run: person
 * detector, close-up face fallback), then, when it found somebody, the
 * worker's analysis of those boxes (analyse_frame: face search, mask
 * classifier, one-frame verdict). An image ingest would drop gets no faces.
 * Found faces are matched one to one to annotated ones (IoU >= 0.3 or the
 * found face's centre inside the annotated box; best IoU first). */
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
#include "evalset.h"
#include "firstpass.h"
#include "image.h"
#include "msg.h"
#include "nn.h"
#include "util.h"

#define EVAL_NSIZE 4                 /* face size buckets, larger side in pixels */
#define EVAL_MIN_IOU 0.3f
#define EVAL_FILE_MAX (64u << 20)
#define EVAL_NPRED 4                 /* mask_on, mask_off, mask_chin, unknown */
#define EVAL_BIG 3                   /* the 80+ px bucket: gate images */

static const char *const eval_size_names[EVAL_NSIZE] = { "<20", "20-39", "40-79", "80+" };
static const char *const eval_size_keys[EVAL_NSIZE] = { "lt20", "20-39", "40-79", "80+" };
static const char *const eval_pred_names[EVAL_NPRED] = { "mask_on", "mask_off", "mask_chin", "unknown" };
static const char *const eval_verdict_names[3] = { "PASS", "DENY", "none" };

/* Everything counted. Classes are enum evalset_class (EVALSET_FACE: a
 * face of unknown mask state, counted for finding only). */
struct eval_stats {
	int images, errors, faces;
	int ann[EVALSET_NCLASS][EVAL_NSIZE];     /* annotated faces */
	int hit[EVALSET_NCLASS][EVAL_NSIZE];     /* of those, found */
	int found, matched, dups, unmatched;     /* found faces */
	int conf[EVAL_NSIZE][EVALSET_NCLASS][EVAL_NPRED]; /* matched faces: annotated x classifier */
	int verd[EVAL_NSIZE][EVALSET_NCLASS][3]; /* every annotated face: PASS, DENY, none */
	int gate[EVALSET_NCLASS][3];             /* one-face-of-80+ images: right, wrong, none */
	int by_face;                             /* images whose boxes came from the close-up fallback */
	int no_person;                           /* images ingest would drop */
	double first_ms, analyse_ms;
};

struct eval_opts {
	const char *split;           /* "val", "train", "all" */
	const char *json_path;       /* NULL: no JSON report */
	const char *details_path;    /* NULL: no per-image lines */
	int every;                   /* keep every n-th image of the split */
	int limit;                   /* at most this many images; 0 = all */
	int quiet;
};

static void
eval_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch eval [-c FILE] [--dir DIR] [--set KEY=VALUE]... [--split val|train|all]\n"
	    "                      [--every N] [--limit N] [--json FILE] [--details FILE] [-q] SET...\n"
	    "Runs the system's vision path (ingest's first pass, the worker's face search,\n"
	    "mask classifier and verdict) over annotated photos and prints a report:\n"
	    "face recall by mask class and face size, precision (duplicates count as\n"
	    "false), the mask classes of matched faces, verdicts per class, and the gate\n"
	    "verdict on images with exactly one face of 80 px or more.\n"
	    "SET: a JSON-lines file (one image a line: file, faces with x, y, w, h,\n"
	    "label), a folder holding annotations.jsonl, or a folder of PASCAL VOC .xml\n"
	    "files. Labels: mask_on|with_mask, mask_off|without_mask,\n"
	    "mask_chin|mask_weared_incorrect; others count as faces of unknown state.\n"
	    "  --split val|train|all  the fixed split: an image is validation when the\n"
	    "                         number in its file name is a multiple of 5 (default all)\n"
	    "  --every N, --limit N   a fixed subset: every N-th image, at most N images\n"
	    "  --json FILE            also write the report as JSON\n"
	    "  --details FILE         one JSON line per image: found and annotated faces\n"
	    "  -q                     no progress line\n"
	    "Settings come from the configuration (models.dir, ingest.person_input,\n"
	    "ingest.person_threshold, worker.face_input, worker.face_threshold,\n"
	    "worker.mask_threshold), so --set tries another value.\n");
}

static int
eval_size(const struct evalset_face *f)
{
	float s = f->w > f->h ? f->w : f->h;

	return s < 20 ? 0 : s < 40 ? 1 : s < 80 ? 2 : 3;
}

static float
eval_iou(const struct msg_box *a, const struct evalset_face *b)
{
	struct nn_box x = { a->x, a->y, a->w, a->h, 0 }, y = { b->x, b->y, b->w, b->h, 0 };

	return nn_iou(&x, &y);
}

/* eval_candidate - may found face a match annotated face b? */
static int
eval_candidate(const struct msg_box *a, const struct evalset_face *b, float *iou)
{
	float cx = a->x + a->w / 2, cy = a->y + a->h / 2;

	*iou = eval_iou(a, b);
	return *iou >= EVAL_MIN_IOU || (cx >= b->x && cx <= b->x + b->w && cy >= b->y && cy <= b->y + b->h);
}

struct eval_pair {
	int f, a;
	float iou;
};

static int
eval_pair_cmp(const void *x, const void *y)
{
	const struct eval_pair *p = x, *q = y;

	if (p->iou != q->iou)
		return p->iou < q->iou ? 1 : -1;
	return p->f != q->f ? p->f - q->f : p->a - q->a;
}

/* eval_match - one to one, best IoU first: fmatch[f] = annotated index or
 * -1, amatch[a] = found index or -1, dup[f] = 1 when an unmatched found
 * face could have matched an annotated face another one took. */
static int
eval_match(const struct msg_box *found, int nf, const struct evalset_image *im,
           int *fmatch, int *amatch, int *dup)
{
	struct eval_pair *pairs;
	int i, j, n = 0;
	float iou;

	for (i = 0; i < nf; i++)
		fmatch[i] = -1, dup[i] = 0;
	for (j = 0; j < im->nfaces; j++)
		amatch[j] = -1;
	if (nf == 0 || im->nfaces == 0)
		return 0;
	if ((pairs = malloc(sizeof(*pairs) * (size_t)nf * im->nfaces)) == NULL)
		return -ENOMEM;
	for (i = 0; i < nf; i++)
		for (j = 0; j < im->nfaces; j++)
			if (eval_candidate(&found[i], &im->faces[j], &iou))
				pairs[n++] = (struct eval_pair){ i, j, iou };
	qsort(pairs, (size_t)n, sizeof(*pairs), eval_pair_cmp);
	for (i = 0; i < n; i++)
		if (fmatch[pairs[i].f] < 0 && amatch[pairs[i].a] < 0) {
			fmatch[pairs[i].f] = pairs[i].a;
			amatch[pairs[i].a] = pairs[i].f;
		}
	for (i = 0; i < n; i++)
		if (fmatch[pairs[i].f] < 0)
			dup[pairs[i].f] = 1;
	free(pairs);
	return 0;
}

/* eval_verdict_index - 0 PASS, 1 DENY, 2 none. */
static int
eval_verdict_index(uint32_t v)
{
	return v == MSG_VERDICT_PASS ? 0 : v == MSG_VERDICT_DENY ? 1 : 2;
}

/* The models, as ingest and the worker each load them. */
struct eval_models {
	struct persondet *person;
	struct facedet *face;        /* FIRSTPASS_FACE_INPUT: the close-up fallback */
	struct analyse *an;
};

static void
eval_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
eval_box_json(FILE *f, const char *key, float x, float y, float w, float h)
{
	fprintf(f, "\"%s\":[%.1f,%.1f,%.1f,%.1f]", key, x, y, w, h);
}

/* eval_image - run one image and count it. Returns 0, or -1 with why
 * (the image could not be read or decoded). */
static int
eval_image(struct eval_models *m, const struct config *c, const struct evalset_image *im,
           struct eval_stats *st, struct msg_result *r, FILE *details, char *why, size_t whylen)
{
	struct nn_box persons[MSG_PERSONS_MAX];
	struct msg_box found[MSG_PERSONS_MAX];
	int fidx[MSG_PERSONS_MAX], fmatch[MSG_PERSONS_MAX], dup[MSG_PERSONS_MAX], *amatch;
	enum firstpass_by by;
	struct image img = { 0, 0, NULL };
	unsigned char *buf = NULL;
	char err[256];
	size_t len;
	uint64_t t0, t1, t2;
	int rc, n, nf = 0, i, j, big = -1, nbig = 0;

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
	t0 = util_mono_us();
	n = firstpass_run(m->person, m->face, &img, (float)c->person_threshold, (float)c->face_threshold,
	    persons, MSG_PERSONS_MAX, &by);
	t1 = util_mono_us();
	memset(r, 0, sizeof(*r));
	if (n > 0 && (rc = analyse_frame(m->an, &img, persons, n, NAN, r, NULL)) < 0) {
		image_free(&img);
		snprintf(why, whylen, "analysis failed: %s", strerror(-rc));
		return -1;
	}
	t2 = util_mono_us();
	image_free(&img);
	if (n < 0) {
		snprintf(why, whylen, "%s detector failed: %s", by == FIRSTPASS_BY_FACE ? "face" : "person",
		    strerror(-n));
		return -1;
	}
	if ((amatch = calloc((size_t)im->nfaces + 1, sizeof(*amatch))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	st->first_ms += (double)(t1 - t0) / 1000.0;
	st->analyse_ms += (double)(t2 - t1) / 1000.0;
	st->images++;
	if (n == 0)
		st->no_person++;
	else if (by == FIRSTPASS_BY_FACE)
		st->by_face++;
	for (i = 0; i < (int)r->npersons; i++)
		if (r->persons[i].face.score > 0) {
			fidx[nf] = i;
			found[nf++] = r->persons[i].face;
		}
	if (eval_match(found, nf, im, fmatch, amatch, dup) < 0) {
		free(amatch);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	st->faces += im->nfaces;
	st->found += nf;
	for (i = 0; i < nf; i++) {
		if (fmatch[i] >= 0)
			st->matched++;
		else if (dup[i])
			st->dups++;
		else
			st->unmatched++;
	}
	for (j = 0; j < im->nfaces; j++) {
		const struct evalset_face *a = &im->faces[j];
		int s = eval_size(a), v = 2;

		st->ann[a->cls][s]++;
		if (s == EVAL_BIG) {
			nbig++;
			big = j;
		}
		if (amatch[j] >= 0) {
			const struct msg_person *p = &r->persons[fidx[amatch[j]]];
			int pred = p->mask >= MSG_MASK_ON && p->mask <= MSG_MASK_CHIN ? (int)p->mask - 1 : 3;

			st->hit[a->cls][s]++;
			st->conf[s][a->cls][pred]++;
			v = eval_verdict_index(p->verdict);
		}
		st->verd[s][a->cls][v]++;
	}
	if (nbig == 1 && im->faces[big].cls != EVALSET_FACE) {
		int want = im->faces[big].cls == EVALSET_ON ? 0 : 1, v = 2;

		if (amatch[big] >= 0)
			v = eval_verdict_index(r->persons[fidx[amatch[big]]].verdict);
		st->gate[im->faces[big].cls][v == 2 ? 2 : v == want ? 0 : 1]++;
	}
	if (details) {
		fputs("{\"file\":", details);
		eval_str(details, im->path);
		fprintf(details, ",\"first_pass\":\"%s\",\"persons\":[",
		    n == 0 ? "none" : by == FIRSTPASS_BY_FACE ? "face" : "person");
		for (i = 0; i < n; i++)
			fprintf(details, "%s[%.1f,%.1f,%.1f,%.1f,%.4f]", i ? "," : "", persons[i].x, persons[i].y,
			    persons[i].w, persons[i].h, persons[i].score);
		fputs("],\"found\":[", details);
		for (i = 0; i < nf; i++) {
			const struct msg_person *p = &r->persons[fidx[i]];

			fputs(i ? ",{" : "{", details);
			eval_box_json(details, "face", p->face.x, p->face.y, p->face.w, p->face.h);
			fputc(',', details);
			eval_box_json(details, "body", p->body.x, p->body.y, p->body.w, p->body.h);
			fprintf(details, ",\"score\":%.4f,\"mask\":\"%s\",\"probs\":[%.4f,%.4f,%.4f],"
			    "\"verdict\":\"%s\",\"match\":%d,\"duplicate\":%s}",
			    p->face.score, msg_mask_name(p->mask), p->mask_probs[MSG_MASK_ON],
			    p->mask_probs[MSG_MASK_OFF], p->mask_probs[MSG_MASK_CHIN],
			    msg_verdict_name(p->verdict), fmatch[i], dup[i] ? "true" : "false");
		}
		fputs("],\"annotated\":[", details);
		for (j = 0; j < im->nfaces; j++) {
			const struct evalset_face *a = &im->faces[j];

			fputs(j ? ",{" : "{", details);
			eval_box_json(details, "box", a->x, a->y, a->w, a->h);
			fprintf(details, ",\"label\":\"%s\",\"found\":%d}", evalset_class_name(a->cls), amatch[j]);
		}
		fputs("]}\n", details);
	}
	free(amatch);
	return 0;
}

static double
eval_pct(int num, int den)
{
	return den > 0 ? 100.0 * num / den : NAN;
}

/* eval_cell - "num/den pct%" in a fixed width. */
static void
eval_cell(FILE *out, int num, int den)
{
	char s[40];

	if (den == 0)
		snprintf(s, sizeof(s), "-");
	else
		snprintf(s, sizeof(s), "%d/%d %5.1f%%", num, den, eval_pct(num, den));
	fprintf(out, " %16s", s);
}

static int
eval_class_present(const struct eval_stats *st, int c)
{
	int s, n = 0;

	for (s = 0; s < EVAL_NSIZE; s++)
		n += st->ann[c][s];
	return c != EVALSET_FACE || n > 0;
}

static void
eval_report(FILE *out, const struct eval_stats *st)
{
	int c, s, p, tot_a[EVAL_NSIZE] = { 0 }, tot_h[EVAL_NSIZE] = { 0 };
	int a40, h40, aall, hall;

	fprintf(out, "\nFace recall (found / annotated), by face size (larger side, px)\n");
	fprintf(out, "%-10s", "class");
	for (s = 0; s < EVAL_NSIZE; s++)
		fprintf(out, " %16s", eval_size_names[s]);
	fprintf(out, " %16s %16s\n", "40+", "all");
	for (c = 0; c <= EVALSET_NCLASS; c++) {
		const int *an = c < EVALSET_NCLASS ? st->ann[c] : tot_a, *hn = c < EVALSET_NCLASS ? st->hit[c] : tot_h;

		if (c < EVALSET_NCLASS && !eval_class_present(st, c))
			continue;
		fprintf(out, "%-10s", c < EVALSET_NCLASS ? evalset_class_name(c) : "all");
		a40 = h40 = aall = hall = 0;
		for (s = 0; s < EVAL_NSIZE; s++) {
			eval_cell(out, hn[s], an[s]);
			if (c < EVALSET_NCLASS) {
				tot_a[s] += an[s];
				tot_h[s] += hn[s];
			}
			aall += an[s];
			hall += hn[s];
			if (s >= 2) {
				a40 += an[s];
				h40 += hn[s];
			}
		}
		eval_cell(out, h40, a40);
		eval_cell(out, hall, aall);
		fputc('\n', out);
	}

	fprintf(out, "\nPrecision: %d faces found, %d match an annotated face, %d duplicates, %d match none:"
	    " %.1f%%\n", st->found, st->matched, st->dups, st->unmatched, eval_pct(st->matched, st->found));

	fprintf(out, "\nMask class of matched faces of 40+ px (rows: annotated; columns: classifier)\n");
	fprintf(out, "%-10s", "annotated");
	for (p = 0; p < EVAL_NPRED; p++)
		fprintf(out, " %9s", eval_pred_names[p]);
	fprintf(out, " %16s\n", "right");
	{
		int right_all = 0, n_all = 0, right_any = 0, n_any = 0;

		for (c = 0; c < EVALSET_FACE; c++) {
			int row[EVAL_NPRED] = { 0 }, n = 0;

			for (s = 0; s < EVAL_NSIZE; s++)
				for (p = 0; p < EVAL_NPRED; p++) {
					if (s >= 2)
						row[p] += st->conf[s][c][p];
					n_any += st->conf[s][c][p];
					if (p == c)
						right_any += st->conf[s][c][p];
				}
			fprintf(out, "%-10s", evalset_class_name(c));
			for (p = 0; p < EVAL_NPRED; p++) {
				fprintf(out, " %9d", row[p]);
				n += row[p];
			}
			eval_cell(out, row[c], n);
			fputc('\n', out);
			right_all += row[c];
			n_all += n;
		}
		fprintf(out, "%-10s %*s", "all", 10 * EVAL_NPRED - 1, "");
		eval_cell(out, right_all, n_all);
		fprintf(out, "\n(matched faces of any size: %d of %d right, %.1f%%)\n", right_any, n_any,
		    eval_pct(right_any, n_any));
	}

	fprintf(out, "\nVerdicts on annotated faces of 40+ px (a face not found has none)\n");
	fprintf(out, "%-10s %9s %9s %9s %16s\n", "annotated", "PASS", "DENY", "none", "right");
	{
		int tr = 0, tn = 0;

		for (c = 0; c < EVALSET_FACE; c++) {
			int v[3] = { 0, 0, 0 }, n, want = c == EVALSET_ON ? 0 : 1;

			for (s = 2; s < EVAL_NSIZE; s++)
				for (p = 0; p < 3; p++)
					v[p] += st->verd[s][c][p];
			n = v[0] + v[1] + v[2];
			fprintf(out, "%-10s %9d %9d %9d", evalset_class_name(c), v[0], v[1], v[2]);
			eval_cell(out, v[want], n);
			fputc('\n', out);
			tr += v[want];
			tn += n;
		}
		fprintf(out, "%-10s %29s", "all", "");
		eval_cell(out, tr, tn);
		fputc('\n', out);
	}

	fprintf(out, "\nGate verdict on images with exactly one face of 80+ px (PASS for mask_on, DENY otherwise)\n");
	fprintf(out, "%-10s %9s %9s %9s %16s\n", "annotated", "right", "wrong", "none", "right");
	{
		int t[3] = { 0, 0, 0 };

		for (c = 0; c < EVALSET_FACE; c++) {
			const int *g = st->gate[c];

			fprintf(out, "%-10s %9d %9d %9d", evalset_class_name(c), g[0], g[1], g[2]);
			eval_cell(out, g[0], g[0] + g[1] + g[2]);
			fputc('\n', out);
			for (p = 0; p < 3; p++)
				t[p] += g[p];
		}
		fprintf(out, "%-10s %9d %9d %9d", "all", t[0], t[1], t[2]);
		eval_cell(out, t[0], t[0] + t[1] + t[2]);
		fputc('\n', out);
	}
	fprintf(out, "\nFirst pass: %d images had person boxes from the person detector, %d from the close-up\n"
	    "face fallback, %d none (ingest would drop them).\n",
	    st->images - st->by_face - st->no_person, st->by_face, st->no_person);
	if (st->images > 0)
		fprintf(out, "Time per image (one thread, this machine): first pass %.0f ms, faces and masks %.0f ms\n",
		    st->first_ms / st->images, st->analyse_ms / st->images);
}

static json_t *
eval_ints(const int *v, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *
eval_ratio(int num, int den)
{
	return den > 0 ? json_real((double)num / den) : json_null();
}

/* eval_json - the report as a JSON object (counts, and ratios from them). */
static json_t *
eval_json(const struct eval_stats *st, const struct config *c, const struct eval_opts *o,
          json_t *sets)
{
	json_t *root = json_object(), *rec = json_object(), *conf = json_object(), *verd = json_object(),
	    *gate = json_object(), *settings = json_object(), *sizes = json_array(), *x;
	int cl, s, p, tot_a[EVAL_NSIZE] = { 0 }, tot_h[EVAL_NSIZE] = { 0 };
	int g[3] = { 0, 0, 0 }, cr = 0, cn = 0, vr = 0, vn = 0;

	for (s = 0; s < EVAL_NSIZE; s++)
		json_array_append_new(sizes, json_string(eval_size_keys[s]));
	json_object_set_new(root, "sets", sets);
	json_object_set_new(root, "split", json_string(o->split));
	json_object_set_new(root, "every", json_integer(o->every));
	json_object_set_new(root, "limit", json_integer(o->limit));
	json_object_set_new(root, "images", json_integer(st->images));
	json_object_set_new(root, "errors", json_integer(st->errors));
	json_object_set_new(root, "faces", json_integer(st->faces));
	json_object_set_new(settings, "models_dir", json_string(c->models_dir));
	json_object_set_new(settings, "person_input", json_integer(c->person_input));
	json_object_set_new(settings, "person_threshold", json_real(c->person_threshold));
	json_object_set_new(settings, "face_input", json_integer(c->face_input));
	json_object_set_new(settings, "face_threshold", json_real(c->face_threshold));
	json_object_set_new(settings, "mask_threshold", json_real(c->mask_threshold));
	json_object_set_new(root, "settings", settings);
	json_object_set_new(root, "size_buckets", sizes);
	for (cl = 0; cl <= EVALSET_NCLASS; cl++) {
		const int *an = cl < EVALSET_NCLASS ? st->ann[cl] : tot_a, *hn = cl < EVALSET_NCLASS ? st->hit[cl] : tot_h;
		int a40 = an[2] + an[3], h40 = hn[2] + hn[3], aall = 0, hall = 0;

		if (cl < EVALSET_NCLASS && !eval_class_present(st, cl))
			continue;
		for (s = 0; s < EVAL_NSIZE; s++) {
			aall += an[s];
			hall += hn[s];
		}
		x = json_object();
		json_object_set_new(x, "annotated", eval_ints(an, EVAL_NSIZE));
		json_object_set_new(x, "found", eval_ints(hn, EVAL_NSIZE));
		json_object_set_new(x, "recall_40plus", eval_ratio(h40, a40));
		json_object_set_new(x, "recall_80plus", eval_ratio(hn[3], an[3]));
		json_object_set_new(x, "recall_all", eval_ratio(hall, aall));
		json_object_set_new(rec, cl < EVALSET_NCLASS ? evalset_class_name(cl) : "all", x);
		if (cl < EVALSET_NCLASS)
			for (s = 0; s < EVAL_NSIZE; s++) {
				tot_a[s] += an[s];
				tot_h[s] += hn[s];
			}
	}
	json_object_set_new(root, "recall", rec);
	x = json_object();
	json_object_set_new(x, "found", json_integer(st->found));
	json_object_set_new(x, "matched", json_integer(st->matched));
	json_object_set_new(x, "duplicates", json_integer(st->dups));
	json_object_set_new(x, "unmatched", json_integer(st->unmatched));
	json_object_set_new(x, "precision", eval_ratio(st->matched, st->found));
	json_object_set_new(root, "precision", x);
	/* confusion: per annotated class, per size bucket, counts by predicted class */
	for (cl = 0; cl < EVALSET_FACE; cl++) {
		json_t *row = json_object();
		int r40 = 0, n40 = 0;

		for (s = 0; s < EVAL_NSIZE; s++) {
			json_object_set_new(row, eval_size_keys[s], eval_ints(st->conf[s][cl], EVAL_NPRED));
			if (s >= 2)
				for (p = 0; p < EVAL_NPRED; p++) {
					n40 += st->conf[s][cl][p];
					if (p == cl)
						r40 += st->conf[s][cl][p];
				}
		}
		json_object_set_new(row, "right_40plus", eval_ratio(r40, n40));
		json_object_set_new(conf, evalset_class_name(cl), row);
		cr += r40;
		cn += n40;
	}
	json_object_set_new(conf, "columns", json_pack("[ssss]", "mask_on", "mask_off", "mask_chin", "unknown"));
	json_object_set_new(conf, "right_40plus", eval_ratio(cr, cn));
	json_object_set_new(root, "mask_class", conf);
	for (cl = 0; cl < EVALSET_FACE; cl++) {
		json_t *row = json_object();
		int want = cl == EVALSET_ON ? 0 : 1, r40 = 0, n40 = 0;

		for (s = 0; s < EVAL_NSIZE; s++) {
			json_object_set_new(row, eval_size_keys[s], eval_ints(st->verd[s][cl], 3));
			if (s >= 2)
				for (p = 0; p < 3; p++) {
					n40 += st->verd[s][cl][p];
					if (p == want)
						r40 += st->verd[s][cl][p];
				}
		}
		json_object_set_new(row, "right_40plus", eval_ratio(r40, n40));
		json_object_set_new(verd, evalset_class_name(cl), row);
		vr += r40;
		vn += n40;
	}
	json_object_set_new(verd, "columns", json_pack("[sss]", eval_verdict_names[0], eval_verdict_names[1],
	    eval_verdict_names[2]));
	json_object_set_new(verd, "right_40plus", eval_ratio(vr, vn));
	json_object_set_new(root, "verdicts", verd);
	for (cl = 0; cl < EVALSET_FACE; cl++) {
		const int *gg = st->gate[cl];

		x = json_object();
		json_object_set_new(x, "right", json_integer(gg[0]));
		json_object_set_new(x, "wrong", json_integer(gg[1]));
		json_object_set_new(x, "none", json_integer(gg[2]));
		json_object_set_new(x, "rate", eval_ratio(gg[0], gg[0] + gg[1] + gg[2]));
		json_object_set_new(gate, evalset_class_name(cl), x);
		for (p = 0; p < 3; p++)
			g[p] += gg[p];
	}
	x = json_object();
	json_object_set_new(x, "right", json_integer(g[0]));
	json_object_set_new(x, "wrong", json_integer(g[1]));
	json_object_set_new(x, "none", json_integer(g[2]));
	json_object_set_new(x, "rate", eval_ratio(g[0], g[0] + g[1] + g[2]));
	json_object_set_new(gate, "all", x);
	json_object_set_new(root, "gate", gate);
	x = json_object();
	json_object_set_new(x, "person", json_integer(st->images - st->by_face - st->no_person));
	json_object_set_new(x, "face_fallback", json_integer(st->by_face));
	json_object_set_new(x, "none", json_integer(st->no_person));
	json_object_set_new(root, "first_pass", x);
	x = json_object();
	json_object_set_new(x, "first_pass", json_real(st->images ? st->first_ms / st->images : 0));
	json_object_set_new(x, "faces_and_masks", json_real(st->images ? st->analyse_ms / st->images : 0));
	json_object_set_new(root, "ms_per_image", x);
	return root;
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

int
cmd_eval(int argc, char **argv)
{
	struct eval_opts o = { "all", NULL, NULL, 1, 0, 0 };
	struct eval_models m = { NULL, NULL, NULL };
	struct evalset set = { 0, 0, NULL };
	struct eval_stats *st = NULL;
	struct msg_result *r = NULL;
	char **cargv, **sets, err[1024], why[512];
	int i, cargc = 1, nsets = 0, next = 0, rc = 1, total, done = 0, k, tty;
	int *pick = NULL;
	FILE *details = NULL;
	json_t *jsets;
	struct config c;
	uint64_t t0;

	cargv = calloc((size_t)argc + 1, sizeof(*cargv));
	sets = calloc((size_t)argc + 1, sizeof(*sets));
	if (cargv == NULL || sets == NULL) {
		free(cargv);
		free(sets);
		return 1;
	}
	cargv[0] = argv[0];
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			eval_usage(stdout);
			rc = 0;
			goto out;
		} else if (strcmp(a, "--split") == 0 && i + 1 < argc) {
			o.split = argv[++i];
			if (strcmp(o.split, "val") && strcmp(o.split, "train") && strcmp(o.split, "all")) {
				fprintf(stderr, "gatewatch eval: --split %s: want val, train or all\n", o.split);
				rc = 2;
				goto out;
			}
		} else if (strcmp(a, "--json") == 0 && i + 1 < argc)
			o.json_path = argv[++i];
		else if (strcmp(a, "--details") == 0 && i + 1 < argc)
			o.details_path = argv[++i];
		else if (strcmp(a, "--every") == 0 && i + 1 < argc) {
			if (eval_parse_count(a, argv[++i], &o.every) < 0 || o.every < 1) {
				rc = 2;
				goto out;
			}
		} else if (strcmp(a, "--limit") == 0 && i + 1 < argc) {
			if (eval_parse_count(a, argv[++i], &o.limit) < 0) {
				rc = 2;
				goto out;
			}
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			o.quiet = 1;
		else if (args_config_flag(argc, argv, &i, cargv, &cargc))
			;
		else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "gatewatch eval: unknown or incomplete argument %s\n", a);
			eval_usage(stderr);
			rc = 2;
			goto out;
		} else
			sets[nsets++] = argv[i];
	}
	if (nsets == 0) {
		fprintf(stderr, "gatewatch eval: no annotated set given\n");
		eval_usage(stderr);
		rc = 2;
		goto out;
	}
	config_defaults(&c);
	if (config_args(&c, cargc, cargv, &next, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch eval: %s\n", err);
		rc = 2;
		goto out;
	}
	jsets = json_array();
	for (i = 0; i < nsets; i++) {
		if (evalset_load(&set, sets[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "gatewatch eval: %s\n", err);
			json_decref(jsets);
			rc = 2;
			goto out;
		}
		json_array_append_new(jsets, json_string(sets[i]));
	}
	/* The images of the split, then every n-th, then the limit. */
	if ((pick = malloc(sizeof(*pick) * ((size_t)set.n + 1))) == NULL) {
		json_decref(jsets);
		goto out;
	}
	for (i = 0, total = 0, k = 0; i < set.n; i++) {
		int val = evalset_is_val(&set.v[i]);

		if ((strcmp(o.split, "val") == 0 && !val) || (strcmp(o.split, "train") == 0 && val))
			continue;
		if (k++ % o.every != 0)
			continue;
		if (o.limit > 0 && total == o.limit)
			break;
		pick[total++] = i;
	}
	if (total == 0) {
		fprintf(stderr, "gatewatch eval: no image in split %s\n", o.split);
		json_decref(jsets);
		rc = 2;
		goto out;
	}
	if ((m.person = persondet_open(c.models_dir, c.person_input, err, sizeof(err))) == NULL ||
	    (m.face = facedet_open(c.models_dir, FIRSTPASS_FACE_INPUT, err, sizeof(err))) == NULL ||
	    (m.an = analyse_open(&c, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewatch eval: cannot load models: %s\n", err);
		json_decref(jsets);
		goto out;
	}
	if (o.details_path && (details = fopen(o.details_path, "w")) == NULL) {
		fprintf(stderr, "gatewatch eval: %s: %s\n", o.details_path, strerror(errno));
		json_decref(jsets);
		goto out;
	}
	st = calloc(1, sizeof(*st));
	r = malloc(sizeof(*r));
	if (st == NULL || r == NULL) {
		json_decref(jsets);
		goto out;
	}
	tty = !o.quiet && isatty(STDERR_FILENO);
	t0 = util_mono_us();
	for (done = 0; done < total; done++) {
		const struct evalset_image *im = &set.v[pick[done]];

		if (eval_image(&m, &c, im, st, r, details, why, sizeof(why)) < 0) {
			st->errors++;
			if (tty)
				fputc('\n', stderr);
			fprintf(stderr, "gatewatch eval: %s: %s (left out)\n", im->path, why);
		}
		if (tty)
			eval_progress(done + 1, total, t0);
	}
	printf("gatewatch eval: %d images (split %s", st->images, o.split);
	if (o.every > 1)
		printf(", every %d", o.every);
	printf(") of");
	for (i = 0; i < nsets; i++)
		printf(" %s", sets[i]);
	printf(", %d annotated faces; %d left out (unreadable)\n", st->faces, st->errors);
	printf("models %s: person_input %d, person_threshold %.2f, face_input %d, face_threshold %.2f,"
	    " mask_threshold %.2f\n", c.models_dir, c.person_input, c.person_threshold, c.face_input,
	    c.face_threshold, c.mask_threshold);
	eval_report(stdout, st);
	fflush(stdout);
	if (o.json_path) {
		json_t *j = eval_json(st, &c, &o, jsets);

		if (json_dump_file(j, o.json_path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0) {
			fprintf(stderr, "gatewatch eval: cannot write %s\n", o.json_path);
			json_decref(j);
			goto out;
		}
		json_decref(j);
	} else
		json_decref(jsets);
	rc = st->errors > 0 ? 1 : 0;
out:
	if (details)
		fclose(details);
	free(st);
	free(r);
	free(pick);
	analyse_close(m.an);
	facedet_close(m.face);
	persondet_close(m.person);
	evalset_free(&set);
	free(cargv);
	free(sets);
	return rc;
}
