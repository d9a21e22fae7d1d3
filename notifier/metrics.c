/* metrics - the /metrics page. See metrics.h and docs/METRICS.md.
 *
 * The page is built on the loop thread from memory and a few indexed
 * SQLite counts. HTTP is web.c's, on lws: the dashboard's port serves it
 * to a session or bearer token, and metrics.listen is a second vhost of
 * the same lws context, on its own address, that serves this page and
 * nothing else, without credentials (web.c asks metrics_vhost). */
#include <errno.h>
#include <libwebsockets.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cams.h"
#include "db.h"
#include "health.h"
#include "histo.h"
#include "jbuf.h"
#include "log.h"
#include "metrics.h"
#include "mqtt.h"
#include "netlisten.h"
#include "result.h"
#include "today.h"
#include "util.h"
#include "webpush.h"

#define METRICS_REASONS 16

static struct histo h_frame, h_latency, h_verdict; /* histo_fast_s, histo_slow_s, histo_slow_s */
static struct histo h_face, h_mask;                 /* the workers' runs (histo_fast_s) */

static struct {
	struct lws_vhost *vh;      /* metrics.listen's, in web.c's context; NULL = none */
	struct netlisten listener;
	char db_path[CONFIG_PATH_SIZE + 32];
	char reasons[METRICS_REASONS][32];
	unsigned long long alerts[METRICS_REASONS];
	unsigned long long results, decisions;
} mt;

/* metrics_histo_text - h's series on bounds, with labels ("" or `k="v"`). */
static void
metrics_histo_text(struct jbuf *b, const char *name, const char *labels, const double *bounds,
                   const struct histo *h)
{
	const char *comma = *labels ? "," : "";
	unsigned long long cum = 0;
	int i;

	for (i = 0; i < HISTO_BOUNDS; i++) {
		cum += h->counts[i];
		jbuf_add(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, comma, bounds[i], cum);
	}
	cum += h->counts[HISTO_BOUNDS];
	jbuf_add(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, comma, cum);
	jbuf_add(b, "%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "", labels, *labels ? "}" : "", h->sum);
	jbuf_add(b, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
	    (unsigned long long)h->n);
}

