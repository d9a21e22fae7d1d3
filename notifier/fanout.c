/* fanout - the messages the notifier pushes. To /live clients:
 *   {"type":"result", <frame item, see result.c>}   every analysed frame
 *   {"type":"track", <event item, see result.h>}    every new track event
 *   {"type":"alert","alert":<alert item, db.c>}     a new alert
 *   {"type":"alert_ack","alert":<alert item>}       an alert acknowledged
 *   {"type":"camera", <camera object, see cams.c, without last_*>}
 *   {"type":"today","today":<query_stats_day>}    (each time today.c read
 *                                                 them again, in the pool)
 * To ingest peers, for the camera's gate connections (cameras not in
 * indoor mode), one MSG_VERDICT (a gate message) per stored event that
 * the gate must know about, when it is stored for the first time:
 *   new -> APPEARED, ended -> LEFT, prompt -> PROMPT (its reason),
 *   the gate decision (decision=1, PASS/DENY) -> VERDICT,
 *   an override -> VERDICT with override=1 and who.
 * A replayed event was sent the first time: nothing twice. Camera state is pushed from the 1 s tick, so
 * a chatty ingest or dispatcher costs dashboards at most one message per
 * camera per second. */
#include <stdio.h>
#include <string.h>

#include "cams.h"
#include "db.h"
#include "query.h"
#include "fanout.h"
#include "jbuf.h"
#include "live.h"
#include "log.h"
#include "mqtt.h"
#include "result.h"
#include "today.h"
#include "util.h"

static fanout_gate_fn fanout_gate_send; /* to ingest's gate connections; NULL: nobody */


/* fanout_push - broadcast {"type":type, + the members of item}. */
static void
fanout_push(const char *type, const struct jbuf *item)
{
	struct jbuf b;

	if (jbuf_failed(item) || item->len < 2)
		return;
	jbuf_init(&b, 0);
	jbuf_add(&b, "{\"type\":\"%s\",", type);
	jbuf_mem(&b, jbuf_text(item) + 1, item->len - 1);
	if (!jbuf_failed(&b))
		live_broadcast(jbuf_text(&b), b.len);
	jbuf_free(&b);
}

/* fanout_member - broadcast {"type":type,key:v} (v's reference is
 * dropped); v NULL is a failed query, logged as what. */
static void
fanout_member(const char *type, const char *key, json_t *v, const char *what)
{
	struct jbuf b;

	jbuf_init(&b, 0);
	jbuf_add(&b, "{\"type\":\"%s\",\"%s\":", type, key);
	if (jbuf_json(&b, v) < 0)
		log_warnx(NULL, "%s: %s", what, db_errmsg());
	else {
		jbuf_add(&b, "}");
		if (!jbuf_failed(&b))
			live_broadcast(jbuf_text(&b), b.len);
	}
	jbuf_free(&b);
}

/* fanout_today - today.c read the day's figures again. */
static void
fanout_today(json_t *figures)
{
	if (live_count() > 0)
		fanout_member("today", "today", json_incref(figures), "today's figures");
}

void
fanout_start(fanout_gate_fn gate)
{
	fanout_gate_send = gate;
	today_init(db_handle(), fanout_today);
}

/* fanout_alert - push {"type":type,"alert":<item>} for alert id. */
static void
fanout_alert(const char *type, int64_t id)
{
	char what[48];

	if (live_count() == 0)
		return;
	snprintf(what, sizeof(what), "alert %lld", (long long)id);
	fanout_member(type, "alert", query_alert(db_handle(), id), what);
}

void
fanout_alert_new(int64_t id)
{
	today_changed();
	fanout_alert("alert", id);
}

void
fanout_alert_ack(int64_t id)
{
	today_changed();
	fanout_alert("alert_ack", id);
}

/* fanout_gate - gate message kind about event e to ingest; returns how
 * many ingest peers got it. */
static int
fanout_gate(const struct msg_result *r, const struct msg_track_event *e, unsigned kind, const char *by)
{
	struct msg_verdict v;
	unsigned i;

	memset(&v, 0, sizeof(v));
	v.ref = r->ref;
	v.track_id = e->track_id;
	v.kind = kind;
	v.verdict = e->verdict;
	v.reason = kind == MSG_GATE_PROMPT ? e->prompt : e->reason;
	v.temperature = e->temperature;
	v.override = e->kind == MSG_TRACK_OVERRIDE;
	if (by)
		util_strlcpy(v.by, by, sizeof(v.by));
	util_strlcpy(v.snapshot, e->snapshot, sizeof(v.snapshot));
	for (i = 0; i < r->npersons && i < MSG_PERSONS_MAX; i++)
		if (r->persons[i].track_id == e->track_id) {
			v.person = i;
			break;
		}
	return fanout_gate_send ? fanout_gate_send(&v) : 0;
}

