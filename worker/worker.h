/* worker - what the worker's files share: the process's state (one camera,
 * one dispatcher connection), the frame path (frame.c) and the snapshots it
 * keeps (snapshot.c). */
#ifndef GW_WORKER_H
#define GW_WORKER_H

#include <signal.h>
#include <stdint.h>

#include "analyse.h"
#include "config.h"
#include "msg.h"
#include "deliver.h"
#include "lag.h"
#include "people.h"
#include "spool.h"

struct worker {
	struct config cfg;
	struct spool spool;
	struct analyse *an;      /* owned */
	struct people *people;   /* owned: this camera's tracks */
	struct deliver deliver;
	char camera[CAMERA_ID_SIZE];
	int fd;                  /* dispatcher socketpair end */
	volatile sig_atomic_t *stop; /* set by SIGTERM: stop between frames */
	struct lag lag;          /* how late frames reach us: the idle tick's clock */
	uint64_t frame_search_us; /* frames' clock of the last whole-frame face search, 0 = none */
	int have_clock;          /* a frame was analysed: lag says how late frames come */
	uint64_t classified, skipped; /* people looked at / not, since start */
	struct msg_result result; /* scratch, one frame at a time */
};

/* frame_handle - one MSG_FRAME from claim to done (how many frames the
 * dispatcher skipped before it goes to the tracker): analysed, its RESULT
 * acknowledged by the notifier, deleted from the spool, reported done to
 * the dispatcher (a frame that cannot be analysed is moved to failed/).
 * Returns 0, or -ECANCELED when the worker must stop now (the frame stays
 * in active/ for redelivery). */
int frame_handle(struct worker *w, const struct msg_frame *f);

/* frame_flush - send the track events no frame carries (people who left)
 * as RESULTs flagged MSG_RESULT_NOFRAME. final: the worker is exiting, give
 * up after FRAME_EXIT_FLUSH_MS. Returns 0, -ECANCELED or -ETIMEDOUT (the
 * events stay in the outbox). */
#define FRAME_EXIT_FLUSH_MS 3000
int frame_flush(struct worker *w, int final);

/* snapshot_latest - the frame as the live view shows it: DIR/snapshots/
 * <camera>/latest.jpg, replaced every frame (a JPEG as sent, a PNG
 * encoded). rel gets the path relative to DIR, "" if none was written. */
void snapshot_latest(struct worker *w, const struct msg_frame_ref *ref, const char *ext,
                     const unsigned char *img, size_t len, const struct image *im, char *rel, size_t rellen);

/* The snapshot a look asks for, written before its events are made:
 * snapshot_look_cb(id, &look) is people_look's callback (people.h); it
 * keeps the person's best look as DIR/snapshots/<camera>/<track id>.jpg.
 * Returns 0 or -errno (logged; the track goes on). */
struct snapshot_look {
	struct worker *w;
	const char *frame_id;
	const struct image *im;
	const struct msg_box *box;  /* the person's box, or for a face-only photo the face */
	int has_body;
};
int snapshot_look_cb(uint64_t id, void *arg);

#endif
