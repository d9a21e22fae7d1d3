/* health - the camera_offline alert. See health.h.
 *
 * A camera is streaming once a frame of it came in since the notifier
 * started (cams_last_frame_us). When the newest frame is older than
 * camera.offline_after_ms, one alert is raised for that silence; it stays
 * the camera's alert until a newer frame comes in, which closes it. An
 * operator may acknowledge it earlier; it is not raised again for the same
 * silence. Alerts row (db.c): reason "camera_offline", track 0, json
 * {"camera_name","kind":"operational","last_frame_ms","offline_after_ms",
 *  "snapshot":null}. Webhook bodies (JSON, docs/TRACKING.md):
 *   {"type":"alert","alert_id":7,"camera":"hall","camera_name":"Hall",
 *    "track":null,"reason":"camera_offline","raised":"..Z","raised_ms":..,
 *    "since":"..Z","last_frame_ms":..,"snapshot":null}
 *   {"type":"alert_cleared","alert_id":7,"camera":"hall","camera_name":..,
 *    "reason":"camera_offline","cleared":"..Z","cleared_ms":..,
 *    "offline_ms":..}
 * The spool's disk below twice spool.min_free_mb: one spool_low alert
 * (camera "", json {"camera_name":"Spool disk","kind":"operational",
 * "free_mb","floor_mb"}), closed when the space is back; checked every
 * 10 s. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "cams.h"
#include "db.h"
#include "fanout.h"
#include "health.h"
#include "jbuf.h"
#include "log.h"
#include "metrics.h"
#include "mqtt.h"
#include "util.h"
#include "webpush.h"

struct health_cam {
	char id[CAMERA_ID_SIZE];
	int64_t alert_id;        /* its open camera_offline alert, 0 if none */
	uint64_t alerted_frame_us; /* the silence already alerted (its last frame) */
};

static struct {
	struct webhook *hook;
	uint64_t after_us;
	struct health_cam cams[2 * CONFIG_CAMERAS_MAX];
	int n;
	unsigned long raised;
	char spool[CONFIG_PATH_SIZE + 16];
	unsigned long long floor_mb;  /* spool.min_free_mb; 0 = no spool alert */
	int64_t spool_alert;          /* the open spool_low alert, 0 if none */
	unsigned ticks;
} hl;

static struct health_cam *
health_cam(const char *id)
{
	int i;

	for (i = 0; i < hl.n; i++)
		if (strcmp(hl.cams[i].id, id) == 0)
			return &hl.cams[i];
	if (hl.n == (int)(sizeof(hl.cams) / sizeof(hl.cams[0])))
		return NULL;
	memset(&hl.cams[hl.n], 0, sizeof(hl.cams[0]));
	util_strlcpy(hl.cams[hl.n].id, id, sizeof(hl.cams[0].id));
	return &hl.cams[hl.n++];
}

/* health_enqueue - inside a transaction: a webhook delivery of o (stolen). */
static int
health_enqueue(json_t *o)
{
	return webhook_enqueue_json(hl.hook, db_handle(), o) < 0 ? -1 : 0;
}

static void
health_raise(struct health_cam *hc, uint64_t last_us, uint64_t now)
{
	json_t *d;
	char *dj;
	int64_t id;

	d = json_pack("{s:s, s:s, s:I, s:I, s:n}", "camera_name", cams_name(hc->id), "kind", "operational",
	    "last_frame_ms", (json_int_t)(last_us / 1000), "offline_after_ms", (json_int_t)(hl.after_us / 1000),
	    "snapshot");
	dj = d ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	if (dj == NULL || db_begin() != 0) {
		free(dj);
		log_error(NULL, "camera %s offline alert: %s", hc->id, dj ? db_errmsg() : "out of memory");
		return;
	}
	id = db_alert_insert(hc->id, 0, (int64_t)now, HEALTH_REASON_OFFLINE, dj);
	free(dj);
	if (id < 0 || webpush_alert(id, hc->id, cams_name(hc->id), HEALTH_REASON_OFFLINE) < 0 || health_enqueue(json_pack("{s:s, s:I, s:s, s:s, s:n, s:s, s:o, s:I, s:o, s:I, s:n}",
	    "type", "alert", "alert_id", (json_int_t)id, "camera", hc->id, "camera_name", cams_name(hc->id),
	    "track", "reason", HEALTH_REASON_OFFLINE, "raised", jbuf_time((int64_t)now), "raised_ms", (json_int_t)(now / 1000),
	    "since", jbuf_time((int64_t)last_us), "last_frame_ms", (json_int_t)(last_us / 1000), "snapshot")) != 0 ||
	    db_commit() != 0) {
		log_error(NULL, "camera %s offline alert: %s", hc->id, db_errmsg());
		db_rollback();
		return;
	}
	if (hl.hook)
		webhook_kick(hl.hook);
	webpush_kick();
	hc->alert_id = id;
	hc->alerted_frame_us = last_us;
	hl.raised++;
	metrics_alert(HEALTH_REASON_OFFLINE);
	mqtt_alert(hc->id, HEALTH_REASON_OFFLINE, (long long)id, 0);
	log_warnx(NULL, "camera %s: no frame for %llu s (alert %lld)", hc->id,
	    (unsigned long long)((now - last_us) / 1000000), (long long)id);
	fanout_alert_new(id);
}

