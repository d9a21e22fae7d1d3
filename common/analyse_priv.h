/* analyse_priv - what analyse.c (the networks, the mask and verdict of a
 * person, a frame's result) and analyse_search.c (the person boxes' face
 * search and the pairing of faces to people) share. Not part of analyse.h. */
#ifndef GW_ANALYSE_PRIV_H
#define GW_ANALYSE_PRIV_H

#include "analyse.h"
#include "firstpass.h"
#include "histo.h"

#define ANALYSE_HINT 0.3f            /* worker.tile_large, box_hint: a whole-frame face this likely is a hint */
#define ANALYSE_HINT_MAX 64          /* whole-frame faces kept down to ANALYSE_HINT */


struct analyse {
	struct facedet *face;   /* owned: input face_input, whole images */
	struct facedet *body;   /* owned: input worker.body_input; NULL = use face */
	struct facedet *pair;   /* owned: worker.tile_pair, body_input x body_input / 2; or NULL */
	struct maskcls *mask;   /* owned; NULL = faces only */
	struct facever *verify; /* owned: worker.face_verify (with the mask classifier); NULL = off */
	float face_threshold;
	float mask_threshold;
	int frame_search;       /* worker.frame_search */
	int frame_only_px;      /* worker.frame_only_px */
	int frame_skip;         /* worker.frame_skip */
	int face_input;         /* worker.face_input */
	int tile_px;            /* worker.tile_px */
	int tile_large;         /* worker.tile_large */
	int box_hint;           /* worker.box_hint */
	float temp_limit;
	struct histo face_time, mask_time; /* runs since analyse_times */
	long passes[3];         /* face detector runs: whole frames, person boxes, of those half-height */
	analyse_trace_fn trace; /* analyse_trace, or NULL */
	void *trace_arg;
	const struct firstpass_faces *given; /* analyse_given: this frame's whole-frame faces, or NULL */
	long given_used;        /* whole-frame searches taken from given */
};

/* analyse_detect_at - one face detector run on the whole of im at
 * worker.face_input, timed, counted and traced, faces down to threshold
 * (analyse_detect: worker.face_threshold); taken from the faces given
 * (analyse_given) instead when they hold the whole answer (traced, counted
 * apart). Returns the count or -errno. */
int analyse_detect_at(struct analyse *a, const struct image *im, float threshold, struct nn_box *faces, int max);
int analyse_detect(struct analyse *a, const struct image *im, struct nn_box *faces, int max);
/* analyse_verify - worker.face_verify: keep of faces[0..n) (in order) those
 * the face verifier takes for faces (facever.h; their mask calls stay for
 * the people's looks). Returns the count or -errno. */
int analyse_verify(struct analyse *a, const struct image *im, struct nn_box *faces, int n);

#endif
