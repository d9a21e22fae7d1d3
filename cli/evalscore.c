/* evalscore - match one image's found faces to its annotated faces and
 * count the outcome; the per-image details line as JSON (jansson). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "evalscore.h"
#include "jsonl.h"
#include "pairmatch.h"
#include "utf8.h"

#define EVALSCORE_MIN_IOU 0.3f

const char *const evalscore_size_names[EVALSCORE_NSIZE] = { "<20", "20-39", "40-79", "80+" };
const char *const evalscore_size_keys[EVALSCORE_NSIZE] = { "lt20", "20-39", "40-79", "80+" };
const char *const evalscore_pred_names[EVALSCORE_NPRED] = { "mask_on", "mask_off", "mask_chin", "unknown" };
const char *const evalscore_verdict_names[3] = { "PASS", "DENY", "none" };

/* The matching of one image: found face i is r->persons[fidx[i]].face. */
struct evalscore_match {
	int nf;
	struct msg_box found[MSG_PERSONS_MAX];
	int fidx[MSG_PERSONS_MAX], fmatch[MSG_PERSONS_MAX], dup[MSG_PERSONS_MAX];
	int *amatch;                 /* owned: nfaces entries */
};

static int
evalscore_size(const struct evalset_face *f)
{
	float s = f->w > f->h ? f->w : f->h;

	return s < 20 ? 0 : s < 40 ? 1 : s < 80 ? 2 : 3;
}

int
evalscore_matches(const struct msg_box *a, const struct evalset_face *b, float *iou)
{
	struct nn_box x = { a->x, a->y, a->w, a->h, 0 }, y = { b->x, b->y, b->w, b->h, 0 };
	float cx = a->x + a->w / 2, cy = a->y + a->h / 2;

	*iou = nn_iou(&x, &y);
	return *iou >= EVALSCORE_MIN_IOU || (cx >= b->x && cx <= b->x + b->w && cy >= b->y && cy <= b->y + b->h);
}

/* evalscore_match - one to one, best IoU first; dup[f] = 1 when an
 * unmatched found face could have matched an annotated face another one
 * took. Returns 0 or -ENOMEM. */
static int
evalscore_match(struct evalscore_match *mt, const struct evalset_image *im)
{
	struct pairmatch *pairs;
	int i, j, n = 0;
	float iou;

	memset(mt->dup, 0, sizeof(mt->dup));
	if ((mt->amatch = calloc((size_t)im->nfaces + 1, sizeof(*mt->amatch))) == NULL)
		return -ENOMEM;
	if ((pairs = malloc(sizeof(*pairs) * ((size_t)mt->nf * im->nfaces + 1))) == NULL)
		return -ENOMEM;
	for (i = 0; i < mt->nf; i++)
		for (j = 0; j < im->nfaces; j++)
			if (evalscore_matches(&mt->found[i], &im->faces[j], &iou))
				pairs[n++] = (struct pairmatch){ i, j, iou };
	pairmatch_greedy(pairs, n, mt->fmatch, mt->nf, mt->amatch, im->nfaces);
	for (i = 0; i < n; i++)
		if (mt->fmatch[pairs[i].a] < 0)
			mt->dup[pairs[i].a] = 1;
	free(pairs);
	return 0;
}

/* evalscore_verdict_index - 0 PASS, 1 DENY, 2 none. */
static int
evalscore_verdict_index(uint32_t v)
{
	return v == MSG_VERDICT_PASS ? 0 : v == MSG_VERDICT_DENY ? 1 : 2;
}

/* evalscore_count - add the matched image to st. */
static void
evalscore_count(struct evalscore *st, const struct evalset_image *im, const struct msg_result *r,
                const struct evalscore_match *mt)
{
	int i, j, big = -1, nbig = 0;

	st->faces += im->nfaces;
	st->extra_faces += im->nextra;
	st->corrected_faces += im->ncorrected;
	st->found += mt->nf;
	for (i = 0; i < mt->nf; i++) {
		if (mt->fmatch[i] >= 0)
			st->matched++;
		else if (mt->dup[i])
			st->dups++;
		else
			st->unmatched++;
	}
	for (j = 0; j < im->nfaces; j++) {
		const struct evalset_face *a = &im->faces[j];
		int s = evalscore_size(a), v = 2;

		st->ann[a->cls][s]++;
		if (s == EVALSCORE_BIG) {
			nbig++;
			big = j;
		}
		if (mt->amatch[j] >= 0) {
			const struct msg_person *p = &r->persons[mt->fidx[mt->amatch[j]]];
			int pred = p->mask >= MSG_MASK_ON && p->mask <= MSG_MASK_CHIN ? (int)p->mask - 1 : 3;

			st->hit[a->cls][s]++;
			st->conf[s][a->cls][pred]++;
			v = evalscore_verdict_index(p->verdict);
		}
		st->verd[s][a->cls][v]++;
	}
	if (nbig == 1 && im->faces[big].cls != EVALSET_FACE) {
		int want = im->faces[big].cls == EVALSET_ON ? 0 : 1, v = 2;

		if (mt->amatch[big] >= 0)
			v = evalscore_verdict_index(r->persons[mt->fidx[mt->amatch[big]]].verdict);
		st->gate[im->faces[big].cls][v == 2 ? 2 : v == want ? 0 : 1]++;
	}
}

