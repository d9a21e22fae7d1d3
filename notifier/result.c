/* result - the frame verdict rule and the JSON shape of one analysed
 * frame and of a track event. Frame shape (times in unix milliseconds,
 * boxes [x,y,w,h,score] in pixels of the frame as sent, null when absent):
 *   {"camera":"gate1","frame":"1764026596123456-007",
 *    "received_ms":..,"analysed_ms":..,"width":640,"height":480,
 *    "temperature":36.6|null,"analyse_ms":..,"verdict":"PASS|DENY|none",
 *    "reason":"no_mask|mask_chin|temperature|no_face|",
 *    "snapshot":"/snapshots/gate1/latest.jpg?f=<frame>"|null,
 *    "persons":[{"idx":0,"body":[..]|null,"face":[..]|null,"mask":"mask_on",
 *                "mask_score":0.97,"verdict":"PASS","reason":"","track":1732490000000007}]}
 * The event shape is in result.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "frameid.h"
#include "result.h"
#include "util.h"

unsigned
result_frame_verdict(const struct msg_result *r, unsigned *reason)
{
	unsigned i, v = MSG_VERDICT_NONE;

	*reason = MSG_REASON_NONE;
	for (i = 0; i < r->npersons && i < MSG_PERSONS_MAX; i++) {
		if (r->persons[i].verdict == MSG_VERDICT_DENY) {
			if (v != MSG_VERDICT_DENY)
				*reason = r->persons[i].reason;
			v = MSG_VERDICT_DENY;
		} else if (r->persons[i].verdict == MSG_VERDICT_PASS && v == MSG_VERDICT_NONE)
			v = MSG_VERDICT_PASS;
	}
	return v;
}

const char *
result_valid(const struct msg_result *r)
{
	unsigned i;

	if (!util_camera_id_valid(r->ref.camera))
		return "bad camera id";
	if (!frameid_valid(r->ref.frame_id))
		return "bad frame id";
	if (r->npersons > MSG_PERSONS_MAX)
		return "person count out of range";
	if (r->nevents > MSG_EVENTS_MAX)
		return "event count out of range";
	if (r->flags & ~MSG_RESULT_NOFRAME)
		return "unknown flags";
	for (i = 0; i < r->nevents; i++) {
		const struct msg_track_event *e = &r->events[i];

		/* overrides and seq numbers from MSG_SEQ_NOTIFIER are the notifier's own */
		if (e->track_id <= 0 || e->seq == 0 || e->seq >= MSG_SEQ_NOTIFIER || e->kind < MSG_TRACK_NEW ||
		    e->kind > MSG_TRACK_PROMPT || e->verdict > MSG_VERDICT_DENY || e->reason >= MSG_REASONS ||
		    e->prompt >= MSG_REASONS || e->decision > 1)
			return "bad track event (id, seq, kind, verdict or reason)";
	}
	return NULL;
}

int64_t
result_at_us(const struct msg_result *r)
{
	int64_t t = (r->flags & MSG_RESULT_NOFRAME) ? r->analysed_us : r->received_us;

	return t > 0 ? t : (int64_t)util_now_us();
}

const char *
result_event_kind(unsigned kind)
{
	switch (kind) {
	case MSG_TRACK_NEW: return "new";
	case MSG_TRACK_CHANGED: return "changed";
	case MSG_TRACK_ENDED: return "ended";
	case MSG_TRACK_ALERT: return "alert";
	case MSG_TRACK_PROMPT: return "prompt";
	case MSG_TRACK_OVERRIDE: return "override";
	default: return "?";
	}
}

static json_t *
result_box(const struct msg_box *x)
{
	if (!(x->score > 0))
		return json_null();
	return json_pack("[o, o, o, o, o]", jbuf_number(x->x), jbuf_number(x->y), jbuf_number(x->w),
	    jbuf_number(x->h), jbuf_number(x->score));
}

/* result_round - v rounded to 1/scale; NaN stays NaN (null) */
static json_t *
result_round(double v, double scale)
{
	return jbuf_number(isfinite(v) ? round(v * scale) / scale : NAN);
}

