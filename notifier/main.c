/* gatewatch-notifier - owns the SQLite database: commits workers' results
 * idempotently, sends verdicts back to ingest, keeps today's figures and
 * each camera's live state, and serves www/, the JSON API and the /live
 * WebSocket to dashboards. One libuv loop, one thread; libwebsockets runs
 * on that loop (foreign loop, see DESIGN.md). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <sys/stat.h>

#include "auth.h"
#include "cams.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "commit.h"
#include "fanout.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "mqtt.h"
#include "msg.h"
#include "peer.h"
#include "prune.h"
#include "retention.h"
#include "stale.h"
#include "web.h"
#include "webhook.h"
#include "webpush.h"

static struct {
	struct config cfg;
	struct daemon_loop dl;
	struct webhook *hook;      /* owned; NULL without webhook.url */
	uv_timer_t tick;
	int msg_sizes;             /* --print-msg-sizes */
} nt;

/* notifier_print_msg_sizes - the struct layout this binary was built with, for
 * tests that speak the protocol from another language. */
static void
notifier_print_msg_sizes(void)
{
	printf("{\"version\":%d,\"magic\":%u,\"hdr\":%zu,\"hello\":%zu,\"frame_ref\":%zu,"
	    "\"box\":%zu,\"person\":%zu,\"track_event\":%zu,\"result\":%zu,\"result_events\":%zu,"
	    "\"result_received\":%zu,\"result_persons\":%zu,\"result_npersons\":%zu,"
	    "\"result_snapshot\":%zu,\"result_face_time\":%zu,\"verdict\":%zu,\"camera_stats\":%zu,\"queue_status\":%zu,"
	    "\"takeover\":%zu,\"track_state\":%zu,\"gate_sync\":%zu,\"frame_empty\":%zu}\n",
	    MSG_VERSION, MSG_MAGIC, sizeof(struct msg_hdr), sizeof(struct msg_hello),
	    sizeof(struct msg_frame_ref), sizeof(struct msg_box), sizeof(struct msg_person),
	    sizeof(struct msg_track_event), sizeof(struct msg_result), offsetof(struct msg_result, events),
	    offsetof(struct msg_result, received_us), offsetof(struct msg_result, persons),
	    offsetof(struct msg_result, npersons), offsetof(struct msg_result, snapshot),
	    offsetof(struct msg_result, face_time),
	    sizeof(struct msg_verdict), sizeof(struct msg_camera_stats),
	    sizeof(struct msg_queue_status), sizeof(struct msg_takeover), sizeof(struct msg_track_state),
	    sizeof(struct msg_gate_sync), sizeof(struct msg_frame_empty));
}

static void
notifier_tick(uv_timer_t *t)
{
	(void)t;
	fanout_tick();
	auth_tick();
	web_tick();
	peer_tick(&nt.cfg);
	health_tick();
	mqtt_tick();
}

/* notifier_close - a signal: nothing to drain, everything closes at once. */
static void
notifier_close(void)
{
	uv_close((uv_handle_t *)&nt.tick, NULL);
	peer_end_orphans(&nt.cfg);
	peer_stop();
	prune_stop();
	retention_stop();
	metrics_stop();
	mqtt_stop();
	web_stop();
}

/* What is special about the notifier, for the skeleton (daemon.h). */
static const struct daemon_spec notifier_spec = {
	.name = "notifier", .about = "Owns the database: commits the workers' results, sends verdicts back to\n"
	    "ingest, and serves the dashboard, the JSON API and /live over HTTP.",
	.flags = (const struct daemon_flag[]){
		{ "print-msg-sizes", 0, 0, NULL, "print the message struct layout as JSON (for tests) and exit",
		    &nt.msg_sizes },
		{ NULL, 0, 0, NULL, NULL, NULL } },
	.stop = { .close = notifier_close }, /* nothing to drain */
};

/* notifier_fail - a setting the config check could not judge was refused
 * while starting: the same exit 2 as a bad config, after closing what is open. */
static int
notifier_fail(const char *prefix, const char *err)
{
	fprintf(stderr, "gatewatch-notifier: %s%s\n", prefix, err);
	log_error(NULL, "%s%s", prefix, err);
	mqtt_stop();
	webpush_close();
	webhook_close(nt.hook);
	db_close();
	return 2;
}

