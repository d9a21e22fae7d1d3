/* evalmiss - why a face of 40+ px was missed (evalmiss.h): probes with
 * the face detector at a low threshold, then one cause per face, the
 * first that holds, in this order:
 *   shifted_box      a found face lies on it (IoU >= 0.1 or its centre
 *                    inside the found box) but fails eval's match
 *   matched_neighbour the found face on it matched another annotated face
 *   dropped          a search the path runs scores it at the threshold,
 *                    yet no found face is on it (merged into another face,
 *                    or past the 16 people of a frame)
 *   no_person_box    its centre is in no (grown) person box and the whole
 *                    frame scores it under the threshold; _crop_finds: a
 *                    tight crop around it scores it at the threshold
 *   outside_head_region  in a person box, but outside its head region
 *                    (the whole box is searched only when that is empty,
 *                    and with worker.box_hint only where the whole frame
 *                    scores a face at 0.3: "scores.box" is that search's)
 *   below_threshold  in a head region, under the threshold there and on
 *                    the whole frame; _crop_finds as above
 * The detector's box "on" the face is one eval would match (IoU >= 0.3 or
 * its centre inside the annotated box). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "evalmiss.h"
#include "jsonl.h"
#include "evalscore.h"
#include "facegeom.h"
#include "utf8.h"

#define EVALMISS_PROBE 0.05f     /* the probes' threshold: near misses show their score */
#define EVALMISS_NEAR_IOU 0.1f   /* a found face this close is "on" the face */
#define EVALMISS_CROP 2.5f       /* the tight crop: this many face sides, square */
#define EVALMISS_MIN_PX 40       /* faces of this size (larger side) and up */
#define EVALMISS_MAX 64          /* boxes kept per probe */

enum evalmiss_cause {
	EVALMISS_SHIFTED, EVALMISS_NEIGHBOUR, EVALMISS_DROPPED, EVALMISS_NOBOX_CROP, EVALMISS_NOBOX,
	EVALMISS_HEAD, EVALMISS_BELOW_CROP, EVALMISS_BELOW, EVALMISS_NCAUSE
};

static const char *const evalmiss_names[EVALMISS_NCAUSE] = {
	"shifted_box", "matched_neighbour", "dropped", "no_person_box_crop_finds", "no_person_box",
	"outside_head_region", "below_threshold_crop_finds", "below_threshold",
};

struct evalmiss {
	struct facedet *face;    /* worker.face_input: the whole frame */
	struct facedet *body;    /* worker.body_input: a region alone */
	struct facedet *pair;    /* the half-height canvas for small regions; NULL: none */
	int tile_px;
	float threshold;
	FILE *out;
	int count[EVALMISS_NCAUSE][EVALSET_NCLASS];
};

/* What the probes saw of one face. */
struct evalmiss_probe {
	float whole, head, box, crop;   /* best score on the face; 0: none over EVALMISS_PROBE */
	int in_box, in_head;            /* person boxes holding its centre; of those, head regions */
	float near_iou;                 /* the closest found face's IoU, or -1: none on it */
	int near_taken;                 /* that found face matched another annotated face */
};

