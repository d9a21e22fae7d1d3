/* firstpass - person detector, then the close-up face fallback. See
 * firstpass.h; the figures behind the zoom steps are in docs/MODELS.md. */
#include "firstpass.h"

/* Zoom-outs of the close-up fallback, tried in order until one finds a
 * face. The face network finds faces of about 48 to 110 pixels of its
 * input, so a face filling the frame is found only after the frame is put
 * at the top-left of a black square zoom times its larger side. */
static const float firstpass_zooms[] = { 1.0f, 2.0f, 3.0f };

/* firstpass_faces - faces in frame pixels, best first, from the first
 * zoom that finds any. Returns the count or -errno. */
static int
firstpass_faces(struct facedet *fd, const struct image *im, float threshold, struct nn_box *out, int max)
{
	size_t z;
	int n;

	for (z = 0; z < sizeof(firstpass_zooms) / sizeof(firstpass_zooms[0]); z++)
		if ((n = facedet_run_view(fd, im, 0, 0, im->w, im->h, firstpass_zooms[z],
		    threshold, out, max)) != 0)
			return n;
	return 0;
}

/* firstpass_face_to_person - grow a face box to a head-and-shoulders box. */
static void
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

int
firstpass_run(struct persondet *pd, struct facedet *fd, const struct image *im,
              float person_threshold, float face_threshold, struct nn_box *out, int max,
              enum firstpass_by *by)
{
	int i, n;

	*by = FIRSTPASS_BY_PERSON;
	if ((n = persondet_run(pd, im, person_threshold, out, max)) != 0)
		return n;
	*by = FIRSTPASS_BY_FACE;
	if ((n = firstpass_faces(fd, im, face_threshold, out, max)) <= 0)
		return n;
	for (i = 0; i < n; i++)
		firstpass_face_to_person(&out[i], im->w, im->h);
	return n;
}
