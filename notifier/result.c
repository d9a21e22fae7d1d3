/* result - the frame verdict rule and the JSON shape of one analysed
 * frame. Shape (times in unix milliseconds, boxes [x,y,w,h,score] in
 * pixels of the frame as sent, null when absent):
 *   {"id":N,"camera":"gate1","frame":"1764026596123456-007",
 *    "received_ms":..,"analysed_ms":..,"width":640,"height":480,
 *    "temperature":36.6|null,"analyse_ms":..,"verdict":"PASS|DENY|none",
 *    "reason":"no_mask|mask_chin|temperature|no_face|",
 *    "snapshot":"/snapshots/gate1/<frame>.jpg"|null,
 *    "persons":[{"idx":0,"body":[..]|null,"face":[..]|null,"mask":"mask_on",
 *                "mask_score":0.97,"verdict":"PASS","reason":"","track":3}]} */
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

int
result_valid(const struct msg_result *r)
{
	return util_camera_id_valid(r->ref.camera) && frameid_valid(r->ref.frame_id) &&
	    r->npersons <= MSG_PERSONS_MAX;
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
	if (r->snapshot[0])
		jbuf_add(b, "\"/snapshots/%s/%s.jpg\"", r->ref.camera, r->ref.frame_id);
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
		jbuf_add(b, ",\"verdict\":\"%s\",\"reason\":\"%s\",\"track\":%d}",
		    msg_verdict_name(p->verdict), msg_reason_name(p->reason), (int)p->track_id);
	}
	jbuf_add(b, "]}");
}

void
result_json_with_id(struct jbuf *b, long long id, const char *stored)
{
	jbuf_add(b, "{\"id\":%lld,", id);
	if (stored && stored[0] == '{')
		jbuf_mem(b, stored + 1, strlen(stored + 1));
	else
		jbuf_add(b, "\"damaged\":true}");
}
