/* people - one camera's people, as the worker reports them: the tracker
 * (track.h) plus what the worker knows per person that the tracker does
 * not (the gate's temperature, the latest face, the best snapshot's file,
 * the event numbering and the gate decision), turned into
 * struct msg_track_event for the notifier.
 *
 * Rules added on top of the tracker's (docs/TRACKING.md):
 *   - verdict: the tracker's settled mask state maps to PASS (mask_on),
 *     DENY no_mask (mask_off), DENY mask_chin (mask_chin); a temperature at
 *     or above worker.temp_limit in any frame of the person (the maximum
 *     while the track lives) is DENY temperature whatever the mask says.
 *   - events: every tracker event becomes one msg_track_event, numbered
 *     seq 1, 2, ... per track; a temperature that changes a confirmed
 *     person's verdict adds a CHANGED of our own.
 *   - decision (gate cameras only): the first CHANGED of a confirmed person
 *     whose verdict is not NONE has decision = 1; exactly one per track.
 *   - snapshots: snapshots/<camera>/<track id>.jpg relative to dir; the
 *     file of a track that was never confirmed is removed when the tracker
 *     drops it.
 *
 * Not thread-safe; no clock: every time is passed in (microseconds, the
 * frames' received_us time base). Events wait in an outbox until the
 * caller has them acknowledged (people_peek, then people_drop). */
#ifndef GW_WORKER_PEOPLE_H
#define GW_WORKER_PEOPLE_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "msg.h"
#include "track.h"

struct people;

/* people_new - for camera (its mode from c: gate -> decisions, indoor ->
 * alerts after alert.after_ms), track ids from id_base + 1. NULL on ENOMEM. */
struct people *people_new(const struct config *c, const char *camera, uint64_t id_base);

void people_free(struct people *p);

/* people_update - one frame's person boxes at now_us with the frame's
 * temperature (NAN if none). assign[i] as track_update fills it. Returns 0
 * or -ENOMEM. */
int people_update(struct people *p, uint64_t now_us, const struct msg_box *boxes, size_t n,
                  float temperature, struct track_assign *assign);

/* people_update_more - more people of the frame of the last people_update:
 * boxes made from faces the search found in no person box
 * (track_update_more). Returns 0 or -ENOMEM. */
int people_update_more(struct people *p, const struct msg_box *boxes, size_t n, float temperature,
                       struct track_assign *assign);

/* people_face_only - the live people known only by a face (their latest
 * box came from people_update_more): how many, and the first max of their
 * latest boxes (made from the face) into boxes. Such a person is seen only
 * by a face search outside the person boxes: the whole frame's, or one of
 * that box. */
int people_face_only(const struct people *p, struct msg_box *boxes, int max);

/* people_skipped - the camera's n frames before the next one were not
 * analysed (track_skipped). */
void people_skipped(struct people *p, unsigned n);

/* people_camera_frame - the next frame's number at ingest and the camera's
 * frames ingest never looked at (track_camera_frame). */
void people_camera_frame(struct people *p, uint64_t seq, uint64_t unlooked);

/* people_tick - time passed without a frame: end people gone too long,
 * raise due alerts. Returns 0 or -ENOMEM. */
int people_tick(struct people *p, uint64_t now_us);

/* people_look - one classification of track id (mp: the person as
 * analyse_person filled it). When this look is the track's best so far,
 * save(id, arg) is called to write the snapshot before the events this
 * look causes are made (so the decision already names the snapshot);
 * save calls people_snapshot_saved once the file is written. Returns TRACK_LOOK_BEST when
 * it was the best look, 0, or -errno. */
int people_look(struct people *p, uint64_t id, uint64_t now_us, const struct msg_person *mp,
                int (*save)(uint64_t id, void *arg), void *arg);

/* people_snapshot_rel - the snapshot path of track id relative to dir,
 * "snapshots/<camera>/<id>.jpg". */
void people_snapshot_rel(const struct people *p, uint64_t id, char *rel, size_t size);

/* people_snapshot_saved - the caller wrote the snapshot file of id. */
void people_snapshot_saved(struct people *p, uint64_t id);

/* people_live_id - the live track id of id: the person who took its place
 * at a look (track_renewed, new_on_change), else id itself. */
uint64_t people_live_id(const struct people *p, uint64_t id);

/* people_state - the settled verdict, reason and mask of live track id (or
 * of the person who took its place at a look this frame, track_renewed)
 * (NONE/NONE/UNKNOWN while unsettled). Returns 0 or -ENOENT. */
int people_state(const struct people *p, uint64_t id, uint32_t *verdict, uint32_t *reason,
                 uint32_t *mask);

/* people_adopt - take over a person of an earlier worker of the camera
 * (from the notifier's TRACK_STATE): same id, its events numbered on from
 * s->seq, its decision and alerts kept. Returns 0 or -errno (-EEXIST,
 * -ENOSPC, -EINVAL). */
int people_adopt(struct people *p, const struct msg_track_state *s);

/* people_end_all - every track ends now (the worker exits). */
int people_end_all(struct people *p, uint64_t now_us);

/* people_pending - events waiting in the outbox. */
size_t people_pending(const struct people *p);

/* people_peek - copy up to max of the oldest waiting events to out;
 * returns how many. They stay in the outbox until people_drop. */
size_t people_peek(const struct people *p, struct msg_track_event *out, size_t max);

/* people_drop - the oldest n events were acknowledged: forget them. */
void people_drop(struct people *p, size_t n);

/* people_stats - the tracker's totals (track_stats). */
void people_stats(const struct people *p, struct track_stats *out);

#endif
