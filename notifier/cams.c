/* cams - the per-camera live state behind /api/cameras and the dashboard
 * tiles. One camera's JSON object:
 *   {"id":"gate1","name":"Front gate","mode":"gate","configured":true,
 *    "last_seen_ms":..|null,"fps_analysed":0.8,"workers":1,
 *    "stats":{"connected":1,"frames_in":..,"accepted":..,"no_person":..,
 *             "busy":..,"rejected":..,"motion_skipped":..,"fps_in":5,
 *             "detect_ms":..}|null,
 *    "queue":{"depth":0,"worker_pid":123,"bytes":..,"done":..,"failed":..}|null,
 *    "last_result":{..frame item, result.c..}|null,  (with_last only;
 *    "last_track":{..track item, db.c..}|null}        since the notifier started)
 * Capacity: CONFIG_CAMERAS_MAX configured plus as many seen-only ones;
 * further unknown cameras are ignored here (their results are still
 * committed). */
#include <stdlib.h>
#include <string.h>

#include "cams.h"
#include "db.h"
#include "query.h"
#include "util.h"

#define CAMS_MAX (2 * CONFIG_CAMERAS_MAX)

struct cam {
	char id[CAMERA_ID_SIZE];
	char name[64];
	const char *mode;
	int configured;
	int has_stats, has_queue, dirty, workers;
	struct msg_camera_stats stats;
	struct msg_queue_status queue;
	uint64_t last_seen_us;
	unsigned long worker_starts; /* distinct worker pids seen */
	uint64_t last_frame_us;   /* a frame from it last came in (ingest's count grew, or a result) */
	unsigned long results, results_prev;
	double fps_analysed;
	char *last_frame;         /* owned: latest frame analysis JSON, or NULL */
};

static struct cam cams[CAMS_MAX];
static int ncams;

void
cams_init(const struct config *c)
{
	int i;

	ncams = 0;
	for (i = 0; i < c->ncameras && ncams < CAMS_MAX; i++) {
		struct cam *k = &cams[ncams++];

		memset(k, 0, sizeof(*k));
		util_strlcpy(k->id, c->cameras[i].id, sizeof(k->id));
		util_strlcpy(k->name, c->cameras[i].name[0] ? c->cameras[i].name : c->cameras[i].id, sizeof(k->name));
		k->mode = c->cameras[i].mode == CONFIG_MODE_INDOOR ? "indoor" : "gate";
		k->configured = 1;
	}
}

static struct cam *
cams_get(const char *id)
{
	int i;

	for (i = 0; i < ncams; i++)
		if (strcmp(cams[i].id, id) == 0)
			return &cams[i];
	if (ncams == CAMS_MAX || !util_camera_id_valid(id))
		return NULL;
	memset(&cams[ncams], 0, sizeof(cams[ncams]));
	util_strlcpy(cams[ncams].id, id, sizeof(cams[ncams].id));
	util_strlcpy(cams[ncams].name, id, sizeof(cams[ncams].name));
	cams[ncams].mode = "unknown";
	return &cams[ncams++];
}

void
cams_stats(const struct msg_camera_stats *s)
{
	struct cam *k = cams_get(s->camera);

	if (k == NULL)
		return;
	if (s->frames_in > 0 && (!k->has_stats || s->frames_in != k->stats.frames_in))
		k->last_frame_us = util_now_us();
	k->stats = *s;
	k->has_stats = k->dirty = 1;
	if (s->connected)
		k->last_seen_us = util_now_us();
}

void
cams_queue(const struct msg_queue_status *q)
{
	struct cam *k = cams_get(q->camera);

	if (k == NULL)
		return;
	if (q->worker_pid > 0 && q->worker_pid != k->queue.worker_pid)
		k->worker_starts++;
	k->queue = *q;
	k->has_queue = k->dirty = 1;
}

void
cams_result(const char *camera, const char *frame_json, size_t len)
{
	struct cam *k = cams_get(camera);
	char *copy;

	if (k == NULL)
		return;
	if (frame_json && (copy = malloc(len + 1)) != NULL) {
		memcpy(copy, frame_json, len);
		copy[len] = '\0';
		free(k->last_frame);
		k->last_frame = copy;
	}
	if (frame_json == NULL)
		return;
	k->results++;
	k->last_seen_us = k->last_frame_us = util_now_us();
	k->dirty = 1;
}

const char *
cams_name(const char *camera)
{
	int i;

	for (i = 0; i < ncams; i++)
		if (strcmp(cams[i].id, camera) == 0)
			return cams[i].name;
	return camera;
}

