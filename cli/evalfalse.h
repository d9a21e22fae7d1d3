/* evalfalse - `gatewatch eval --false FILE`: where each found face came
 * from and, for one that matches no face of the set's annotations, why it
 * is there. The search's runs are traced (analyse_trace): the run whose
 * face became the found face is its source (the whole frame, a person
 * box's head region or whole box, alone or sharing a run; the worker's
 * search around a face-only person's last face never runs on a single
 * photo), and every other run's best score on it is kept. One JSON line
 * per found face to FILE (the matched ones too, cause "matched", so a rule
 * can be judged on both), and a count by cause and source after the
 * report. docs/MODELS.md, "Where the false faces are". */
#ifndef GW_CLI_EVALFALSE_H
#define GW_CLI_EVALFALSE_H

#include <stdio.h>

#include "analyse.h"
#include "evalset.h"
#include "image.h"
#include "msg.h"
#include "nn.h"

struct evalfalse;

/* evalfalse_open - FILE for writing, and a as the trace's receiver. NULL
 * with why in err. */
struct evalfalse *evalfalse_open(struct analyse *a, const char *path, char *err, size_t errlen);

/* evalfalse_begin - a new image: forget the last one's runs. */
void evalfalse_begin(struct evalfalse *m);

/* evalfalse_image - the found faces of r (the analysis of image img's n person
 * boxes persons, from the first pass `by`: "person" or "face") written and
 * counted; amatch (im->nfaces long) is the found face each annotated face
 * matched (evalscore_seen), the last im->nextra of them from --extra.
 * Returns 0 or -ENOMEM. */
int evalfalse_image(struct evalfalse *m, const struct image *img, const struct evalset_image *im,
                    const struct nn_box *persons, int n, const char *by, const struct msg_result *r,
                    const int *amatch);

/* evalfalse_print - the counts by cause and source. */
void evalfalse_print(const struct evalfalse *m, FILE *out);

/* evalfalse_close - close FILE and free m (NULL is fine). Returns 0, or -1
 * when FILE could not be written in full. */
int evalfalse_close(struct evalfalse *m);

#endif
