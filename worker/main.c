/* gatewatch-worker - one process per camera, started by the dispatcher
 * with its end of a socketpair as --fd. Models are loaded once; each
 * MSG_FRAME is claimed in the spool, its people followed (people.h: one
 * tracker per camera), the face and mask networks run only on people who
 * need a look, the frame's RESULT with the track events it caused
 * committed by the notifier (acknowledged), and only then the frame is
 * deleted and reported done. With no frame for WORKER_TICK_MS, time alone
 * is applied (people who left end, alerts fall due) and its events go in a
 * RESULT flagged MSG_RESULT_NOFRAME. EOF on the dispatcher socket (idle
 * exit), or SIGTERM between frames, applies the time that passed, sends
 * what is pending (bounded by FRAME_EXIT_FLUSH_MS) and exits 0, leaving
 * the people still in view open for the next worker.
 *
 * At start the worker takes over the camera's open people from the
 * notifier (MSG_TAKEOVER): those an earlier worker left when it exited or
 * crashed keep their ids, decisions and alerts, so a person still at the
 * gate is neither counted nor decided twice. New track ids are the start
 * time in microseconds plus a counter: they never repeat across restarts.
 *
 *   gatewatch-worker --camera CAM --fd N [-c FILE] [--dir DIR] [--set K=V]... (frame.c)
 *   gatewatch-worker [-c FILE] [--set K=V]... [--no-mask] --replay FILE...
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "analyse.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"
#include "deliver.h"
#include "frameid.h"
#include "people.h"
#include "analysefiles.h"
#include "spool.h"
#include "util.h"
#include "worker.h"

#define WORKER_TICK_MS 250          /* apply time this often when no frame comes */
#define WORKER_TAKEOVER_MS 3000      /* wait this long for the notifier's open people */
#define WORKER_EMPTY_AHEAD_US 5000000 /* a FRAME_EMPTY further ahead of our clock is refused */

enum { WORKER_KEY_CAMERA = DAEMON_KEY_OWN, WORKER_KEY_FD };

/* The process: the state frame.c shares, what the command line asked
 * besides the config, and the stop flag SIGTERM sets. */
static struct {
	struct worker w;
	const char *camera;      /* --camera */
	long fd;                 /* --fd, -1 if absent */
	int replay, nomask;      /* --replay, --no-mask */
	volatile sig_atomic_t stop; /* between frames: stop */
} wk = { .fd = -1 };

static int
worker_flag(int key, const char *arg, char *err, size_t errlen)
{
	char *end;

	if (key == WORKER_KEY_CAMERA) {
		wk.camera = arg;
		return 0;
	}
	wk.fd = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || wk.fd < 0 || wk.fd > 65535) {
		snprintf(err, errlen, "--fd %s: not a descriptor number", arg);
		return -EINVAL;
	}
	return 0;
}

/* What is special about the worker, for the skeleton (daemon.h); no libuv. */
static const struct daemon_spec worker_spec = {
	.name = "worker", .operands = 1,
	.synopsis = "--camera CAM --fd N [OPTIONS]\n[OPTIONS] [--no-mask] --replay FILE...",
	.about = "Analyses one camera's spooled frames for the dispatcher, which starts it,\n"
	    "or (--replay) image files, printing one JSON line per file.",
	.flags = (const struct daemon_flag[]){
		{ "camera", 1, WORKER_KEY_CAMERA, "CAM", "the camera whose frames this worker analyses", NULL },
		{ "fd", 1, WORKER_KEY_FD, "N", "the dispatcher's end of the socketpair", NULL },
		{ "replay", 0, 0, NULL, "analyse FILE... and print one JSON line per file", &wk.replay },
		{ "no-mask", 0, 0, NULL, "with --replay: faces only, no mask classifier needed", &wk.nomask },
		{ NULL, 0, 0, NULL, NULL, NULL } },
	.flag = worker_flag,
};

static void
worker_sigterm(int sig)
{
	(void)sig;
	wk.stop = 1;
}

/* worker_oldest - spool_list callback: the first (oldest) queued frame's
 * receipt time. */
static int
worker_oldest(const char *camera, const char *frame_id, size_t bytes, void *arg)
{
	(void)camera;
	(void)bytes;
	*(uint64_t *)arg = frameid_time_us(frame_id);
	return 1;
}

/* worker_queued_us - the receipt time of the camera's oldest frame still
 * in the spool's queue, 0 if none (or the queue cannot be listed). */
static uint64_t
worker_queued_us(struct worker *w)
{
	uint64_t queued = 0;

	if (spool_list(&w->spool, SPOOL_QUEUE, w->camera, worker_oldest, &queued) < 0)
		queued = 0;
	return queued;
}

/* worker_clock - the frames' clock while no frame comes (lag.h): the
 * wall clock minus how late frames reach us, held at the receipt of the
 * camera's oldest frame still in the spool's queue (a stalled dispatcher:
 * test_gate_stall). */
static uint64_t
worker_clock(struct worker *w, uint64_t wall)
{
	return lag_clock_us(&w->lag, wall, worker_queued_us(w));
}

