/* gatewatch-worker - one process per camera, started by the dispatcher
 * with its end of a socketpair as --fd. Models are loaded once; each
 * MSG_FRAME is claimed in the spool, analysed, its result committed by the
 * notifier (acknowledged), and only then deleted and reported done.
 * EOF on the dispatcher socket, or SIGTERM between frames, ends it with 0.
 *
 *   gatewatch-worker --camera CAM --fd N [-c FILE] [--dir DIR] [--set K=V]...
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

#include "analyse.h"
#include "config.h"
#include "image.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "notify.h"
#include "replay.h"
#include "spool.h"
#include "util.h"

static volatile sig_atomic_t worker_stop;

struct worker {
	struct config cfg;
	struct spool spool;
	struct analyse *an;      /* owned */
	struct notify notify;
	char camera[CAMERA_ID_SIZE];
	int fd;                  /* dispatcher socketpair end */
	struct msg_result result; /* scratch, one frame at a time */
};

static void
worker_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch-worker --camera CAM --fd N [-c FILE] [--dir DIR] [--set KEY=VALUE]...\n"
	    "       gatewatch-worker [-c FILE] [--set KEY=VALUE]... [--no-mask] --replay FILE...\n"
	    "Analyses one camera's spooled frames for the dispatcher, or (--replay)\n"
	    "image files, printing one JSON line per file (--no-mask: faces only,\n"
	    "no mask classifier needed).\n");
}

static void
worker_sigterm(int sig)
{
	(void)sig;
	worker_stop = 1;
}

/* worker_done - tell the dispatcher this frame is finished. A lost hint
 * only delays the next frame: the dispatcher also sees the spool. */
static void
worker_done(struct worker *w, const struct msg_frame_ref *ref, int status, const char *reason)
{
	struct msg_frame_done d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.ref = *ref;
	d.status = status;
	util_strlcpy(d.reason, reason ? reason : "", sizeof(d.reason));
	if ((rc = msg_send(w->fd, MSG_FRAME_DONE, &d, sizeof(d))) < 0) {
		errno = -rc;
		log_warn(ref->frame_id, "frame_done to the dispatcher lost");
	}
}

/* worker_fail - the frame cannot be analysed: move it aside with the
 * reason, tell the dispatcher, log one line. */
static void
worker_fail(struct worker *w, const struct msg_frame_ref *ref, int status, const char *reason)
{
	int rc;

	log_error(ref->frame_id, "camera=%s frame failed: %s", ref->camera, reason);
	if ((rc = spool_fail(&w->spool, ref->camera, ref->frame_id, reason)) < 0) {
		errno = -rc;
		log_warn(ref->frame_id, "cannot move the frame to failed/");
	}
	worker_done(w, ref, status, reason);
}

/* worker_snapshot - keep the image as sent (no trailer) under
 * snapshots/<camera>/<frameid>.<ext>; rel gets that relative path, "" if
 * none was kept. Written to a temporary name and renamed, so a reader
 * never sees half a file; not fsynced (a lost snapshot costs nothing). */
static void
worker_snapshot(struct worker *w, const struct msg_frame_ref *ref, const char *ext,
                const unsigned char *img, size_t len, char *rel, size_t rellen)
{
	char dir[CONFIG_PATH_SIZE + 64], path[CONFIG_PATH_SIZE + 128], tmp[CONFIG_PATH_SIZE + 140];
	size_t off = 0;
	int fd, rc;

	rel[0] = '\0';
	if (w->cfg.snapshot_keep_days <= 0)
		return;
	snprintf(dir, sizeof(dir), "%s/snapshots/%s", w->cfg.dir, ref->camera);
	snprintf(path, sizeof(path), "%s/%s.%s", dir, ref->frame_id, ext);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%s.tmp", dir, ref->frame_id, ext);
	if ((rc = util_mkdirs(dir)) < 0) {
		errno = -rc;
		log_warn(ref->frame_id, "snapshot dir %s", dir);
		return;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) == -1) {
		log_warn(ref->frame_id, "snapshot %s", tmp);
		return;
	}
	while (off < len) {
		ssize_t n = write(fd, img + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn(ref->frame_id, "snapshot write %s", tmp);
			close(fd);
			unlink(tmp);
			return;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		log_warn(ref->frame_id, "snapshot %s", path);
		unlink(tmp);
		return;
	}
	snprintf(rel, rellen, "snapshots/%s/%s.%s", ref->camera, ref->frame_id, ext);
}

/* worker_claim - take the frame into active/. A frame already there was
 * handed to a worker that died: this is its redelivery. Returns 0 with the
 * active path, or -errno. */
