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

static void
result_box(struct jbuf *b, const struct msg_box *x)
{
	if (!(x->score > 0)) {
		jbuf_add(b, "null");
		return;
	}
	jbuf_add(b, "[");
	jbuf_num(b, x->x);
	jbuf_add(b, ",");
	jbuf_num(b, x->y);
	jbuf_add(b, ",");
	jbuf_num(b, x->w);
	jbuf_add(b, ",");
	jbuf_num(b, x->h);
	jbuf_add(b, ",");
	jbuf_num(b, x->score);
	jbuf_add(b, "]");
}

void
result_json(struct jbuf *b, const struct msg_result *r)
{
	unsigned i, reason, verdict;

	verdict = result_frame_verdict(r, &reason);
	jbuf_add(b, "{\"camera\":");
	jbuf_str(b, r->ref.camera);
	jbuf_add(b, ",\"frame\":");
	jbuf_str(b, r->ref.frame_id);
	jbuf_add(b, ",\"received_ms\":%lld,\"analysed_ms\":%lld,\"width\":%u,\"height\":%u,\"temperature\":",
	    (long long)(r->received_us / 1000), (long long)(r->analysed_us / 1000), r->width, r->height);
	jbuf_num(b, isfinite(r->temperature) ? round(r->temperature * 100) / 100 : NAN);
	jbuf_add(b, ",\"analyse_ms\":");
	jbuf_num(b, round(r->analyse_ms * 10) / 10);
	jbuf_add(b, ",\"verdict\":\"%s\",\"reason\":\"%s\",\"snapshot\":",
	    msg_verdict_name(verdict), msg_reason_name(reason));
	/* The worker keeps one file per camera for the live view
	 * (snapshots/<camera>/latest.jpg), overwritten per frame: the frame id
	 * in the query makes each result's URL distinct for browser caches. */
	if (r->snapshot[0])
		jbuf_add(b, "\"/snapshots/%s/latest.jpg?f=%s\"", r->ref.camera, r->ref.frame_id);
	else
		jbuf_add(b, "null");
	jbuf_add(b, ",\"persons\":[");
	for (i = 0; i < r->npersons && i < MSG_PERSONS_MAX; i++) {
		const struct msg_person *p = &r->persons[i];

		jbuf_add(b, "%s{\"idx\":%u,\"body\":", i ? "," : "", i);
		result_box(b, &p->body);
		jbuf_add(b, ",\"face\":");
		result_box(b, &p->face);
		jbuf_add(b, ",\"mask\":\"%s\",\"mask_score\":", msg_mask_name(p->mask));
		jbuf_num(b, round(p->mask_score * 1000) / 1000);
		jbuf_add(b, ",\"verdict\":\"%s\",\"reason\":\"%s\",\"track\":%lld}",
		    msg_verdict_name(p->verdict), msg_reason_name(p->reason), (long long)p->track_id);
	}
	jbuf_add(b, "]}");
}

void
result_event_json(struct jbuf *b, const struct msg_result *r, const struct msg_track_event *e)
{
	jbuf_add(b, "{\"camera\":");
	jbuf_str(b, r->ref.camera);
	jbuf_add(b, ",\"track\":%lld,\"seq\":%u,\"kind\":\"%s\",\"verdict\":\"%s\",\"reason\":\"%s\","
	    "\"mask\":\"%s\",\"mask_score\":", (long long)e->track_id, e->seq, result_event_kind(e->kind),
	    msg_verdict_name(e->verdict), msg_reason_name(e->reason), msg_mask_name(e->mask));
	jbuf_num(b, isfinite(e->mask_score) ? round(e->mask_score * 1000) / 1000 : NAN);
	jbuf_add(b, ",\"decision\":%s,\"temperature\":", e->decision ? "true" : "false");
	jbuf_num(b, isfinite(e->temperature) ? round(e->temperature * 100) / 100 : NAN);
	jbuf_add(b, ",\"first_seen_ms\":%lld,\"last_seen_ms\":%lld,\"at_ms\":%lld,\"frame\":",
	    (long long)(e->first_seen_us / 1000), (long long)(e->last_seen_us / 1000),
	    (long long)(result_at_us(r) / 1000));
	if (r->flags & MSG_RESULT_NOFRAME)
		jbuf_add(b, "null");
	else
		jbuf_str(b, r->ref.frame_id);
	jbuf_add(b, ",\"body\":");
	result_box(b, &e->body);
	jbuf_add(b, ",\"face\":");
	result_box(b, &e->face);
	jbuf_add(b, ",\"looks\":%u,\"skipped\":%u,\"frames\":%u,\"prompt\":", e->looks, e->skipped, e->frames);
	if (e->kind == MSG_TRACK_PROMPT)
		jbuf_add(b, "\"%s\"", msg_reason_name(e->prompt));
	else
		jbuf_add(b, "null");
	jbuf_add(b, ",\"snapshot\":");
	if (e->snapshot[0])
		jbuf_add(b, "\"/snapshots/%s/%lld.jpg\"", r->ref.camera, (long long)e->track_id);
	else
		jbuf_add(b, "null");
	jbuf_add(b, "}");
}
