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
 * 10 s.
 * A camera whose worker failed worker.failing_count times within
 * worker.failing_window_ms (a worker crash or a frame moved to failed/, the
 * dispatcher's counts in QUEUE_STATUS): one worker_failing alert (json
 * {"camera_name","kind":"operational","failures","window_ms","crashes",
 * "failed","snapshot":null}) for that episode, closed once the worker has
 * analysed a frame and nothing failed for the window; then it is re-armed. */
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

#define HEALTH_FAIL_MAX 100      /* worker.failing_count's maximum */

struct health_cam {
	char id[CAMERA_ID_SIZE];
	int64_t alert_id;        /* its open camera_offline alert, 0 if none */
	uint64_t alerted_frame_us; /* the silence already alerted (its last frame) */
	/* worker_failing (health_worker) */
	int fail_seen;           /* the bases below hold the dispatcher's counts */
	int fail_episode;        /* failing now: alerted (or taken over), not re-armed yet */
	int64_t fail_alert;      /* its open worker_failing alert, 0 if none */
	uint64_t fail_base, done_base; /* crashes+failed, done at the last look */
	uint64_t done_at_fail;   /* done when the latest failure was seen */
	uint64_t last_fail_us;
	uint64_t fail_us[HEALTH_FAIL_MAX]; /* when the latest failures were seen, a ring */
	uint64_t fail_n;         /* failures seen in total (the ring's next slot) */
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
	unsigned fail_count;          /* worker.failing_count; 0 = no worker_failing alert */
	uint64_t fail_window_us;      /* worker.failing_window_ms */
	unsigned long long held[HEALTH_HELD_N]; /* health_held */
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

/* health_store - raise one operational alert of camera cam (shown as name;
 * cam "" for the spool): the alerts row (data, stolen), Web Push, the
 * webhook (hook, stolen; alert_id and camera added here), /metrics, MQTT
 * and the dashboards. Returns its id, or -1 (logged, nothing stored). */
static int64_t
health_store(const char *cam, const char *name, const char *reason, json_t *data, json_t *hook, uint64_t now)
{
	char *dj = data ? json_dumps(data, JSON_COMPACT) : NULL;
	int64_t id = -1;

	json_decref(data);
	if (dj == NULL || hook == NULL || db_begin() != 0) {
		log_error(NULL, "camera %s %s alert: %s", cam, reason, dj && hook ? db_errmsg() : "out of memory");
		free(dj);
		json_decref(hook);
		return -1;
	}
	id = db_alert_insert(cam, 0, (int64_t)now, reason, dj);
	free(dj);
	if (id >= 0 && (json_object_set_new(hook, "alert_id", json_integer((json_int_t)id)) != 0 ||
	    json_object_set_new(hook, "camera", json_string(cam)) != 0))
		id = -1;
	if (id < 0 || webpush_alert(id, cam, name, reason) < 0 || health_enqueue(hook) != 0 ||
	    db_commit() != 0) {
		log_error(NULL, "camera %s %s alert: %s", cam, reason, db_errmsg());
		db_rollback();
		return -1;
	}
	if (hl.hook)
		webhook_kick(hl.hook);
	webpush_kick();
	hl.raised++;
	metrics_alert(reason);
	mqtt_alert(cam, reason, (long long)id, 0);
	fanout_alert_new(id);
	return id;
}

/* health_close - close operational alert id of camera cam (acknowledged by
 * "gatewatch: why"); the webhook gets hook (stolen; alert_id added).
 * 0, or -1 (logged, nothing changed). */
static int
health_close(const char *cam, const char *reason, int64_t id, const char *why, json_t *hook, uint64_t now)
{
	char by[96];
	int rc;

	snprintf(by, sizeof(by), "gatewatch: %s", why);
	if (hook == NULL || json_object_set_new(hook, "alert_id", json_integer((json_int_t)id)) != 0 ||
	    db_begin() != 0) {
		json_decref(hook);
		log_error(NULL, "camera %s %s alert %lld close: %s", cam, reason, (long long)id, db_errmsg());
		return -1;
	}
	rc = db_alert_ack(id, by, (int64_t)now);
	if ((rc < 0 && rc != -2) || health_enqueue(hook) != 0 || db_commit() != 0) {
		log_error(NULL, "camera %s %s alert %lld close: %s", cam, reason, (long long)id, db_errmsg());
		db_rollback();
		return -1;
	}
	if (hl.hook)
		webhook_kick(hl.hook);
	mqtt_alert(cam, reason, (long long)id, 1);
	if (rc == 1)
		fanout_alert_ack(id);
	return 0;
}

static void
health_raise(struct health_cam *hc, uint64_t last_us, uint64_t now)
{
	const char *name = cams_name(hc->id);
	int64_t id;

	id = health_store(hc->id, name, HEALTH_REASON_OFFLINE,
	    json_pack("{s:s, s:s, s:I, s:I, s:n}", "camera_name", name, "kind", "operational",
	    "last_frame_ms", (json_int_t)(last_us / 1000), "offline_after_ms", (json_int_t)(hl.after_us / 1000),
	    "snapshot"),
	    json_pack("{s:s, s:s, s:n, s:s, s:o, s:I, s:o, s:I, s:n}", "type", "alert", "camera_name", name,
	    "track", "reason", HEALTH_REASON_OFFLINE, "raised", jbuf_time((int64_t)now),
	    "raised_ms", (json_int_t)(now / 1000), "since", jbuf_time((int64_t)last_us),
	    "last_frame_ms", (json_int_t)(last_us / 1000), "snapshot"), now);
	if (id < 0)
		return;
	hc->alert_id = id;
	hc->alerted_frame_us = last_us;
	log_warnx(NULL, "camera %s: no frame for %llu s (alert %lld)", hc->id,
	    (unsigned long long)((now - last_us) / 1000000), (long long)id);
}

static void
health_clear(struct health_cam *hc, uint64_t now, uint64_t last_us)
{
	int64_t id = hc->alert_id;

	if (health_close(hc->id, HEALTH_REASON_OFFLINE, id, "camera back",
	    json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I}", "type", "alert_cleared", "camera", hc->id,
	    "camera_name", cams_name(hc->id), "reason", HEALTH_REASON_OFFLINE, "cleared", jbuf_time((int64_t)now),
	    "cleared_ms", (json_int_t)(now / 1000), "offline_ms", (json_int_t)(hc->alerted_frame_us &&
	    last_us > hc->alerted_frame_us ? (last_us - hc->alerted_frame_us) / 1000 : 0)), now) < 0)
		return;
	log_info(NULL, "camera %s: frames again, alert %lld closed", hc->id, (long long)id);
	hc->alert_id = 0;
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
	int64_t id;

	if (hl.floor_mb == 0 || statvfs(hl.spool, &sv) != 0)
		return;
	free_mb = (unsigned long long)sv.f_bavail * sv.f_frsize / 1048576ull;
	if (hl.spool_alert == 0 && free_mb < 2 * hl.floor_mb) {
		id = health_store("", "Spool disk", HEALTH_REASON_SPOOL,
		    json_pack("{s:s, s:s, s:I, s:I, s:n}", "camera_name", "Spool disk", "kind", "operational",
		    "free_mb", (json_int_t)free_mb, "floor_mb", (json_int_t)hl.floor_mb, "snapshot"),
		    json_pack("{s:s, s:s, s:n, s:s, s:o, s:I, s:I, s:I}", "type", "alert", "camera_name", "Spool disk",
		    "track", "reason", HEALTH_REASON_SPOOL, "raised", jbuf_time((int64_t)now),
		    "raised_ms", (json_int_t)(now / 1000), "free_mb", (json_int_t)free_mb,
		    "floor_mb", (json_int_t)hl.floor_mb), now);
		if (id < 0)
			return;
		hl.spool_alert = id;
		log_warnx(NULL, "spool %s: %llu MiB free, ingest refuses frames below %llu MiB (alert %lld)", hl.spool,
		    free_mb, hl.floor_mb, (long long)id);
	} else if (hl.spool_alert != 0 && free_mb < 2 * hl.floor_mb) {
		hl.held[HEALTH_HELD_SPOOL_OPEN]++; /* low again: its alert is open (or taken over) */
	} else if (hl.spool_alert != 0 && free_mb * 2 >= 5 * hl.floor_mb) {
		id = hl.spool_alert;
		if (health_close("", HEALTH_REASON_SPOOL, id, "disk space back",
		    json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I}", "type", "alert_cleared", "camera", "",
		    "camera_name", "Spool disk", "reason", HEALTH_REASON_SPOOL, "cleared", jbuf_time((int64_t)now),
		    "cleared_ms", (json_int_t)(now / 1000), "free_mb", (json_int_t)free_mb), now) < 0)
			return;
		hl.spool_alert = 0;
		log_info(NULL, "spool %s: %llu MiB free again, alert %lld closed", hl.spool, free_mb, (long long)id);
	}
}