struct evalmiss *
evalmiss_open(const struct config *c, const char *path, char *err, size_t errlen)
{
	struct evalmiss *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->tile_px = c->tile_pair ? c->tile_px : 0;
	m->threshold = (float)c->face_threshold;
	if ((m->face = facedet_open(c->models_dir, c->face_input, err, errlen)) == NULL ||
	    (m->body = facedet_open(c->models_dir, c->body_input, err, errlen)) == NULL ||
	    (m->tile_px > 0 &&
	     (m->pair = facedet_open_canvas(c->models_dir, c->body_input, c->body_input / 2, err, errlen)) == NULL)) {
		evalmiss_close(m);
		return NULL;
	}
	if ((m->out = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		evalmiss_close(m);
		return NULL;
	}
	return m;
}

/* evalmiss_best - the best score of n boxes on annotated face a. */
static float
evalmiss_best(const struct nn_box *b, int n, const struct evalset_face *a)
{
	float best = 0, iou;
	int i;

	for (i = 0; i < n; i++) {
		struct msg_box mb = { b[i].x, b[i].y, b[i].w, b[i].h, b[i].score };

		if (b[i].score > best && evalscore_matches(&mb, a, &iou))
			best = b[i].score;
	}
	return best;
}

/* evalmiss_view - the best score on a of one run on view v alone, as the
 * path runs it: in the half-height canvas when it fits a tile, else alone
 * at worker.body_input. Returns the score or -errno. */
static float
evalmiss_view(struct evalmiss *m, const struct image *img, const struct facedet_view *v,
              const struct evalset_face *a)
{
	struct nn_box f[EVALMISS_MAX];
	int count, k, small = m->pair != NULL && v->w <= m->tile_px && v->h <= m->tile_px;

	k = facedet_run_tiles(small ? m->pair : m->body, img, v, 1, small ? 2 : 1, EVALMISS_PROBE, f, &count,
	    EVALMISS_MAX);
	return k < 0 ? (float)k : evalmiss_best(f, k, a);
}

/* evalmiss_crop - the square of EVALMISS_CROP face sides around a,
 * clipped to the image; 0 if too little is left. */
static int
evalmiss_crop(const struct image *img, const struct evalset_face *a, struct facedet_view *v)
{
	float s = EVALMISS_CROP * fmaxf(a->w, a->h), cx = a->x + a->w / 2, cy = a->y + a->h / 2;
	float x0 = fmaxf(cx - s / 2, 0), y0 = fmaxf(cy - s / 2, 0);
	float x1 = fminf(cx + s / 2, (float)img->w), y1 = fminf(cy + s / 2, (float)img->h);

	v->x = (int)x0;
	v->y = (int)y0;
	v->w = (int)(x1 - v->x);
	v->h = (int)(y1 - v->y);
	return v->w >= 8 && v->h >= 8;
}

/* evalmiss_boxes - the person boxes holding a's centre: their head
 * regions and whole boxes probed. Returns 0 or -errno. */
static int
evalmiss_boxes(struct evalmiss *m, const struct image *img, const struct evalset_face *a,
               const struct nn_box *persons, int n, struct evalmiss_probe *p)
{
	struct nn_box fa = { a->x, a->y, a->w, a->h, 1 };
	float cx = a->x + a->w / 2, cy = a->y + a->h / 2, s;
	int i, full_h;

	for (i = 0; i < n; i++) {
		struct facedet_view v;

		if (facegeom_fit(&persons[i], &fa) <= 0 || !facegeom_head(img, &persons[i], &v.x, &v.y, &v.w, &v.h, &full_h))
			continue;
		p->in_box++;
		if (cx >= v.x && cx <= v.x + v.w && cy >= v.y && cy <= v.y + v.h)
			p->in_head++;
		if ((s = evalmiss_view(m, img, &v, a)) < 0)
			return (int)s;
		p->head = fmaxf(p->head, s);
		v.h = full_h;
		if ((s = evalmiss_view(m, img, &v, a)) < 0)
			return (int)s;
		p->box = fmaxf(p->box, s);
	}
	return 0;
}

/* evalmiss_near - the found face closest to annotated face j. */
static void
evalmiss_near(const struct evalset_image *im, int j, const struct msg_result *r, const int *amatch,
              struct evalmiss_probe *p)
{
	const struct evalset_face *a = &im->faces[j];
	struct nn_box fa = { a->x, a->y, a->w, a->h, 1 };
	int i, k, t, found = 0;

	p->near_iou = -1;
	for (i = 0; i < (int)r->npersons; i++) {
		const struct msg_box *b = &r->persons[i].face;
		struct nn_box fb = { b->x, b->y, b->w, b->h, b->score };
		float iou = nn_iou(&fa, &fb);

		if (b->score <= 0)
			continue;
		k = found++;
		if ((iou >= EVALMISS_NEAR_IOU || nn_center_inside(&fa, &fb)) && iou > p->near_iou) {
			p->near_iou = iou;
			p->near_taken = 0;
			for (t = 0; t < im->nfaces; t++)
				p->near_taken |= t != j && amatch[t] == k;
		}
	}
}

/* evalmiss_cause - the first cause that holds (the order in the head comment). */
static enum evalmiss_cause
evalmiss_cause(const struct evalmiss *m, const struct evalmiss_probe *p)
{
	float thr = m->threshold;

	if (p->near_iou >= 0)
		return p->near_taken ? EVALMISS_NEIGHBOUR : EVALMISS_SHIFTED;
	if (p->whole >= thr || p->head >= thr)
		return EVALMISS_DROPPED;
	if (p->in_box == 0)
		return p->crop >= thr ? EVALMISS_NOBOX_CROP : EVALMISS_NOBOX;
	if (p->in_head == 0)
		return EVALMISS_HEAD;
	return p->crop >= thr ? EVALMISS_BELOW_CROP : EVALMISS_BELOW;
}

/* evalmiss_write - one missed face's line; 0, or -ENOMEM / -EIO (a
 * line left out would make the file disagree with the report's counts). */
static int
evalmiss_write(struct evalmiss *m, const struct evalset_image *im, const struct evalset_face *a,
               const struct evalmiss_probe *p, enum evalmiss_cause cause, int n, const struct msg_result *r)
{
	json_t *o = json_pack("{s:o, s:[f,f,f,f], s:s, s:s, s:{s:f, s:f, s:f, s:f}, s:i, s:i, s:f, s:b, s:i, s:i}",
	    "file", utf8_json(im->path), "box", a->x, a->y, a->w, a->h, "label", evalset_class_name(a->cls),
	    "cause", evalmiss_names[cause], "scores", "whole", p->whole, "head", p->head, "box", p->box,
	    "crop", p->crop, "in_boxes", p->in_box, "in_heads", p->in_head, "near_iou", p->near_iou,
	    "near_taken", p->near_taken, "person_boxes", n, "people", (int)r->npersons);

	return jsonl_put(m->out, o, JSON_REAL_PRECISION(4));
}

int
evalmiss_image(struct evalmiss *m, const struct image *img, const struct evalset_image *im,
               const struct nn_box *persons, int n, const struct msg_result *r, const int *amatch)
{
	struct nn_box fr[EVALMISS_MAX];
	int j, nf = -1, rc;

	for (j = 0; j < im->nfaces; j++) {
		const struct evalset_face *a = &im->faces[j];
		struct evalmiss_probe p = { 0, 0, 0, 0, 0, 0, -1, 0 };
		struct facedet_view v;
		enum evalmiss_cause cause;
		float s = 0;

		if (amatch[j] >= 0 || fmaxf(a->w, a->h) < EVALMISS_MIN_PX)
			continue;
		if (nf < 0 && (nf = facedet_run(m->face, img, EVALMISS_PROBE, fr, EVALMISS_MAX)) < 0)
			return nf;
		p.whole = evalmiss_best(fr, nf, a);
		if ((rc = evalmiss_boxes(m, img, a, persons, n, &p)) < 0)
			return rc;
		if (evalmiss_crop(img, a, &v) && (s = evalmiss_view(m, img, &v, a)) < 0)
			return (int)s;
		p.crop = s;
		evalmiss_near(im, j, r, amatch, &p);
		cause = evalmiss_cause(m, &p);
		m->count[cause][a->cls]++;
		if ((rc = evalmiss_write(m, im, a, &p, cause, n, r)) < 0)
			return rc;
	}
	return 0;
}

void
evalmiss_print(const struct evalmiss *m, FILE *out)
{
	int c, k, total[EVALSET_NCLASS + 1] = { 0 };

	fprintf(out, "\nFaces of %d+ px missed, by cause (--misses)\n%-28s %8s %8s %9s %6s %6s\n", EVALMISS_MIN_PX,
	    "cause", "mask_on", "mask_off", "mask_chin", "face", "all");
	for (c = 0; c < EVALMISS_NCAUSE; c++) {
		int all = 0;

		fprintf(out, "%-28s", evalmiss_names[c]);
		for (k = 0; k < EVALSET_NCLASS; k++) {
			fprintf(out, " %*d", k == EVALSET_CHIN ? 9 : k == EVALSET_FACE ? 6 : 8, m->count[c][k]);
			all += m->count[c][k];
			total[k] += m->count[c][k];
		}
		total[EVALSET_NCLASS] += all;
		fprintf(out, " %6d\n", all);
	}
	fprintf(out, "%-28s %8d %8d %9d %6d %6d\n", "all", total[0], total[1], total[2], total[3], total[4]);
}

int
evalmiss_close(struct evalmiss *m)
{
	int rc = 0;

	if (m == NULL)
		return 0;
	if (jsonl_close(m->out) != 0)
		rc = -1;
	facedet_close(m->face);
	facedet_close(m->body);
	facedet_close(m->pair);
	free(m);
	return rc;
}
