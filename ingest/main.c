/* main - gatewatch-ingest: cameras in, spooled frames with people out.
 *
 * config -> log -> spool (no recovery: the dispatcher owns that) -> person
 * model (loaded once here so a bad model fails at startup) -> peers ->
 * WebSocket server on our own libuv loop (daemon.h) -> run. SIGTERM/SIGINT: refuse
 * new connections, finish frames in flight and flush answers (at most
 * INGEST_DRAIN_MS), close everything, exit 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "camcheck.h"
#include "camdb.h"
#include "check.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "peers.h"
#include "pipeline.h"
#include "detectfiles.h"
#include "session.h"
#include "spool.h"
#include "util.h"
#include "ws.h"

#define INGEST_DRAIN_MS 10000
#define INGEST_DB_BUSY_MS 100     /* at most this long on a pool thread for the cameras table */
#define INGEST_RECHECK_S 5      /* connections of removed cameras or replaced tokens close within this */

static struct {
	struct config cfg;
	struct spool sp;
	struct daemon_loop dl;
	uv_timer_t stats;
	uint64_t stats_last;
	int replay;                /* --replay: files, no server */
	sqlite3 *db;               /* the cameras (camdb.h), read at every hello (camcheck.h) */
	unsigned ticks;            /* stats ticks (seconds) */
} ig;

static void
ingest_stats(uv_timer_t *t)
{
	struct msg_camera_stats st;
	uint64_t now = util_mono_us();
	double window = (double)(now - ig.stats_last) / 1e6;
	int i;

	(void)t;
	ig.stats_last = now;
	if (++ig.ticks % INGEST_RECHECK_S == 0)
		session_recheck();
	for (i = 0; i < pipeline_cameras(); i++) {
		pipeline_stats(i, &st, window);
		st.connected = ws_connected(i);
		if (peers_camera_stats(&st) != 0)
			break; /* notifier away: nothing to tell it */
	}
}

static void
ingest_begin_stop(int signum)
{
	log_info(NULL, "signal %d: refusing new connections, finishing %d frames in flight",
	    signum, pipeline_pending());
	ws_stop_accepting();
}

static int
ingest_drained(void)
{
	return pipeline_pending() == 0 && ws_flushed();
}

static int
ingest_timeout(void)
{
	log_warnx(NULL, "drain timed out with %d frames in flight", pipeline_pending());
	return 1;
}

static void
ingest_close(void)
{
	uv_close((uv_handle_t *)&ig.stats, NULL);
	peers_stop();
	uv_stop(&ig.dl.loop); /* lws's handles close after, in main */
}

/* What is special about ingest, for the skeleton (daemon.h). */
static const struct daemon_spec ingest_spec = {
	.name = "ingest", .synopsis = "[OPTIONS]\n[OPTIONS] --replay FILE...", .operands = 1,
	.about = "Receives camera frames over WebSocket, finds people, spools the frames\n"
	    "that hold someone for the dispatcher and sends the verdicts back.",
	.flags = (const struct daemon_flag[]){
		{ "replay", 0, 0, NULL, "run the person stage over FILE... and print JSON lines; no server", &ig.replay },
		{ NULL, 0, 0, NULL, NULL, NULL } },
	/* drain_ms, begin, drained, timeout, again, close */
	.stop = { INGEST_DRAIN_MS, ingest_begin_stop, ingest_drained, ingest_timeout, NULL, ingest_close },
};

/* ingest_replay - --replay FILE...: the person stage over files, no server. */
static int
ingest_replay(char **files, int nfiles)
{
	struct check_params p;
	char err[1024];
	int rc;

	check_params_set(&p, &ig.cfg);
	if (check_preload(&p, 1, err, sizeof(err)) != 0)
		fatal("person detector / face detector: %s (run `make models`, or set models.dir)", err);
	rc = detectfiles_run(&ig.cfg, files, nfiles);
	check_shutdown();
	return rc;
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	char err[1024], path[CONFIG_PATH_SIZE], nthreads[16];
	struct check_params p;
	int rc;

	daemon_args(&ingest_spec, &ig.cfg, argc, argv, &args);
	if (ig.replay && args.noperands == 0)
		daemon_usage_error(&ingest_spec, "--replay needs at least one file");
	if (!ig.replay && args.noperands > 0)
		daemon_usage_error(&ingest_spec, "unexpected argument \"%s\"", args.operands[0]);
	if (ig.replay)
		return ingest_replay(args.operands, args.noperands);

	/* a model that does not load fails here, at startup */
	check_params_set(&p, &ig.cfg);
	if (check_preload(&p, ig.cfg.ingest_threads, err, sizeof(err)) != 0)
		fatal("person detector / face detector: %s (run `make models`, or set models.dir)", err);

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

	/* The cameras are the database's: the config file seeds them (camdb.h). */
	if ((rc = camdb_open(ig.cfg.dir, &ig.db)) != 0)
		fatal("database %s/gatewatch.db: cannot open it or make its cameras table", ig.cfg.dir);
	if ((rc = camdb_seed(ig.db, &ig.cfg, (int64_t)util_now_us())) < 0)
		fatal("database %s/gatewatch.db: cannot seed the cameras: %s", ig.cfg.dir, sqlite3_errmsg(ig.db));
	/* Hellos and rechecks read it on the thread pool (camcheck.h): a WAL
	 * read waits for no writer, and a rare lock (a checkpoint's restart)
	 * holds up one pool thread, for this long at most. */
	sqlite3_busy_timeout(ig.db, INGEST_DB_BUSY_MS);

	if ((rc = daemon_loop_init(&ig.dl, &ingest_spec)) != 0)
		fatal("uv_loop_init: %s", uv_strerror(rc));
	pipeline_init(&ig.dl.loop, &ig.cfg, &ig.sp, session_answer, peers_frame_ready, peers_frame_empty);
	camcheck_init(&ig.dl.loop, ig.db);
	if ((rc = peers_start(&ig.dl.loop, &ig.cfg, session_verdict, session_resync)) != 0)
		fatal("dir %s: socket path too long", ig.cfg.dir);
	if (ws_start(&ig.dl.loop, &ig.cfg, err, sizeof(err)) != 0)
		fatal("%s", err);

	ig.stats_last = util_mono_us();
	uv_timer_init(&ig.dl.loop, &ig.stats);
	uv_timer_start(&ig.stats, ingest_stats, 1000, 1000);

	log_info(NULL, "listening on %s://%s:%d for the cameras of %s/gatewatch.db (%d in the config); spool %s/spool;"
	    " %d threads; kernels=%s", ig.cfg.tls_cert[0] ? "wss" : "ws", ig.cfg.listen_address,
	    ig.cfg.ingest_port, ig.cfg.dir, ig.cfg.ncameras, ig.cfg.dir, ig.cfg.ingest_threads,
	    nn_kernels_name());
	daemon_ready("serving %s://%s:%d/", ig.cfg.tls_cert[0] ? "wss" : "ws", ig.cfg.listen_address,
	    ig.cfg.ingest_port);
	daemon_loop_run(&ig.dl);

	/* lws on a foreign loop: destroy, let it close its handles, destroy again */
	ws_destroy(0);
	daemon_loop_run(&ig.dl);
	ws_destroy(1);
	daemon_loop_close(&ig.dl);
	check_shutdown();
	daemon_args_free(&args);
	sqlite3_close(ig.db);
	log_info(NULL, "stopped");
	return 0;
}
