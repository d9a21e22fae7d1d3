/* analyse - the second stage of the vision path: faces inside the person
 * boxes ingest found, the mask class of each face, and a verdict per
 * person. Used by the worker (its loop and `gatewatch-worker --replay`)
 * and by `gatewatch eval`, which scores exactly this code. */
#ifndef GW_ANALYSE_H
#define GW_ANALYSE_H

#include <stddef.h>
#include "config.h"
#include "image.h"
#include "msg.h"
#include "nn.h"

struct analyse;

/* analyse_open - load the face detector (one network at worker.face_input,
 * one at 224 for person crops and retries) and (with_mask) the mask
 * classifier from c->models_dir, once per process. Without the classifier
 * every face's mask is "unknown" (replay --no-mask: faces only, e.g. to cut
 * training crops before a mask model exists). Returns NULL with the reason
 * in err. */
struct analyse *analyse_open(const struct config *c, int with_mask, char *err, size_t errlen);

/* analyse_frame - fill r's persons, npersons, width, height, temperature
 * and analyse_ms from the decoded frame, ingest's person boxes (npersons
 * may be 0) and the gate's temperature (NAN: none). With no person boxes,
 * every face in the whole image becomes a person (body score 0). r->ref, received_us, analysed_us and snapshot are the caller's.
 * *nfaces gets the number of faces found (may be NULL). Returns 0 or -errno
 * (a network failed to run). */
int analyse_frame(struct analyse *a, const struct image *im, const struct nn_box *persons,
                  int npersons, float temperature, struct msg_result *r, int *nfaces);

/* analyse_faces - the faces on the whole image, best first (at most max);
 * at worker.face_input, or when none is found there, at 224 and zoomed out
 * (one large face).
 * For frames without person boxes: each face then stands for a person.
 * Returns the count or -errno. */
int analyse_faces(struct analyse *a, const struct image *im, struct nn_box *faces, int max);

/* analyse_person - one look at one person: with has_body, search the face
 * in the upper part of box (a body from ingest's detector); without, box is
 * already the face. Then classify the mask and set p's face, mask,
 * mask_score, mask_probs and a one-frame verdict (temperature denies on
 * its own). p's body and track_id are the caller's. Returns 1 (a face),
 * 0 (none: verdict NONE, reason NO_FACE) or -errno. */
int analyse_person(struct analyse *a, const struct image *im, const struct nn_box *box,
                   int has_body, float temperature, struct msg_person *p);

void analyse_close(struct analyse *a);

#endif
