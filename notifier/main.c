/* gatewatch-notifier - owns the SQLite database: commits workers' results
 * idempotently, sends verdicts back to ingest, keeps today's figures and
 * each camera's live state, and serves www/, the JSON API and the /live
 * WebSocket to dashboards. One libuv loop, one thread; libwebsockets runs
 * on that loop (foreign loop, see DESIGN.md). */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "auth.h"
#include "cams.h"
#include "config.h"
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

static struct config cfg;
static struct webhook *hook;
static uv_signal_t sig_term, sig_int;
static uv_timer_t tick;

static void
usage(void)
{
	fprintf(stderr, "usage: gatewatch-notifier [-c FILE] [--dir DIR] [--set KEY=VALUE]... [--print-msg-sizes]\n");
	exit(2);
}

/* print_msg_sizes - the struct layout this binary was built with, for
 * tests that speak the protocol from another language. */
static void
print_msg_sizes(void)
{
	printf("{\"version\":%d,\"magic\":%u,\"hdr\":%zu,\"hello\":%zu,\"frame_ref\":%zu,"
	    "\"box\":%zu,\"person\":%zu,\"track_event\":%zu,\"result\":%zu,\"result_events\":%zu,"
	    "\"result_received\":%zu,\"result_persons\":%zu,\"result_npersons\":%zu,"
	    "\"result_snapshot\":%zu,\"verdict\":%zu,\"camera_stats\":%zu,\"queue_status\":%zu,"
	    "\"takeover\":%zu,\"track_state\":%zu}\n",
	    MSG_VERSION, MSG_MAGIC, sizeof(struct msg_hdr), sizeof(struct msg_hello),
	    sizeof(struct msg_frame_ref), sizeof(struct msg_box), sizeof(struct msg_person),
	    sizeof(struct msg_track_event), sizeof(struct msg_result), offsetof(struct msg_result, events),
	    offsetof(struct msg_result, received_us), offsetof(struct msg_result, persons),
	    offsetof(struct msg_result, npersons), offsetof(struct msg_result, snapshot),
	    sizeof(struct msg_verdict), sizeof(struct msg_camera_stats),
	    sizeof(struct msg_queue_status), sizeof(struct msg_takeover), sizeof(struct msg_track_state));
}

static void
on_tick(uv_timer_t *t)
{
	(void)t;
	fanout_tick();
	auth_tick();
	web_tick();
	peer_tick(&cfg);
	health_tick();
	mqtt_tick();
}

static void
on_signal(uv_signal_t *s, int signum)
{
	(void)s;
	log_info(NULL, "signal %d: stopping", signum);
	sd_notify(0, "STOPPING=1");
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
	uv_close((uv_handle_t *)&tick, NULL);
	peer_end_orphans(&cfg);
	peer_stop();
	prune_stop();
	retention_stop();
	metrics_stop();
	mqtt_stop();
	web_stop();
}