static void
health_clear(struct health_cam *hc, uint64_t now, uint64_t last_us)
{
	int64_t id = hc->alert_id;
	int rc;

	if (db_begin() != 0) {
		log_error(NULL, "camera %s back: %s", hc->id, db_errmsg());
		return;
	}
	rc = db_alert_ack(id, "gatewatch: camera back", (int64_t)now);
	if (rc < 0 && rc != -2) {
		log_error(NULL, "camera %s back: %s", hc->id, db_errmsg());
		db_rollback();
		return;
	}
	if (health_enqueue(json_pack("{s:s, s:I, s:s, s:s, s:s, s:o, s:I, s:I}", "type", "alert_cleared",
	    "alert_id", (json_int_t)id, "camera", hc->id, "camera_name", cams_name(hc->id),
	    "reason", HEALTH_REASON_OFFLINE, "cleared", jbuf_time((int64_t)now), "cleared_ms", (json_int_t)(now / 1000),
	    "offline_ms", (json_int_t)(hc->alerted_frame_us && last_us > hc->alerted_frame_us ?
	    (last_us - hc->alerted_frame_us) / 1000 : 0))) != 0 || db_commit() != 0) {
		log_error(NULL, "camera %s back: %s", hc->id, db_errmsg());
		db_rollback();
		return;
	}
	if (hl.hook)
		webhook_kick(hl.hook);
	log_info(NULL, "camera %s: frames again, alert %lld closed", hc->id, (long long)id);
	mqtt_alert(hc->id, HEALTH_REASON_OFFLINE, (long long)id, 1);
	hc->alert_id = 0;
	if (rc == 1)
		fanout_alert_ack(id);
}

/* health_spool - the spool's disk: below twice spool.min_free_mb (where
 * ingest starts refusing frames) one spool_low alert is raised; it closes
 * once the free space is back above two and a half times the floor, so a
 * disk hovering at the line does not flap. */
