/* gatewatch-dispatcher - keeps one FIFO of spooled frames per camera, runs
 * at most one worker per camera, hands it frames in order, reaps and
 * restarts it, and rebuilds its queues from the spool after a restart.
 *
 * The same config flags are passed on to every worker it starts.
 * daemon skeleton (config, log) -> spool recovery -> sockets -> loop ->
 * SIGTERM drain (workers finish their frame, killed after 10 s) -> 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "camera.h"
#include "daemon.h"
#include "dispatcher.h"
#include "listen.h"
#include "log.h"
#include "paths.h"
#include "status.h"
#include "util.h"

#define DISPATCHER_DRAIN_MS 10000

struct dispatcher dsp;

static void
dispatcher_all_gone(void)
{
	log_info(NULL, "all workers have exited; bye");
	dsp.workers_gone = 1;
}

static void
dispatcher_begin_stop(int signum)
{
	log_info(NULL, "signal %d: stopping; %d worker%s finishing their frame", signum,
	    camera_workers(), camera_workers() == 1 ? "" : "s");
	listen_stop();
	camera_stop(dispatcher_all_gone);
}

static int
dispatcher_drained(void)
{
	return dsp.workers_gone;
}

/* dispatcher_timeout - workers still busy: kill them and wait for their exit. */
static int
dispatcher_timeout(void)
{
	log_warnx(NULL, "workers still running after %d s", DISPATCHER_DRAIN_MS / 1000);
	camera_kill();
	return 0;
}

static void
dispatcher_again(int signum)
{
	log_info(NULL, "signal %d again: killing workers now", signum);
	camera_kill();
}

static void
dispatcher_close(void)
{
	status_stop();
	camera_close();
}

/* What is special about the dispatcher, for the skeleton (daemon.h). */
static const struct daemon_spec dispatcher_spec = {
	.name = "dispatcher", .about = "Keeps one FIFO of spooled frames per camera and runs at most one\n"
	    "gatewatch-worker per camera. The config flags are passed on to every worker.",
	/* drain_ms, begin, drained, timeout, again, close */
	.stop = { DISPATCHER_DRAIN_MS, dispatcher_begin_stop, dispatcher_drained, dispatcher_timeout,
	    dispatcher_again, dispatcher_close },
};

/* dispatcher_worker_path - the compiled-in program folder's gatewatch-worker (paths.h). */
static int
dispatcher_worker_path(char *out, size_t outlen)
{
	if ((size_t)snprintf(out, outlen, "%s/gatewatch-worker", paths_libexec_dir) >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon_args args;
	char path[CONFIG_PATH_SIZE + 64];
	int rc, stale = 0, requeued = 0;

	daemon_args(&dispatcher_spec, &dsp.cfg, argc, argv, &args);
	dsp.cfg_argv = args.cfg_argv; /* passed to every worker; lives as long as we do */
	dsp.cfg_argc = args.cfg_argc;

	if ((rc = dispatcher_worker_path(dsp.worker_path, sizeof(dsp.worker_path))) < 0)
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

	if ((rc = daemon_loop_init(&dsp.dl, &dispatcher_spec)) < 0)
		fatal("libuv loop: %s", uv_strerror(rc));
	dsp.loop = &dsp.dl.loop;
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

	daemon_ready("serving run/dispatcher.sock");
	daemon_loop_run(&dsp.dl);
	daemon_loop_close(&dsp.dl);
	daemon_args_free(&args);
	log_info(NULL, "stopped");
	return 0;
}