/* fanout_gate_kind - which gate message event e is, or -1 for none. */
static int
fanout_gate_kind(const struct msg_track_event *e)
{
	if (e->decision == 1 && (e->verdict == MSG_VERDICT_PASS || e->verdict == MSG_VERDICT_DENY))
		return MSG_GATE_VERDICT;
	switch (e->kind) {
	case MSG_TRACK_NEW: return MSG_GATE_APPEARED;
	case MSG_TRACK_ENDED: return MSG_GATE_LEFT;
	case MSG_TRACK_PROMPT: return MSG_GATE_PROMPT;
	default: return -1;
	}
}

void
fanout_override(const struct msg_result *r, const struct msg_track_event *e, const char *by)
{
	struct jbuf item;
	int sent = 0;

	today_changed();
	if (!cams_is_indoor(r->ref.camera))
		sent = fanout_gate(r, e, MSG_GATE_VERDICT, by);
	if (live_count()) {
		jbuf_init(&item, 0);
		result_event_json(&item, r, e);
		fanout_push("track", &item);
		jbuf_free(&item);
	}
	log_info(NULL, "%s: track %lld overridden: %s by %s, %d verdict messages", r->ref.camera,
	    (long long)e->track_id, msg_verdict_name(e->verdict), by, sent);
}

void
fanout_result(const struct msg_result *r, const struct commit_out *out)
{
	int frame = !(r->flags & MSG_RESULT_NOFRAME), sent = 0, decisions = 0, kind;
	struct jbuf item;
	unsigned i;

	if (frame) {
		jbuf_init(&item, 0);
		result_json(&item, r);
		if (!jbuf_failed(&item)) {
			cams_result(r->ref.camera, jbuf_text(&item), item.len);
			if (live_count())
				fanout_push("result", &item);
		}
		jbuf_free(&item);
	}
	for (i = 0; i < r->nevents && i < MSG_EVENTS_MAX; i++) {
		const struct msg_track_event *e = &r->events[i];

		if (!out->fresh[i])
			continue;
		if ((kind = fanout_gate_kind(e)) >= 0 && !cams_is_indoor(r->ref.camera) &&
		    !(kind == MSG_GATE_VERDICT && out->superseded[i])) {
			decisions += kind == MSG_GATE_VERDICT;
			sent += fanout_gate(r, e, (unsigned)kind, NULL);
		}
		if (live_count()) {
			jbuf_init(&item, 0);
			result_event_json(&item, r, e);
			fanout_push("track", &item);
			jbuf_free(&item);
		}
		if (out->alert_id[i] > 0) {
			log_info(r->ref.frame_id, "%s: alert %lld: track %lld %s", r->ref.camera,
			    (long long)out->alert_id[i], (long long)e->track_id, msg_reason_name(e->reason));
			fanout_alert("alert", out->alert_id[i]);
		}
	}
	if (out->nfresh) {
		today_changed();
		log_info(frame ? r->ref.frame_id : NULL, "%s: %d of %u track events stored, %d gate decisions, "
		    "%d gate messages", r->ref.camera, out->nfresh, r->nevents, decisions, sent);
	} else if (r->nevents)
		log_info(frame ? r->ref.frame_id : NULL, "%s: %u track events already stored: nothing changed",
		    r->ref.camera, r->nevents);
}

static void
fanout_camera(int idx)
{
	struct jbuf b, cam;

	if (live_count() == 0)
		return;
	jbuf_init(&cam, 0);
	cams_json(&cam, idx, 0);
	jbuf_init(&b, 0);
	jbuf_add(&b, "{\"type\":\"camera\",");
	if (cam.len > 1)
		jbuf_mem(&b, jbuf_text(&cam) + 1, cam.len - 1);
	if (!jbuf_failed(&b) && !jbuf_failed(&cam))
		live_broadcast(jbuf_text(&b), b.len);
	jbuf_free(&cam);
	jbuf_free(&b);
}

void
fanout_tick(void)
{
	cams_tick(fanout_camera);
	today_tick(live_count() > 0 || mqtt_connected() > 0);
}
