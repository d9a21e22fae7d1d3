/* mqtt - gatewatch on an MQTT broker, with Home Assistant discovery. See
 * mqtt.h for the topics and docs/MQTT.md for the payloads.
 *
 * Threads: libmosquitto's network thread (mosquitto_loop_start) connects,
 * reconnects with backoff and writes; its callbacks only set flags and
 * publish constants. Everything else runs on the notifier's loop thread,
 * where mosquitto_publish just queues a packet for the network thread.
 * While not connected nothing is queued (events are dropped and counted);
 * on each connect the retained topics are published again. */
#include <jansson.h>
#include <mosquitto.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cams.h"
#include "daemon.h"
#include "db.h"
#include "today.h"
#include "jbuf.h"
#include "log.h"
#include "mqtt.h"
#include "util.h"

#define MQTT_CAMS (2 * CONFIG_CAMERAS_MAX)
#define MQTT_STATE_EVERY 2        /* ticks between state checks */
#define MQTT_KEEPALIVE_S 30
#define MQTT_TOPIC_MAX 256

static struct {
	struct mosquitto *m;       /* owned; NULL when off */
	struct mosquitto *pending; /* owned: stopped while its first connect ran */
	uv_work_t work;
	int connecting;            /* the first connect is running in the pool */
	int loop_started;
	char host[256];
	int port, tls;
	char prefix[128], disc[128];
	unsigned offline_ms;
	unsigned tick;
	atomic_int connected, resync;
	atomic_int failed;         /* an error was logged (mq.error, written before) */
	char error[256];           /* libmosquitto's error line; its thread writes, then sets failed */
	uv_loop_t *loop;
	unsigned retry_s;          /* loop thread: the last retry delay, 0 after a connect */
	uint64_t retry_at;         /* loop thread: when to connect again, 0 = no retry waiting */
	atomic_ullong published, dropped, connects;
	char *state[MQTT_CAMS];    /* owned: last state payload published, per cams index */
	char online[MQTT_CAMS][4];
	unsigned char discovered[MQTT_CAMS];
} mq;

void
mqtt_counts(unsigned long long *published, unsigned long long *dropped, unsigned long long *connects)
{
	*published = atomic_load(&mq.published);
	*dropped = atomic_load(&mq.dropped);
	*connects = atomic_load(&mq.connects);
}

int
mqtt_connected(void)
{
	return mq.m == NULL ? -1 : atomic_load(&mq.connected) != 0;
}

/* mqtt_pub - queue one message; counts it as published or dropped. */
static int
mqtt_pub(const char *topic, const char *payload, int qos, int retain)
{
	int rc;

	if (mq.m == NULL)
		return -1;
	if (!atomic_load(&mq.connected)) {
		atomic_fetch_add(&mq.dropped, 1);
		return -1;
	}
	rc = mosquitto_publish(mq.m, NULL, topic, (int)strlen(payload), payload, qos, retain);
	if (rc != MOSQ_ERR_SUCCESS) {
		atomic_fetch_add(&mq.dropped, 1);
		return -1;
	}
	atomic_fetch_add(&mq.published, 1);
	return 0;
}

/* mqtt_pub_json - publish o (stolen) compact. */
static void
mqtt_pub_json(const char *topic, json_t *o, int qos, int retain)
{
	char *s;

	if (o == NULL)
		return;
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		mqtt_pub(topic, s, qos, retain);
		free(s);
	}
	json_decref(o);
}

static void
mqtt_topic(char *out, const char *cam, const char *what)
{
	snprintf(out, MQTT_TOPIC_MAX, "%scamera/%s/%s", mq.prefix, cam, what);
}

/* ---- libmosquitto's thread ---- */

