/* result - what a worker's MSG_RESULT means: the frame's verdict and its
 * JSON shape for the live view, and the JSON shape of each track event
 * (the one /live pushes and the database's track_events.json keeps). */
#ifndef GW_RESULT_H
#define GW_RESULT_H

#include "jbuf.h"
#include "msg.h"

/* result_frame_verdict - the frame's verdict: DENY if any person is
 * denied, PASS if any passed and none denied, else NONE. *reason gets the
 * first denied person's reason (MSG_REASON_NONE otherwise). */
unsigned result_frame_verdict(const struct msg_result *r, unsigned *reason);

/* result_valid - NULL if the ids are well formed, npersons and nevents
 * are in range and every event has a track id, a known kind and a seq;
 * else what is wrong (what the notifier checks before committing). */
const char *result_valid(const struct msg_result *r);

/* result_at_us - when r's events happened: the frame's receive time, or
 * for a MSG_RESULT_NOFRAME result the worker's send time. */
int64_t result_at_us(const struct msg_result *r);

/* result_event_json - append event e of r as a complete object:
 * {"camera":..,"track":..,"seq":1,"kind":"new|changed|ended|alert",
 *  "verdict":"PASS|DENY|none","reason":..,"mask":..,"mask_score":..,
 *  "decision":bool,"temperature":..|null,"first_seen_ms":..,"last_seen_ms":..,
 *  "at_ms":..,"frame":"<frame id>"|null,"body":[..]|null,"face":[..]|null,
 *  "looks":N,"skipped":N,"frames":N,"prompt":"face_not_visible|face_too_small"|null,
 *  "snapshot":"/snapshots/<camera>/<track>.jpg"|null}
 * kind is also "prompt" (a gate asked the person to show their face) or
 * "override" (a supervisor's verdict, stored by the notifier itself). */
void result_event_json(struct jbuf *b, const struct msg_result *r, const struct msg_track_event *e);

/* result_event_kind - "new", "changed", "ended", "alert", "prompt", "override" or "?". */
const char *result_event_kind(unsigned kind);

/* result_json - append the frame's analysis as a complete object
 * ({"camera":..,"frame":..,...,"persons":[..]}), for the live tile. */
void result_json(struct jbuf *b, const struct msg_result *r);

#endif
