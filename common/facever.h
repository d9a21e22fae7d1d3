/* facever - is a found face a face? A small head (models/trained/verify.*,
 * trained by models/scripts/verify-head.py) on the mask classifier's
 * backbone output for the face's crop (maskcls_features), so the check
 * costs two small connected layers per face and no network run of its own.
 * Used by analyse (worker.face_verify) to drop the detector's false faces
 * before they are given to people. */
#ifndef GW_FACEVER_H
#define GW_FACEVER_H

#include <stddef.h>
#include "image.h"
#include "nn.h"

#define FACEVER_SEEN_MAX 64  /* faces of one image whose mask call facever_cached keeps */

struct facever;

/* facever_open - load DIR/verify.cfg, verify.weights (exactly the size the
 * cfg needs) and verify.threshold ("verify P": faces the verifier scores
 * under P are not faces; "detector P", optional: faces the face detector
 * scored P or more are not checked); the net must take nfeat inputs
 * (maskcls_features' count) and give one output. Returns NULL with the
 * reason in err. */
struct facever *facever_open(const char *models_dir, int nfeat, char *err, size_t errlen);
/* facever_score - the probability that the crop whose features are feat
 * (nfeat floats) is a face. */
float facever_score(struct facever *fv, const float *feat);
/* facever_threshold - faces scored under it are not faces (`verify`). */
float facever_threshold(const struct facever *fv);
/* facever_filter - keep of faces[0..n) (detector boxes) those the verifier
 * takes for faces, and those the detector scored `detector` or more, in
 * order: each face checked is mapped (maskcls_from_detector) and
 * classified by mc (maskcls_run) for its features. The kept faces' mask
 * probabilities stay for facever_cached until the next call (the caller's
 * next image). Returns the count kept or -errno (the classifier failed). */
int facever_filter(struct facever *fv, struct maskcls *mc, const struct image *im, struct nn_box *faces, int n);
/* facever_cached - the mask class and probabilities facever_filter found
 * for exactly this box (a face it kept), or -1 (not among them). */
int facever_cached(const struct facever *fv, const struct nn_box *face, float probs[MASKCLS_N]);
void facever_close(struct facever *fv);

#endif