int
cams_is_indoor(const char *camera)
{
	int i;

	for (i = 0; i < ncams; i++)
		if (strcmp(cams[i].id, camera) == 0)
			return strcmp(cams[i].mode, "indoor") == 0;
	return 0;
}

void
cams_worker(const char *camera, int delta)
{
	struct cam *k = cams_get(camera);

	if (k == NULL)
		return;
	k->workers += delta;
	if (k->workers < 0)
		k->workers = 0;
	k->dirty = 1;
}

void
cams_json(struct jbuf *b, int idx, int with_last)
{
	const struct cam *k = &cams[idx];

	jbuf_add(b, "{\"id\":");
	jbuf_str(b, k->id);
	jbuf_add(b, ",\"name\":");
	jbuf_str(b, k->name);
	jbuf_add(b, ",\"mode\":\"%s\",\"configured\":%s,\"last_seen_ms\":", k->mode,
	    k->configured ? "true" : "false");
	if (k->last_seen_us)
		jbuf_add(b, "%llu", (unsigned long long)(k->last_seen_us / 1000));
	else
		jbuf_add(b, "null");
	jbuf_add(b, ",\"fps_analysed\":");
	jbuf_json(b, jbuf_number(k->fps_analysed));
	jbuf_add(b, ",\"workers\":%d,\"stats\":", k->workers);
	if (k->has_stats) {
		const struct msg_camera_stats *s = &k->stats;

		jbuf_add(b, "{\"connected\":%u,\"frames_in\":%llu,\"accepted\":%llu,\"no_person\":%llu,"
		    "\"busy\":%llu,\"rejected\":%llu,\"motion_skipped\":%llu,\"fps_in\":",
		    s->connected, (unsigned long long)s->frames_in, (unsigned long long)s->accepted,
		    (unsigned long long)s->no_person, (unsigned long long)s->busy,
		    (unsigned long long)s->rejected, (unsigned long long)s->motion_skipped);
		jbuf_json(b, jbuf_number((double)(int)(s->fps_in * 10 + 0.5) / 10));
		jbuf_add(b, ",\"detect_ms\":");
		jbuf_json(b, jbuf_number((double)(int)(s->detect_ms * 10 + 0.5) / 10));
		jbuf_add(b, "}");
	} else
		jbuf_add(b, "null");
	jbuf_add(b, ",\"queue\":");
	if (k->has_queue)
		jbuf_add(b, "{\"depth\":%u,\"worker_pid\":%d,\"bytes\":%llu,\"done\":%llu,\"failed\":%llu}",
		    k->queue.depth, (int)k->queue.worker_pid, (unsigned long long)k->queue.bytes,
		    (unsigned long long)k->queue.done, (unsigned long long)k->queue.failed);
	else
		jbuf_add(b, "null");
	if (with_last) {
		jbuf_add(b, ",\"last_result\":");
		if (k->last_frame)
			jbuf_mem(b, k->last_frame, strlen(k->last_frame));
		else
			jbuf_add(b, "null");
		jbuf_add(b, ",\"last_track\":");
		if (jbuf_json(b, query_last_track(db_handle(), k->id)) < 0)
			jbuf_add(b, "null");
	}
	jbuf_add(b, "}");
}

void
cams_list_json(struct jbuf *b)
{
	int i;

	jbuf_add(b, "[");
	for (i = 0; i < ncams; i++) {
		if (i)
			jbuf_add(b, ",");
		cams_json(b, i, 1);
	}
	jbuf_add(b, "]");
}

void
cams_tick(void (*push)(int idx))
{
	int i;

	for (i = 0; i < ncams; i++) {
		struct cam *k = &cams[i];
		double rate = (double)(k->results - k->results_prev);
		double old = k->fps_analysed;

		/* Smoothed over a few seconds: frames arrive in bursts. */
		k->fps_analysed = 0.7 * k->fps_analysed + 0.3 * rate;
		if (k->fps_analysed < 0.05)
			k->fps_analysed = 0;
		k->results_prev = k->results;
		if (old != k->fps_analysed)
			k->dirty = 1;
		if (k->dirty && push)
			push(i);
		k->dirty = 0;
	}
}

int
cams_count(void)
{
	return ncams;
}

const char *
cams_id(int idx)
{
	return cams[idx].id;
}

uint64_t
cams_last_frame_us(int idx)
{
	return cams[idx].last_frame_us;
}

void
cams_counts(int idx, const struct msg_camera_stats **stats, const struct msg_queue_status **queue,
    unsigned long *analysed, unsigned long *worker_starts)
{
	const struct cam *k = &cams[idx];

	*stats = k->has_stats ? &k->stats : NULL;
	*queue = k->has_queue ? &k->queue : NULL;
	*analysed = k->results;
	*worker_starts = k->worker_starts;
}
