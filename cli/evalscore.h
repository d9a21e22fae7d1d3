/* evalscore - what `gatewatch eval` counts: one image's found faces
 * matched one to one to its annotated faces (IoU >= 0.3 or the found
 * face's centre inside the annotated box; best IoU first), and the counts
 * of every image added up, by mask class and face size. */
#ifndef GW_CLI_EVALSCORE_H
#define GW_CLI_EVALSCORE_H

#include <stdio.h>

#include "evalset.h"
#include "firstpass.h"
#include "msg.h"
#include "nn.h"

#define EVALSCORE_NSIZE 4            /* face size buckets, larger side in pixels */
#define EVALSCORE_NPRED 4            /* mask_on, mask_off, mask_chin, unknown */
#define EVALSCORE_BIG 3              /* the 80+ px bucket: gate images */

extern const char *const evalscore_size_names[EVALSCORE_NSIZE];  /* "<20", ... */
extern const char *const evalscore_size_keys[EVALSCORE_NSIZE];   /* "lt20", ... (JSON) */
extern const char *const evalscore_pred_names[EVALSCORE_NPRED];
extern const char *const evalscore_verdict_names[3];              /* PASS, DENY, none */

/* Everything counted. Classes are enum evalset_class (EVALSET_FACE: a
 * face of unknown mask state, counted for finding only). */
struct evalscore {
	int images, errors, faces, extra_faces;  /* extra_faces: of faces, from --extra */
	int corrected_faces;                     /* faces changed by --corrections */
	int ann[EVALSET_NCLASS][EVALSCORE_NSIZE];     /* annotated faces */
	int hit[EVALSET_NCLASS][EVALSCORE_NSIZE];     /* of those, found */
	int found, matched, dups, unmatched;          /* found faces */
	int conf[EVALSCORE_NSIZE][EVALSET_NCLASS][EVALSCORE_NPRED]; /* matched: annotated x classifier */
	int verd[EVALSCORE_NSIZE][EVALSET_NCLASS][3]; /* every annotated face: PASS, DENY, none */
	int gate[EVALSET_NCLASS][3];                  /* one-face-of-80+ images: right, wrong, none */
	int by_face;                                  /* images whose boxes came from the close-up fallback */
	int no_person;                                /* images ingest would drop */
	double first_ms, analyse_ms;
	double analyse_cpu_ms;                        /* the same, CPU time (what load does not inflate) */
	int person_boxes;                             /* first-pass boxes the analysis searched */
	long passes_frame, passes_box, passes_half;   /* face detector runs (analyse_passes) */
	long passes_given;   /* whole-frame searches taken from the close-up run's faces (analyse_given_used) */
};

/* One image as the system saw it: the first pass's boxes and the
 * worker's analysis of them. */
struct evalscore_seen {
	const struct nn_box *persons;
	int n;                                        /* first-pass boxes; 0: ingest drops it */
	enum firstpass_by by;
	const struct msg_result *r;
	int *amatch;                                  /* NULL, or gets (nfaces long) the found face each
	                                               * annotated face matched (index among those found), -1 */
};

/* evalscore_add - count one image into st, and write its details line
 * (found and annotated faces, JSON) to details unless NULL, first: an
 * image whose line cannot be made or written is not counted. Returns 0,
 * -ENOMEM or -EIO. */
int evalscore_add(struct evalscore *st, const struct evalset_image *im, const struct evalscore_seen *seen,
                  FILE *details);

/* evalscore_matches - may found face a match annotated face b (IoU >= 0.3,
 * put in *iou, or a's centre inside b)? */
int evalscore_matches(const struct msg_box *a, const struct evalset_face *b, float *iou);

/* evalscore_class_present - whether class c has a row (the unknown-state
 * class only when some face has it). */
int evalscore_class_present(const struct evalscore *st, int c);

#endif
