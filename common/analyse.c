/* analyse - per frame: for each person box ingest found, look for a face
 * in the upper part of the body, classify the mask on the best face, and
 * turn class, score and temperature into a verdict. Without person boxes
 * (a plain photo, a tight face crop) the whole image is searched and every
 * face is a person. Networks are loaded once and used by one thread. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "nn.h"
#include "util.h"

#define ANALYSE_FACES_MAX 32
#define ANALYSE_BODY_MARGIN 0.10f   /* crop grows by this on each side */
#define ANALYSE_SMALL 224           /* the cheap input for crops and retries */

/* One look of the face detector: a network input and how far the view is
 * zoomed out. The network finds faces of roughly 1.5 to 3.5 of its grid
 * cells (about 48 to 110 pixels of its input) whatever the input size, so
 * a face that fills much of the view (a close-up at the gate, the face in
 * a person crop, a tight face photo) is found only at a small input or
 * after zooming out. Zoom z puts the view at the top-left of a black square
 * z times its larger side, as facedet's own padding does. Input 0 means
 * worker.face_input. Measured on the mask-faces val photos: docs/MODELS.md,
 * "Face size and input size in the worker". */
struct analyse_look {
	int input;
	float zoom;
};

/* A person crop: the face is a roughly fixed share of it whatever the
 * distance, so the cheap input finds it first; a close-up needs the zoom;
 * worker.face_input last, for the rest. The first look with a face wins. */
static const struct analyse_look analyse_body_looks[] = {
	{ ANALYSE_SMALL, 1.0f }, { ANALYSE_SMALL, 2.0f }, { 0, 1.0f },
};
/* A whole image: faces of any size, several of them: worker.face_input
 * first (small faces in a scene); only when it finds none, the cheap input
 * and zooming out, for one large face (a close-up, a face photo). */
static const struct analyse_look analyse_image_looks[] = {
	{ 0, 1.0f }, { ANALYSE_SMALL, 1.0f }, { ANALYSE_SMALL, 2.0f }, { ANALYSE_SMALL, 3.0f },
};
#define ANALYSE_NLOOKS(v) ((int)(sizeof(v) / sizeof((v)[0])))

struct analyse {
	struct facedet *face;   /* owned: input face_input */
	struct facedet *small;  /* owned: input ANALYSE_SMALL; NULL when face_input is that */
	int face_input;
	struct maskcls *mask;   /* owned; NULL = faces only */
	float face_threshold;
	float mask_threshold;
	float temp_limit;
};

struct analyse *
analyse_open(const struct config *c, int with_mask, char *err, size_t errlen)
{
	struct analyse *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->face_threshold = (float)c->face_threshold;
	a->mask_threshold = (float)c->mask_threshold;
	a->temp_limit = (float)c->temp_limit;
	a->face_input = c->face_input;
	if ((a->face = facedet_open(c->models_dir, c->face_input, err, errlen)) == NULL ||
	    (c->face_input != ANALYSE_SMALL &&
	     (a->small = facedet_open(c->models_dir, ANALYSE_SMALL, err, errlen)) == NULL) ||
	    (with_mask && (a->mask = maskcls_open(c->models_dir, err, errlen)) == NULL)) {
		analyse_close(a);
		return NULL;
	}
	return a;
}

void
analyse_close(struct analyse *a)
{
	if (a == NULL)
		return;
	if (a->face)
		facedet_close(a->face);
	if (a->small)
		facedet_close(a->small);
	if (a->mask)
		maskcls_close(a->mask);
	free(a);
}

static struct msg_box
analyse_box(const struct nn_box *b)
{
	struct msg_box m = { b->x, b->y, b->w, b->h, b->score };

	return m;
}

/* analyse_clamp - the box grown by margin, clipped to the image; 0 if
 * nothing of it is left. */
