/* firstpass - person detector, then the close-up face fallback. See
 * firstpass.h. The face detector at its trained size (360) finds a face
 * that fills the frame as it is (its largest anchors are 0.72 of the
 * input), so the fallback is one look at the whole frame. */
#include "firstpass.h"
#include "util.h"

void
firstpass_face_to_person(struct nn_box *b, int imw, int imh)
{
	float x0 = b->x - 0.5f * b->w, x1 = b->x + 1.5f * b->w;
	float y0 = b->y - 0.3f * b->h, y1 = b->y + 2.5f * b->h;

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > (float)imw)
		x1 = (float)imw;
	if (y1 > (float)imh)
		y1 = (float)imh;
	b->x = x0;
	b->y = y0;
	b->w = x1 > x0 ? x1 - x0 : 0;
	b->h = y1 > y0 ? y1 - y0 : 0;
}

/* firstpass_drop_inside - faces sorted by score, less those whose centre
 * lies inside a better face: on a close-up the detector also fires on
 * the mask's pattern inside the face (NMS keeps it: its IoU with the face
 * is small). Returns the count kept. */
static int
firstpass_drop_inside(struct nn_box *b, int n)
{
	int kept = 0, i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < kept; j++)
			if (nn_center_inside(&b[i], &b[j]))
				break;
		if (j == kept)
			b[kept++] = b[i];
	}
	return kept;
}

/* firstpass_faces - the face detector on the whole frame: the faces over
 * face_threshold into out (at most max), and with whole, every face down
 * to whole->threshold (one run, down to the lower threshold). Returns the
 * count into out or -errno. */
static int
firstpass_faces(struct facedet *fd, const struct image *im, float face_threshold, struct nn_box *out, int max,
                struct firstpass_faces *whole)
{
	float t;
	int i, n, k = 0;

	if (whole == NULL)
		return facedet_run(fd, im, face_threshold, out, max);
	t = whole->threshold < face_threshold ? whole->threshold : face_threshold;
	if ((n = facedet_run(fd, im, t, whole->f, FIRSTPASS_FACES_MAX)) < 0)
		return n;
	whole->input = FIRSTPASS_FACE_INPUT;
	whole->threshold = t;
	whole->n = n;
	for (i = 0; i < n && k < max; i++)
		if (whole->f[i].score > face_threshold)
			out[k++] = whole->f[i];
	return k;
}

int
firstpass_run(struct persondet *pd, struct facedet *fd, const struct image *im,
              float person_threshold, float face_threshold, struct nn_box *out, int max,
              enum firstpass_by *by, struct firstpass_times *times, struct firstpass_faces *whole)
{
	struct firstpass_times t = { -1, -1 };
	uint64_t t0 = util_mono_us();
	int i, n;

	*by = FIRSTPASS_BY_PERSON;
	if (whole != NULL) {
		whole->input = 0;
		whole->n = 0;
	}
	n = persondet_run(pd, im, person_threshold, out, max);
	t.person_s = (double)(util_mono_us() - t0) / 1e6;
	if (n == 0) {
		*by = FIRSTPASS_BY_FACE;
		t0 = util_mono_us();
		n = firstpass_faces(fd, im, face_threshold, out, max, whole);
		t.face_s = (double)(util_mono_us() - t0) / 1e6;
	}
	if (times)
		*times = t;
	if (*by == FIRSTPASS_BY_PERSON || n <= 0)
		return n;
	n = firstpass_drop_inside(out, n);
	for (i = 0; i < n; i++)
		firstpass_face_to_person(&out[i], im->w, im->h);
	return n;
}