/* evalscore_real - v to 4 decimals (1: to 1 decimal), as the lines always had. */
static json_t *
evalscore_real(double v, int coarse)
{
	double k = coarse ? 10 : 1e4;

	return json_real(round(v * k) / k);
}

static json_t *
evalscore_box(float x, float y, float w, float h)
{
	return json_pack("[o,o,o,o]", evalscore_real(x, 1), evalscore_real(y, 1), evalscore_real(w, 1),
	    evalscore_real(h, 1));
}

/* evalscore_details - the image's line: first-pass boxes, found faces
 * (with their match), annotated faces (with theirs). Returns 0, -ENOMEM
 * or -EIO (jsonl.h). */
static int
evalscore_details(FILE *f, const struct evalset_image *im, const struct evalscore_seen *seen,
                  const struct evalscore_match *mt)
{
	json_t *persons = json_array(), *found = json_array(), *ann = json_array(), *o;
	int i;

	for (i = 0; i < seen->n; i++) {
		const struct nn_box *b = &seen->persons[i];

		json_array_append_new(persons, json_pack("[o,o,o,o,o]", evalscore_real(b->x, 1),
		    evalscore_real(b->y, 1), evalscore_real(b->w, 1), evalscore_real(b->h, 1), evalscore_real(b->score, 0)));
	}
	for (i = 0; i < mt->nf; i++) {
		const struct msg_person *p = &seen->r->persons[mt->fidx[i]];

		json_array_append_new(found, json_pack("{s:o, s:o, s:o, s:s, s:[o,o,o], s:s, s:i, s:b}",
		    "face", evalscore_box(p->face.x, p->face.y, p->face.w, p->face.h),
		    "body", evalscore_box(p->body.x, p->body.y, p->body.w, p->body.h),
		    "score", evalscore_real(p->face.score, 0), "mask", msg_mask_name(p->mask),
		    "probs", evalscore_real(p->mask_probs[MSG_MASK_ON], 0), evalscore_real(p->mask_probs[MSG_MASK_OFF], 0),
		    evalscore_real(p->mask_probs[MSG_MASK_CHIN], 0), "verdict", msg_verdict_name(p->verdict),
		    "match", mt->fmatch[i], "duplicate", mt->dup[i]));
	}
	for (i = 0; i < im->nfaces; i++) {
		const struct evalset_face *a = &im->faces[i];

		json_array_append_new(ann, json_pack("{s:o, s:s, s:i}", "box", evalscore_box(a->x, a->y, a->w, a->h),
		    "label", evalset_class_name(a->cls), "found", mt->amatch[i]));
	}
	o = json_pack("{s:o, s:s, s:o, s:o, s:o}", "file", utf8_json(im->path),
	    "first_pass", seen->n == 0 ? "none" : seen->by == FIRSTPASS_BY_FACE ? "face" : "person",
	    "persons", persons, "found", found, "annotated", ann);
	return jsonl_put(f, o, JSON_REAL_PRECISION(10));
}

int
evalscore_add(struct evalscore *st, const struct evalset_image *im, const struct evalscore_seen *seen,
              FILE *details)
{
	struct evalscore_match mt;
	const struct msg_result *r = seen->r;
	int i, rc;

	memset(&mt, 0, sizeof(mt));
	for (i = 0; i < (int)r->npersons; i++)
		if (r->persons[i].face.score > 0) {
			mt.fidx[mt.nf] = i;
			mt.found[mt.nf++] = r->persons[i].face;
		}
	rc = evalscore_match(&mt, im) < 0 ? -ENOMEM : 0;
	if (rc == 0 && details)
		rc = evalscore_details(details, im, seen, &mt);
	if (rc < 0) {
		free(mt.amatch);
		return rc; /* counted nowhere: the image is an error */
	}
	st->images++;
	if (seen->n == 0)
		st->no_person++;
	else if (seen->by == FIRSTPASS_BY_FACE)
		st->by_face++;
	evalscore_count(st, im, r, &mt);
	if (seen->amatch != NULL)
		memcpy(seen->amatch, mt.amatch, sizeof(*mt.amatch) * (size_t)im->nfaces);
	free(mt.amatch);
	return 0;
}

int
evalscore_class_present(const struct evalscore *st, int c)
{
	int s, n = 0;

	for (s = 0; s < EVALSCORE_NSIZE; s++)
		n += st->ann[c][s];
	return c != EVALSET_FACE || n > 0;
}