static json_t *
result_persons(const struct msg_result *r)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a && i < r->npersons && i < MSG_PERSONS_MAX; i++) {
		const struct msg_person *p = &r->persons[i];

		json_array_append_new(a, json_pack("{s:i, s:o, s:o, s:s, s:o, s:s, s:s, s:I}", "idx", (int)i,
		    "body", result_box(&p->body), "face", result_box(&p->face), "mask", msg_mask_name(p->mask),
		    "mask_score", result_round(p->mask_score, 1000), "verdict", msg_verdict_name(p->verdict),
		    "reason", msg_reason_name(p->reason), "track", (json_int_t)p->track_id));
	}
	return a;
}

void
result_json(struct jbuf *b, const struct msg_result *r)
{
	unsigned reason, verdict = result_frame_verdict(r, &reason);
	char snap[160];

	/* The worker keeps one file per camera for the live view
	 * (snapshots/<camera>/latest.jpg), overwritten per frame: the frame id
	 * in the query makes each result's URL distinct for browser caches. */
	snprintf(snap, sizeof(snap), "/snapshots/%s/latest.jpg?f=%s", r->ref.camera, r->ref.frame_id);
	if (jbuf_json(b, json_pack("{s:s%, s:s%, s:I, s:I, s:i, s:i, s:o, s:o, s:s, s:s, s:o, s:o}",
	    "camera", r->ref.camera, strnlen(r->ref.camera, sizeof(r->ref.camera)),
	    "frame", r->ref.frame_id, strnlen(r->ref.frame_id, sizeof(r->ref.frame_id)),
	    "received_ms", (json_int_t)(r->received_us / 1000), "analysed_ms", (json_int_t)(r->analysed_us / 1000),
	    "width", (int)r->width, "height", (int)r->height, "temperature", result_round(r->temperature, 100),
	    "analyse_ms", result_round(r->analyse_ms, 10), "verdict", msg_verdict_name(verdict),
	    "reason", msg_reason_name(reason), "snapshot", r->snapshot[0] ? json_string(snap) : json_null(),
	    "persons", result_persons(r))) < 0)
		b->failed = 1;
}

void
result_event_json(struct jbuf *b, const struct msg_result *r, const struct msg_track_event *e)
{
	char snap[128];
	json_t *o;

	snprintf(snap, sizeof(snap), "/snapshots/%s/%lld.jpg", r->ref.camera, (long long)e->track_id);
	o = json_pack("{s:s%, s:I, s:i, s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:I, s:I, s:I}",
	    "camera", r->ref.camera, strnlen(r->ref.camera, sizeof(r->ref.camera)),
	    "track", (json_int_t)e->track_id, "seq", (int)e->seq, "kind", result_event_kind(e->kind),
	    "verdict", msg_verdict_name(e->verdict), "reason", msg_reason_name(e->reason),
	    "mask", msg_mask_name(e->mask), "mask_score", result_round(e->mask_score, 1000),
	    "decision", e->decision != 0, "temperature", result_round(e->temperature, 100),
	    "first_seen_ms", (json_int_t)(e->first_seen_us / 1000), "last_seen_ms", (json_int_t)(e->last_seen_us / 1000),
	    "at_ms", (json_int_t)(result_at_us(r) / 1000));
	if (o == NULL || json_object_set_new(o, "frame", (r->flags & MSG_RESULT_NOFRAME) ? json_null() :
	    json_stringn(r->ref.frame_id, strnlen(r->ref.frame_id, sizeof(r->ref.frame_id)))) != 0 ||
	    json_object_update_new(o, json_pack("{s:o, s:o, s:i, s:i, s:i, s:o, s:o}",
	    "body", result_box(&e->body), "face", result_box(&e->face), "looks", (int)e->looks,
	    "skipped", (int)e->skipped, "frames", (int)e->frames,
	    "prompt", e->kind == MSG_TRACK_PROMPT ? json_string(msg_reason_name(e->prompt)) : json_null(),
	    "snapshot", e->snapshot[0] ? json_string(snap) : json_null())) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (jbuf_json(b, o) < 0)
		b->failed = 1;
}
