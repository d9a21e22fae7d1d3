/* check - ingest's first-pass check of one frame: decode, motion gate,
 * person detector, then the face detector when NanoDet finds nobody (a
 * face filling the frame is no "person" to NanoDet). Runs on pool threads
 * (and on the main thread for --replay); keeps one person detector and
 * one face detector per thread. */
#ifndef GW_INGEST_CHECK_H
#define GW_INGEST_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "firstpass.h"
#include "msg.h"
#include "nn.h"

#define CHECK_GRID_W 32
#define CHECK_GRID_H 24
#define CHECK_REASON_SIZE 192
#define CHECK_THREADS_MAX 80   /* detectors at most (ingest.threads <= 64) */

struct check_params {
	const char *models_dir;     /* not owned; lives as long as the config */
	int input;                  /* ingest.person_input */
	float threshold;            /* ingest.person_threshold */
	float face_threshold;       /* ingest.closeup_threshold: close-up fallback */
	float whole_threshold;      /* its faces kept down to this for the worker (analyse_whole_threshold) */
	long max_pixels;            /* ingest.max_pixels */
	double motion_threshold;    /* ingest.motion_threshold */
	int motion_recheck_ms;      /* ingest.motion_recheck_ms */
};

/* check_params_set - p from the configuration (ingest.*, models.dir,
 * ingest.closeup_threshold); cfg must outlive p. */
void check_params_set(struct check_params *p, const struct config *cfg);

/* One camera's motion memory. The caller serialises access per camera
 * (one frame of a camera is checked at a time). */
struct check_motion {
	int valid;                  /* grid holds the previous frame */
	int last_person;            /* the last detector run found someone */
	uint64_t last_detect_us;    /* util_mono_us of that run; 0 = never */
	unsigned char grid[CHECK_GRID_H * CHECK_GRID_W];
	int npersons;               /* the last run's boxes, reused while nothing moves */
	struct nn_box persons[MSG_PERSONS_MAX];
	int by;                     /* enum check_by of those boxes */
};

/* Which detector found a box. */
enum check_by { CHECK_BY_PERSON, CHECK_BY_FACE };

enum check_outcome {
	CHECK_PERSON,               /* persons[] holds at least one box */
	CHECK_NO_PERSON,            /* detector found nobody, or no motion */
	CHECK_BAD_IMAGE,            /* not decodable / too large: reason says why */
	CHECK_DETECTOR_FAILED       /* the model could not load or run */
};

struct check_result {
	enum check_outcome outcome;
	char reason[CHECK_REASON_SIZE];
	const char *ext;            /* "jpg" or "png" */
	int width, height;
	int motion_skipped;         /* the detector was skipped: no motion (nobody, or the
	                             * last run's people, still where they were) */
	double decode_ms, detect_ms;
	struct firstpass_times times; /* each detector's run, seconds (-1: did not run) */
	int npersons;
	struct nn_box persons[MSG_PERSONS_MAX];
	enum check_by by;           /* all boxes come from one detector */
	/* the close-up fallback's faces on the whole frame, when it ran on this
	 * frame (input 0 otherwise): the worker takes them for its own
	 * whole-frame search (the spool metadata's "faces", analyse_given) */
	struct firstpass_faces faces;
};

/* check_by_name - "person" or "face". */
const char *check_by_name(enum check_by by);

/* check_preload - open count detector pairs (person + face) now (one per pool thread), before
 * any other thread runs: a model that cannot load fails at startup, and
 * loading's brief silencing of fd 2 swallows nobody's log lines. Threads
 * beyond count open their own on first use. Returns 0, or -1 with err. */
int check_preload(const struct check_params *p, int count, char *err, size_t errlen);

/* check_shutdown - close every thread's detector. Only once no check
 * can run any more (the loop is closed); the threads' cached pointers
 * dangle afterwards. */
void check_shutdown(void);

/* check_probe - the format and size of an encoded frame without decoding
 * it: 0, or -1 with "not a JPEG or PNG image (why)" in reason. */
int check_probe(const void *buf, size_t len, const char **ext, int *w, int *h, char *reason, size_t size);

/* check_frame - check one encoded frame. motion may be NULL (no gate:
 * the detectors always run). When the person detector finds nobody the
 * face detector runs; each face becomes one person box (the face box
 * grown to head and shoulders, clamped to the frame, score = the face's),
 * by = CHECK_BY_FACE. Never fails as a call: res says what
 * happened. Thread-safe across cameras. */
void check_frame(const struct check_params *p, struct check_motion *motion,
                 const void *buf, size_t len, struct check_result *res);

#endif
