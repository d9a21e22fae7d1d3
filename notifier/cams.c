/* cams - the per-camera live state behind /api/cameras and the dashboard
 * tiles: the cameras of the database (camdb.h, loaded at start and kept
 * in step by the API's changes, cams_set/cams_remove) plus any a peer
 * mentioned. One camera's JSON object:
 *   {"id":"gate1","name":"Front gate","mode":"gate","configured":true,
 *    "last_seen_ms":..|null,"fps_in":1.0,"fps_analysed":0.8,"workers":1,
 *    "stats":{"connected":1,"frames_in":..,"accepted":..,"no_person":..,
 *             "busy":..,"rejected":..,"motion_skipped":..,"fps_in":5,
 *             "detect_ms":..}|null,
 *    "queue":{"depth":0,"worker_pid":123,"bytes":..,"done":..,"failed":..}|null,
 *    "last_result":{..frame item, result.c..}|null,  (with_last only;
 *    "last_track":{..track item, query.c..}|null}     since the notifier started)
 * The newest person (the camera's tracks row with the highest id) is held
 * in memory, so a GET never reads the database on the loop thread: read
 * once when the camera becomes known, then again only for a person a
 * commit just changed (cams_track, one indexed row) or after retention
 * deleted people (cams_tracks_deleted).
 * A camera removed through the API is listed no more; /live is told once
 * more with "removed":true, so dashboards drop its tile.
 * Capacity: CONFIG_CAMERAS_MAX configured plus as many seen-only ones;
 * further unknown cameras are ignored here (their results are still
 * committed).
 * "fps_in" and "fps_analysed" are both per second over the same last
 * seconds (rate.h, sampled together each tick): ingest's frames_in and
 * the results committed here. stats.fps_in is ingest's own last second. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "camdb.h"
#include "cams.h"
#include "db.h"
#include "log.h"
#include "query.h"
#include "rate.h"
#include "util.h"

#define CAMS_MAX (2 * CONFIG_CAMERAS_MAX)

struct cam {
	char id[CAMERA_ID_SIZE];
	char name[64];
	const char *mode;
	int configured;           /* a camera of the database */
	int removed;              /* removed through the API: not listed */
	int has_stats, has_queue, dirty, workers;
	struct msg_camera_stats stats;
	struct msg_queue_status queue;
	uint64_t last_seen_us;
	unsigned long worker_starts; /* distinct worker pids seen */
	uint64_t last_frame_us;   /* a frame from it last came in (ingest's count grew, or a result) */
	unsigned long results;
	struct rate in_rate, analysed_rate; /* frames_in and results, sampled at the same ticks */
	double fps_in, fps_analysed;
	char *last_frame;         /* owned: latest frame analysis JSON, or NULL */
	json_t *last_track;       /* owned: newest tracks row's item (query.h), or NULL if none */
	json_int_t last_track_id; /* its row id, 0 if none */
};

static struct cam cams[CAMS_MAX];
static int ncams;

/* cams_last_load - k's newest person as the database has it now */
static void
cams_last_load(struct cam *k)
{
	json_t *v = query_last_track(db_handle(), k->id);

	if (v == NULL)
		log_warnx(NULL, "camera=%s: its newest person: %s", k->id, db_errmsg());
	json_decref(k->last_track);
	k->last_track = json_is_object(v) ? v : NULL;
	k->last_track_id = k->last_track ? json_integer_value(json_object_get(k->last_track, "id")) : 0;
	if (!json_is_object(v))
		json_decref(v);
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
	cams_last_load(&cams[ncams]);
	return &cams[ncams++];
}

static void
cams_load(const struct camdb_camera *cc, void *arg)
{
	(void)arg;
	cams_set(cc);
}

void
cams_init(const struct config *c)
{
	int rc;

	ncams = 0;
	if ((rc = camdb_schema(db_handle())) != 0 || (rc = camdb_seed(db_handle(), c, (int64_t)util_now_us())) < 0 ||
	    (rc = camdb_list(db_handle(), cams_load, NULL)) < 0)
		fatal("database: the cameras table: %s", db_errmsg());
}

void
cams_set(const struct camdb_camera *cc)
{
	struct cam *k = cams_get(cc->id);

	if (k == NULL) {
		log_warnx(NULL, "camera=%s: over %d cameras known, not shown", cc->id, CAMS_MAX);
		return;
	}
	util_strlcpy(k->name, cc->name, sizeof(k->name));
	k->mode = camdb_mode_name(cc->mode);
	k->configured = k->dirty = 1;
	k->removed = 0;
}

