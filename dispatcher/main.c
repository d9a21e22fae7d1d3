/* gatewatch-dispatcher - keeps one FIFO of spooled frames per camera, runs
 * at most one worker per camera, hands it frames in order, reaps and
 * restarts it, and rebuilds its queues from the spool after a restart.
 *
 * Usage: gatewatch-dispatcher [-c FILE] [--dir DIR] [--set KEY=VALUE]...
 * The same config flags are passed on to every worker it starts.
 * config -> log -> spool recovery -> sockets -> loop -> SIGTERM drain -> 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "camera.h"
#include "dispatcher.h"
#include "listen.h"
#include "log.h"
#include "paths.h"
#include "status.h"
#include "util.h"

#define DRAIN_MS 10000

struct dispatcher dsp;

static uv_signal_t sigterm, sigint;
static uv_timer_t drain_timer;

static void
usage(FILE *f)
{
	fprintf(f, "usage: gatewatch-dispatcher [-c FILE] [--dir DIR] [--set KEY=VALUE]...\n");
}

static void
all_gone(void)
{
	log_info(NULL, "all workers have exited; bye");
	uv_close((uv_handle_t *)&drain_timer, NULL);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
	status_stop();
	camera_close();
}

static void
drain_cb(uv_timer_t *t)
{
	(void)t;
	log_warnx(NULL, "workers still running after %d s", DRAIN_MS / 1000);
	camera_kill();
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	(void)s;
	if (dsp.stopping) {
		log_info(NULL, "signal %d again: killing workers now", signum);
		camera_kill();
		return;
	}
	sd_notify(0, "STOPPING=1");
	log_info(NULL, "signal %d: stopping; %d worker%s finishing their frame", signum,
	    camera_workers(), camera_workers() == 1 ? "" : "s");
	listen_stop();
	uv_timer_start(&drain_timer, drain_cb, DRAIN_MS, 0);
	camera_stop(all_gone);
}

/* worker_path - the compiled-in program folder's gatewatch-worker (paths.h). */
static int
worker_path(char *out, size_t outlen)
{
	if ((size_t)snprintf(out, outlen, "%s/gatewatch-worker", paths_libexec_dir) >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

int
main(int argc, char **argv)
{
	char err[1024], path[CONFIG_PATH_SIZE + 64];
	int next, rc, stale = 0, requeued = 0, level;

	/* secrets and people's data are never world-readable (issue 11) */
	umask(027);
	config_defaults(&dsp.cfg);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (config_args(&dsp.cfg, argc, argv, &next, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch-dispatcher: %s\n", err);
		return 2;
	}
	if (next < argc) {
		fprintf(stderr, "gatewatch-dispatcher: unknown argument \"%s\"\n", argv[next]);
		usage(stderr);
		return 2;
	}
	dsp.cfg_argv = argv + 1;
	dsp.cfg_argc = next - 1;
	level = log_level_parse(dsp.cfg.log_level);
	log_init("dispatcher", level < 0 ? LOG_LEVEL_INFO : (enum log_level)level);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = worker_path(dsp.worker_path, sizeof(dsp.worker_path))) < 0)
		fatal("cannot find my own executable: %s", strerror(-rc));
	if (access(dsp.worker_path, X_OK) != 0)
		log_warn(NULL, "%s", dsp.worker_path);

	/* The dispatcher owns recovery: stale tmp/ goes, active/ goes back. */
	if (config_path(&dsp.cfg, "spool", path, sizeof(path)) < 0)
		fatal("dir too long: %s", dsp.cfg.dir);
	if ((rc = spool_open(&dsp.spool, path, dsp.cfg.spool_max_frames, dsp.cfg.spool_max_bytes,
	    dsp.cfg.spool_min_free_mb)) < 0)
		fatal("spool %s: %s", path, strerror(-rc));
	if ((rc = spool_recover(&dsp.spool, &stale, &requeued)) < 0)
		fatal("spool recovery in %s: %s", path, strerror(-rc));
	log_info(NULL, "spool %s recovered: %d stale tmp file%s removed, %d claimed frame%s requeued",
	    path, stale, stale == 1 ? "" : "s", requeued, requeued == 1 ? "" : "s");

	dsp.loop = uv_default_loop();
	camera_init();
	if ((rc = camera_rescan()) < 0)
		fatal("spool %s: cannot list the queue: %s", path, strerror(-rc));
	log_info(NULL, "%d frame%s queued at start", rc, rc == 1 ? "" : "s");

	if (config_path(&dsp.cfg, "run", path, sizeof(path)) < 0 || (rc = util_mkdirs(path)) < 0)
		fatal("cannot create %s: %s", path, strerror(rc < 0 ? -rc : ENAMETOOLONG));
	config_path(&dsp.cfg, "run/dispatcher.sock", path, sizeof(path));
	if ((rc = listen_start(path)) < 0)
		fatal("listen on %s: %s", path, rc == -EADDRINUSE ? "another dispatcher is serving it" : strerror(-rc));
	log_info(NULL, "listening on %s", path);
	config_path(&dsp.cfg, "run/notifier.sock", path, sizeof(path));
	status_start(path, camera_status_all);

	uv_timer_init(dsp.loop, &drain_timer);
	uv_signal_init(dsp.loop, &sigterm);
	uv_signal_init(dsp.loop, &sigint);
	uv_signal_start(&sigterm, signal_cb, SIGTERM);
	uv_signal_start(&sigint, signal_cb, SIGINT);

	sd_notify(0, "READY=1\nSTATUS=serving run/dispatcher.sock"); /* Type=notify; no-op elsewhere */
	uv_run(dsp.loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(dsp.loop);
	if (rc != 0)
		log_warnx(NULL, "loop closed with handles open: %s", uv_strerror(rc));
	log_info(NULL, "stopped");
	return 0;
}