int
main(int argc, char **argv)
{
	char err[512], path[CONFIG_PATH_SIZE + 64];
	uv_loop_t loop;
	int next, rc, i;

	/* secrets and people's data are never world-readable (issue 11) */
	umask(027);
	config_defaults(&cfg);
	if (config_args(&cfg, argc, argv, &next, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch-notifier: %s\n", err);
		return 2;
	}
	for (i = next; i < argc; i++) {
		if (strcmp(argv[i], "--print-msg-sizes") == 0) {
			print_msg_sizes();
			return 0;
		}
		usage();
	}
	log_init("notifier", (enum log_level)log_level_parse(cfg.log_level));
	signal(SIGPIPE, SIG_IGN);

	if ((rc = util_mkdirs(cfg.dir)) != 0 || config_path(&cfg, "run", path, sizeof(path)) != 0 ||
	    (rc = util_mkdirs(path)) != 0 || config_path(&cfg, "snapshots", path, sizeof(path)) != 0 ||
	    (rc = util_mkdirs(path)) != 0)
		fatal("cannot create %s and its run/, snapshots/: %s", cfg.dir, strerror(-rc));
	if (config_path(&cfg, "gatewatch.db", path, sizeof(path)) != 0 ||
	    db_open(path, err, sizeof(err)) != 0)
		fatal("database: %s", err);
	{
		/* a database made by an older version (0644): people's data */
		static const char *const sfx[] = { "", "-wal", "-shm" };
		char f[sizeof(path) + 8];
		struct stat st;

		for (i = 0; i < 3; i++) {
			snprintf(f, sizeof(f), "%s%s", path, sfx[i]);
			if (stat(f, &st) == 0 && (st.st_mode & 007) && chmod(f, st.st_mode & 0750) == 0)
				log_info(NULL, "%s was readable by others; now mode %03o", f, (unsigned)(st.st_mode & 0750));
		}
	}
	cams_init(&cfg);
	stale_init(&cfg);
	if (cfg.webhook_url[0]) {
		struct webhook_config wc;

		webhook_config_default(&wc);
		wc.url = cfg.webhook_url;
		wc.secret = cfg.webhook_secret;
		wc.ca_file = cfg.webhook_ca_file[0] ? cfg.webhook_ca_file : NULL;
		wc.backoff_min_us = (uint64_t)cfg.webhook_backoff_min_ms * 1000;
		wc.backoff_max_us = (uint64_t)cfg.webhook_backoff_max_ms * 1000;
		wc.timeout_ms = cfg.webhook_timeout_ms;
		wc.keep_delivered_us = (uint64_t)cfg.webhook_keep_days * 86400ULL * 1000000ULL;
		if (config_path(&cfg, "gatewatch.db", path, sizeof(path)) != 0 ||
		    webhook_open(&hook, path, &wc, err, sizeof(err)) != 0) {
			fprintf(stderr, "gatewatch-notifier: webhook.url: %s\n", err);
			log_error(NULL, "webhook.url: %s", err);
			db_close();
			return 2;
		}
		log_info(NULL, "webhook: alerts are delivered to %s", cfg.webhook_url);
	}
	commit_init(hook);
	health_init(&cfg, hook);
	if (webpush_open(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch-notifier: %s\n", err);
		log_error(NULL, "%s", err);
		webhook_close(hook);
		db_close();
		return 2;
	}
	if (uv_loop_init(&loop) != 0)
		fatal("uv_loop_init failed");
	if (mqtt_start(&loop, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch-notifier: %s\n", err);
		log_error(NULL, "%s", err);
		webpush_close();
		webhook_close(hook);
		db_close();
		return 2;
	}

	if (config_path(&cfg, "run/notifier.sock", path, sizeof(path)) != 0 ||
	    (rc = peer_start(&loop, path)) != 0)
		fatal("listen on %s: %s", path, strerror(-rc));
	if (web_start(&loop, &cfg) != 0)
		fatal("cannot start the HTTP server");
	metrics_start(&loop, &cfg);
	uv_signal_init(&loop, &sig_term);
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_signal_init(&loop, &sig_int);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	uv_timer_init(&loop, &tick);
	uv_timer_start(&tick, on_tick, 1000, 1000);
	prune_start(&loop, &cfg);
	retention_start(&loop, &cfg);
	log_info(NULL, "ready: database %s/gatewatch.db, socket run/notifier.sock, %d cameras configured",
	    cfg.dir, cfg.ncameras);
	sd_notifyf(0, "READY=1\nSTATUS=serving http://%s:%d/, %d cameras", cfg.listen_address, cfg.http_port,
	    cfg.ncameras); /* under systemd (Type=notify); a no-op elsewhere */

	uv_run(&loop, UV_RUN_DEFAULT);

	web_finish();
	webpush_close();
	webhook_close(hook);
	db_close();
	if ((rc = uv_loop_close(&loop)) != 0)
		log_warnx(NULL, "loop closed with handles still open: %s", uv_strerror(rc));
	log_info(NULL, "stopped");
	return 0;
}
