/* evalfix - corrections to an annotated set's faces for `gatewatch eval
 * --corrections`. See evalfix.h. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evalfix.h"
#include "util.h"

#define EVALFIX_EPS 0.01f   /* a face's box as annotated, give or take float rounding */

/* evalfix_class - what "corrected" names: a class, or -1 for none (not a
 * face); -2 when it names nothing known. */
static int
evalfix_class(const char *s)
{
	int c;

	if (strcmp(s, "none") == 0)
		return -1;
	for (c = 0; c < EVALSET_NCLASS; c++)
		if (strcmp(s, evalset_class_name((enum evalset_class)c)) == 0)
			return c;
	return -2;
}

/* evalfix_to - the optional "to" box into *to; 1 when there is one, 0 when
 * not, -1 when it is no box. */
static int
evalfix_to(json_t *line, struct evalset_face *to)
{
	json_t *o = json_object_get(line, "to");
	double x, y, w, h;

	if (o == NULL)
		return 0;
	if (json_unpack(o, "{s:F, s:F, s:F, s:F}", "x", &x, "y", &y, "w", &w, "h", &h) != 0)
		return -1;
	to->x = (float)x, to->y = (float)y, to->w = (float)w, to->h = (float)h;
	return isfinite(to->x + to->y + to->w + to->h) && to->w > 0 && to->h > 0 ? 1 : -1;
}

/* evalfix_same - the face as the correction names it. */
static int
evalfix_same(const struct evalset_face *a, const struct evalset_face *b)
{
	return a->cls == b->cls && fabsf(a->x - b->x) < EVALFIX_EPS && fabsf(a->y - b->y) < EVALFIX_EPS &&
	       fabsf(a->w - b->w) < EVALFIX_EPS && fabsf(a->h - b->h) < EVALFIX_EPS;
}

/* evalfix_line - one correction (an evalset_line_fn). */
static int
evalfix_line(struct evalset *set, const char *dir, const char *file, struct evalset_face *faces, int nf,
             json_t *line, char *err, size_t errlen)
{
	json_t *corr = json_object_get(line, "corrected"), *reason = json_object_get(line, "reason");
	struct evalset_image *im;
	struct evalset_face want, to;
	int cls, hasto, j, own;

	(void)dir;
	if (nf != 1) {
		free(faces);
		util_errf(err, errlen, "want one face in \"faces\" (the face as annotated), not %d", nf);
		return -1;
	}
	want = faces[0];
	free(faces);
	cls = json_is_string(corr) ? evalfix_class(json_string_value(corr)) : -2;
	hasto = evalfix_to(line, &to);
	if (cls == -2 || !json_is_string(reason) || json_string_length(reason) == 0 || hasto < 0 ||
	    (cls == -1 && hasto) || (cls == (int)want.cls && !hasto)) {
		util_errf(err, errlen, "want \"corrected\" (mask_on, mask_off, mask_chin, face or none) that changes the "
		    "face, a \"reason\", and \"to\" only as a box {x, y, w > 0, h > 0} and not with none");
		return -1;
	}
	if ((im = evalset_find(set, file, err, errlen)) == NULL)
		return -1;
	own = im->nfaces - im->nextra;
	for (j = 0; j < own && (im->faces[j].corrected || !evalfix_same(&im->faces[j], &want)); j++)
		;
	if (j == own) {
		util_errf(err, errlen, "%s: no %s face at %g,%g %gx%g in its annotations (corrected twice, or the "
		    "annotations changed)", file, evalset_class_name(want.cls), want.x, want.y, want.w, want.h);
		return -1;
	}
	if (cls == -1) {
		memmove(&im->faces[j], &im->faces[j + 1], sizeof(im->faces[0]) * (size_t)(im->nfaces - j - 1));
		im->nfaces--;
	} else {
		if (hasto)
			im->faces[j] = to;
		im->faces[j].cls = (enum evalset_class)cls;
		im->faces[j].corrected = 1;
	}
	im->ncorrected++;
	set->corrected++;
	return 0;
}

int
evalfix_load(struct evalset *set, const char *path, char *err, size_t errlen)
{
	int before = set->corrected;

	if (evalset_lines(set, path, evalfix_line, err, errlen) < 0)
		return -1;
	return set->corrected - before;
}
