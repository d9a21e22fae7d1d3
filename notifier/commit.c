/* events - a result's track events into SQLite. Each stored ALERT event
 * also adds an alerts row and, with a webhook configured, its delivery
 * row, inside the same transaction: an alert is stored with its delivery
 * or not at all, and the delivery thread is kicked only after COMMIT.
 *
 * Webhook body (JSON, see docs/TRACKING.md):
 *   {"type":"alert","alert_id":12,"camera":"hall","camera_name":"Hall",
 *    "track":1732490000000007,"reason":"no_mask","verdict":"DENY",
 *    "mask":"mask_off","raised":"2026-11-24T23:30:11Z","raised_ms":..,
 *    "since":"2026-11-24T23:30:01Z","snapshot":"/snapshots/hall/<track>.jpg"|null} */
#include <math.h>
#include <string.h>
#include <time.h>

#include "cams.h"
#include "db.h"
#include "frameid.h"
#include "util.h"
#include "events.h"
#include "jbuf.h"
#include "log.h"
#include "result.h"
#include "webhook.h"
#include "webpush.h"

static struct webhook *hook;

void
events_init(struct webhook *w)
{
	hook = w;
}

/* events_iso - append unix microseconds as a quoted UTC ISO 8601 time. */
static void
events_iso(struct jbuf *b, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jbuf_add(b, "\"%s\"", s);
}

static void
events_snapshot(struct jbuf *b, const char *camera, const struct msg_track_event *e)
{
	if (e->snapshot[0])
		jbuf_add(b, "\"/snapshots/%s/%lld.jpg\"", camera, (long long)e->track_id);
	else
		jbuf_add(b, "null");
}

/* events_alert - store the alert e raised (and its delivery). Returns the
 * alert id or -1. */
static int64_t
events_alert(const struct msg_result *r, const struct msg_track_event *e, int64_t at_us)
{
	const char *cam = r->ref.camera;
	struct jbuf d, body;
	int64_t id, rc;

	jbuf_init(&d, 0);
	jbuf_add(&d, "{\"camera_name\":");
	jbuf_str(&d, cams_name(cam));
	jbuf_add(&d, ",\"verdict\":\"%s\",\"mask\":\"%s\",\"since_ms\":%lld,\"snapshot\":",
	    msg_verdict_name(e->verdict), msg_mask_name(e->mask), (long long)(e->first_seen_us / 1000));
	events_snapshot(&d, cam, e);
	jbuf_add(&d, "}");
	if (jbuf_failed(&d)) {
		jbuf_free(&d);
		return -1;
	}
	id = db_alert_insert(cam, e->track_id, at_us, msg_reason_name(e->reason), jbuf_text(&d));
	jbuf_free(&d);
	if (id < 0 || webpush_alert(id, cam, cams_name(cam), msg_reason_name(e->reason)) < 0)
		return -1;
	if (hook == NULL)
		return id;
	jbuf_init(&body, 0);
	jbuf_add(&body, "{\"type\":\"alert\",\"alert_id\":%lld,\"camera\":", (long long)id);
	jbuf_str(&body, cam);
	jbuf_add(&body, ",\"camera_name\":");
	jbuf_str(&body, cams_name(cam));
	jbuf_add(&body, ",\"track\":%lld,\"reason\":\"%s\",\"verdict\":\"%s\",\"mask\":\"%s\",\"raised\":",
	    (long long)e->track_id, msg_reason_name(e->reason), msg_verdict_name(e->verdict), msg_mask_name(e->mask));
	events_iso(&body, at_us);
	jbuf_add(&body, ",\"raised_ms\":%lld,\"since\":", (long long)(at_us / 1000));
	events_iso(&body, e->first_seen_us);
	jbuf_add(&body, ",\"snapshot\":");
	events_snapshot(&body, cam, e);
	jbuf_add(&body, "}");
	rc = jbuf_failed(&body) ? -1 : webhook_enqueue(hook, db_handle(), jbuf_text(&body), body.len);
	jbuf_free(&body);
	return rc > 0 ? id : -1;
}

int
events_override(const char *camera, int64_t track_id, unsigned verdict, const char *by, const char *note,
    struct msg_result *r)
{
	struct msg_track_event *e = &r->events[0];
	int64_t now = (int64_t)util_now_us();
	struct jbuf j;
	int rc;

	memset(r, 0, sizeof(*r));
	util_strlcpy(r->ref.camera, camera, sizeof(r->ref.camera));
	frameid_next(r->ref.frame_id);
	r->flags = MSG_RESULT_NOFRAME;
	r->nevents = 1;
	r->received_us = r->analysed_us = now;
	r->temperature = NAN;
	if (db_begin() != 0)
		return -1;
	if ((rc = db_override(camera, track_id, verdict, by, note, now, e)) < 0) {
		db_rollback();
		return rc;
	}
	jbuf_init(&j, 0);
	result_event_json(&j, r, e);
	rc = jbuf_failed(&j) ? -1 : db_event_insert(camera, e, now, "", jbuf_text(&j));
	jbuf_free(&j);
	if (rc != 1 || db_commit() != 0) {
		db_rollback();
		return -1;
	}
	return 0;
}

int
events_commit(const struct msg_result *r, struct events_out *out)
{
	int64_t at = result_at_us(r);
	unsigned i;
	int alerts = 0;

	memset(out, 0, sizeof(*out));
	if (r->nevents == 0)
		return 0;
	if (db_begin() != 0)
		return -1;
	for (i = 0; i < r->nevents && i < MSG_EVENTS_MAX; i++) {
		const struct msg_track_event *e = &r->events[i];
		struct msg_track_event late;
		struct jbuf j;
		int rc;

		/* The worker does not know of an override: its first settle after
		 * one is stored as replaced (decision 2) and never reaches the gate. */
		if (e->decision == 1) {
			if ((rc = db_track_overridden(r->ref.camera, e->track_id)) < 0)
				goto fail;
			if (rc == 1) {
				late = *e;
				late.decision = 2;
				e = &late;
				out->superseded[i] = 1;
			}
		}
		jbuf_init(&j, 0);
		result_event_json(&j, r, e);
		rc = jbuf_failed(&j) ? -1 : db_event_insert(r->ref.camera, e, at,
		    (r->flags & MSG_RESULT_NOFRAME) ? "" : r->ref.frame_id, jbuf_text(&j));
		jbuf_free(&j);
		if (rc < 0)
			goto fail;
		out->fresh[i] = (uint8_t)rc;
		out->nfresh += rc;
		if (rc == 1 && e->kind == MSG_TRACK_ALERT) {
			if ((out->alert_id[i] = events_alert(r, e, at)) < 0)
				goto fail;
			alerts++;
		}
	}
	if (db_commit() != 0)
		goto fail;
	if (alerts && hook)
		webhook_kick(hook);
	if (alerts)
		webpush_kick();
	return 0;
fail:
	db_rollback();
	memset(out, 0, sizeof(*out));
	return -1;
}