static void
mqtt_on_connect(struct mosquitto *m, void *arg, int rc)
{
	char topic[MQTT_TOPIC_MAX];

	(void)arg;
	if (rc != 0) {
		log_warnx(NULL, "mqtt: %s:%d refused the connection: %s", mq.host, mq.port, mosquitto_connack_string(rc));
		return;
	}
	atomic_store(&mq.connected, 1);
	atomic_fetch_add(&mq.connects, 1);
	snprintf(topic, sizeof(topic), "%sstatus", mq.prefix);
	mosquitto_publish(m, NULL, topic, 6, "online", 1, true);
	atomic_store(&mq.resync, 1);
	log_info(NULL, "mqtt: connected to %s:%d", mq.host, mq.port);
}

/* mqtt_on_log - libmosquitto's errors (a failed TLS handshake says why
 * only here), kept for mqtt_retry's log line */
static void
mqtt_on_log(struct mosquitto *m, void *arg, int level, const char *str)
{
	(void)m;
	(void)arg;
	if (level != MOSQ_LOG_ERR || atomic_load(&mq.failed))
		return;
	util_strlcpy(mq.error, str, sizeof(mq.error));
	atomic_store(&mq.failed, 1);
}

static void
mqtt_on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	(void)m;
	(void)arg;
	if (atomic_exchange(&mq.connected, 0) && rc != 0)
		log_warnx(NULL, "mqtt: lost %s:%d; reconnecting with backoff", mq.host, mq.port);
}

/* ---- the first connect, in the thread pool (it may resolve a name) ---- */

static void
mqtt_connect_work(uv_work_t *w)
{
	int rc = mosquitto_connect_async(mq.m, mq.host, mq.port, MQTT_KEEPALIVE_S);

	w->data = (void *)(intptr_t)rc;
}

static void
mqtt_connect_done(uv_work_t *w, int status)
{
	int rc = (int)(intptr_t)w->data;

	mq.connecting = 0;
	if (mq.pending != NULL) { /* stopped meanwhile */
		mosquitto_destroy(mq.pending);
		mq.pending = NULL;
		mosquitto_lib_cleanup();
		return;
	}
	if (status != 0 || mq.m == NULL)
		return;
	if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_TLS) /* TLS: mqtt_retry says why */
		log_warnx(NULL, "mqtt: %s:%d: %s; retrying with backoff", mq.host, mq.port,
		    rc == MOSQ_ERR_ERRNO ? "cannot connect" : mosquitto_strerror(rc));
	/* the network thread connects again by itself after a failure */
	if (mosquitto_loop_start(mq.m) == MOSQ_ERR_SUCCESS)
		mq.loop_started = 1;
	else
		log_error(NULL, "mqtt: cannot start the network thread");
}

/* mqtt_url - mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; [v6] allowed. */
static int
mqtt_url(const char *url, char *err, size_t errlen)
{
	const char *h, *end, *colon;
	size_t n;

	if (strncmp(url, "mqtt://", 7) == 0)
		h = url + 7, mq.tls = 0, mq.port = 1883;
	else if (strncmp(url, "mqtts://", 8) == 0)
		h = url + 8, mq.tls = 1, mq.port = 8883;
	else {
		snprintf(err, errlen, "mqtt.url %s: not mqtt://HOST[:PORT] or mqtts://HOST[:PORT]", url);
		return -1;
	}
	end = h + strcspn(h, "/?#");
	if (*end != '\0' && strcmp(end, "/") != 0) {
		snprintf(err, errlen, "mqtt.url %s: no path, query or user part allowed", url);
		return -1;
	}
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (rb == NULL) {
			snprintf(err, errlen, "mqtt.url %s: unclosed [", url);
			return -1;
		}
		n = (size_t)(rb - h - 1);
		memcpy(mq.host, h + 1, n < sizeof(mq.host) ? n : sizeof(mq.host) - 1);
		mq.host[n < sizeof(mq.host) ? n : sizeof(mq.host) - 1] = '\0';
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		n = (size_t)((colon ? colon : end) - h);
		if (n >= sizeof(mq.host))
			n = sizeof(mq.host) - 1;
		memcpy(mq.host, h, n);
		mq.host[n] = '\0';
	}
	if (colon) {
		char *e;
		long p = strtol(colon + 1, &e, 10);

		if (e != end || p < 1 || p > 65535) {
			snprintf(err, errlen, "mqtt.url %s: bad port", url);
			return -1;
		}
		mq.port = (int)p;
	}
	if (mq.host[0] == '\0' || strchr(mq.host, '@') != NULL) {
		snprintf(err, errlen, "mqtt.url %s: no host (user and password go in mqtt.user, mqtt.password)", url);
		return -1;
	}
	return 0;
}

