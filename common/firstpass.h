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

/* Which detector gave the boxes. */
enum firstpass_by { FIRSTPASS_BY_PERSON, FIRSTPASS_BY_FACE };

/* firstpass_run - the person boxes of im, best first, at most max, from
 * pd (person_threshold) or, when it finds none, from fd (an input of
 * FIRSTPASS_FACE_INPUT, face_threshold) on the whole frame, less faces
 * whose centre lies inside a better one: each face grown by
 * firstpass_face_to_person, score kept.
 * *by says which detector ran last. times (NULL: not wanted) gets how
 * long each detector ran, seconds, -1 for one that did not run (/metrics).
 * Returns the count, or -errno of the detector named by *by. Not
 * thread-safe per detector (one per thread). */
struct firstpass_times {
	double person_s, face_s;
};

int firstpass_run(struct persondet *pd, struct facedet *fd, const struct image *im,
                  float person_threshold, float face_threshold, struct nn_box *out, int max,
                  enum firstpass_by *by, struct firstpass_times *times);

/* firstpass_face_to_person - grow a face box to the head-and-shoulders
 * box the fallback reports: x - 0.5w .. x + 1.5w, y - 0.3h .. y + 2.5h,
 * clamped to the imw x imh frame. */
void firstpass_face_to_person(struct nn_box *b, int imw, int imh);

#endif