static int
analyse_clamp(const struct image *im, const struct nn_box *b, float margin,
              int *x, int *y, int *w, int *h)
{
	float x0 = b->x - b->w * margin, y0 = b->y - b->h * margin;
	float x1 = b->x + b->w * (1 + margin), y1 = b->y + b->h * (1 + margin);

	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 > im->w) x1 = (float)im->w;
	if (y1 > im->h) y1 = (float)im->h;
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - *x);
	*h = (int)(y1 - *y);
	return *w >= 8 && *h >= 8;
}

/* analyse_detect - the faces in the rectangle x,y,w,h of im (inside im),
 * in frame pixels, best first: the looks in order, until one finds a face.
 * Returns the count or -errno. */
static int
analyse_detect(struct analyse *a, const struct analyse_look *looks, int nlooks, const struct image *im,
               int x, int y, int w, int h, struct nn_box *faces, int max)
{
	int i, j, n, input, done;

	for (i = 0; i < nlooks; i++) {
		input = looks[i].input ? looks[i].input : a->face_input;
		for (done = 0, j = 0; j < i; j++)
			done |= (looks[j].input ? looks[j].input : a->face_input) == input &&
			    looks[j].zoom == looks[i].zoom;
		if (done)
			continue; /* face_input is ANALYSE_SMALL: that look was had */
		n = facedet_run_view(input == a->face_input ? a->face : a->small, im, x, y, w, h,
		    looks[i].zoom, a->face_threshold, faces, max);
		if (n != 0)
			return n;
	}
	return 0;
}

/* analyse_body_face - the best face in the upper part of a body box, in
 * frame pixels. Returns 1 found, 0 none, -errno. */
static int
analyse_body_face(struct analyse *a, const struct image *im, const struct nn_box *body,
                  struct nn_box *face)
{
	struct nn_box faces[ANALYSE_FACES_MAX];
	int x, y, w, h, n;

	if (!analyse_clamp(im, body, ANALYSE_BODY_MARGIN, &x, &y, &w, &h))
		return 0;
	/* A standing person's face is in the top of the box; a close-up is
	 * mostly face. Searching a roughly square top part keeps the face large
	 * after the detector's square padding. */
	if (h > w) {
		int top = h * 6 / 10 > w ? h * 6 / 10 : w;

		h = top < h ? top : h;
	}
	n = analyse_detect(a, analyse_body_looks, ANALYSE_NLOOKS(analyse_body_looks), im, x, y, w, h,
	    faces, ANALYSE_FACES_MAX);
	if (n <= 0)
		return n;
	*face = faces[0]; /* sorted by score */
	return 1;
}

/* analyse_verdict - one person's verdict from what was seen. The frame's
 * temperature comes from the gate device and denies on its own. */
static void
analyse_verdict(const struct analyse *a, float temperature, struct msg_person *p)
{
	if (!isnan(temperature) && temperature >= a->temp_limit) {
		p->verdict = MSG_VERDICT_DENY;
		p->reason = MSG_REASON_TEMPERATURE;
	} else if (p->face.score <= 0) {
		p->verdict = MSG_VERDICT_NONE;
		p->reason = MSG_REASON_NO_FACE;
	} else if (p->mask == MSG_MASK_UNKNOWN || p->mask_score < a->mask_threshold) {
		p->verdict = MSG_VERDICT_NONE;   /* unsure: wait for a better frame */
		p->reason = MSG_REASON_NONE;
	} else if (p->mask == MSG_MASK_ON) {
		p->verdict = MSG_VERDICT_PASS;
		p->reason = MSG_REASON_NONE;
	} else {
		p->verdict = MSG_VERDICT_DENY;
		p->reason = p->mask == MSG_MASK_CHIN ? MSG_REASON_MASK_CHIN : MSG_REASON_NO_MASK;
	}
}