int
mqtt_start(uv_loop_t *loop, const struct config *c, char *err, size_t errlen)
{
	char id[64], host[64] = "host", topic[MQTT_TOPIC_MAX];
	int rc;

	if (c->mqtt_url[0] == '\0')
		return 0;
	if (mqtt_url(c->mqtt_url, err, errlen) != 0)
		return -1;
	util_strlcpy(mq.prefix, c->mqtt_topic_prefix, sizeof(mq.prefix));
	util_strlcpy(mq.disc, c->mqtt_discovery_prefix, sizeof(mq.disc));
	mq.offline_ms = c->camera_offline_after_ms ? (unsigned)c->camera_offline_after_ms : 60000u;
	mosquitto_lib_init();
	gethostname(host, sizeof(host) - 1);
	snprintf(id, sizeof(id), "gatewatch-%.40s-%d", host, (int)getpid());
	if ((mq.m = mosquitto_new(id, true, NULL)) == NULL) {
		snprintf(err, errlen, "mqtt: out of memory");
		return -1;
	}
	mosquitto_int_option(mq.m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_connect_callback_set(mq.m, mqtt_on_connect);
	mosquitto_disconnect_callback_set(mq.m, mqtt_on_disconnect);
	mosquitto_log_callback_set(mq.m, mqtt_on_log);
	mq.loop = loop;
	mosquitto_reconnect_delay_set(mq.m, 1, 60, true);
	snprintf(topic, sizeof(topic), "%sstatus", mq.prefix);
	if ((rc = mosquitto_will_set(mq.m, topic, 7, "offline", 1, true)) != MOSQ_ERR_SUCCESS ||
	    (c->mqtt_user[0] && (rc = mosquitto_username_pw_set(mq.m, c->mqtt_user,
	    c->mqtt_password[0] ? c->mqtt_password : NULL)) != MOSQ_ERR_SUCCESS) ||
	    (mq.tls && (rc = mosquitto_tls_set(mq.m, c->mqtt_ca_file[0] ? c->mqtt_ca_file : NULL,
	    c->mqtt_ca_file[0] ? NULL : "/etc/ssl/certs", NULL, NULL, NULL)) != MOSQ_ERR_SUCCESS)) {
		snprintf(err, errlen, "mqtt: %s", mosquitto_strerror(rc));
		mosquitto_destroy(mq.m);
		mq.m = NULL;
		return -1;
	}
	mq.connecting = 1;
	if (daemon_pool_try(loop, &mq.work, NULL, mqtt_connect_work, mqtt_connect_done) != 0) {
		mq.connecting = 0;
		snprintf(err, errlen, "mqtt: cannot queue the connect");
		mosquitto_destroy(mq.m);
		mq.m = NULL;
		return -1;
	}
	log_info(NULL, "mqtt: publishing to %s (topics %s..., discovery %s/)", c->mqtt_url, mq.prefix, mq.disc);
	return 0;
}

void
mqtt_stop(void)
{
	char topic[MQTT_TOPIC_MAX];
	int i;

	if (mq.m == NULL)
		return;
	if (mq.loop_started) {
		if (atomic_load(&mq.connected)) {
			snprintf(topic, sizeof(topic), "%sstatus", mq.prefix);
			mosquitto_publish(mq.m, NULL, topic, 7, "offline", 1, true);
			mosquitto_disconnect(mq.m);
			mosquitto_loop_stop(mq.m, false);
		} else
			mosquitto_loop_stop(mq.m, true); /* it may sleep out a reconnect delay */
	}
	/* a connect still in the pool: the loop runs it to the end before
	 * exiting; mqtt_connect_done sees mq.m NULL */
	if (mq.connecting)
		mq.pending = mq.m;
	else
		mosquitto_destroy(mq.m);
	mq.m = NULL;
	for (i = 0; i < MQTT_CAMS; i++) {
		free(mq.state[i]);
		mq.state[i] = NULL;
	}
	if (!mq.connecting)
		mosquitto_lib_cleanup();
}

/* ---- Home Assistant discovery and per-camera state (loop thread) ---- */

static json_t *
mqtt_device(const char *cam)
{
	char ident[64];

	snprintf(ident, sizeof(ident), "gatewatch_%s", cam);
	return json_pack("{s:[s], s:s, s:s, s:s}", "identifiers", ident, "name", cams_name(cam),
	    "manufacturer", "gatewatch", "model", cams_is_indoor(cam) ? "indoor camera" : "gate camera");
}

static void
mqtt_discovery(const char *cam)
{
	static const struct { const char *key, *name, *icon, *state_class; } sensors[] = {
		{ "people_now", "People now", "mdi:account-multiple", "measurement" },
		{ "people_today", "People today", "mdi:account-group", "total_increasing" },
		{ "passed", "Passed today", "mdi:check-circle", "total_increasing" },
		{ "denied", "Denied today", "mdi:close-circle", "total_increasing" },
		{ "alerts_open", "Open alerts", "mdi:alert", "measurement" },
	};
	char topic[MQTT_TOPIC_MAX], state[MQTT_TOPIC_MAX], online[MQTT_TOPIC_MAX], avail[MQTT_TOPIC_MAX];
	char uid[96], tmpl[64];
	size_t i;

	mqtt_topic(state, cam, "state");
	mqtt_topic(online, cam, "online");
	snprintf(avail, sizeof(avail), "%sstatus", mq.prefix);
	for (i = 0; i < sizeof(sensors) / sizeof(sensors[0]); i++) {
		snprintf(uid, sizeof(uid), "gatewatch_%s_%s", cam, sensors[i].key);
		snprintf(topic, sizeof(topic), "%s/sensor/%s/config", mq.disc, uid);
		snprintf(tmpl, sizeof(tmpl), "{{ value_json.%s }}", sensors[i].key);
		mqtt_pub_json(topic, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
		    "name", sensors[i].name, "unique_id", uid, "object_id", uid, "state_topic", state,
		    "value_template", tmpl, "state_class", sensors[i].state_class, "icon", sensors[i].icon,
		    "availability_topic", avail, "payload_available", "online", "payload_not_available", "offline",
		    "device", mqtt_device(cam)), 1, 1);
	}
	snprintf(uid, sizeof(uid), "gatewatch_%s_online", cam);
	snprintf(topic, sizeof(topic), "%s/binary_sensor/%s/config", mq.disc, uid);
	mqtt_pub_json(topic, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
	    "name", "Camera online", "unique_id", uid, "object_id", uid, "state_topic", online,
	    "payload_on", "ON", "payload_off", "OFF", "device_class", "connectivity",
	    "availability_topic", avail, "payload_available", "online", "payload_not_available", "offline",
	    "device", mqtt_device(cam)), 1, 1);
}