static void
metrics_head(struct jbuf *b, const char *name, const char *type, const char *help)
{
	jbuf_add(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
metrics_alert(const char *reason)
{
	int i;

	for (i = 0; i < METRICS_REASONS && mt.reasons[i][0]; i++)
		if (strcmp(mt.reasons[i], reason) == 0)
			break;
	if (i == METRICS_REASONS)
		return;
	if (!mt.reasons[i][0])
		util_strlcpy(mt.reasons[i], reason, sizeof(mt.reasons[i]));
	mt.alerts[i]++;
}

void
metrics_result(const struct msg_result *r, const struct commit_out *out)
{
	int64_t now = (int64_t)util_now_us();
	unsigned i;

	if (!(r->flags & MSG_RESULT_NOFRAME)) {
		mt.results++;
		histo_add(&h_frame, histo_fast_s, r->analyse_ms / 1000.0);
		histo_merge(&h_face, &r->face_time);
		histo_merge(&h_mask, &r->mask_time);
		if (r->received_us > 0 && now >= r->received_us)
			histo_add(&h_latency, histo_slow_s, (double)(now - r->received_us) / 1e6);
	}
	for (i = 0; i < r->nevents && i < MSG_EVENTS_MAX; i++) {
		const struct msg_track_event *e = &r->events[i];

		if (!out->fresh[i])
			continue;
		if (e->decision == 1 && e->first_seen_us > 0) {
			/* the event's time as stored (the frame's receipt, or when
			 * the worker's tick decided), but never before the person
			 * was last seen: first_seen and last_seen are on the
			 * tracker's clock, which the worker's idle tick moves on
			 * between frames (the last frame's receipt time plus the
			 * wall time since), ahead of the next frame's receipt time
			 * when the worker falls further behind */
			int64_t at = result_at_us(r) > e->last_seen_us ? result_at_us(r) : e->last_seen_us;

			mt.decisions++;
			histo_add(&h_verdict, histo_slow_s, (double)(at - e->first_seen_us) / 1e6);
		}
		if (e->kind == MSG_TRACK_ALERT && out->alert_id[i] > 0)
			metrics_alert(msg_reason_name(e->reason));
	}
}

/* metrics_rss - resident bytes of a process from /proc/<pid>/status, -1. */
static long long
metrics_rss(const char *pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static long long
metrics_count(const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db_handle(), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The per-camera series with one value per camera (absent: no line). */
enum { METRICS_CONNECTED, METRICS_ANALYSED, METRICS_DEPTH, METRICS_BYTES, METRICS_FAILED, METRICS_SKIPPED,
	METRICS_STARTS };

static const struct {
	const char *name, *type, *help;
	int what;
} metrics_cam_series[] = {
	{ "gatewatch_camera_connections", "gauge", "Open camera connections to ingest.", METRICS_CONNECTED },
	{ "gatewatch_frames_analysed_total", "counter",
	    "Frames the workers analysed and the notifier committed (since the notifier started).", METRICS_ANALYSED },
	{ "gatewatch_queue_depth", "gauge", "Frames spooled for the camera's worker, waiting.", METRICS_DEPTH },
	{ "gatewatch_queue_bytes", "gauge", "Bytes spooled for the camera's worker.", METRICS_BYTES },
	{ "gatewatch_frames_failed_total", "counter",
	    "Frames set aside in spool/failed/ after crashing workers (since the dispatcher started).", METRICS_FAILED },
	{ "gatewatch_frames_skipped_total", "counter",
	    "A gate camera's stale frames removed unanalysed: a newer frame waited (since the dispatcher started).",
	    METRICS_SKIPPED },
	{ "gatewatch_worker_starts_total", "counter",
	    "Worker processes started for the camera (a new pid; restarts after a crash or idle exit).", METRICS_STARTS },
};

/* metrics_cam_value - camera i's value of series what: 1 and *v, or 0
 * when it has none (the dispatcher has not reported its queue) */
static int
metrics_cam_value(int i, int what, unsigned long long *v)
{
	const struct msg_camera_stats *st;
	const struct msg_queue_status *q;
	unsigned long analysed, starts;

	cams_counts(i, &st, &q, &analysed, &starts);
	switch (what) {
	case METRICS_CONNECTED: *v = st ? st->connected : 0; return 1;
	case METRICS_ANALYSED: *v = analysed; return 1;
	case METRICS_STARTS: *v = starts; return 1;
	case METRICS_DEPTH: *v = q ? q->depth : 0; return q != NULL;
	case METRICS_BYTES: *v = q ? q->bytes : 0; return q != NULL;
	case METRICS_SKIPPED: *v = q ? q->skipped : 0; return q != NULL;
	default: *v = q ? q->failed : 0; return q != NULL;
	}
}

static void
metrics_cameras(struct jbuf *b)
{
	static const char *outcome[] = { "received", "accepted", "no_person", "busy", "rejected", "motion_skipped" };
	const struct msg_camera_stats *st;
	const struct msg_queue_status *q;
	unsigned long analysed, starts;
	unsigned long long v;
	size_t s;
	int i, k, n = cams_count();

	metrics_head(b, "gatewatch_frames_total", "counter",
	    "Frames from each camera by ingest's answer (received counts all; since ingest started).");
	for (i = 0; i < n; i++) {
		cams_counts(i, &st, &q, &analysed, &starts);
		if (st != NULL) {
			const uint64_t c[] = { st->frames_in, st->accepted, st->no_person, st->busy, st->rejected,
				st->motion_skipped };

			for (k = 0; k < 6; k++)
				jbuf_add(b, "gatewatch_frames_total{camera=\"%s\",outcome=\"%s\"} %llu\n", cams_id(i),
				    outcome[k], (unsigned long long)c[k]);
		}
	}
	for (s = 0; s < sizeof(metrics_cam_series) / sizeof(metrics_cam_series[0]); s++) {
		if (s == 1) { /* after the connections, as docs/METRICS.md lists them */
			metrics_head(b, "gatewatch_camera_last_frame_seconds", "gauge",
			    "Unix time a frame of the camera last came in (0: none since the notifier started).");
			for (i = 0; i < n; i++)
				jbuf_add(b, "gatewatch_camera_last_frame_seconds{camera=\"%s\"} %.3f\n", cams_id(i),
				    (double)cams_last_frame_us(i) / 1e6);
		}
		metrics_head(b, metrics_cam_series[s].name, metrics_cam_series[s].type, metrics_cam_series[s].help);
		for (i = 0; i < n; i++)
			if (metrics_cam_value(i, metrics_cam_series[s].what, &v))
				jbuf_add(b, "%s{camera=\"%s\"} %llu\n", metrics_cam_series[s].name, cams_id(i), v);
	}
	metrics_head(b, "gatewatch_worker_resident_bytes", "gauge", "Resident memory of the camera's worker.");
	for (i = 0; i < n; i++) {
		char pid[16];
		long long rss;

		cams_counts(i, &st, &q, &analysed, &starts);
		if (q == NULL || q->worker_pid <= 0)
			continue;
		snprintf(pid, sizeof(pid), "%d", (int)q->worker_pid);
		if ((rss = metrics_rss(pid)) >= 0)
			jbuf_add(b, "gatewatch_worker_resident_bytes{camera=\"%s\"} %lld\n", cams_id(i), rss);
	}
}

/* metrics_networks - one run of each network per observation: the person
 * detector (ingest), the face detector (the workers' search; ingest's
 * close-up fallback apart, so that the workers' runs per analysed frame
 * are its count over gatewatch_frames_analysed_total), the mask classifier
 * (the workers). ingest's counts are its latest per camera, since it
 * started. */
static void
metrics_networks(struct jbuf *b)
{
	const struct msg_camera_stats *st;
	const struct msg_queue_status *q;
	unsigned long analysed, starts;
	struct histo person = { {0}, 0, 0 }, closeup = { {0}, 0, 0 };
	int i;

	for (i = 0; i < cams_count(); i++) {
		cams_counts(i, &st, &q, &analysed, &starts);
		if (st != NULL) {
			histo_merge(&person, &st->detect_time);
			histo_merge(&closeup, &st->face_time);
		}
	}
	metrics_head(b, "gatewatch_inference_seconds", "histogram",
	    "One run of a network, by network: person_detector (ingest), face_detector (the workers' face "
	    "search), face_detector_closeup (the same network in ingest's close-up fallback, on frames the person "
	    "detector found nobody in), mask_classifier (workers, one per face).");
	metrics_histo_text(b, "gatewatch_inference_seconds", "network=\"person_detector\"", histo_fast_s, &person);
	metrics_histo_text(b, "gatewatch_inference_seconds", "network=\"face_detector\"", histo_fast_s, &h_face);
	metrics_histo_text(b, "gatewatch_inference_seconds", "network=\"face_detector_closeup\"", histo_fast_s,
	    &closeup);
	metrics_histo_text(b, "gatewatch_inference_seconds", "network=\"mask_classifier\"", histo_fast_s, &h_mask);
}

static void
metrics_outcomes(struct jbuf *b)
{
	unsigned long long held[HEALTH_HELD_N];
	long long v;
	int i;

	metrics_networks(b);
	metrics_head(b, "gatewatch_worker_frame_seconds", "histogram",
	    "A frame's whole time in its worker: claim, read, decode, networks, tracking.");
	metrics_histo_text(b, "gatewatch_worker_frame_seconds", "", histo_fast_s, &h_frame);
	metrics_head(b, "gatewatch_frame_latency_seconds", "histogram",
	    "Frame received by ingest to its result committed by the notifier.");
	metrics_histo_text(b, "gatewatch_frame_latency_seconds", "", histo_slow_s, &h_latency);
	metrics_head(b, "gatewatch_time_to_verdict_seconds", "histogram",
	    "A gate person first seen to the frame that settled their verdict (gate decisions).");
	metrics_histo_text(b, "gatewatch_time_to_verdict_seconds", "", histo_slow_s, &h_verdict);
	metrics_head(b, "gatewatch_gate_decisions_total", "counter", "Gate decisions stored (since the notifier started).");
	jbuf_add(b, "gatewatch_gate_decisions_total %llu\n", mt.decisions);
	metrics_head(b, "gatewatch_alerts_total", "counter", "Alerts raised, by reason (since the notifier started).");
	for (i = 0; i < METRICS_REASONS && mt.reasons[i][0]; i++)
		jbuf_add(b, "gatewatch_alerts_total{reason=\"%s\"} %llu\n", mt.reasons[i], mt.alerts[i]);
	metrics_head(b, "gatewatch_alerts_open", "gauge", "Alerts not acknowledged.");
	if ((v = metrics_count("SELECT count(*) FROM alerts WHERE acked_us IS NULL")) >= 0)
		jbuf_add(b, "gatewatch_alerts_open %lld\n", v);
	health_held(held);
	metrics_head(b, "gatewatch_alerts_held_total", "counter",
	    "Health checks that found an operational alert's condition met and left the alert as it was: why=open "
	    "(raised for this episode, or taken over at the start), why=no_frame (worker_failing: clean for the "
	    "window, but no frame analysed since) (since start).");
	jbuf_add(b, "gatewatch_alerts_held_total{reason=\"%s\",why=\"open\"} %llu\n", HEALTH_REASON_SPOOL,
	    held[HEALTH_HELD_SPOOL_OPEN]);
	jbuf_add(b, "gatewatch_alerts_held_total{reason=\"%s\",why=\"open\"} %llu\n", HEALTH_REASON_WORKER,
	    held[HEALTH_HELD_WORKER_OPEN]);
	jbuf_add(b, "gatewatch_alerts_held_total{reason=\"%s\",why=\"no_frame\"} %llu\n", HEALTH_REASON_WORKER,
	    held[HEALTH_HELD_WORKER_NO_FRAME]);
}

static void
metrics_deliveries(struct jbuf *b)
{
	unsigned long long pub, drop, conn, held;
	double secs;
	long long v;

	metrics_head(b, "gatewatch_deliveries", "gauge",
	    "Alert deliveries in the outbox by channel and state (delivered rows are kept webhook.keep_days).");
	if ((v = metrics_count("SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NOT NULL")) >= 0)
		jbuf_add(b, "gatewatch_deliveries{channel=\"webhook\",state=\"delivered\"} %lld\n", v);
	if ((v = metrics_count("SELECT count(*) FROM webhook_outbox WHERE delivered_us IS NULL")) >= 0)
		jbuf_add(b, "gatewatch_deliveries{channel=\"webhook\",state=\"pending\"} %lld\n", v);
	metrics_head(b, "gatewatch_delivery_failed_attempts", "gauge",
	    "Failed delivery attempts of the deliveries in the outbox, by channel.");
	if ((v = metrics_count("SELECT coalesce(sum(CASE WHEN delivered_us IS NULL THEN attempts"
	    " ELSE max(attempts - 1, 0) END), 0) FROM webhook_outbox")) >= 0)
		jbuf_add(b, "gatewatch_delivery_failed_attempts{channel=\"webhook\"} %lld\n", v);
	webpush_counts(&pub, &drop, &conn);
	metrics_head(b, "gatewatch_webpush_attempts_total", "counter",
	    "Web Push deliveries tried, by outcome: delivered, failed (retried later), gone (the push service "
	    "answered 404/410: the subscription is dropped) (since start).");
	jbuf_add(b, "gatewatch_webpush_attempts_total{outcome=\"delivered\"} %llu\n", pub);
	jbuf_add(b, "gatewatch_webpush_attempts_total{outcome=\"failed\"} %llu\n", drop);
	jbuf_add(b, "gatewatch_webpush_attempts_total{outcome=\"gone\"} %llu\n", conn);
	mqtt_counts(&pub, &drop, &conn);
	metrics_head(b, "gatewatch_mqtt_messages_total", "counter",
	    "MQTT messages queued for the broker (published) or dropped while it was away (since start).");
	jbuf_add(b, "gatewatch_mqtt_messages_total{outcome=\"published\"} %llu\n", pub);
	jbuf_add(b, "gatewatch_mqtt_messages_total{outcome=\"dropped\"} %llu\n", drop);
	metrics_head(b, "gatewatch_mqtt_connects_total", "counter", "Connections made to the MQTT broker (since start).");
	jbuf_add(b, "gatewatch_mqtt_connects_total %llu\n", conn);
	metrics_head(b, "gatewatch_mqtt_connected", "gauge", "1 while connected to the MQTT broker (absent: MQTT is off).");
	if (mqtt_connected() >= 0)
		jbuf_add(b, "gatewatch_mqtt_connected %d\n", mqtt_connected());
	today_counts(&pub, &secs, &held);
	metrics_head(b, "gatewatch_today_reads_total", "counter",
	    "The day's figures read again in the thread pool (someone listening after a change) (since start).");
	jbuf_add(b, "gatewatch_today_reads_total %llu\n", pub);
	metrics_head(b, "gatewatch_today_read_seconds_total", "counter",
	    "Time spent reading the day's figures in the thread pool (since start).");
	jbuf_add(b, "gatewatch_today_read_seconds_total %.6f\n", secs);
	metrics_head(b, "gatewatch_today_reads_held_total", "counter",
	    "Ticks (one a second) that held a due read of the day's figures back: a change waiting, nobody "
	    "listening (since start).");
	jbuf_add(b, "gatewatch_today_reads_held_total %llu\n", held);
}

void
metrics_page(struct jbuf *b)
{
	char path[CONFIG_PATH_SIZE + 40];
	struct stat sb;
	long long v, bytes;

	metrics_cameras(b);
	metrics_outcomes(b);
	metrics_deliveries(b);
	metrics_head(b, "gatewatch_database_bytes", "gauge", "Size of gatewatch.db with its write-ahead log.");
	bytes = stat(mt.db_path, &sb) == 0 ? (long long)sb.st_size : 0;
	snprintf(path, sizeof(path), "%s-wal", mt.db_path);
	bytes += stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
	jbuf_add(b, "gatewatch_database_bytes %lld\n", bytes);
	metrics_head(b, "process_resident_memory_bytes", "gauge", "Resident memory of the notifier.");
	if ((v = metrics_rss("self")) >= 0)
		jbuf_add(b, "process_resident_memory_bytes %lld\n", v);
}

/* ---- metrics.listen: a vhost of the notifier's lws context ---- */

int
metrics_start(uv_loop_t *loop, struct lws_context *ctx, const struct lws_context_creation_info *web,
              const struct config *c)
{
	struct lws_context_creation_info info = *web;
	char addr[80], err[256], *colon;
	long port;
	int fd;

	config_path(c, "gatewatch.db", mt.db_path, sizeof(mt.db_path));
	if (c->metrics_listen[0] == '\0') {
		log_info(NULL, "metrics: only on the dashboard's port (metrics.listen is empty)");
		return 0;
	}
	util_strlcpy(addr, c->metrics_listen, sizeof(addr));
	if ((colon = strrchr(addr, ':')) == NULL || (port = strtol(colon + 1, NULL, 10)) < 1 || port > 65535) {
		log_error(NULL, "metrics.listen %s: not ADDRESS:PORT; metrics off", c->metrics_listen);
		return -1;
	}
	*colon = '\0';
	/* plain HTTP on its own address, even when the dashboard's is TLS. lws
	 * binds a request to the first vhost of the port it came in on (unless
	 * its Host names another): the dashboard's vhost says "no listener,
	 * server" (we accept for it), this one "no listener", so the two
	 * never swap requests. */
	info.vhost_name = "metrics";
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.ssl_cert_filepath = info.ssl_private_key_filepath = NULL;
	if ((mt.vh = lws_create_vhost(ctx, &info)) == NULL) {
		log_error(NULL, "metrics.listen %s: cannot make its vhost; metrics off", c->metrics_listen);
		return -1;
	}
	if ((fd = netlisten_bind(addr, (int)port, err, sizeof(err))) < 0 ||
	    netlisten_start(&mt.listener, loop, fd, mt.vh, log_listen_paused, (void *)"metrics: ") != 0) {
		log_error(NULL, "metrics.listen %s: %s; metrics off, the notifier serves on", c->metrics_listen,
		    fd < 0 ? err : "cannot watch the listening socket");
		mt.vh = NULL;
		return -1;
	}
	log_info(NULL, "metrics: http://%s/metrics", c->metrics_listen);
	return 0;
}

int
metrics_vhost(struct lws *wsi)
{
	return mt.vh != NULL && lws_get_vhost(wsi) == mt.vh;
}

void
metrics_stop(void)
{
	netlisten_stop(&mt.listener);
}
