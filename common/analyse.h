/* analyse - the second stage of the vision path: faces inside the person
 * boxes ingest found, the mask class of each face, and a verdict per
 * person. Used by the worker (its loop and `gatewatch-worker --replay`)
 * and by `gatewatch eval`, which scores exactly this code. */
#ifndef GW_ANALYSE_H
#define GW_ANALYSE_H

#include <stddef.h>
#include "config.h"
#include "firstpass.h"
#include "image.h"
#include "msg.h"
#include "nn.h"

struct analyse;

/* analyse_open - load the face detector (one network at worker.face_input
 * for whole images, one at a small input for person boxes) and (with_mask)
 * the mask classifier from c->models_dir, once per process. Without the
 * classifier every face's mask is "unknown" (replay --no-mask: faces only).
 * Returns NULL with the reason in err. */
struct analyse *analyse_open(const struct config *c, int with_mask, char *err, size_t errlen);

/* analyse_frame - fill r's persons, npersons, width, height, temperature
 * and analyse_ms from the decoded frame, ingest's person boxes (npersons
 * may be 0) and the gate's temperature (NAN: none): analyse_people on
 * every box, then the mask and verdict of each person (each extra face a
 * person whose body is its head-and-shoulders box; past MSG_PERSONS_MAX
 * those faces come before the boxes without a face: slots.h). With no
 * person boxes, every face in the whole image becomes a person (body score 0).
 * r->ref, received_us, analysed_us and snapshot are the caller's.
 * *nfaces gets the number of faces found (may be NULL). Returns 0 or -errno
 * (a network failed to run). */
int analyse_frame(struct analyse *a, const struct image *im, const struct nn_box *persons,
                  int npersons, float temperature, struct msg_result *r, int *nfaces);

/* analyse_times - the face detector's and the mask classifier's runs
 * (one observation each, seconds) since the last call; starts afresh. */
void analyse_times(struct analyse *a, struct histo *face, struct histo *mask);

/* analyse_faces - the faces on the whole image at worker.face_input, best
 * first (at most max). For frames without person boxes: each face then
 * stands for a person. Returns the count or -errno. */
int analyse_faces(struct analyse *a, const struct image *im, struct nn_box *faces, int max);

/* analyse_people - one face per person box: each box look[i] marks (every
 * box when look is NULL) is searched, head region first (its top, about
 * square), then the whole box, and with whole (and worker.frame_search) the
 * whole frame once (ANALYSE_WHOLE_MISSED with worker.frame_skip: only when
 * a box searched found no face, or none was searched); faces found twice
 * (overlapping boxes) count once (head regions and whole boxes of at most
 * worker.tile_px pixels are searched four to a run); then the faces go to people one to one, every box taking
 * part whether searched or not, best fit first (the face's score times how
 * centred and high it sits in the box), so a face is never given to two
 * people. faces[i] gets person i's face, or score 0 (none). Faces no box
 * took (a person box around a group holds several) go to
 * extra[0..*nextra), at most maxextra, best first: each is a person of its
 * own. `gatewatch eval` searches every box and the whole frame; the worker
 * only the boxes whose person needs a look (worker/frame.c). Returns the
 * number of faces given to boxes, or -errno. */
enum analyse_whole { ANALYSE_WHOLE_NO, ANALYSE_WHOLE_YES, ANALYSE_WHOLE_MISSED };
int analyse_people(struct analyse *a, const struct image *im, const struct nn_box *bodies, int n,
                   const unsigned char *look, int whole, struct nn_box *faces, struct nn_box *extra,
                   int *nextra, int maxextra);

/* analyse_person - one look at one person whose face (from analyse_people
 * or analyse_faces) is face, or NULL when none was found: classify the
 * mask and set p's face, mask, mask_score, mask_probs and a one-frame
 * verdict (temperature denies on its own). p's body and track_id are the
 * caller's. Returns 1 (a face), 0 (none: verdict NONE, reason NO_FACE) or
 * -errno. */
int analyse_person(struct analyse *a, const struct image *im, const struct nn_box *face,
                   float temperature, struct msg_person *p);

/* analyse_passes - face detector runs so far: on whole frames (at
 * worker.face_input) and on person boxes (at worker.body_input), and how
 * many of the latter were half-height (worker.tile_pair: half the cost).
 * What a search costs does not depend on the machine's load; the time of
 * one run is in docs/BENCHMARKS.md. */
void analyse_passes(const struct analyse *a, long *frame, long *box, long *half);

/* analyse_trace - `gatewatch eval --false`: fn(arg, where, box, f, n) is
 * called with every face detector run's faces (f[0..n), before merging,
 * exactly as the search gets them): where it ran (whole frame; person box
 * `box`'s head region or whole box, alone or sharing a run). NULL: none. */
enum analyse_where { ANALYSE_AT_FRAME, ANALYSE_AT_HEAD, ANALYSE_AT_HEAD_TILE, ANALYSE_AT_BOX, ANALYSE_AT_BOX_TILE };
typedef void (*analyse_trace_fn)(void *arg, enum analyse_where where, int box, const struct nn_box *f, int n);
void analyse_trace(struct analyse *a, analyse_trace_fn fn, void *arg);

/* analyse_whole_threshold - how far down the worker's whole-frame search
 * (worker.face_input) keeps faces under this config: worker.face_threshold,
 * or with worker.tile_large or worker.box_hint its hints' 0.3 when lower.
 * Ingest's close-up run keeps its faces down to it (firstpass.h). */
float analyse_whole_threshold(const struct config *c);

/* analyse_given - the face detector's faces on the whole of the next frame,
 * from ingest's close-up run (the spool metadata's "faces") or the first
 * pass in `gatewatch eval`, or NULL: until called again, a whole-frame
 * search whose answer they hold (the same input size, a threshold no lower
 * than theirs, not cut short) takes them instead of running: the same
 * detector on the same image, so exactly its faces. g must outlive its
 * use; the caller clears it (NULL) after the frame. */
void analyse_given(struct analyse *a, const struct firstpass_faces *g);

/* analyse_given_used - whole-frame searches taken from given faces so far
 * (not counted in analyse_passes). */
long analyse_given_used(const struct analyse *a);

void analyse_close(struct analyse *a);

#endif