static long long
mqtt_count(const char *sql, const char *cam)
{
	sqlite3_stmt *st;
	long long v = 0;

	if (sqlite3_prepare_v2(db_handle(), sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, cam, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static double
mqtt_round1(double v)
{
	return (double)(long long)(v * 10 + 0.5) / 10;
}

/* mqtt_states - publish every camera's state and online flag that changed. */
static void
mqtt_states(void)
{
	const struct msg_camera_stats *st;
	const struct msg_queue_status *q;
	unsigned long analysed, starts;
	uint64_t now = util_now_us();
	int i, n = cams_count();
	/* in memory (today.h): the day's query is too slow for the loop */
	json_t *cams = json_object_get(today_figures(), "cameras");

	for (i = 0; i < n && i < MQTT_CAMS; i++) {
		const char *cam = cams_id(i);
		json_t *t = cams ? json_object_get(cams, cam) : NULL, *o;
		uint64_t last = cams_last_frame_us(i);
		int online = last != 0 && now - last < (uint64_t)mq.offline_ms * 1000u;
		char topic[MQTT_TOPIC_MAX], *s;

		cams_counts(i, &st, &q, &analysed, &starts);
		if (!mq.discovered[i]) {
			mqtt_discovery(cam);
			mq.discovered[i] = 1;
		}
		o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:f}", "online", online,
		    "people_now", (json_int_t)mqtt_count("SELECT count(*) FROM tracks WHERE camera = ? AND ended_us IS NULL", cam),
		    "people_today", (json_int_t)json_integer_value(json_object_get(t, "people")),
		    "passed", (json_int_t)json_integer_value(json_object_get(t, "passed")),
		    "denied", (json_int_t)json_integer_value(json_object_get(t, "denied")),
		    "alerts_open", (json_int_t)mqtt_count("SELECT count(*) FROM alerts WHERE camera = ? AND acked_us IS NULL", cam),
		    "fps_in", st ? mqtt_round1(st->fps_in) : 0.0);
		s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(o);
		if (s != NULL && (mq.state[i] == NULL || strcmp(mq.state[i], s) != 0)) {
			mqtt_topic(topic, cam, "state");
			if (mqtt_pub(topic, s, 1, 1) == 0) {
				free(mq.state[i]);
				mq.state[i] = s;
				s = NULL;
			}
		}
		free(s);
		if (strcmp(mq.online[i], online ? "ON" : "OFF") != 0) {
			mqtt_topic(topic, cam, "online");
			if (mqtt_pub(topic, online ? "ON" : "OFF", 1, 1) == 0)
				util_strlcpy(mq.online[i], online ? "ON" : "OFF", sizeof(mq.online[i]));
		}
	}
}

/* mqtt_retry - libmosquitto's network thread retries a lost or refused
 * connection by itself (mosquitto_reconnect_delay_set), but gives up for
 * good after some errors, a failed TLS handshake among them (a certificate
 * mqtt.ca_file does not trust, a name it does not match). Then: one log
 * line with the reason, the thread joined, and a new connect after 1 s,
 * 2 s, 4 s, ... 60 s. Loop thread, every second. */
static void
mqtt_retry(void)
{
	uint64_t now = util_mono_us();

	if (atomic_load(&mq.connected)) {
		mq.retry_s = 0;
		atomic_store(&mq.failed, 0);
		return;
	}
	if (mq.connecting || !atomic_load(&mq.failed))
		return;
	if (mq.retry_at == 0) {
		if (mq.loop_started)
			mosquitto_loop_stop(mq.m, true); /* it has returned, or is about to */
		mq.loop_started = 0;
		mq.retry_s = mq.retry_s == 0 ? 1 : mq.retry_s >= 30 ? 60 : 2 * mq.retry_s;
		mq.retry_at = now + (uint64_t)mq.retry_s * 1000000u;
		log_warnx(NULL, "mqtt: %s:%d: %s%s; retrying in %u s", mq.host, mq.port, mq.error,
		    mq.tls ? " (TLS: is the broker's certificate signed by mqtt.ca_file, for this host name?)" : "",
		    mq.retry_s);
		return;
	}
	if (now < mq.retry_at)
		return;
	mq.retry_at = 0;
	atomic_store(&mq.failed, 0);
	mq.connecting = 1;
	if (daemon_pool_try(mq.loop, &mq.work, NULL, mqtt_connect_work, mqtt_connect_done) != 0)
		mq.connecting = 0;
}

void
mqtt_tick(void)
{
	int i;

	if (mq.m == NULL)
		return;
	mqtt_retry();
	if (!atomic_load(&mq.connected))
		return;
	if (atomic_exchange(&mq.resync, 0)) {
		/* a new session: the broker may have lost the retained ones */
		for (i = 0; i < MQTT_CAMS; i++) {
			free(mq.state[i]);
			mq.state[i] = NULL;
			mq.online[i][0] = '\0';
			mq.discovered[i] = 0;
		}
		mq.tick = 0;
	}
	if (mq.tick++ % MQTT_STATE_EVERY == 0)
		mqtt_states();
}

/* ---- events ---- */

static const char *
mqtt_kind(unsigned k)
{
	switch (k) {
	case MSG_TRACK_NEW: return "new";
	case MSG_TRACK_CHANGED: return "changed";
	case MSG_TRACK_ENDED: return "ended";
	case MSG_TRACK_ALERT: return "alert";
	case MSG_TRACK_PROMPT: return "prompt";
	default: return "other";
	}
}

void
mqtt_result(const struct msg_result *r, const struct commit_out *out)
{
	const char *cam = r->ref.camera;
	char topic[MQTT_TOPIC_MAX], track[24];
	unsigned i;

	if (mq.m == NULL)
		return;
	for (i = 0; i < r->nevents && i < MSG_EVENTS_MAX; i++) {
		const struct msg_track_event *e = &r->events[i];
		json_t *temp;

		if (!out->fresh[i])
			continue;
		snprintf(track, sizeof(track), "%lld", (long long)e->track_id);
		temp = e->temperature == e->temperature ? json_real(e->temperature) : json_null();
		mqtt_topic(topic, cam, "event");
		mqtt_pub_json(topic, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:O, s:I, s:I}", "camera", cam,
		    "track", track, "event", mqtt_kind(e->kind), "verdict", msg_verdict_name(e->verdict),
		    "reason", msg_reason_name(e->reason), "mask", msg_mask_name(e->mask), "decision", e->decision == 1,
		    "temperature", temp, "first_seen_ms", (json_int_t)(e->first_seen_us / 1000),
		    "at_ms", (json_int_t)(e->last_seen_us / 1000)), 0, 0);
		if (e->decision == 1) {
			mqtt_topic(topic, cam, "decision");
			mqtt_pub_json(topic, json_pack("{s:s, s:s, s:s, s:s, s:O, s:I}", "camera", cam, "track", track,
			    "verdict", msg_verdict_name(e->verdict), "reason", msg_reason_name(e->reason),
			    "temperature", temp, "at_ms", (json_int_t)(e->last_seen_us / 1000)), 1, 0);
		}
		if (e->kind == MSG_TRACK_ALERT && out->alert_id[i] > 0) {
			mqtt_topic(topic, cam, "alert");
			mqtt_pub_json(topic, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "alert_id",
			    (json_int_t)out->alert_id[i], "camera", cam, "camera_name", cams_name(cam), "track", track,
			    "reason", msg_reason_name(e->reason), "mask", msg_mask_name(e->mask),
			    "at_ms", (json_int_t)(e->last_seen_us / 1000)), 1, 0);
		}
		json_decref(temp);
	}
}

void
mqtt_alert(const char *camera, const char *reason, long long alert_id, int cleared)
{
	char topic[MQTT_TOPIC_MAX];

	if (mq.m == NULL)
		return;
	mqtt_topic(topic, camera, cleared ? "alert_cleared" : "alert");
	mqtt_pub_json(topic, json_pack("{s:I, s:s, s:s, s:n, s:s, s:I}", "alert_id", (json_int_t)alert_id,
	    "camera", camera, "camera_name", cams_name(camera), "track", "reason", reason,
	    "at_ms", (json_int_t)(util_now_us() / 1000)), 1, 0);
}