/* health_failures - failures of hc seen within the window. */
static unsigned
health_failures(const struct health_cam *hc, uint64_t now)
{
	unsigned n = 0;

	while (n < HEALTH_FAIL_MAX && n < hc->fail_n &&
	    hc->fail_us[(hc->fail_n - 1 - n) % HEALTH_FAIL_MAX] + hl.fail_window_us >= now)
		n++;
	return n;
}

static void
health_failing_raise(struct health_cam *hc, const struct msg_queue_status *q, unsigned n, uint64_t now)
{
	const char *name = cams_name(hc->id);
	json_int_t win = (json_int_t)(hl.fail_window_us / 1000);

	hc->fail_episode = 1;
	hc->fail_alert = health_store(hc->id, name, HEALTH_REASON_WORKER,
	    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:n}", "camera_name", name, "kind", "operational",
	    "failures", (json_int_t)n, "window_ms", win, "crashes", (json_int_t)q->crashes,
	    "failed", (json_int_t)q->failed, "snapshot"),
	    json_pack("{s:s, s:s, s:n, s:s, s:o, s:I, s:I, s:I, s:n}", "type", "alert", "camera_name", name,
	    "track", "reason", HEALTH_REASON_WORKER, "raised", jbuf_time((int64_t)now),
	    "raised_ms", (json_int_t)(now / 1000), "failures", (json_int_t)n, "window_ms", win, "snapshot"), now);
	if (hc->fail_alert < 0)
		hc->fail_alert = 0;
	else
		log_warnx(NULL, "camera %s: worker failed %u times within %lld ms (alert %lld)", hc->id, n,
		    (long long)win, (long long)hc->fail_alert);
}

