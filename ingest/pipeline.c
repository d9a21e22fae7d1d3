/* pipeline - per-camera FIFO of frames in front of the thread pool.
 *
 * Why one frame per camera at a time: the motion gate compares a frame
 * with the one before it, and the spool must hold frames in the order the
 * camera sent them (the worker tracks people frame to frame). Different
 * cameras run in parallel, up to ingest.threads at once. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "camsg.h"
#include "daemon.h"
#include "log.h"
#include "pipeline.h"
#include "util.h"

struct pipeline_camera {
	char id[CAMERA_ID_SIZE];           /* "" = a free slot */
	struct pipeline_job *head, *tail;  /* pending; head is running when running */
	int running;
	struct check_motion motion;        /* touched only by the pool thread running this camera's job */
	/* statistics, loop thread */
	uint64_t frames_in, accepted, no_person, busy, rejected, motion_skipped;
	uint64_t win_frames;
	double win_detect_ms;
	int win_detects;
	struct histo detect_time, face_time; /* every run since start, for /metrics */
};

static struct {
	uv_loop_t *loop;
	const struct config *cfg;
	const struct spool *sp;
	struct check_params params;
	pipeline_done_cb done;
	pipeline_ready_cb ready;
	pipeline_empty_cb empty;
	int pending;
	int ncams;                         /* slots used, in the order cameras first said hello */
	struct pipeline_camera cams[PIPELINE_CAMERAS];
} pl;

void
pipeline_init(uv_loop_t *loop, const struct config *cfg, const struct spool *sp,
              pipeline_done_cb done, pipeline_ready_cb ready, pipeline_empty_cb empty)
{
	pl.loop = loop;
	pl.cfg = cfg;
	pl.sp = sp;
	pl.done = done;
	pl.ready = ready;
	pl.empty = empty;
	check_params_set(&pl.params, cfg);
}

int
pipeline_camera(const char *id, int add)
{
	int i;

	for (i = 0; i < pl.ncams; i++)
		if (strcmp(pl.cams[i].id, id) == 0)
			return i;
	if (!add)
		return -ENOENT;
	if (pl.ncams == PIPELINE_CAMERAS || !util_camera_id_valid(id))
		return pl.ncams == PIPELINE_CAMERAS ? -ENOSPC : -EINVAL;
	util_strlcpy(pl.cams[pl.ncams].id, id, sizeof(pl.cams[pl.ncams].id));
	return pl.ncams++;
}

int
pipeline_cameras(void)
{
	return pl.ncams;
}

const char *
pipeline_camera_id(int cam)
{
	return cam >= 0 && cam < pl.ncams ? pl.cams[cam].id : "-";
}

struct pipeline_job *
pipeline_job_new(void *owner, uint32_t seq, int cam, unsigned char *data, size_t len)
{
	struct pipeline_job *job = malloc(sizeof(*job));

	if (job == NULL) {
		free(data);   /* taken over either way */
		return NULL;
	}
	*job = (struct pipeline_job){ .owner = owner, .seq = seq, .cam = cam, .data = data, .len = len,
	    .temperature = NAN, .received_us = util_now_us(), .received_mono = util_mono_us() };
	return job;
}

void
pipeline_job_free(struct pipeline_job *job)
{
	if (job == NULL)
		return;
	free(job->data);
	free(job);
}

const char *
pipeline_status_name(enum pipeline_status st)
{
	switch (st) {
	case PIPELINE_ACCEPTED: return "accepted";
	case PIPELINE_NO_PERSON: return "no_person";
	case PIPELINE_BUSY: return "busy";
	default: return "rejected";
	}
}

/* pipeline_meta - the JSON trailer of a spooled frame (worker/meta.h
 * reads it). Returns 0, or -ENOSPC / -ENOMEM. */
static int
pipeline_meta(const struct pipeline_job *job, char *out, size_t outlen)
{
	const struct check_result *r = &job->res;
	json_t *o, *faces;
	size_t n;

	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:i, s:o, s:o}", "camera", pl.cams[job->cam].id,
	    "frame", job->frame_id, "received_us", (json_int_t)job->received_us, "seq", (json_int_t)job->cam_seq,
	    "unlooked", (json_int_t)job->cam_unlooked, "width", r->width,
	    "height", r->height, "temperature", isnan(job->temperature) ? json_null() : camsg_real(job->temperature, 100),
	    "persons", camsg_boxes(r->persons, r->npersons, NULL));
	if (o == NULL)
		return -ENOMEM;
	if (r->faces.input > 0 && ((faces = camsg_faces(&r->faces)) == NULL ||
	    json_object_set_new(o, "faces", faces) != 0)) {
		json_decref(o);
		return -ENOMEM;
	}
	n = json_dumpb(o, out, outlen - 1, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(o);
	if (n == 0 || n >= outlen)
		return -ENOSPC;
	out[n] = '\0';
	return 0;
}