/* worker_tick - no frame for a while: apply the time that passed, on the
 * frames' clock (worker_clock). */
static int
worker_tick(struct worker *w)
{
	struct track_stats st;
	uint64_t wall = util_now_us();
	int rc;

	people_stats(w->people, &st);
	if (st.live == 0 && people_pending(w->people) == 0)
		return 0;
	/* Before the first frame the frames' clock is unknown: people taken
	 * over from the last worker wait for the frame that was redelivered
	 * (or the next one) instead of being ended by the wall clock while
	 * the models load. */
	if (!w->have_clock)
		return frame_flush(w, 0);
	if ((rc = people_tick(w->people, worker_clock(w, wall))) < 0)
		log_warnx(NULL, "camera=%s out of memory for track events", w->camera);
	return frame_flush(w, 0);
}

/* worker_empty - ingest looked at a frame of the camera and found nobody
 * (MSG_FRAME_EMPTY, passed on by the dispatcher in frame id order with the
 * frames): the frames' clock reads that frame's receipt time, exactly,
 * with nobody in view, so people who left end then, not when the idle
 * tick's clock (behind by ingest's longest time, lag.h) or the next
 * person's frame gets there. Enters the tracker as a tick at that time
 * (track.c keeps its clock from going back), held, as worker_clock is, at
 * the receipt of the camera's oldest frame still queued, and never behind
 * the idle tick's own clock (worker_clock), which these messages keep from
 * running. Returns as frame_flush. */
static int
worker_empty(struct worker *w, const struct msg_frame_empty *e)
{
	struct track_stats st;
	uint64_t t, queued, idle;

	if (strcmp(e->ref.camera, w->camera) != 0 || e->received_us <= 0) {
		log_warnx(e->ref.frame_id, "camera=%s frame_empty for camera=%s at %lld, ignored", w->camera,
		    e->ref.camera, (long long)e->received_us);
		return 0;
	}
	/* ingest stamps it with the same host's clock: one far ahead (a clock
	 * stepped, a bad peer) would move the tracker there for good (its
	 * clock never goes back) and end everyone */
	if ((uint64_t)e->received_us > util_now_us() + WORKER_EMPTY_AHEAD_US) {
		log_warnx(e->ref.frame_id, "camera=%s frame_empty at %lld is %.1f s ahead of the clock, ignored",
		    w->camera, (long long)e->received_us,
		    (double)((uint64_t)e->received_us - util_now_us()) / 1e6);
		return 0;
	}
	people_stats(w->people, &st);
	if (st.live == 0 && people_pending(w->people) == 0)
		return 0;
	/* never past a frame of the camera still queued (the dispatcher hands
	 * this over behind the frames it knows of; one it has not seen yet) */
	t = (uint64_t)e->received_us;
	if ((queued = worker_queued_us(w)) != 0 && queued < t)
		t = queued;
	log_debug(e->ref.frame_id, "camera=%s nobody in this frame (ingest)%s", w->camera,
	    t < (uint64_t)e->received_us ? ", held at the oldest queued frame" : "");
	/* nor behind the idle tick's clock: these hints come every frame of an
	 * empty scene, more often than WORKER_TICK_MS, so poll never times out
	 * and the idle tick does not run; its clock is applied here (an empty
	 * frame ingest answers late must not hold back what time says) */
	if (w->have_clock && (idle = lag_clock_us(&w->lag, util_now_us(), queued)) > t)
		t = idle;
	if (people_tick(w->people, t) < 0)
		log_warnx(NULL, "camera=%s out of memory for track events", w->camera);
	return frame_flush(w, 0);
}

/* worker_adopt - one open person of the camera, from the notifier. */
static void
worker_adopt(const struct msg_track_state *s, void *arg)
{
	struct worker *w = arg;
	int rc;

	if ((rc = people_adopt(w->people, s)) < 0) {
		log_warnc(rc, NULL, "camera=%s cannot take over track %lld", w->camera, (long long)s->track_id);
		return;
	}
	log_info(NULL, "camera=%s took over track %lld (seq %u, %s, last seen %.1f s ago)", w->camera,
	    (long long)s->track_id, s->seq, s->decided ? "decided" : "undecided",
	    (double)((int64_t)util_now_us() - s->last_seen_us) / 1e6);
}