/* health_worker - the worker_failing alert of hc from the dispatcher's
 * counts q: new failures are timed here, at the first look after them. */
static void
health_worker(struct health_cam *hc, const struct msg_queue_status *q, uint64_t now)
{
	uint64_t fails = q->crashes + q->failed, k;

	if (!hc->fail_seen || fails < hc->fail_base || q->done < hc->done_base) {
		/* the first look (what came before is not timed), or a dispatcher restart */
		hc->fail_base = hc->fail_seen ? 0 : fails;
		hc->done_at_fail = hc->fail_seen ? 0 : q->done;
		hc->fail_seen = 1;
	}
	for (k = hc->fail_base; k < fails && k - hc->fail_base < HEALTH_FAIL_MAX; k++)
		hc->fail_us[hc->fail_n++ % HEALTH_FAIL_MAX] = now;
	if (fails > hc->fail_base) {
		hc->last_fail_us = now;
		hc->done_at_fail = q->done;
	}
	hc->fail_base = fails;
	hc->done_base = q->done;
	if (!hc->fail_episode && hl.fail_count > 0 && health_failures(hc, now) >= hl.fail_count)
		health_failing_raise(hc, q, health_failures(hc, now), now);
	else if (hc->fail_episode && hl.fail_count > 0 && health_failures(hc, now) >= hl.fail_count)
		hl.held[HEALTH_HELD_WORKER_OPEN]++; /* failing again: the episode's alert is raised */
	else if (hc->fail_episode && q->done <= hc->done_at_fail && now >= hc->last_fail_us + hl.fail_window_us)
		hl.held[HEALTH_HELD_WORKER_NO_FRAME]++; /* clean for the window, but nothing analysed since */
	else if (hc->fail_episode && q->done > hc->done_at_fail && now >= hc->last_fail_us + hl.fail_window_us) {
		if (hc->fail_alert != 0) {
			health_close(hc->id, HEALTH_REASON_WORKER, hc->fail_alert, "worker runs clean",
			    json_pack("{s:s, s:s, s:s, s:s, s:o, s:I}", "type", "alert_cleared", "camera", hc->id,
			    "camera_name", cams_name(hc->id), "reason", HEALTH_REASON_WORKER,
			    "cleared", jbuf_time((int64_t)now), "cleared_ms", (json_int_t)(now / 1000)), now);
			log_info(NULL, "camera %s: worker runs clean again, alert %lld closed", hc->id,
			    (long long)hc->fail_alert);
		}
		hc->fail_alert = 0;
		hc->fail_episode = 0;
	}
}

