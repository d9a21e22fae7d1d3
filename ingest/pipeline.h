/* pipeline - ingest's per-camera frame queues: each frame is checked on
 * the libuv thread pool (check.h), one frame per camera at a time in
 * arrival order (so spool order = arrival order), cameras in parallel;
 * frames with a person are committed to the spool. Loop thread only,
 * except where a comment says otherwise. Also keeps per-camera counters. */
#ifndef GW_INGEST_PIPELINE_H
#define GW_INGEST_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "check.h"
#include "config.h"
#include "frameid.h"
#include "msg.h"
#include "spool.h"

enum pipeline_status {
	PIPELINE_ACCEPTED,
	PIPELINE_NO_PERSON,
	PIPELINE_BUSY,
	PIPELINE_REJECTED
};

struct pipeline_job {
	struct pipeline_job *next;      /* the camera's pending list */
	void *owner;                    /* the connection; the pipeline never touches it */
	uint32_t seq;                   /* per-connection message number */
	int cam;                        /* the camera's slot (pipeline_camera) */
	char frame_id[FRAMEID_SIZE];
	unsigned char *data;            /* owned: the frame as sent; freed by pipeline_job_free */
	size_t len;
	float temperature;              /* degrees C from a meta message; NAN if none */
	uint64_t received_us;           /* util_now_us at receive */
	uint64_t received_mono;         /* util_mono_us at receive */
	/* the camera's counts when the frame was submitted (the spool metadata's
	 * "seq" and "unlooked", worker/meta.h): frames received from it since
	 * ingest started, this one included, and how many of them were answered
	 * busy or rejected (nobody looked for people in them) */
	uint64_t cam_seq, cam_unlooked;
	/* set by the pipeline before done is called */
	uint64_t checked_us;            /* util_now_us when the check had decided */
	enum pipeline_status status;
	char reason[CHECK_REASON_SIZE];
	struct check_result res;
	uv_work_t work;
};

/* pipeline_done_cb - a job's verdict, on the loop thread. The callee owns
 * the job afterwards and frees it with pipeline_job_free. */
typedef void (*pipeline_done_cb)(struct pipeline_job *job);
/* pipeline_ready_cb - a frame was committed to the spool (tell the dispatcher). */
typedef void (*pipeline_ready_cb)(const char *camera, const char *frame_id);

/* pipeline_empty_cb - the pipeline found nobody in a frame (not spooled),
 * received at received_us and decided at checked_us (wall clock): tell the
 * dispatcher, so the camera's worker knows the scene is empty then. */
typedef void (*pipeline_empty_cb)(const char *camera, const char *frame_id, uint64_t received_us,
                                  uint64_t checked_us);

/* pipeline_init - cfg and sp must outlive the pipeline. empty may be NULL. */
void pipeline_init(uv_loop_t *loop, const struct config *cfg, const struct spool *sp,
                   pipeline_done_cb done, pipeline_ready_cb ready, pipeline_empty_cb empty);

/* pipeline_job_new - a job owning a copy of nothing: data is taken over
 * (must be malloc'd). Returns NULL on ENOMEM (data is then freed). */
struct pipeline_job *pipeline_job_new(void *owner, uint32_t seq, int cam, unsigned char *data, size_t len);
void pipeline_job_free(struct pipeline_job *job);

/* pipeline_submit - queue a job behind the camera's earlier frames. */
void pipeline_submit(struct pipeline_job *job);

/* Cameras by slot: a camera gets one at its first hello since ingest
 * started (the list of cameras is the database's, camdb.h) and keeps it. */
#define PIPELINE_CAMERAS 256
/* pipeline_camera - the slot of camera id; with add, made if missing.
 * The slot, or -ENOENT (not added), -ENOSPC (full), -EINVAL (bad id). */
int pipeline_camera(const char *id, int add);
/* pipeline_cameras - how many slots are used (0..n-1). */
int pipeline_cameras(void);
/* pipeline_camera_id - slot cam's camera id ("-" for none). */
const char *pipeline_camera_id(int cam);

/* pipeline_pending - jobs queued or running, all cameras. */
int pipeline_pending(void);

/* pipeline_count - count a frame's outcome in the camera's statistics
 * (the pipeline counts its own jobs; callers count early answers). */
void pipeline_count(int cam, enum pipeline_status st);
/* pipeline_count_in - count a frame received for this camera. */
void pipeline_count_in(int cam);

/* pipeline_stats - fill the camera's statistics message and start a new
 * one-second window (connected is left to the caller). */
void pipeline_stats(int cam, struct msg_camera_stats *out, double window_s);

const char *pipeline_status_name(enum pipeline_status st);

#endif
