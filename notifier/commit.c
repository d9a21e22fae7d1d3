/* commit - a result's track events into SQLite. Each stored ALERT event
 * also adds an alerts row and, with a webhook configured, its delivery
 * row, inside the same transaction: an alert is stored with its delivery
 * or not at all, and the delivery thread is kicked only after COMMIT.
 *
 * Webhook body (JSON, see docs/TRACKING.md):
 *   {"type":"alert","alert_id":12,"camera":"hall","camera_name":"Hall",
 *    "track":1732490000000007,"reason":"no_mask","verdict":"DENY",
 *    "mask":"mask_off","raised":"2026-11-24T23:30:11Z","raised_ms":..,
 *    "since":"2026-11-24T23:30:01Z","snapshot":"/snapshots/hall/<track>.jpg"|null} */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cams.h"
#include "db.h"
#include "frameid.h"
#include "util.h"
#include "commit.h"
#include "jbuf.h"
#include "log.h"
#include "result.h"
#include "webhook.h"
#include "webpush.h"

static struct webhook *hook;

void
commit_init(struct webhook *w)
{
	hook = w;
}

static json_t *
commit_snapshot(const char *camera, const struct msg_track_event *e)
{
	char url[128];

	if (!e->snapshot[0])
		return json_null();
	snprintf(url, sizeof(url), "/snapshots/%s/%lld.jpg", camera, (long long)e->track_id);
	return json_string(url);
}

/* commit_dump - v as compact JSON text (free() it), reference taken; NULL
 * if v is (a camera name that is not UTF-8 makes json_pack fail) */
static char *
commit_dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	return s;
}

/* commit_alert - store the alert e raised (and its delivery). Returns the
 * alert id or -1. */
static int64_t
commit_alert(const struct msg_result *r, const struct msg_track_event *e, int64_t at_us)
{
	const char *cam = r->ref.camera, *reason = msg_reason_name(e->reason);
	char *d;
	int64_t id, rc;

	d = commit_dump(json_pack("{s:s, s:s, s:s, s:I, s:o}", "camera_name", cams_name(cam),
	    "verdict", msg_verdict_name(e->verdict), "mask", msg_mask_name(e->mask),
	    "since_ms", (json_int_t)(e->first_seen_us / 1000), "snapshot", commit_snapshot(cam, e)));
	if (d == NULL)
		return -1;
	id = db_alert_insert(cam, e->track_id, at_us, reason, d);
	free(d);
	if (id < 0 || webpush_alert(id, cam, cams_name(cam), reason) < 0)
		return -1;
	if (hook == NULL)
		return id;
	rc = webhook_enqueue_json(hook, db_handle(),
	    json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:o, s:I, s:o, s:o}", "type", "alert", "alert_id", (json_int_t)id, "camera", cam, "camera_name", cams_name(cam),
	    "track", (json_int_t)e->track_id, "reason", reason, "verdict", msg_verdict_name(e->verdict),
	    "mask", msg_mask_name(e->mask), "raised", jbuf_time(at_us), "raised_ms", (json_int_t)(at_us / 1000),
	    "since", jbuf_time(e->first_seen_us), "snapshot", commit_snapshot(cam, e)));
	return rc > 0 ? id : -1;
}

/* commit_tracks - tell cams of each person whose row r's fresh events
 * changed (once per person) */
static void
commit_tracks(const struct msg_result *r, const struct commit_out *out)
{
	unsigned i, j;

	for (i = 0; i < r->nevents && i < MSG_EVENTS_MAX; i++) {
		if (!out->fresh[i])
			continue;
		for (j = 0; j < i; j++)
			if (out->fresh[j] && r->events[j].track_id == r->events[i].track_id)
				break;
		if (j == i)
			cams_track(r->ref.camera, r->events[i].track_id);
	}
}

int
commit_override(const char *camera, int64_t track_id, unsigned verdict, const char *by, const char *note,
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
	cams_track(camera, track_id);
	return 0;
}

int
commit_result(const struct msg_result *r, struct commit_out *out)
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
			if ((out->alert_id[i] = commit_alert(r, e, at)) < 0)
				goto fail;
			alerts++;
		}
	}
	if (db_commit() != 0)
		goto fail;
	commit_tracks(r, out);
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
