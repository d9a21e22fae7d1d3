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
 * what is pending (bounded by WORKER_EXIT_FLUSH_MS) and exits 0, leaving
 * the people still in view open for the next worker.
 *
 * At start the worker takes over the camera's open people from the
 * notifier (MSG_TAKEOVER): those an earlier worker left when it exited or
 * crashed keep their ids, decisions and alerts, so a person still at the
 * gate is neither counted nor decided twice. New track ids are the start
 * time in microseconds plus a counter: they never repeat across restarts.
 *
 *   gatewatch-worker --camera CAM --fd N [-c FILE] [--dir DIR] [--set K=V]...
 *   gatewatch-worker [-c FILE] [--set K=V]... [--no-mask] --replay FILE...
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "analyse.h"
#include "firstpass.h"
#include "config.h"
#include "daemon.h"
#include "image.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "deliver.h"
#include "people.h"
#include "replay.h"
#include "spool.h"
#include "util.h"

#define WORKER_TICK_MS 250          /* apply time this often when no frame comes */
#define WORKER_EXIT_FLUSH_MS 3000    /* on exit, wait this long for the last events' ack */
#define WORKER_LAG_MAX_US 10000000u  /* frame age taken into account at most */
#define WORKER_TAKEOVER_MS 3000      /* wait this long for the notifier's open people */
#define WORKER_SNAPSHOT_QUALITY 80

static volatile sig_atomic_t worker_stop;

struct worker {
	struct config cfg;
	struct spool spool;
	struct analyse *an;      /* owned */
	struct people *people;   /* owned: this camera's tracks */
	struct deliver deliver;
	char camera[CAMERA_ID_SIZE];
	int fd;                  /* dispatcher socketpair end */
	uint64_t lag_us;         /* wall clock minus the latest frame's received_us */
	int have_clock;          /* a frame was analysed: lag_us says how late frames come */
	uint64_t classified, skipped; /* people looked at / not, since start */
	struct msg_result result; /* scratch, one frame at a time */
};

enum { WORKER_KEY_CAMERA = DAEMON_KEY_OWN, WORKER_KEY_FD, WORKER_KEY_REPLAY, WORKER_KEY_NOMASK };

/* What the command line asks of this process, besides the config. */
static struct {
	const char *camera;      /* --camera */
	long fd;                 /* --fd, -1 if absent */
	int replay, nomask;      /* --replay, --no-mask */
} worker_opt = { NULL, -1, 0, 0 };

static int
worker_flag(int key, const char *arg, char *err, size_t errlen)
{
	char *end;

	switch (key) {
	case WORKER_KEY_CAMERA:
		worker_opt.camera = arg;
		break;
	case WORKER_KEY_FD:
		worker_opt.fd = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || worker_opt.fd < 0 || worker_opt.fd > 65535) {
			snprintf(err, errlen, "--fd %s: not a descriptor number", arg);
			return -EINVAL;
		}
		break;
	case WORKER_KEY_REPLAY:
		worker_opt.replay = 1;
		break;
	case WORKER_KEY_NOMASK:
		worker_opt.nomask = 1;
		break;
	}
	return 0;
}

static const struct daemon_flag worker_flags[] = {
	{ "camera", 1, WORKER_KEY_CAMERA, "CAM", "the camera whose frames this worker analyses" },
	{ "fd", 1, WORKER_KEY_FD, "N", "the dispatcher's end of the socketpair" },
	{ "replay", 0, WORKER_KEY_REPLAY, NULL, "analyse FILE... and print one JSON line per file" },
	{ "no-mask", 0, WORKER_KEY_NOMASK, NULL, "with --replay: faces only, no mask classifier needed" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct daemon_spec worker_spec = {
	.name = "worker",
	.synopsis = "--camera CAM --fd N [OPTIONS]\n[OPTIONS] [--no-mask] --replay FILE...",
	.about = "Analyses one camera's spooled frames for the dispatcher, which starts it,\n"
	    "or (--replay) image files, printing one JSON line per file.",
	.flags = worker_flags,
	.flag = worker_flag,
	.operands = 1,
};

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
		log_warnc(rc, ref->frame_id, "frame_done to the dispatcher lost");
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
		log_warnc(rc, ref->frame_id, "cannot move the frame to failed/");
	}
	worker_done(w, ref, status, reason);
}

