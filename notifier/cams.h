/* cams - what the notifier knows about each camera right now: the
 * configured ones plus any a peer mentioned, with the latest ingest stats
 * and dispatcher queue status held in memory (not in the database). */
#ifndef GW_CAMS_H
#define GW_CAMS_H

#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "jbuf.h"
#include "msg.h"

struct camdb_camera;

/* cams_init - seed the database's cameras from the config file (camdb.h)
 * and load them; exits (fatal) when the table cannot be read. */
void cams_init(const struct config *c);
/* cams_set - camera cc was added or changed (the API); cams_remove - it
 * was removed: no longer listed, its frames no longer come. */
void cams_set(const struct camdb_camera *cc);
void cams_remove(const char *id);
void cams_stats(const struct msg_camera_stats *s);
void cams_queue(const struct msg_queue_status *q);
/* cams_result - a result for this camera came now; frame_json (may be
 * NULL: events only) is its frame analysis (result_json), copied and kept
 * in memory as the tile's latest frame. */
void cams_result(const char *camera, const char *frame_json, size_t len);

/* cams_track - a commit changed person track_id of camera: its row is
 * read back (one indexed row) and kept when it is the camera's newest.
 * cams_tracks_deleted - people were deleted (retention): every camera's
 * newest person is read again. Loop thread (the database's writer). */
void cams_track(const char *camera, int64_t track_id);
void cams_tracks_deleted(void);

/* cams_name - the camera's display name (its id if unnamed or unknown). */
const char *cams_name(const char *camera);

/* cams_is_indoor - 1 for a camera configured with mode indoor. Gate
 * decisions are sent for every other camera. */
int cams_is_indoor(const char *camera);
/* cams_worker - a worker for camera connected (+1) or went away (-1). */
void cams_worker(const char *camera, int delta);

/* cams_json - append the camera's object (see cams.c); with_last adds its
 * latest frame and newest person (both held in memory: no database read). */
void cams_json(struct jbuf *b, int idx, int with_last);
/* cams_one - camera id's object, NULL when it is unknown or removed: with
 * live, as cams_json gives it with_last; else its settings only, {"id",
 * "name","mode","configured"}, which change only when an admin changes
 * them (GET /api/cameras/ID and its ETag, rest.c). */
json_t *cams_one(const char *id, int live);
/* cams_list_json - append an array of every camera, with last results. */
void cams_list_json(struct jbuf *b);

/* cams_tick - call once a second: updates rates, and calls push(idx) for
 * every camera whose state changed since the last tick. */
void cams_tick(void (*push)(int idx));

/* cams_count, cams_id - the cameras known now (indexes stay valid; the
 * list only grows). cams_last_frame_us - when a frame of camera idx last
 * came in (ingest counted one, or a result), 0 if none since the start. */
int cams_count(void);
const char *cams_id(int idx);
uint64_t cams_last_frame_us(int idx);
/* cams_counts - camera idx's latest ingest stats and queue status (NULL
 * when none came yet), results received and worker processes seen (a new
 * worker pid in the queue status) since the notifier started. */
void cams_counts(int idx, const struct msg_camera_stats **stats, const struct msg_queue_status **queue,
    unsigned long *analysed, unsigned long *worker_starts);

#endif
