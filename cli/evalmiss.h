/* evalmiss - `gatewatch eval --misses FILE`: why each annotated face of
 * 40+ px that the system's path did not find was missed. Each such face is
 * probed with the face detector (at a low threshold) where the path looks
 * and where it does not: the whole frame, each person box's head region
 * and whole box that holds the face's centre, and a tight crop around the
 * face; with the person boxes and the found faces near it, that gives one
 * cause per face. One JSON line per missed face to FILE, and a count by
 * cause and class after the report. docs/MODELS.md, "Where faces are
 * missed". */
#ifndef GW_CLI_EVALMISS_H
#define GW_CLI_EVALMISS_H

#include <stdio.h>

#include "config.h"
#include "evalset.h"
#include "image.h"
#include "msg.h"
#include "nn.h"

struct evalmiss;

/* evalmiss_open - the probes' detectors (as the worker opens them) and
 * FILE for writing. NULL with why in err. */
struct evalmiss *evalmiss_open(const struct config *c, const char *path, char *err, size_t errlen);

/* evalmiss_image - probe the faces of im that no found face matched
 * (amatch[j] < 0, im->nfaces long) of 40+ px; persons are the first pass's
 * n boxes, r the analysis. Returns 0 or -errno (a detector failed). */
int evalmiss_image(struct evalmiss *m, const struct image *img, const struct evalset_image *im,
                   const struct nn_box *persons, int n, const struct msg_result *r, const int *amatch);

/* evalmiss_print - the count by cause and class. */
void evalmiss_print(const struct evalmiss *m, FILE *out);

/* evalmiss_close - close FILE and free m (NULL is fine). Returns 0, or -1
 * when FILE could not be written in full. */
int evalmiss_close(struct evalmiss *m);

#endif
