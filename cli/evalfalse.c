/* evalfalse - where each found face came from, and why a false one is
 * there (evalfalse.h). The source is the traced run whose face is the
 * found face exactly (the search copies boxes, never recomputes them).
 * A found face that matches no face of the set's own annotations gets the
 * first cause that holds, in this order:
 *   in_additions   it matched a face of --extra: a real face the set's
 *                  annotations lack (models/data/mask-scenes-additions.jsonl)
 *   duplicate      it could match an annotated face another found face took
 *   overlaps_face  it covers EVALFALSE_OVERLAP of an annotated face or of a
 *                  matched found face (or they of it): a slice or a shifted
 *                  box of a face, or a face in a crowd pressed against one
 *   below_head     its centre is in a person box (grown as the search grows
 *                  it) but in no box's head region: hands, clothing, bodies
 *   no_person_box  its centre is in no person box (the whole frame's find:
 *                  background people, posters, patterns)
 *   head_region    in a head region, on no annotated face: an unannotated
 *                  face, the back of a head, a hat */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "evalfalse.h"
#include "evalscore.h"
#include "facegeom.h"
#include "jsonl.h"
#include "utf8.h"

#define EVALFALSE_OVERLAP 0.2f  /* intersection over the smaller box: overlaps_face */
#define EVALFALSE_NWHERE 6      /* enum analyse_where, then "unknown" (no traced run has it) */

enum evalfalse_cause {
	EVALFALSE_MATCHED, EVALFALSE_ADDED, EVALFALSE_DUP, EVALFALSE_OVERLAPS, EVALFALSE_BELOW, EVALFALSE_NOBOX,
	EVALFALSE_HEAD, EVALFALSE_NCAUSE
};

static const char *const evalfalse_causes[EVALFALSE_NCAUSE] = {
	"matched", "in_additions", "duplicate", "overlaps_face", "below_head", "no_person_box", "head_region",
};

static const char *const evalfalse_wheres[EVALFALSE_NWHERE] = {
	"frame", "head", "head_tile", "box", "box_tile", "unknown",
};

/* One face of one traced run. */
struct evalfalse_run {
	struct nn_box f;
	int where, box;
};

struct evalfalse {
	FILE *out;
	struct evalfalse_run *runs;  /* this image's, nruns of cap */
	int nruns, cap, err;         /* err: 0, or -errno of this image (a run not kept, a line not written) */
	int count[EVALFALSE_NCAUSE][EVALFALSE_NWHERE];
};

/* evalfalse_trace - analyse_trace's receiver: keep every face of the run. */
static void
evalfalse_trace(void *arg, enum analyse_where where, int box, const struct nn_box *f, int n)
{
	struct evalfalse *m = arg;
	int i;

	for (i = 0; i < n; i++) {
		if (m->nruns == m->cap) {
			int cap = m->cap ? 2 * m->cap : 64;
			struct evalfalse_run *v = realloc(m->runs, sizeof(*v) * (size_t)cap);

			if (v == NULL) {
				m->err = -ENOMEM;
				return;
			}
			m->runs = v;
			m->cap = cap;
		}
		m->runs[m->nruns++] = (struct evalfalse_run){ f[i], (int)where, box };
	}
}