/* pipeline_work - pool thread: check, and commit a frame with a person. */
static void
pipeline_work(uv_work_t *w)
{
	struct pipeline_job *job = w->data;
	struct pipeline_camera *pc = &pl.cams[job->cam];
	const char *camera = pl.cams[job->cam].id;
	char meta[SPOOL_META_MAX];
	int rc;

	check_frame(&pl.params, &pc->motion, job->data, job->len, &job->res);
	job->checked_us = util_now_us();
	util_strlcpy(job->reason, job->res.reason, sizeof(job->reason));
	switch (job->res.outcome) {
	case CHECK_NO_PERSON:
		job->status = PIPELINE_NO_PERSON;
		return;
	case CHECK_BAD_IMAGE:
		job->status = PIPELINE_REJECTED;
		return;
	case CHECK_DETECTOR_FAILED:
		job->status = PIPELINE_BUSY;
		return;
	case CHECK_PERSON:
		break;
	}
	rc = spool_admit(pl.sp, camera, job->len);
	if (rc == -EDQUOT) {
		job->status = PIPELINE_BUSY;
		snprintf(job->reason, sizeof(job->reason),
		    "camera queue full (spool.max_frames %d / spool.max_bytes %ld): try again later",
		    pl.sp->max_frames, pl.sp->max_bytes);
		return;
	}
	if (rc == -ENOSPC) {
		job->status = PIPELINE_BUSY;
		snprintf(job->reason, sizeof(job->reason),
		    "disk space below spool.min_free_mb (%ld MiB): frame refused", pl.sp->min_free_mb);
		return;
	}
	if (rc == 0)
		rc = pipeline_meta(job, meta, sizeof(meta));
	if (rc == 0)
		rc = spool_commit(pl.sp, camera, job->frame_id, job->res.ext, job->data, job->len, meta);
	if (rc != 0) {
		job->status = PIPELINE_BUSY;
		snprintf(job->reason, sizeof(job->reason), "spool write failed: %s", strerror(-rc));
		return;
	}
	job->status = PIPELINE_ACCEPTED;
}

static void pipeline_start(int cam);

/* pipeline_after - loop thread: account, answer, run the camera's next frame. */
static void
pipeline_after(uv_work_t *w, int status)
{
	struct pipeline_job *job = w->data;
	struct pipeline_camera *pc = &pl.cams[job->cam];

	if (status == UV_ECANCELED) {
		job->status = PIPELINE_BUSY;
		snprintf(job->reason, sizeof(job->reason), "server shutting down");
	}
	pc->head = job->next;
	if (pc->head == NULL)
		pc->tail = NULL;
	pc->running = 0;
	pl.pending--;
	if (job->res.motion_skipped)
		pc->motion_skipped++;
	if (job->res.detect_ms > 0) {
		pc->win_detect_ms += job->res.detect_ms;
		pc->win_detects++;
		histo_add(&pc->detect_time, histo_fast_s, job->res.times.person_s);
		histo_add(&pc->face_time, histo_fast_s, job->res.times.face_s);
	}
	if (job->res.outcome == CHECK_DETECTOR_FAILED)
		log_error(job->frame_id, "camera=%s %s", pl.cams[job->cam].id, job->reason);
	pipeline_count(job->cam, job->status);
	if (job->status == PIPELINE_ACCEPTED && pl.ready)
		pl.ready(pl.cams[job->cam].id, job->frame_id);
	else if (job->status == PIPELINE_NO_PERSON && pl.empty)
		pl.empty(pl.cams[job->cam].id, job->frame_id, job->received_us, job->checked_us);
	job->next = NULL;
	pl.done(job);
	pipeline_start((int)(pc - pl.cams));
}

static void
pipeline_start(int cam)
{
	struct pipeline_camera *pc = &pl.cams[cam];
	struct pipeline_job *job = pc->head;

	if (pc->running || job == NULL)
		return;
	pc->running = 1;
	daemon_pool_run(pl.loop, &job->work, job, pipeline_work, pipeline_after);
}

void
pipeline_submit(struct pipeline_job *job)
{
	struct pipeline_camera *pc = &pl.cams[job->cam];

	/* An earlier frame of the camera still in the first pass that ends busy
	 * is counted with the next frame's stamp: the sums stay right. */
	job->cam_seq = pc->frames_in;
	job->cam_unlooked = pc->busy + pc->rejected;
	job->next = NULL;
	if (pc->tail)
		pc->tail->next = job;
	else
		pc->head = job;
	pc->tail = job;
	pl.pending++;
	pipeline_start(job->cam);
}

int
pipeline_pending(void)
{
	return pl.pending;
}

void
pipeline_count_in(int cam)
{
	pl.cams[cam].frames_in++;
	pl.cams[cam].win_frames++;
}

void
pipeline_count(int cam, enum pipeline_status st)
{
	struct pipeline_camera *pc = &pl.cams[cam];

	switch (st) {
	case PIPELINE_ACCEPTED: pc->accepted++; break;
	case PIPELINE_NO_PERSON: pc->no_person++; break;
	case PIPELINE_BUSY: pc->busy++; break;
	case PIPELINE_REJECTED: pc->rejected++; break;
	}
}

void
pipeline_stats(int cam, struct msg_camera_stats *out, double window_s)
{
	struct pipeline_camera *pc = &pl.cams[cam];

	memset(out, 0, sizeof(*out));
	util_strlcpy(out->camera, pl.cams[cam].id, sizeof(out->camera));
	out->frames_in = pc->frames_in;
	out->accepted = pc->accepted;
	out->no_person = pc->no_person;
	out->busy = pc->busy;
	out->rejected = pc->rejected;
	out->motion_skipped = pc->motion_skipped;
	out->fps_in = window_s > 0 ? (float)(pc->win_frames / window_s) : 0;
	out->detect_ms = pc->win_detects ? (float)(pc->win_detect_ms / pc->win_detects) : 0;
	out->detect_time = pc->detect_time;
	out->face_time = pc->face_time;
	pc->win_frames = 0;
	pc->win_detect_ms = 0;
	pc->win_detects = 0;
}