/* analyse_mask - classify the face of p (face.score > 0). */
static int
analyse_mask(struct analyse *a, const struct image *im, const struct nn_box *face, struct msg_person *p)
{
	float probs[MASKCLS_N];
	int cls, i;

	if (a->mask == NULL)
		return 0; /* faces only: mask stays unknown */
	cls = maskcls_run(a->mask, im, face, probs);
	if (cls < 0)
		return cls;
	if (cls >= MASKCLS_N)
		return -EINVAL;
	/* enum maskcls_class order is mask_on, mask_off, mask_chin; msg_mask is
	 * the same order shifted by one (0 = unknown). */
	for (i = 0; i < MASKCLS_N; i++)
		p->mask_probs[i + 1] = probs[i];
	p->mask_score = probs[cls];
	/* under the model's threshold for its class (mask.thresholds): unsure,
	 * no verdict from this look; the probabilities are kept */
	p->mask = maskcls_decide(a->mask, probs) == MASKCLS_UNSURE ? MSG_MASK_UNKNOWN : (uint32_t)(cls + 1);
	return 0;
}

int
analyse_frame(struct analyse *a, const struct image *im, const struct nn_box *persons,
              int npersons, float temperature, struct msg_result *r, int *nfaces)
{
	struct nn_box faces[MSG_PERSONS_MAX];
	uint64_t t0 = util_mono_us();
	int i, n, rc, found = 0;

	r->width = (uint32_t)im->w;
	r->height = (uint32_t)im->h;
	r->temperature = temperature;
	r->npersons = 0;
	memset(r->persons, 0, sizeof(r->persons));

	if (npersons > 0) {
		for (i = 0; i < npersons && i < MSG_PERSONS_MAX; i++) {
			struct msg_person *p = &r->persons[r->npersons++];

			p->body = analyse_box(&persons[i]);
			if (p->body.score <= 0)
				p->body.score = 0.01f; /* a body box is present: keep it distinct from "absent" */
			rc = analyse_body_face(a, im, &persons[i], &faces[0]);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				p->face = analyse_box(&faces[0]);
				found++;
				if ((rc = analyse_mask(a, im, &faces[0], p)) != 0)
					return rc;
			}
		}
	} else {
		n = analyse_faces(a, im, faces, MSG_PERSONS_MAX);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			struct msg_person *p = &r->persons[r->npersons++];

			p->face = analyse_box(&faces[i]);
			found++;
			if ((rc = analyse_mask(a, im, &faces[i], p)) != 0)
				return rc;
		}
	}
	for (i = 0; i < (int)r->npersons; i++)
		analyse_verdict(a, r->temperature, &r->persons[i]);
	r->analyse_ms = (float)(util_mono_us() - t0) / 1000.0f;
	if (nfaces)
		*nfaces = found;
	return 0;
}

int
analyse_faces(struct analyse *a, const struct image *im, struct nn_box *faces, int max)
{
	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0 || max < 0)
		return -EINVAL;
	return analyse_detect(a, analyse_image_looks, ANALYSE_NLOOKS(analyse_image_looks), im,
	    0, 0, im->w, im->h, faces, max);
}

int
analyse_person(struct analyse *a, const struct image *im, const struct nn_box *box,
               int has_body, float temperature, struct msg_person *p)
{
	struct nn_box face;
	int rc;

	p->face = (struct msg_box){ 0, 0, 0, 0, 0 };
	p->mask = MSG_MASK_UNKNOWN;
	p->mask_score = 0;
	memset(p->mask_probs, 0, sizeof(p->mask_probs));
	if (has_body) {
		if ((rc = analyse_body_face(a, im, box, &face)) < 0)
			return rc;
	} else {
		face = *box;
		rc = 1;
	}
	if (rc == 1) {
		p->face = analyse_box(&face);
		if (p->face.score <= 0)
			p->face.score = 0.01f;
		if ((rc = analyse_mask(a, im, &face, p)) != 0)
			return rc;
		rc = 1;
	}
	analyse_verdict(a, temperature, p);
	return rc;
}