/* notifier_db - DIR, run/, snapshots/ and the database (older ones made 0644 fixed). */
static void
notifier_db(char *path, size_t pathlen)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char err[512], f[CONFIG_PATH_SIZE + 80];
	struct stat st;
	int rc, i;

	if ((rc = util_mkdirs(nt.cfg.dir)) != 0 || config_path(&nt.cfg, "run", path, pathlen) != 0 ||
	    (rc = util_mkdirs(path)) != 0 || config_path(&nt.cfg, "snapshots", path, pathlen) != 0 ||
	    (rc = util_mkdirs(path)) != 0)
		fatal("cannot create %s and its run/, snapshots/: %s", nt.cfg.dir, strerror(-rc));
	if (config_path(&nt.cfg, "gatewatch.db", path, pathlen) != 0 || db_open(path, err, sizeof(err)) != 0)
		fatal("database: %s", err);
	for (i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", path, sfx[i]);
		if (stat(f, &st) == 0 && (st.st_mode & 007) && chmod(f, st.st_mode & 0750) == 0)
			log_info(NULL, "%s was readable by others; now mode %03o", f, (unsigned)(st.st_mode & 0750));
	}
}

/* notifier_webhook - the outbox in the database, when webhook.url is set. */
static int
notifier_webhook(const char *dbpath, char *err, size_t errlen)
{
	struct webhook_config wc;

	if (nt.cfg.webhook_url[0] == '\0')
		return 0;
	webhook_config_default(&wc);
	wc.url = nt.cfg.webhook_url;
	wc.secret = nt.cfg.webhook_secret;
	wc.ca_file = nt.cfg.webhook_ca_file[0] ? nt.cfg.webhook_ca_file : NULL;
	wc.backoff_min_us = (uint64_t)nt.cfg.webhook_backoff_min_ms * 1000;
	wc.backoff_max_us = (uint64_t)nt.cfg.webhook_backoff_max_ms * 1000;
	wc.timeout_ms = nt.cfg.webhook_timeout_ms;
	wc.keep_delivered_us = (uint64_t)nt.cfg.webhook_keep_days * 86400ULL * 1000000ULL;
	if (webhook_open(&nt.hook, dbpath, &wc, err, errlen) != 0)
		return -EINVAL;
	log_info(NULL, "webhook: alerts are delivered to %s", nt.cfg.webhook_url);
	return 0;
}

int
main(int argc, char **argv)
{
	char err[512], path[CONFIG_PATH_SIZE + 64];
	int rc;

	daemon_args(&notifier_spec, &nt.cfg, argc, argv, NULL);
	if (nt.msg_sizes) {
		notifier_print_msg_sizes();
		return 0;
	}
	if ((rc = daemon_loop_init(&nt.dl, &notifier_spec)) != 0)
		fatal("uv_loop_init: %s", uv_strerror(rc));
	/* mqtt.url is checked in full here, before any file is created */
	if (mqtt_start(&nt.dl.loop, &nt.cfg, err, sizeof(err)) != 0)
		return notifier_fail("", err);

	notifier_db(path, sizeof(path));
	cams_init(&nt.cfg);
	stale_init(&nt.cfg);
	if (notifier_webhook(path, err, sizeof(err)) != 0)
		return notifier_fail("webhook.url: ", err);
	commit_init(nt.hook);
	health_init(&nt.cfg, nt.hook);
	if (webpush_open(&nt.cfg, err, sizeof(err)) != 0)
		return notifier_fail("", err);

	if (config_path(&nt.cfg, "run/notifier.sock", path, sizeof(path)) != 0 ||
	    (rc = peer_start(&nt.dl.loop, path)) != 0)
		fatal("listen on %s: %s", path, strerror(-rc));
	fanout_start(peer_send_verdict);
	if (web_start(&nt.dl.loop, &nt.cfg) != 0)
		fatal("cannot start the HTTP server");
	uv_timer_init(&nt.dl.loop, &nt.tick);
	uv_timer_start(&nt.tick, notifier_tick, 1000, 1000);
	prune_start(&nt.dl.loop, &nt.cfg);
	retention_start(&nt.dl.loop, &nt.cfg);
	log_info(NULL, "ready: database %s/gatewatch.db, socket run/notifier.sock, %d cameras configured",
	    nt.cfg.dir, nt.cfg.ncameras);
	daemon_ready("serving http://%s:%d/, %d cameras", nt.cfg.listen_address, nt.cfg.http_port,
	    nt.cfg.ncameras);
	daemon_loop_run(&nt.dl);

	web_finish();
	webpush_close();
	webhook_close(nt.hook);
	db_close();
	daemon_loop_close(&nt.dl);
	log_info(NULL, "stopped");
	return 0;
}