/* worker_latest - the frame as the live view shows it: DIR/snapshots/
 * <camera>/latest.jpg, replaced every frame (a JPEG is kept as sent, a PNG
 * is encoded). Written to a temporary name and renamed, so a reader never
 * sees half a file; not fsynced (a lost snapshot costs nothing). rel gets
 * the path relative to DIR, "" if none was written. */
static void
worker_latest(struct worker *w, const struct msg_frame_ref *ref, const char *ext,
              const unsigned char *img, size_t len, const struct image *im, char *rel, size_t rellen)
{
	char dir[CONFIG_PATH_SIZE + 64], path[CONFIG_PATH_SIZE + 128], tmp[CONFIG_PATH_SIZE + 140];
	size_t off = 0;
	int fd, rc;

	rel[0] = '\0';
	if (w->cfg.snapshot_keep_days <= 0)
		return;
	snprintf(dir, sizeof(dir), "%s/snapshots/%s", w->cfg.dir, ref->camera);
	snprintf(path, sizeof(path), "%s/latest.jpg", dir);
	snprintf(tmp, sizeof(tmp), "%s/.latest.jpg.tmp", dir);
	if ((rc = util_mkdirs(dir)) < 0) {
		log_warnc(rc, ref->frame_id, "snapshot dir %s", dir);
		return;
	}
	if (strcmp(ext, "jpg") != 0) {
		if ((rc = image_write_jpeg(im, path, WORKER_SNAPSHOT_QUALITY)) < 0) {
			log_warnc(rc, ref->frame_id, "snapshot %s", path);
			return;
		}
		snprintf(rel, rellen, "snapshots/%s/latest.jpg", ref->camera);
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
	snprintf(rel, rellen, "snapshots/%s/latest.jpg", ref->camera);
}

/* worker_track_snapshot - the best look at a person so far: the person's
 * box (or, for a face-only photo, the face with room around it) cut from
 * the frame, as DIR/snapshots/<camera>/<track id>.jpg, replacing the
 * previous best. Returns 0 or -errno (logged; the track goes on). */
static int
worker_track_snapshot(struct worker *w, const char *frame_id, const struct image *im,
                      const struct msg_box *box, int has_body, uint64_t id)
{
	char rel[128], path[CONFIG_PATH_SIZE + 160], dir[CONFIG_PATH_SIZE + 64];
	float mx = box->w * (has_body ? 0.10f : 0.5f), my = box->h * (has_body ? 0.05f : 0.5f);
	struct image crop;
	int rc;

	if (w->cfg.snapshot_keep_days <= 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s/snapshots/%s", w->cfg.dir, w->camera);
	people_snapshot_rel(w->people, id, rel, sizeof(rel));
	snprintf(path, sizeof(path), "%s/%s", w->cfg.dir, rel);
	if ((rc = util_mkdirs(dir)) < 0 ||
	    (rc = image_crop(im, (int)(box->x - mx), (int)(box->y - my), (int)(box->w + 2 * mx),
	    (int)(box->h + 2 * my), &crop)) < 0) {
		log_warnc(rc, frame_id, "camera=%s track=%llu snapshot", w->camera, (unsigned long long)id);
		return rc;
	}
	rc = image_write_jpeg(&crop, path, WORKER_SNAPSHOT_QUALITY);
	image_free(&crop);
	if (rc < 0) {
		log_warnc(rc, frame_id, "camera=%s snapshot %s", w->camera, path);
		return rc;
	}
	people_snapshot_saved(w->people, id);
	return 0;
}

/* The snapshot a look asks for, written before its events are made. */
struct worker_snap {
	struct worker *w;
	const char *frame_id;
	const struct image *im;
	const struct msg_box *box;
	int has_body;
};

static int
worker_snapshot_cb(uint64_t id, void *arg)
{
	struct worker_snap *s = arg;

	return worker_track_snapshot(s->w, s->frame_id, s->im, s->box, s->has_body, id);
}

/* worker_flush - send the events waiting in the outbox that no frame
 * carries, as RESULTs flagged MSG_RESULT_NOFRAME with fresh frame ids.
 * final: the worker is exiting (no stop flag, no dispatcher), give up
 * after WORKER_EXIT_FLUSH_MS. Returns 0, or -ECANCELED / -ETIMEDOUT with
 * the unsent events still in the outbox. */
static int
worker_flush(struct worker *w, int final)
{
	struct msg_result *r = &w->result;
	uint64_t end = util_mono_us() + (uint64_t)WORKER_EXIT_FLUSH_MS * 1000u;
	size_t n;
	int rc;

	while (people_pending(w->people) > 0) {
		uint64_t now = util_mono_us();

		memset(r, 0, sizeof(*r));
		util_strlcpy(r->ref.camera, w->camera, sizeof(r->ref.camera));
		frameid_next(r->ref.frame_id);
		r->flags = MSG_RESULT_NOFRAME;
		n = people_peek(w->people, r->events, MSG_EVENTS_MAX);
		r->nevents = (uint32_t)n;
		r->received_us = r->analysed_us = (int64_t)util_now_us();
		r->temperature = NAN;
		if (final)
			rc = now >= end ? -ETIMEDOUT : deliver_result_timed(&w->deliver, r, (int)((end - now) / 1000u));
		else
			rc = deliver_result(&w->deliver, r, w->fd, &worker_stop);
		if (rc < 0) {
			if (final) {
				log_warnx(r->ref.frame_id, "camera=%s %zu track events not acknowledged before exit",
				    w->camera, people_pending(w->people));
			}
			return rc;
		}
		people_drop(w->people, n);
		log_info(r->ref.frame_id, "camera=%s no frame: events=%zu", w->camera, n);
	}
	return 0;
}

/* worker_tick - no frame for a while: apply the time that passed, on the
 * frames' clock (wall clock minus how late frames reach us). */
static int
worker_tick(struct worker *w)
{
	struct track_stats st;
	int rc;

	people_stats(w->people, &st);
	if (st.live == 0 && people_pending(w->people) == 0)
		return 0;
	/* Before the first frame the frames' clock is unknown: people taken
	 * over from the last worker wait for the frame that was redelivered
	 * (or the next one) instead of being ended by the wall clock while
	 * the models load. */
	if (!w->have_clock)
		return worker_flush(w, 0);
	if ((rc = people_tick(w->people, util_now_us() - w->lag_us)) < 0)
		log_warnx(NULL, "camera=%s out of memory for track events", w->camera);
	return worker_flush(w, 0);
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

/* worker_people - follow the frame's people and look at those who need
 * it: boxes are ingest's person boxes, or for a frame without any (a
 * plain photo) the faces on the whole image. Fills r's persons and takes
 * the events this frame caused. Returns 0 or -errno (a network failed). */
static int
worker_people(struct worker *w, const struct image *im, const struct meta *meta, uint64_t now,
              struct msg_result *r, int *nfaces, int *nclass, int *nskip)
{
	struct nn_box faces[MSG_PERSONS_MAX], bodies[MSG_PERSONS_MAX], bodyface[MSG_PERSONS_MAX];
	struct msg_box boxes[MSG_PERSONS_MAX];
	struct track_assign assign[MSG_PERSONS_MAX];
	const struct nn_box *src;
	struct worker_snap snap;
	int i, n, rc, nextra, has_body = meta->npersons > 0;

	if (has_body) {
		/* One face per person box, each face to one person only; faces
		 * no box took (a box around a group) become people of their own,
		 * with their head-and-shoulders box. Every box is searched each
		 * frame, since which face is whose depends on all of them. */
		n = meta->npersons < MSG_PERSONS_MAX ? meta->npersons : MSG_PERSONS_MAX;
		memcpy(bodies, meta->persons, sizeof(*bodies) * (size_t)n);
		if ((rc = analyse_people(w->an, im, bodies, n, bodyface, faces, &nextra, MSG_PERSONS_MAX - n)) < 0)
			return rc;
		for (i = 0; i < nextra; i++) {
			bodyface[n + i] = faces[i];
			bodies[n + i] = faces[i];
			firstpass_face_to_person(&bodies[n + i], im->w, im->h);
		}
		n += nextra;
		src = bodies;
	} else {
		if ((n = analyse_faces(w->an, im, faces, MSG_PERSONS_MAX)) < 0)
			return n;
		src = faces;
		*nfaces = n;
	}
	for (i = 0; i < n; i++) {
		boxes[i] = (struct msg_box){ src[i].x, src[i].y, src[i].w, src[i].h, src[i].score };
		if (boxes[i].score <= 0)
			boxes[i].score = 0.01f; /* present: keep it distinct from "absent" */
	}
	memset(assign, 0, sizeof(assign));
	if ((rc = people_update(w->people, now, boxes, (size_t)n, r->temperature, assign)) < 0)
		log_warnx(NULL, "camera=%s out of memory for track events", w->camera);
	r->npersons = 0;
	for (i = 0; i < n; i++) {
		struct msg_person *p = &r->persons[r->npersons++];
		uint32_t mask;
		int looked = 0;

		memset(p, 0, sizeof(*p));
		if (has_body)
			p->body = boxes[i];
		else
			p->face = boxes[i];
		if (assign[i].classify) {
			rc = analyse_person(w->an, im, has_body ? (bodyface[i].score > 0 ? &bodyface[i] : NULL) : &src[i],
			    r->temperature, p);
			if (rc < 0)
				return rc;
			if (has_body)
				*nfaces += rc;
			looked = 1;
			(*nclass)++;
			snap.w = w;
			snap.frame_id = r->ref.frame_id;
			snap.im = im;
			snap.box = has_body ? &p->body : &p->face;
			snap.has_body = has_body;
			rc = people_look(w->people, assign[i].id, now, p, worker_snapshot_cb, &snap);
		} else
			(*nskip)++;
		/* The live view shows the person's settled verdict, never one
		 * frame's; "no face" only while nothing is settled. */
		if (people_state(w->people, assign[i].id, &p->verdict, &p->reason, &mask) != 0) {
			p->verdict = MSG_VERDICT_NONE;
			p->reason = MSG_REASON_NONE;
			mask = MSG_MASK_UNKNOWN;
		}
		if (!looked)
			p->mask = mask; /* else this frame's look, next to the settled verdict */
		if (p->verdict == MSG_VERDICT_NONE)
			p->reason = looked && (has_body ? p->face.score <= 0 : 0) ? MSG_REASON_NO_FACE : MSG_REASON_NONE;
		if (!looked)
			p->mask_score = 0;
		p->track_id = assign[i].confirmed ? (int64_t)assign[i].id : 0;
	}
	return 0;
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
	size_t len, nev;
	uint64_t t0 = util_mono_us(), now, wall;
	int rc, nfaces = 0, nclass = 0, nskip = 0;

	if (strcmp(ref->camera, w->camera) != 0) {
		log_error(ref->frame_id, "frame for camera=%s sent to the worker of camera=%s", ref->camera, w->camera);
		worker_done(w, ref, -EINVAL, "wrong camera");
		return 0;
	}
	/* Test hook (test/e2e/test_dispatcher.py): a frame that makes the worker
	 * crash, to show the dispatcher moves it aside after max_crashes. */
	{
		const char *mark = getenv("GATEWATCH_TEST_CRASH_SUFFIX");
		size_t ml = mark ? strlen(mark) : 0, fl = strlen(ref->frame_id);

		if (ml > 0 && fl >= ml && strcmp(ref->frame_id + fl - ml, mark) == 0) {
			log_warnx(ref->frame_id, "camera=%s GATEWATCH_TEST_CRASH_SUFFIX: crashing on purpose", ref->camera);
			raise(SIGSEGV);
		}
	}
	if ((rc = worker_claim(w, ref, path, sizeof(path))) < 0) {
		log_warnc(rc, ref->frame_id, "camera=%s cannot claim frame", ref->camera);
		worker_done(w, ref, rc, rc == -ENOENT ? "not in the spool" : "cannot claim");
		return 0;
	}
	ext = strrchr(path, '.') ? strrchr(path, '.') + 1 : "jpg";
	if ((rc = spool_read(path, &img, &len, &metatext)) < 0) {
		if (rc == -EBADMSG) {
			worker_fail(w, ref, -EINVAL, "damaged spool trailer");
			return 0;
		}
		log_warnc(rc, ref->frame_id, "camera=%s cannot read %s", ref->camera, path);
		worker_done(w, ref, rc, "cannot read the frame");
		return 0;
	}
	if (meta_parse(metatext, &meta, err, sizeof(err)) != 0)
		log_warnx(ref->frame_id, "camera=%s %s; analysing the whole image", ref->camera, err);
	free(metatext);
	err[0] = '\0';
	if ((rc = image_decode(img, len, w->cfg.ingest_max_pixels, &im, err, sizeof(err))) < 0) {
		/* reason is the short form (96 bytes); the log line has all of err */
		snprintf(reason, sizeof(reason), "damaged image: %.80s", err[0] ? err : strerror(-rc));
		free(img);
		worker_fail(w, ref, -EINVAL, reason);
		return 0;
	}
	memset(r, 0, sizeof(*r));
	r->ref = *ref;
	r->width = (uint32_t)im.w;
	r->height = (uint32_t)im.h;
	r->temperature = meta.temperature;
	r->received_us = meta.received_us > 0 ? meta.received_us : (int64_t)frameid_time_us(ref->frame_id);
	/* The tracker runs on the frames' clock; how late frames reach us is
	 * remembered so that the idle tick uses the same clock. */
	now = r->received_us > 0 ? (uint64_t)r->received_us : util_now_us();
	wall = util_now_us();
	w->lag_us = wall > now ? (wall - now < WORKER_LAG_MAX_US ? wall - now : WORKER_LAG_MAX_US) : 0;
	w->have_clock = 1;
	rc = worker_people(w, &im, &meta, now, r, &nfaces, &nclass, &nskip);
	if (rc < 0) {
		image_free(&im);
		free(img);
		snprintf(reason, sizeof(reason), "analysis failed: %s", strerror(-rc));
		worker_fail(w, ref, rc, reason);
		return 0;
	}
	w->classified += (uint64_t)nclass;
	w->skipped += (uint64_t)nskip;
	worker_latest(w, ref, ext, img, len, &im, r->snapshot, sizeof(r->snapshot));
	image_free(&im);
	free(img);
	nev = people_peek(w->people, r->events, MSG_EVENTS_MAX);
	r->nevents = (uint32_t)nev;
	r->analysed_us = (int64_t)util_now_us();
	r->analyse_ms = (float)(util_mono_us() - t0) / 1000.0f;

	if ((rc = deliver_result(&w->deliver, r, w->fd, &worker_stop)) < 0)
		return rc; /* stopping: the frame stays in active/ for redelivery */
	people_drop(w->people, nev);
	if ((rc = spool_done(&w->spool, ref->camera, ref->frame_id)) < 0 && rc != -ENOENT) {
		log_warnc(rc, ref->frame_id, "camera=%s cannot delete the committed frame", ref->camera);
	}
	log_info(ref->frame_id, "camera=%s persons=%u faces=%d classified=%d skipped=%d events=%zu ms=%.1f",
	    ref->camera, r->npersons, nfaces, nclass, nskip, nev, (double)(util_mono_us() - t0) / 1000.0);
	worker_done(w, ref, 0, "");
	/* More events than one RESULT holds: the rest without a frame. */
	if (people_pending(w->people) > 0 && (rc = worker_flush(w, 0)) == -ECANCELED)
		return rc;
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

/* worker_args - the command line, checked before anything happens. */
static void
worker_args(struct worker *w, int argc, char **argv, struct daemon_args *args)
{
	daemon_args(&worker_spec, &w->cfg, argc, argv, args);
	if (worker_opt.replay) {
		if (args->noperands == 0)
			daemon_usage_error(&worker_spec, "--replay needs at least one file");
		return;
	}
	if (args->noperands > 0)
		daemon_usage_error(&worker_spec, "unexpected argument \"%s\"", args->operands[0]);
	if (worker_opt.camera == NULL || !util_camera_id_valid(worker_opt.camera) || worker_opt.fd < 0)
		daemon_usage_error(&worker_spec, "needs --camera ID and --fd N (or --replay)");
	if (fcntl((int)worker_opt.fd, F_GETFD) == -1)
		daemon_usage_error(&worker_spec, "--fd %ld: %s", worker_opt.fd, strerror(errno));
	util_strlcpy(w->camera, worker_opt.camera, sizeof(w->camera));
	w->fd = (int)worker_opt.fd;
	fcntl(w->fd, F_SETFD, FD_CLOEXEC);
}

/* worker_exit - the people still in view stay open for the next worker of
 * the camera (takeover); what time alone says (people who left) is sent,
 * bounded by WORKER_EXIT_FLUSH_MS. */
static void
worker_exit(struct worker *w)
{
	struct track_stats st;

	if (w->have_clock && people_tick(w->people, util_now_us() - w->lag_us) < 0)
		log_warnx(NULL, "camera=%s out of memory for track events", w->camera);
	worker_flush(w, 1);
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
	static struct worker w;
	struct daemon_args args;
	struct sigaction sa;
	char err[512], path[CONFIG_PATH_SIZE];
	int rc = 0;

	worker_args(&w, argc, argv, &args);
	if (worker_opt.replay) {
		rc = replay_run(&w.cfg, !worker_opt.nomask, args.operands, args.noperands);
		daemon_args_free(&args);
		return rc;
	}
	/* no libuv here: between frames, SIGTERM sets worker_stop */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_sigterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (config_path(&w.cfg, "spool", path, sizeof(path)) < 0 ||
	    (rc = spool_open(&w.spool, path, w.cfg.spool_max_frames, w.cfg.spool_max_bytes,
	    w.cfg.spool_min_free_mb)) < 0)
		fatal("camera=%s cannot open the spool under %s: %s", w.camera, w.cfg.dir,
		    strerror(rc < 0 ? -rc : ENAMETOOLONG));
	if ((w.an = analyse_open(&w.cfg, 1, err, sizeof(err))) == NULL)
		fatal("camera=%s cannot load models: %s", w.camera, err);
	if ((w.people = people_new(&w.cfg, w.camera, util_now_us())) == NULL)
		fatal("camera=%s out of memory", w.camera);
	if (config_path(&w.cfg, "run/notifier.sock", path, sizeof(path)) < 0)
		fatal("camera=%s state dir path too long", w.camera);
	deliver_init(&w.deliver, path, w.camera);
	if ((rc = deliver_takeover(&w.deliver, WORKER_TAKEOVER_MS, worker_adopt, &w)) < 0)
		log_warnc(rc, NULL, "camera=%s no open people taken over from the notifier at %s", w.camera, path);
	if ((rc = msg_hello(w.fd, MSG_ROLE_WORKER, w.camera)) < 0)
		log_warnc(rc, NULL, "camera=%s hello to the dispatcher", w.camera);
	log_info(NULL, "camera=%s worker ready pid=%d models=%s", w.camera, (int)getpid(), w.cfg.models_dir);

	rc = worker_loop(&w);
	worker_exit(&w);
	daemon_args_free(&args);
	return rc;
}