/* worker_loop - serve the dispatcher until EOF or SIGTERM. */
static int
worker_loop(struct worker *w)
{
	struct msg *m;
	struct pollfd p;
	int rc;

	if ((m = malloc(sizeof(*m))) == NULL)
		fatal("out of memory");
	while (!wk.stop) {
		p.fd = w->fd;
		p.events = POLLIN;
		p.revents = 0;
		if ((rc = poll(&p, 1, WORKER_TICK_MS)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		if (rc == 0) {
			if (worker_tick(w) == -ECANCELED)
				break;
			continue;
		}
		rc = msg_recv(w->fd, m);
		if (rc == -EAGAIN || rc == -EINTR)
			continue;
		if (rc == 0) {
			log_info(NULL, "camera=%s dispatcher closed the connection, exiting", w->camera);
			break;
		}
		if (rc < 0) {
			log_warnc(rc, NULL, "camera=%s bad message from the dispatcher, exiting", w->camera);
			free(m);
			return 1;
		}
		switch (m->hdr.type) {
		case MSG_HELLO:
			log_debug(NULL, "camera=%s dispatcher hello pid=%d", w->camera, (int)m->u.hello.pid);
			break;
		case MSG_FRAME:
			if (frame_handle(w, &m->u.frame) == -ECANCELED)
				wk.stop = 1;
			lag_done(&w->lag, util_now_us());
			break;
		case MSG_FRAME_EMPTY:
			if (worker_empty(w, &m->u.empty) == -ECANCELED)
				wk.stop = 1;
			break;
		default:
			log_warnx(NULL, "camera=%s unexpected %s from the dispatcher, ignored",
			    w->camera, msg_type_name(m->hdr.type));
			break;
		}
	}
	free(m);
	return 0;
}

/* worker_args - the command line, checked before anything happens. */
static void
worker_args(struct worker *w, int argc, char **argv, struct daemon_args *args)
{
	daemon_args(&worker_spec, &w->cfg, argc, argv, args);
	if (wk.replay) {
		if (args->noperands == 0)
			daemon_usage_error(&worker_spec, "--replay needs at least one file");
		return;
	}
	if (args->noperands > 0)
		daemon_usage_error(&worker_spec, "unexpected argument \"%s\"", args->operands[0]);
	if (wk.camera == NULL || !util_camera_id_valid(wk.camera) || wk.fd < 0)
		daemon_usage_error(&worker_spec, "needs --camera ID and --fd N (or --replay)");
	if (fcntl((int)wk.fd, F_GETFD) == -1)
		daemon_usage_error(&worker_spec, "--fd %ld: %s", wk.fd, strerror(errno));
	util_strlcpy(w->camera, wk.camera, sizeof(w->camera));
	w->fd = (int)wk.fd;
	fcntl(w->fd, F_SETFD, FD_CLOEXEC);
}

/* worker_exit - the people still in view stay open for the next worker of
 * the camera (takeover); what time alone says (people who left) is sent,
 * bounded by FRAME_EXIT_FLUSH_MS. */
static void
worker_exit(struct worker *w)
{
	struct track_stats st;
	uint64_t wall = util_now_us();

	if (w->have_clock && people_tick(w->people, worker_clock(w, wall)) < 0)
		log_warnx(NULL, "camera=%s out of memory for track events", w->camera);
	frame_flush(w, 1);
	people_stats(w->people, &st);
	log_info(NULL, "camera=%s worker exiting: tracks=%llu classified=%llu skipped=%llu open=%u",
	    w->camera, (unsigned long long)st.confirmed, (unsigned long long)w->classified,
	    (unsigned long long)w->skipped, st.live);
	people_free(w->people);
	deliver_close(&w->deliver);
	analyse_close(w->an);
	close(w->fd);
}

int
main(int argc, char **argv)
{
	struct worker *w = &wk.w;
	struct daemon_args args;
	struct sigaction sa;
	char err[512], path[CONFIG_PATH_SIZE];
	int rc = 0;

	worker_args(w, argc, argv, &args);
	if (wk.replay) {
		rc = analysefiles_run(&w->cfg, !wk.nomask, args.operands, args.noperands);
		daemon_args_free(&args);
		return rc;
	}
	/* no libuv here: between frames, SIGTERM sets wk.stop */
	w->stop = &wk.stop;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_sigterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (config_path(&w->cfg, "spool", path, sizeof(path)) < 0 ||
	    (rc = spool_open(&w->spool, path, w->cfg.spool_max_frames, w->cfg.spool_max_bytes,
	    w->cfg.spool_min_free_mb)) < 0)
		fatal("camera=%s cannot open the spool under %s: %s", w->camera, w->cfg.dir,
		    strerror(rc < 0 ? -rc : ENAMETOOLONG));
	if ((w->an = analyse_open(&w->cfg, 1, err, sizeof(err))) == NULL)
		fatal("camera=%s cannot load models: %s", w->camera, err);
	if ((w->people = people_new(&w->cfg, w->camera, util_now_us())) == NULL)
		fatal("camera=%s out of memory", w->camera);
	if (config_path(&w->cfg, "run/notifier.sock", path, sizeof(path)) < 0)
		fatal("camera=%s state dir path too long", w->camera);
	deliver_init(&w->deliver, path, w->camera);
	if ((rc = deliver_takeover(&w->deliver, WORKER_TAKEOVER_MS, worker_adopt, w)) < 0)
		log_warnc(rc, NULL, "camera=%s no open people taken over from the notifier at %s", w->camera, path);
	if ((rc = msg_hello(w->fd, MSG_ROLE_WORKER, w->camera)) < 0)
		log_warnc(rc, NULL, "camera=%s hello to the dispatcher", w->camera);
	log_info(NULL, "camera=%s worker ready pid=%d models=%s kernels=%s", w->camera, (int)getpid(),
	    w->cfg.models_dir, nn_kernels_name());

	rc = worker_loop(w);
	worker_exit(w);
	daemon_args_free(&args);
	return rc;
}
