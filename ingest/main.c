/* main - gatewatch-ingest: cameras in, spooled frames with people out.
 *
 * config -> log -> spool (no recovery: the dispatcher owns that) -> person
 * model (loaded once here so a bad model fails at startup) -> peers ->
 * WebSocket server on our own libuv loop -> run. SIGTERM/SIGINT: refuse
 * new connections, finish frames in flight and flush answers (at most
 * INGEST_DRAIN_MS), close everything, exit 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "check.h"
#include "config.h"
#include "log.h"
#include "peers.h"
#include "pipeline.h"
#include "replay.h"
#include "spool.h"
#include "util.h"
#include "ws.h"

#define INGEST_DRAIN_MS 10000

static struct {
	struct config cfg;
	struct spool sp;
	uv_loop_t loop;
	uv_signal_t sigterm, sigint;
	uv_timer_t stats, drain;
	uint64_t stats_last, drain_start;
	int stopping;
} ig;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gatewatch-ingest [-c FILE] [--dir DIR] [--set KEY=VALUE]...\n"
	    "       gatewatch-ingest [config flags] --replay FILE...\n");
	exit(2);
}

static void
ingest_stats(uv_timer_t *t)
{
	struct msg_camera_stats st;
	uint64_t now = util_mono_us();
	double window = (double)(now - ig.stats_last) / 1e6;
	int i;

	(void)t;
	ig.stats_last = now;
	for (i = 0; i < ig.cfg.ncameras; i++) {
		if (ig.cfg.cameras[i].token[0] == '\0')
			continue;
		pipeline_stats(i, &st, window);
		st.connected = ws_connected(i);
		if (peers_camera_stats(&st) != 0)
			break; /* notifier away: nothing to tell it */
	}
}

static void
ingest_drain(uv_timer_t *t)
{
	int done = pipeline_pending() == 0 && ws_flushed();

	(void)t;
	if (!done && util_mono_us() - ig.drain_start < INGEST_DRAIN_MS * 1000ull)
		return;
	if (!done)
		log_warnx(NULL, "drain timed out with %d frames in flight", pipeline_pending());
	uv_close((uv_handle_t *)&ig.drain, NULL);
	uv_close((uv_handle_t *)&ig.stats, NULL);
	uv_close((uv_handle_t *)&ig.sigterm, NULL);
	uv_close((uv_handle_t *)&ig.sigint, NULL);
	peers_stop();
	uv_stop(&ig.loop);
}

static void
ingest_signal(uv_signal_t *s, int signum)
{
	(void)s;
	if (ig.stopping)
		return;
	ig.stopping = 1;
	sd_notify(0, "STOPPING=1");
	log_info(NULL, "signal %d: refusing new connections, finishing %d frames in flight",
	    signum, pipeline_pending());
	ws_stop_accepting();
	ig.drain_start = util_mono_us();
	uv_timer_init(&ig.loop, &ig.drain);
	uv_timer_start(&ig.drain, ingest_drain, 0, 50);
}

int
main(int argc, char **argv)
{
	char err[1024], path[CONFIG_PATH_SIZE], nthreads[16];
	struct check_params p;
	int next = 0, level, rc, replay = 0;

	/* secrets and people's data are never world-readable (issue 11) */
	umask(027);
	config_defaults(&ig.cfg);
	if (config_args(&ig.cfg, argc, argv, &next, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch-ingest: %s\n", err);
		return 2;
	}
	if (next < argc) {
		if (strcmp(argv[next], "--replay") == 0)
			replay = 1;
		else if (strcmp(argv[next], "-h") == 0 || strcmp(argv[next], "--help") == 0)
			usage();
		else {
			fprintf(stderr, "gatewatch-ingest: unknown argument %s\n", argv[next]);
			usage();
		}
		if (next + 1 >= argc) {
			fprintf(stderr, "gatewatch-ingest: --replay needs at least one file\n");
			usage();
		}
	}
	if ((level = log_level_parse(ig.cfg.log_level)) < 0)
		level = LOG_LEVEL_INFO;
	log_init("ingest", (enum log_level)level);

	memset(&p, 0, sizeof(p));
	p.models_dir = ig.cfg.models_dir;
	p.input = ig.cfg.person_input;
	if (check_preload(&p, replay ? 1 : ig.cfg.ingest_threads, err, sizeof(err)) != 0)
		fatal("person detector / face detector: %s (run `make models`, or set models.dir)", err);
	if (replay) {
		rc = replay_run(&ig.cfg, argv + next + 1, argc - next - 1);
		check_shutdown();
		return rc;
	}

	/* before the loop touches the pool: libuv reads this once */
	snprintf(nthreads, sizeof(nthreads), "%d", ig.cfg.ingest_threads);
	setenv("UV_THREADPOOL_SIZE", nthreads, 1);

	if (config_path(&ig.cfg, "spool", path, sizeof(path)) != 0)
		fatal("dir %s: path too long", ig.cfg.dir);
	if ((rc = spool_open(&ig.sp, path, ig.cfg.spool_max_frames, ig.cfg.spool_max_bytes,
	    ig.cfg.spool_min_free_mb)) != 0)
		fatal("spool %s: %s", path, strerror(-rc));
	if (config_path(&ig.cfg, "run", path, sizeof(path)) != 0 || (rc = util_mkdirs(path)) != 0)
		fatal("cannot create %s/run", ig.cfg.dir);

	signal(SIGPIPE, SIG_IGN);
	if ((rc = uv_loop_init(&ig.loop)) != 0)
		fatal("uv_loop_init: %s", uv_strerror(rc));
	pipeline_init(&ig.loop, &ig.cfg, &ig.sp, ws_answer, peers_frame_ready);
	if ((rc = peers_start(&ig.loop, &ig.cfg, ws_verdict)) != 0)
		fatal("dir %s: socket path too long", ig.cfg.dir);
	if (ws_start(&ig.loop, &ig.cfg, err, sizeof(err)) != 0)
		fatal("%s", err);

	uv_signal_init(&ig.loop, &ig.sigterm);
	uv_signal_start(&ig.sigterm, ingest_signal, SIGTERM);
	uv_signal_init(&ig.loop, &ig.sigint);
	uv_signal_start(&ig.sigint, ingest_signal, SIGINT);
	ig.stats_last = util_mono_us();
	uv_timer_init(&ig.loop, &ig.stats);
	uv_timer_start(&ig.stats, ingest_stats, 1000, 1000);

	log_info(NULL, "listening on %s://%s:%d for %d camera(s); spool %s/spool; %d threads",
	    ig.cfg.tls_cert[0] ? "wss" : "ws", ig.cfg.listen_address, ig.cfg.ingest_port,
	    ig.cfg.ncameras, ig.cfg.dir, ig.cfg.ingest_threads);
	sd_notifyf(0, "READY=1\nSTATUS=serving %s://%s:%d/ for %d camera(s)", ig.cfg.tls_cert[0] ? "wss" : "ws",
	    ig.cfg.listen_address, ig.cfg.ingest_port, ig.cfg.ncameras); /* Type=notify; no-op elsewhere */
	uv_run(&ig.loop, UV_RUN_DEFAULT);

	/* lws on a foreign loop: destroy, let it close its handles, destroy again */
	ws_destroy(0);
	uv_run(&ig.loop, UV_RUN_DEFAULT);
	ws_destroy(1);
	if ((rc = uv_loop_close(&ig.loop)) != 0)
		log_warnx(NULL, "uv_loop_close: %s", uv_strerror(rc));
	check_shutdown();
	log_info(NULL, "stopped");
	return 0;
}