static int
worker_claim(struct worker *w, const struct msg_frame_ref *ref, char *path, size_t pathlen)
{
	int rc = spool_claim(&w->spool, ref->camera, ref->frame_id);

	if (rc == -ENOENT && spool_path(&w->spool, SPOOL_ACTIVE, ref->camera, ref->frame_id, path, pathlen) == 0) {
		log_info(ref->frame_id, "camera=%s redelivered frame, already active", ref->camera);
		rc = 0;
	}
	if (rc < 0)
		return rc;
	return spool_path(&w->spool, SPOOL_ACTIVE, ref->camera, ref->frame_id, path, pathlen);
}

/* worker_frame - one frame from claim to done. Returns 0, or -ECANCELED
 * when the worker must stop now (the frame stays in active/). */
static int
worker_frame(struct worker *w, const struct msg_frame_ref *ref)
{
	char path[SPOOL_PATH_SIZE], err[256], reason[96];
	struct msg_result *r = &w->result;
	unsigned char *img = NULL;
	char *metatext = NULL;
	struct image im = { 0, 0, NULL };
	struct meta meta;
	const char *ext;
	size_t len;
	uint64_t t0 = util_mono_us();
	int rc, nfaces = 0;

	if (strcmp(ref->camera, w->camera) != 0) {
		log_error(ref->frame_id, "frame for camera=%s sent to the worker of camera=%s", ref->camera, w->camera);
		worker_done(w, ref, -EINVAL, "wrong camera");
		return 0;
	}
	if ((rc = worker_claim(w, ref, path, sizeof(path))) < 0) {
		errno = -rc;
		log_warn(ref->frame_id, "camera=%s cannot claim frame", ref->camera);
		worker_done(w, ref, rc, rc == -ENOENT ? "not in the spool" : "cannot claim");
		return 0;
	}
	ext = strrchr(path, '.') ? strrchr(path, '.') + 1 : "jpg";
	if ((rc = spool_read(path, &img, &len, &metatext)) < 0) {
		if (rc == -EBADMSG) {
			worker_fail(w, ref, -EINVAL, "damaged spool trailer");
			return 0;
		}
		errno = -rc;
		log_warn(ref->frame_id, "camera=%s cannot read %s", ref->camera, path);
		worker_done(w, ref, rc, "cannot read the frame");
		return 0;
	}
	if (meta_parse(metatext, &meta, err, sizeof(err)) != 0)
		log_warnx(ref->frame_id, "camera=%s %s; analysing the whole image", ref->camera, err);
	free(metatext);
	err[0] = '\0';
	if ((rc = image_decode(img, len, w->cfg.ingest_max_pixels, &im, err, sizeof(err))) < 0) {
		snprintf(reason, sizeof(reason), "damaged image: %s", err[0] ? err : strerror(-rc));
		free(img);
		worker_fail(w, ref, -EINVAL, reason);
		return 0;
	}
	memset(r, 0, sizeof(*r));
	r->ref = *ref;
	rc = analyse_frame(w->an, &im, &meta, r, &nfaces);
	image_free(&im);
	if (rc < 0) {
		free(img);
		snprintf(reason, sizeof(reason), "analysis failed: %s", strerror(-rc));
		worker_fail(w, ref, rc, reason);
		return 0;
	}
	worker_snapshot(w, ref, ext, img, len, r->snapshot, sizeof(r->snapshot));
	free(img);
	r->received_us = meta.received_us > 0 ? meta.received_us : (int64_t)frameid_time_us(ref->frame_id);
	r->analysed_us = (int64_t)util_now_us();
	r->analyse_ms = (float)(util_mono_us() - t0) / 1000.0f;

	if ((rc = notify_result(&w->notify, r, w->fd, &worker_stop)) < 0)
		return rc; /* stopping: the frame stays in active/ for redelivery */
	if ((rc = spool_done(&w->spool, ref->camera, ref->frame_id)) < 0 && rc != -ENOENT) {
		errno = -rc;
		log_warn(ref->frame_id, "camera=%s cannot delete the committed frame", ref->camera);
	}
	log_info(ref->frame_id, "camera=%s persons=%u faces=%d ms=%.1f", ref->camera,
	    r->npersons, nfaces, (double)(util_mono_us() - t0) / 1000.0);
	worker_done(w, ref, 0, "");
	return 0;
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
	while (!worker_stop) {
		p.fd = w->fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		rc = msg_recv(w->fd, m);
		if (rc == -EAGAIN || rc == -EINTR)
			continue;
		if (rc == 0) {
			log_info(NULL, "camera=%s dispatcher closed the connection, exiting", w->camera);
			break;
		}
		if (rc < 0) {
			errno = -rc;
			log_warn(NULL, "camera=%s bad message from the dispatcher, exiting", w->camera);
			free(m);
			return 1;
		}
		switch (m->hdr.type) {
		case MSG_HELLO:
			log_debug(NULL, "camera=%s dispatcher hello pid=%d", w->camera, (int)m->u.hello.pid);
			break;
		case MSG_FRAME:
			if (worker_frame(w, &m->u.ref) == -ECANCELED)
				worker_stop = 1;
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

int
main(int argc, char **argv)
{
	static struct worker w;
	char **cargv, **files, err[512], path[CONFIG_PATH_SIZE];
	int i, cargc = 1, nfiles = 0, replay = 0, nomask = 0, next = 0, rc = 0, level;
	const char *camera = NULL;
	long fd = -1;

	/* Own flags anywhere; config flags are handed to config_args. */
	cargv = calloc((size_t)argc + 1, sizeof(*cargv));
	files = calloc((size_t)argc + 1, sizeof(*files));
	if (cargv == NULL || files == NULL)
		return 2;
	cargv[0] = argv[0];
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			worker_usage(stdout);
			return 0;
		} else if (strcmp(a, "--camera") == 0 && i + 1 < argc)
			camera = argv[++i];
		else if (strcmp(a, "--fd") == 0 && i + 1 < argc) {
			char *end;

			fd = strtol(argv[++i], &end, 10);
			if (*end != '\0' || fd < 0 || fd > 65535) {
				fprintf(stderr, "gatewatch-worker: --fd %s: not a descriptor number\n", argv[i]);
				return 2;
			}
		} else if (strcmp(a, "--replay") == 0)
			replay = 1;
		else if (strcmp(a, "--no-mask") == 0)
			nomask = 1;
		else if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 ||
		    strcmp(a, "--dir") == 0 || strcmp(a, "--set") == 0) && i + 1 < argc) {
			cargv[cargc++] = argv[i++];
			cargv[cargc++] = argv[i];
		} else if (strncmp(a, "--config=", 9) == 0 || strncmp(a, "--dir=", 6) == 0 ||
		    strncmp(a, "--set=", 6) == 0)
			cargv[cargc++] = argv[i];
		else if (replay && a[0] != '-')
			files[nfiles++] = argv[i];
		else {
			fprintf(stderr, "gatewatch-worker: unknown argument %s\n", a);
			worker_usage(stderr);
			return 2;
		}
	}
	config_defaults(&w.cfg);
	if (config_args(&w.cfg, cargc, cargv, &next, err, sizeof(err)) != 0 || next != cargc) {
		fprintf(stderr, "gatewatch-worker: %s\n", next != cargc ? "bad arguments" : err);
		return 2;
	}
	level = log_level_parse(w.cfg.log_level);
	log_init("worker", level < 0 ? LOG_LEVEL_INFO : (enum log_level)level);
	signal(SIGPIPE, SIG_IGN);

	if (replay) {
		if (nfiles == 0) {
			fprintf(stderr, "gatewatch-worker: --replay needs at least one file\n");
			return 2;
		}
		rc = replay_run(&w.cfg, !nomask, files, nfiles);
		free(cargv);
		free(files);
		return rc;
	}
	if (camera == NULL || !util_camera_id_valid(camera) || fd < 0) {
		fprintf(stderr, "gatewatch-worker: needs --camera ID and --fd N (or --replay)\n");
		worker_usage(stderr);
		return 2;
	}
	if (fcntl((int)fd, F_GETFD) == -1) {
		fprintf(stderr, "gatewatch-worker: --fd %ld: %s\n", fd, strerror(errno));
		return 2;
	}
	util_strlcpy(w.camera, camera, sizeof(w.camera));
	w.fd = (int)fd;
	fcntl(w.fd, F_SETFD, FD_CLOEXEC);

	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = worker_sigterm;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	if (config_path(&w.cfg, "spool", path, sizeof(path)) < 0 ||
	    (rc = spool_open(&w.spool, path, w.cfg.spool_max_frames, w.cfg.spool_max_bytes,
	    w.cfg.spool_min_free_mb)) < 0)
		fatal("camera=%s cannot open the spool under %s: %s", camera, w.cfg.dir, strerror(rc < 0 ? -rc : ENAMETOOLONG));
	if ((w.an = analyse_open(&w.cfg, 1, err, sizeof(err))) == NULL)
		fatal("camera=%s cannot load models: %s", camera, err);
	if (config_path(&w.cfg, "run/notifier.sock", path, sizeof(path)) < 0)
		fatal("camera=%s state dir path too long", camera);
	notify_init(&w.notify, path, camera);
	if ((rc = notify_connect(&w.notify)) < 0) {
		errno = -rc;
		log_warn(NULL, "camera=%s notifier not reachable yet at %s", camera, path);
	}
	if ((rc = msg_hello(w.fd, MSG_ROLE_WORKER, camera)) < 0) {
		errno = -rc;
		log_warn(NULL, "camera=%s hello to the dispatcher", camera);
	}
	log_info(NULL, "camera=%s worker ready pid=%d models=%s", camera, (int)getpid(), w.cfg.models_dir);

	rc = worker_loop(&w);

	notify_close(&w.notify);
	analyse_close(w.an);
	close(w.fd);
	free(cargv);
	free(files);
	return rc;
}
