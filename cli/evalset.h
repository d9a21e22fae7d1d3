/* evalset - an annotated photo set for `gatewatch eval`: every image with
 * every face boxed and labelled with its mask state. Two formats:
 *   - JSON lines, one image a line (../shared/datasets/mask-scenes):
 *     {"file":"images/x.jpg","width":W,"height":H,
 *      "faces":[{"x":..,"y":..,"w":..,"h":..,"label":"mask_on"}, ...]}
 *     x, y the top-left corner, pixels; file relative to the .jsonl's folder;
 *   - a folder of PASCAL VOC XML files (labelImg, CVAT), each naming its
 *     image in <filename>, looked up beside the XML, in ../JPEGImages,
 *     ../images, or the folder itself; a box is xmin..xmax, ymin..ymax.
 * Labels: mask_on / with_mask, mask_off / without_mask, mask_chin /
 * mask_weared_incorrect / mask_incorrect; any other label is a face of
 * unknown mask state ("face"): it counts for finding faces only. */
#ifndef GW_CLI_EVALSET_H
#define GW_CLI_EVALSET_H

#include <jansson.h>
#include <stddef.h>

enum evalset_class { EVALSET_ON = 0, EVALSET_OFF, EVALSET_CHIN, EVALSET_FACE, EVALSET_NCLASS };

struct evalset_face {
	float x, y, w, h;           /* top-left corner and size, pixels */
	enum evalset_class cls;
	int corrected;              /* evalfix_load changed it: no later correction names it */
};

struct evalset_image {
	char *path;                 /* owned: the image file */
	char *name;                 /* owned: the image as its annotations name it
	                             * (a line's "file", a VOC <filename>) */
	long number;                /* the last number in its file name, -1 if none */
	int nfaces;
	struct evalset_face *faces; /* owned */
	int nextra;                 /* the last nextra faces came from evalset_extra */
	int ncorrected;             /* faces changed by evalfix_load (evalfix.h) */
};

struct evalset {
	int n, cap;
	struct evalset_image *v;    /* owned */
	int extra;                  /* faces added by evalset_extra */
	int corrected;              /* faces changed by evalfix_load */
};

/* evalset_load - add the images of path: a .jsonl file, a folder holding
 * annotations.jsonl, or a folder of VOC .xml files (or one .xml file).
 * An annotation line or file that cannot be read is an error: returns -1
 * with the file (and line) in err, and set keeps what was read before.
 * Returns the number of images added. */
int evalset_load(struct evalset *set, const char *path, char *err, size_t errlen);

/* evalset_extra - more annotated faces for images already in set, from a
 * JSON-lines file of the same shape (models/data/mask-scenes-additions.jsonl:
 * faces the set's annotations lack; other fields such as "note" are
 * ignored). A line's "file" names the image exactly as its set's own
 * annotations do (images/x.jpg, relative to the set; a VOC <filename>) or
 * by its path as loaded (SET/images/x.jpg). A line that cannot be read, names
 * no image of the set, or names two (two sets naming the same file: give the
 * path) is an error: -1 with the file and line in err. Returns the number of
 * faces added. */
int evalset_extra(struct evalset *set, const char *path, char *err, size_t errlen);

/* evalset_find - the one image of set that file names (as evalset_extra
 * says), or NULL with why in err. */
struct evalset_image *evalset_find(struct evalset *set, const char *file, char *err, size_t errlen);

/* One line of a JSON-lines file: its "file" as written, its faces (owned by
 * the handler) and the whole line (borrowed: other fields). The handler
 * returns 0 or -1 with err set. */
typedef int (*evalset_line_fn)(struct evalset *set, const char *dir, const char *file,
                               struct evalset_face *faces, int nf, json_t *line, char *err, size_t errlen);

/* evalset_lines - every line of a JSON-lines file ("file" a string, "faces"
 * an array of faces with x, y, w, h, label) through fn; dir is the file's
 * folder. Returns the number of lines handled or -1 (err says where). */
int evalset_lines(struct evalset *set, const char *path, evalset_line_fn fn, char *err, size_t errlen);

/* evalset_is_val - the fixed validation split: the number in the image's
 * file name is a multiple of 5 (mask-scenes: maksssksksssN.jpg). Images
 * without a number are never validation images. */
int evalset_is_val(const struct evalset_image *im);

/* evalset_class_name - "mask_on", "mask_off", "mask_chin", "face". */
const char *evalset_class_name(enum evalset_class c);

void evalset_free(struct evalset *set);

#endif