struct evalfalse *
evalfalse_open(struct analyse *a, const char *path, char *err, size_t errlen)
{
	struct evalfalse *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((m->out = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(m);
		return NULL;
	}
	analyse_trace(a, evalfalse_trace, m);
	return m;
}

void
evalfalse_begin(struct evalfalse *m)
{
	m->nruns = 0;
	m->err = 0;
}

/* evalfalse_overlap - intersection of a and b over the smaller's area. */
static float
evalfalse_overlap(const struct nn_box *a, const struct nn_box *b)
{
	float w = fminf(a->x + a->w, b->x + b->w) - fmaxf(a->x, b->x);
	float h = fminf(a->y + a->h, b->y + b->h) - fmaxf(a->y, b->y);
	float small = fminf(a->w * a->h, b->w * b->h);

	return w > 0 && h > 0 && small > 0 ? w * h / small : 0;
}

/* What is known of one found face. */
struct evalfalse_face {
	struct nn_box f;
	int match;                   /* the annotated face it matched, -1 */
	int where, box;              /* its run */
	float best[EVALFALSE_NWHERE - 1];  /* each kind of run's best score on it, 0: none */
};

/* evalfalse_source - the run whose face is ff's exactly, and each kind
 * of run's best score on it. */
static void
evalfalse_source(const struct evalfalse *m, struct evalfalse_face *ff)
{
	int i;

	ff->where = EVALFALSE_NWHERE - 1;
	ff->box = -1;
	for (i = 0; i < m->nruns; i++) {
		const struct evalfalse_run *u = &m->runs[i];

		if (ff->where == EVALFALSE_NWHERE - 1 && u->f.x == ff->f.x && u->f.y == ff->f.y && u->f.w == ff->f.w &&
		    u->f.h == ff->f.h && u->f.score == ff->f.score) {
			ff->where = u->where;
			ff->box = u->box;
		}
		if (facegeom_seen(&u->f, &ff->f, 1) && u->f.score > ff->best[u->where])
			ff->best[u->where] = u->f.score;
	}
}

/* evalfalse_place - below_head, no_person_box or head_region: where its
 * centre lies among the person boxes. */
static enum evalfalse_cause
evalfalse_place(const struct image *img, const struct nn_box *f, const struct nn_box *persons, int n)
{
	float cx = f->x + f->w / 2, cy = f->y + f->h / 2;
	int i, x, y, w, h, full_h, in_box = 0;

	for (i = 0; i < n; i++) {
		if (facegeom_fit(&persons[i], f) <= 0)
			continue;
		in_box = 1;
		if (facegeom_head(img, &persons[i], &x, &y, &w, &h, &full_h) && cx >= x && cx <= x + w && cy >= y &&
		    cy <= y + h)
			return EVALFALSE_HEAD;
	}
	return in_box ? EVALFALSE_BELOW : EVALFALSE_NOBOX;
}

/* evalfalse_cause - the first cause that holds (the order in the head
 * comment); ff[0..nf) are the image's found faces. */
static enum evalfalse_cause
evalfalse_cause(const struct image *img, const struct evalset_image *im, const struct evalfalse_face *ff, int k,
                int nf, const struct nn_box *persons, int n)
{
	const struct nn_box *f = &ff[k].f;
	struct msg_box mb = { f->x, f->y, f->w, f->h, f->score };
	int j;
	float iou;

	if (ff[k].match >= 0)
		return ff[k].match >= im->nfaces - im->nextra ? EVALFALSE_ADDED : EVALFALSE_MATCHED;
	for (j = 0; j < im->nfaces; j++)
		if (evalscore_matches(&mb, &im->faces[j], &iou))
			return EVALFALSE_DUP;
	for (j = 0; j < im->nfaces; j++) {
		struct nn_box a = { im->faces[j].x, im->faces[j].y, im->faces[j].w, im->faces[j].h, 1 };

		if (evalfalse_overlap(f, &a) >= EVALFALSE_OVERLAP)
			return EVALFALSE_OVERLAPS;
	}
	for (j = 0; j < nf; j++)
		if (ff[j].match >= 0 && evalfalse_overlap(f, &ff[j].f) >= EVALFALSE_OVERLAP)
			return EVALFALSE_OVERLAPS;
	return evalfalse_place(img, f, persons, n);
}

/* evalfalse_write - one found face's line. */
static void
evalfalse_write(struct evalfalse *m, const struct evalset_image *im, const struct evalfalse_face *ff,
                const struct msg_person *p, int given_to_box, const char *by, enum evalfalse_cause cause)
{
	json_t *seen = json_object(), *o;
	int w, rc;

	for (w = 0; w < EVALFALSE_NWHERE - 1; w++)
		if (ff->best[w] > 0)
			json_object_set_new(seen, evalfalse_wheres[w], json_real(round(ff->best[w] * 1e4) / 1e4));
	o = json_pack("{s:o, s:[f,f,f,f], s:f, s:f, s:b, s:s, s:s, s:i, s:s, s:o, s:s, s:[f,f,f], s:s}",
	    "file", utf8_json(im->path), "box", ff->f.x, ff->f.y, ff->f.w, ff->f.h, "score", ff->f.score,
	    "size", fmaxf(ff->f.w, ff->f.h), "false", cause != EVALFALSE_MATCHED, "cause", evalfalse_causes[cause],
	    "where", evalfalse_wheres[ff->where], "person_box", ff->box, "person", given_to_box ? "box" : "extra",
	    "seen", seen, "mask", msg_mask_name(p->mask), "probs", p->mask_probs[MSG_MASK_ON],
	    p->mask_probs[MSG_MASK_OFF], p->mask_probs[MSG_MASK_CHIN], "first_pass", by);
	if ((rc = jsonl_put(m->out, o, JSON_REAL_PRECISION(5))) < 0 && m->err == 0)
		m->err = rc;
}

int
evalfalse_image(struct evalfalse *m, const struct image *img, const struct evalset_image *im,
                const struct nn_box *persons, int n, const char *by, const struct msg_result *r, const int *amatch)
{
	struct evalfalse_face ff[MSG_PERSONS_MAX];
	int idx[MSG_PERSONS_MAX], i, j, nf = 0;

	if (m->err < 0)
		return m->err;
	memset(ff, 0, sizeof(ff));
	for (i = 0; i < (int)r->npersons; i++) {
		const struct msg_box *b = &r->persons[i].face;

		if (b->score <= 0)
			continue;
		ff[nf].f = (struct nn_box){ b->x, b->y, b->w, b->h, b->score };
		ff[nf].match = -1;
		idx[nf++] = i;
	}
	for (j = 0; j < im->nfaces; j++)
		if (amatch[j] >= 0 && amatch[j] < nf)
			ff[amatch[j]].match = j;
	for (i = 0; i < nf; i++) {
		enum evalfalse_cause cause = evalfalse_cause(img, im, ff, i, nf, persons, n);

		evalfalse_source(m, &ff[i]);
		m->count[cause][ff[i].where]++;
		evalfalse_write(m, im, &ff[i], &r->persons[idx[i]], idx[i] < n, by, cause);
	}
	return m->err;
}

void
evalfalse_print(const struct evalfalse *m, FILE *out)
{
	int c, w, all[EVALFALSE_NCAUSE] = { 0 };

	fprintf(out, "\nFound faces by source, and those matching no annotated face by cause (--false)\n%-10s %7s %7s",
	    "source", "found", "false");
	for (c = 1; c < EVALFALSE_NCAUSE; c++)
		fprintf(out, " %*s", (int)strlen(evalfalse_causes[c]), evalfalse_causes[c]);
	fputc('\n', out);
	for (w = 0; w <= EVALFALSE_NWHERE; w++) {
		int found = 0, wrong = 0;

		for (c = 0; c < EVALFALSE_NCAUSE; c++) {
			int v = w < EVALFALSE_NWHERE ? m->count[c][w] : all[c];

			found += v;
			wrong += c > 0 ? v : 0;
			if (w < EVALFALSE_NWHERE)
				all[c] += v;
		}
		if (w < EVALFALSE_NWHERE - 1 || found > 0 || w == EVALFALSE_NWHERE) {
			fprintf(out, "%-10s %7d %7d", w < EVALFALSE_NWHERE ? evalfalse_wheres[w] : "all", found, wrong);
			for (c = 1; c < EVALFALSE_NCAUSE; c++)
				fprintf(out, " %*d", (int)strlen(evalfalse_causes[c]),
				    w < EVALFALSE_NWHERE ? m->count[c][w] : all[c]);
			fputc('\n', out);
		}
	}
}

int
evalfalse_close(struct evalfalse *m)
{
	int rc = 0;

	if (m == NULL)
		return 0;
	if (jsonl_close(m->out) != 0)
		rc = -1;
	free(m->runs);
	free(m);
	return rc;
}
