/* firstpass - ingest's first look at a frame: is anybody there, and where?
 * The person detector first; when it finds nobody (NanoDet misses a face
 * that fills the frame), the close-up fallback: the face detector on the
 * whole frame, zoomed out step by step, each face grown to a
 * head-and-shoulders person box. Shared by ingest's check and by
 * `gatewatch eval`, which scores this exact path. */
#ifndef GW_FIRSTPASS_H
#define GW_FIRSTPASS_H

#include "image.h"
#include "nn.h"

#define FIRSTPASS_FACE_INPUT 360   /* face detector input of the close-up fallback */

#define FIRSTPASS_FACES_MAX 64     /* whole-frame faces kept for the worker (analyse's hint list) */

/* The close-up fallback's face search on the whole frame, kept as the
 * worker's own whole-frame search would have it (same detector, input
 * and image; analyse_given): every face scoring over threshold, best
 * first, at most FIRSTPASS_FACES_MAX (n below that: all of them). input 0:
 * no search ran on this frame. */
struct firstpass_faces {
	int input;                 /* the detector's input size (FIRSTPASS_FACE_INPUT), or 0 */
	float threshold;
	int n;
	struct nn_box f[FIRSTPASS_FACES_MAX];
};

/* Which detector gave the boxes. */
enum firstpass_by { FIRSTPASS_BY_PERSON, FIRSTPASS_BY_FACE };

/* firstpass_run - the person boxes of im, best first, at most max, from
 * pd (person_threshold) or, when it finds none, from fd (an input of
 * FIRSTPASS_FACE_INPUT, face_threshold) on the whole frame, less faces
 * whose centre lies inside a better one: each face grown by
 * firstpass_face_to_person, score kept.
 * *by says which detector ran last. times (NULL: not wanted) gets how
 * long each detector ran, seconds, -1 for one that did not run (/metrics).
 * whole (NULL: not wanted; its threshold set by the caller, e.g.
 * analyse_whole_threshold): when the face detector ran, its faces on the
 * whole frame down to that threshold (the run goes down to the lower of
 * the two thresholds; the boxes are those over face_threshold, the same
 * as a run at face_threshold: nn_sort is stable, NMS greedy); else
 * whole->input is 0.
 * Returns the count, or -errno of the detector named by *by. Not
 * thread-safe per detector (one per thread). */
struct firstpass_times {
	double person_s, face_s;
};

int firstpass_run(struct persondet *pd, struct facedet *fd, const struct image *im,
                  float person_threshold, float face_threshold, struct nn_box *out, int max,
                  enum firstpass_by *by, struct firstpass_times *times, struct firstpass_faces *whole);

/* firstpass_face_to_person - grow a face box to the head-and-shoulders
 * box the fallback reports: x - 0.5w .. x + 1.5w, y - 0.3h .. y + 2.5h,
 * clamped to the imw x imh frame. */
void firstpass_face_to_person(struct nn_box *b, int imw, int imh);

#endif