static void
health_spool(uint64_t now)
{
	struct statvfs sv;
	unsigned long long free_mb;
	json_t *d;
	char *dj;
	int64_t id;
	int rc;

	if (hl.floor_mb == 0 || statvfs(hl.spool, &sv) != 0)
		return;
	free_mb = (unsigned long long)sv.f_bavail * sv.f_frsize / 1048576ull;
	if (hl.spool_alert == 0 && free_mb < 2 * hl.floor_mb) {
		d = json_pack("{s:s, s:s, s:I, s:I, s:n}", "camera_name", "Spool disk", "kind", "operational",
		    "free_mb", (json_int_t)free_mb, "floor_mb", (json_int_t)hl.floor_mb, "snapshot");
		dj = d ? json_dumps(d, JSON_COMPACT) : NULL;
		json_decref(d);
		if (dj == NULL || db_begin() != 0) {
			free(dj);
			return;
		}
		id = db_alert_insert("", 0, (int64_t)now, HEALTH_REASON_SPOOL, dj);
		free(dj);
		if (id < 0 || webpush_alert(id, "", "Spool disk", HEALTH_REASON_SPOOL) < 0 || health_enqueue(json_pack("{s:s, s:I, s:s, s:s, s:n, s:s, s:o, s:I, s:I, s:I}",
		    "type", "alert", "alert_id", (json_int_t)id, "camera", "", "camera_name", "Spool disk", "track",
		    "reason", HEALTH_REASON_SPOOL, "raised", jbuf_time((int64_t)now), "raised_ms", (json_int_t)(now / 1000),
		    "free_mb", (json_int_t)free_mb, "floor_mb", (json_int_t)hl.floor_mb)) != 0 || db_commit() != 0) {
			log_error(NULL, "spool low alert: %s", db_errmsg());
			db_rollback();
			return;
		}
		if (hl.hook)
			webhook_kick(hl.hook);
		webpush_kick();
		hl.spool_alert = id;
		hl.raised++;
		metrics_alert(HEALTH_REASON_SPOOL);
		mqtt_alert("", HEALTH_REASON_SPOOL, (long long)id, 0);
		log_warnx(NULL, "spool %s: %llu MiB free, ingest refuses frames below %llu MiB (alert %lld)", hl.spool,
		    free_mb, hl.floor_mb, (long long)id);
		fanout_alert_new(id);
	} else if (hl.spool_alert != 0 && free_mb * 2 >= 5 * hl.floor_mb) {
		id = hl.spool_alert;
		if (db_begin() != 0)
			return;
		rc = db_alert_ack(id, "gatewatch: disk space back", (int64_t)now);
		if ((rc < 0 && rc != -2) || health_enqueue(json_pack("{s:s, s:I, s:s, s:s, s:s, s:o, s:I, s:I}",
		    "type", "alert_cleared", "alert_id", (json_int_t)id, "camera", "", "camera_name", "Spool disk",
		    "reason", HEALTH_REASON_SPOOL, "cleared", jbuf_time((int64_t)now), "cleared_ms", (json_int_t)(now / 1000),
		    "free_mb", (json_int_t)free_mb)) != 0 || db_commit() != 0) {
			db_rollback();
			return;
		}
		if (hl.hook)
			webhook_kick(hl.hook);
		hl.spool_alert = 0;
		mqtt_alert("", HEALTH_REASON_SPOOL, (long long)id, 1);
		log_info(NULL, "spool %s: %llu MiB free again, alert %lld closed", hl.spool, free_mb, (long long)id);
		if (rc == 1)
			fanout_alert_ack(id);
	}
}

void
health_init(const struct config *c, struct webhook *hook)
{
	sqlite3_stmt *st;

	memset(&hl, 0, sizeof(hl));
	hl.hook = hook;
	hl.after_us = (uint64_t)c->camera_offline_after_ms * 1000u;
	hl.floor_mb = c->spool_min_free_mb > 0 ? (unsigned long long)c->spool_min_free_mb : 0;
	util_strlcpy(hl.spool, c->dir, sizeof(hl.spool)); /* spool/ is under dir, on its disk */
	if (sqlite3_prepare_v2(db_handle(), "SELECT id, camera, reason FROM alerts WHERE acked_us IS NULL"
	    " AND reason IN (?, ?)", -1, &st, NULL) != SQLITE_OK) {
		log_error(NULL, "open operational alerts: %s", db_errmsg());
		return;
	}
	sqlite3_bind_text(st, 1, HEALTH_REASON_OFFLINE, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, HEALTH_REASON_SPOOL, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct health_cam *hc;

		if (strcmp((const char *)sqlite3_column_text(st, 2), HEALTH_REASON_SPOOL) == 0)
			hl.spool_alert = sqlite3_column_int64(st, 0);
		else if ((hc = health_cam((const char *)sqlite3_column_text(st, 1))) != NULL)
			hc->alert_id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
}

void
health_tick(void)
{
	uint64_t now = util_now_us();
	int i;

	if (hl.ticks++ % 10 == 0)
		health_spool(now);
	for (i = 0; i < cams_count(); i++) {
		uint64_t last = cams_last_frame_us(i);
		struct health_cam *hc;

		if (last == 0 || (hc = health_cam(cams_id(i))) == NULL)
			continue; /* not streaming since the start */
		if (hc->alert_id != 0 && last > hc->alerted_frame_us)
			health_clear(hc, now, last);
		else if (hl.after_us > 0 && hc->alert_id == 0 && now > last + hl.after_us &&
		    last != hc->alerted_frame_us)
			health_raise(hc, last, now);
	}
}

unsigned long
health_alerts_raised(void)
{
	return hl.raised;
}