void
health_init(const struct config *c, struct webhook *hook)
{
	sqlite3_stmt *st;

	memset(&hl, 0, sizeof(hl));
	hl.hook = hook;
	hl.after_us = (uint64_t)c->camera_offline_after_ms * 1000u;
	hl.fail_count = c->worker_failing_count > HEALTH_FAIL_MAX ? HEALTH_FAIL_MAX : (unsigned)c->worker_failing_count;
	hl.fail_window_us = (uint64_t)c->worker_failing_window_ms * 1000u;
	hl.floor_mb = c->spool_min_free_mb > 0 ? (unsigned long long)c->spool_min_free_mb : 0;
	util_strlcpy(hl.spool, c->dir, sizeof(hl.spool)); /* spool/ is under dir, on its disk */
	if (sqlite3_prepare_v2(db_handle(), "SELECT id, camera, reason FROM alerts WHERE acked_us IS NULL"
	    " AND reason IN (?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		log_error(NULL, "open operational alerts: %s", db_errmsg());
		return;
	}
	sqlite3_bind_text(st, 1, HEALTH_REASON_OFFLINE, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, HEALTH_REASON_SPOOL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, HEALTH_REASON_WORKER, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct health_cam *hc;

		if (strcmp((const char *)sqlite3_column_text(st, 2), HEALTH_REASON_SPOOL) == 0)
			hl.spool_alert = sqlite3_column_int64(st, 0);
		else if (strcmp((const char *)sqlite3_column_text(st, 2), HEALTH_REASON_WORKER) == 0) {
			/* taken over: closed after a clean window from now */
			if ((hc = health_cam((const char *)sqlite3_column_text(st, 1))) != NULL) {
				hc->fail_alert = sqlite3_column_int64(st, 0);
				hc->fail_episode = 1;
				hc->last_fail_us = util_now_us();
			}
		} else if ((hc = health_cam((const char *)sqlite3_column_text(st, 1))) != NULL)
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
		const struct msg_camera_stats *stats;
		const struct msg_queue_status *q;
		unsigned long analysed, starts;
		struct health_cam *hc;

		cams_counts(i, &stats, &q, &analysed, &starts);
		if (q != NULL && (hc = health_cam(cams_id(i))) != NULL)
			health_worker(hc, q, now);
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

void
health_held(unsigned long long held[HEALTH_HELD_N])
{
	memcpy(held, hl.held, sizeof(hl.held));
}