void
cams_remove(const char *id)
{
	int i;

	for (i = 0; i < ncams; i++)
		if (strcmp(cams[i].id, id) == 0) {
			cams[i].configured = 0;
			cams[i].removed = cams[i].dirty = 1;  /* pushed once more, "removed": true */
			cams[i].mode = "unknown";
		}
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

void
cams_track(const char *camera, int64_t track_id)
{
	struct cam *k = cams_get(camera);
	struct query_tracks q;
	json_t *a, *v;
	json_int_t id;

	if (k == NULL)
		return;
	memset(&q, 0, sizeof(q));
	q.camera = camera;
	q.track = track_id;
	q.limit = 1;
	if ((a = query_tracks(db_handle(), &q)) == NULL) {
		log_warnx(NULL, "camera=%s track=%lld: reading it back: %s", camera, (long long)track_id, db_errmsg());
		cams_last_load(k);
		return;
	}
	v = json_array_get(a, 0);
	id = v ? json_integer_value(json_object_get(v, "id")) : 0;
	/* An older person's change (an end, an override) leaves the newest. */
	if (v != NULL && id >= k->last_track_id) {
		json_decref(k->last_track);
		k->last_track = json_incref(v);
		k->last_track_id = id;
		k->dirty = 1;
	}
	json_decref(a);
}

void
cams_tracks_deleted(void)
{
	int i;

	for (i = 0; i < ncams; i++)
		cams_last_load(&cams[i]);
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

static json_t *
cams_stats_json(const struct cam *k)
{
	const struct msg_camera_stats *st = &k->stats;

	if (!k->has_stats)
		return json_null();
	return json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "connected", (int)st->connected,
	    "frames_in", (json_int_t)st->frames_in, "accepted", (json_int_t)st->accepted,
	    "no_person", (json_int_t)st->no_person, "busy", (json_int_t)st->busy, "rejected", (json_int_t)st->rejected,
	    "motion_skipped", (json_int_t)st->motion_skipped,
	    "fps_in", jbuf_number((double)(int)(st->fps_in * 10 + 0.5) / 10),
	    "detect_ms", jbuf_number((double)(int)(st->detect_ms * 10 + 0.5) / 10));
}

/* cams_item - camera idx's object; with_last adds its last frame
 * analysis and newest person (both from memory) */
static json_t *
cams_item(int idx, int with_last)
{
	const struct cam *k = &cams[idx];
	json_t *o, *last;

	o = json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:i, s:o, s:o}", "id", k->id, "name", k->name, "mode", k->mode,
	    "configured", k->configured, "last_seen_ms", k->last_seen_us ? json_integer(k->last_seen_us / 1000) :
	    json_null(), "fps_in", jbuf_number(k->fps_in), "fps_analysed", jbuf_number(k->fps_analysed), "workers",
	    k->workers,
	    "stats", cams_stats_json(k), "queue", !k->has_queue ? json_null() :
	    json_pack("{s:i, s:i, s:I, s:I, s:I}", "depth", (int)k->queue.depth, "worker_pid", (int)k->queue.worker_pid,
	    "bytes", (json_int_t)k->queue.bytes, "done", (json_int_t)k->queue.done, "failed", (json_int_t)k->queue.failed));
	if (o != NULL && k->removed)  /* only in the /live push that says so */
		json_object_set_new(o, "removed", json_true());
	if (o == NULL || !with_last)
		return o;
	last = k->last_frame ? json_loads(k->last_frame, 0, NULL) : NULL;
	json_object_set_new(o, "last_result", last ? last : json_null());
	/* a copy: the caller may add to what it gets (links) */
	last = k->last_track ? json_deep_copy(k->last_track) : NULL;
	json_object_set_new(o, "last_track", last ? last : json_null());
	return o;
}

void
cams_json(struct jbuf *b, int idx, int with_last)
{
	if (jbuf_json(b, cams_item(idx, with_last)) < 0)
		b->failed = 1;
}

json_t *
cams_one(const char *id, int live)
{
	int i;

	for (i = 0; i < ncams; i++)
		if (strcmp(cams[i].id, id) == 0 && !cams[i].removed)
			return live ? cams_item(i, 1) : json_pack("{s:s, s:s, s:s, s:b}", "id", cams[i].id, "name",
			    cams[i].name, "mode", cams[i].mode, "configured", cams[i].configured);
	return NULL;
}

void
cams_list_json(struct jbuf *b)
{
	json_t *a = json_array();
	int i;

	for (i = 0; a && i < ncams; i++)
		if (!cams[i].removed)
			json_array_append_new(a, cams_item(i, 1));
	if (jbuf_json(b, a) < 0)
		b->failed = 1;
}

void
cams_tick(void (*push)(int idx))
{
	uint64_t now = util_mono_us();
	int i;

	for (i = 0; i < ncams; i++) {
		struct cam *k = &cams[i];
		double in = k->fps_in, analysed = k->fps_analysed;

		rate_sample(&k->in_rate, now, k->has_stats ? k->stats.frames_in : 0);
		rate_sample(&k->analysed_rate, now, k->results);
		k->fps_in = rate_per_s(&k->in_rate);
		k->fps_analysed = rate_per_s(&k->analysed_rate);
		if (in != k->fps_in || analysed != k->fps_analysed)
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
