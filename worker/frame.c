/* frame - one frame through the worker: claim it in the spool, decode it,
 * follow its people and look at those who need it, keep the live and best
 * snapshots, have the RESULT committed by the notifier, then delete the
 * frame and tell the dispatcher. A frame that cannot be analysed is moved
 * to failed/ with its reason. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "facegeom.h"
#include "firstpass.h"
#include "frameid.h"
#include "image.h"
#include "log.h"
#include "meta.h"
#include "slots.h"
#include "util.h"
#include "worker.h"

/* frame_done - tell the dispatcher this frame is finished. A lost hint
 * only delays the next frame: the dispatcher also sees the spool. */
static void
frame_done(struct worker *w, const struct msg_frame_ref *ref, int status, const char *reason)
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

/* frame_fail - the frame cannot be analysed: move it aside with the
 * reason, tell the dispatcher, log one line. */
static void
frame_fail(struct worker *w, const struct msg_frame_ref *ref, int status, const char *reason)
{
	int rc;

	log_error(ref->frame_id, "camera=%s frame failed: %s", ref->camera, reason);
	if ((rc = spool_fail(&w->spool, ref->camera, ref->frame_id, reason)) < 0) {
		log_warnc(rc, ref->frame_id, "cannot move the frame to failed/");
	}
	frame_done(w, ref, status, reason);
}

/* frame_flush (worker.h) - send the events waiting in the outbox that no frame
 * carries, as RESULTs flagged MSG_RESULT_NOFRAME with fresh frame ids.
 * final: the worker is exiting (no stop flag, no dispatcher), give up
 * after FRAME_EXIT_FLUSH_MS. Returns 0, or -ECANCELED / -ETIMEDOUT with
 * the unsent events still in the outbox. */
int
frame_flush(struct worker *w, int final)
{
	struct msg_result *r = &w->result;
	uint64_t end = util_mono_us() + (uint64_t)FRAME_EXIT_FLUSH_MS * 1000u;
	struct track_stats st;
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
		/* when the tracker made them, on the frames' clock (the notifier
		 * stores it as the events' time), like a frame's events */
		people_stats(w->people, &st);
		r->received_us = r->analysed_us = st.now_us > 0 ? (int64_t)st.now_us : (int64_t)util_now_us();
		r->temperature = NAN;
		if (final)
			rc = now >= end ? -ETIMEDOUT : deliver_result_timed(&w->deliver, r, (int)((end - now) / 1000u));
		else
			rc = deliver_result(&w->deliver, r, w->fd, w->stop);
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

/* frame_claim - take the frame into active/. A frame already there was
 * handed to a worker that died: this is its redelivery. Returns 0 with the
 * active path, or -errno. */
static int
frame_claim(struct worker *w, const struct msg_frame_ref *ref, char *path, size_t pathlen)
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

/* The people of one frame: their boxes, and for each the face to look at. */
struct frame_found {
	struct nn_box bodies[MSG_PERSONS_MAX];   /* person boxes (has_body) */
	struct nn_box faces[MSG_PERSONS_MAX];    /* faces found (without bodies: the people) */
	struct nn_box bodyface[MSG_PERSONS_MAX]; /* has_body: the face in each person box */
	const struct nn_box *src;                /* the people's boxes: bodies or faces */
	int n, has_body;
};

#define FRAME_NEAR_MAX 2   /* face-only people searched around their face: one half-height run */

/* frame_msg_box - a box as the tracker and the RESULT take it. */
static struct msg_box
frame_msg_box(const struct nn_box *b)
{
	struct msg_box m = { b->x, b->y, b->w, b->h, b->score };

	if (m.score <= 0)
		m.score = 0.01f; /* present: keep it distinct from "absent" */
	return m;
}

/* frame_near - someone known only by a face (found in no person box) is
 * seen only by a face search outside the person boxes. When the whole
 * frame is searched anyway (whole: a box needs a look, or the timed
 * search), nothing to do (0); with worker.frame_skip a box's look searches
 * it only if a box finds no face, so not anyway. Else, when that is cheaper than a
 * whole-frame run, their latest boxes (made from the face) go after the n
 * person boxes as boxes to search (look[]): one or two whose head regions
 * fit a tile (worker.tile_px), half a run together (worker.tile_pair);
 * returns how many. Otherwise -1: the whole frame, as for everyone
 * else's first look. docs/MODELS.md, "Round 8". */
static int
frame_near(struct worker *w, const struct image *im, struct frame_found *f, int n, unsigned char *look,
           int whole)
{
	struct msg_box b[FRAME_NEAR_MAX + 1];
	int i, x, y, bw, bh, full_h, k = people_face_only(w->people, b, FRAME_NEAR_MAX + 1);

	if (k == 0 || whole == ANALYSE_WHOLE_YES || (whole == ANALYSE_WHOLE_MISSED && !w->cfg.frame_skip))
		return 0;
	if (k > FRAME_NEAR_MAX || n + k > MSG_PERSONS_MAX || !w->cfg.tile_pair)
		return -1;
	for (i = 0; i < k; i++) {
		f->bodies[n + i] = (struct nn_box){ b[i].x, b[i].y, b[i].w, b[i].h, b[i].score };
		if (!facegeom_head(im, &f->bodies[n + i], &x, &y, &bw, &bh, &full_h) || bw > w->cfg.tile_px ||
		    bh > w->cfg.tile_px)
			return -1;
		look[n + i] = 1;
	}
	return k;
}

/* frame_near_faces - the faces frame_near's boxes found (bodyface[n..n +
 * nnear)) put before the nextra faces no box took (faces[]), as faces[]:
 * each a person of their own (where a result has room). Returns the count. */
static int
frame_near_faces(struct frame_found *f, int n, int nnear, int nextra)
{
	struct nn_box found[MSG_PERSONS_MAX];
	int i, k = 0;

	for (i = 0; i < nnear; i++)
		if (f->bodyface[n + i].score > 0)
			found[k++] = f->bodyface[n + i];
	for (i = 0; i < nextra && k < MSG_PERSONS_MAX; i++)
		found[k++] = f->faces[i];
	memcpy(f->faces, found, sizeof(found[0]) * (size_t)k);
	return k;
}

/* frame_search - the face search of a frame with person boxes, after the
 * tracker said whose box needs a look (assign[0..n)): only those boxes are
 * searched, the whole frame too (worker.frame_search) when a box is (with
 * worker.frame_skip, only when a box searched found no face), or at least
 * every worker.frame_search_ms for faces in no person box; in the frames
 * between, someone known only by a face is searched around their last face
 * (frame_near). A still person whose mask state is settled costs no detector
 * run until its re-look (track.recheck_ms). Faces no box took become people
 * of their own, given to the tracker after the boxes (assign[n..f->n)); past
 * MSG_PERSONS_MAX in the places of boxes searched without a face (slots.h:
 * those stay tracked, unlooked this frame). Returns 0 or -errno. */
static int
frame_search(struct worker *w, const struct image *im, uint64_t now, float temperature, struct frame_found *f,
             struct msg_box *boxes, struct track_assign *assign)
{
	unsigned char look[MSG_PERSONS_MAX];
	int i, n = f->n, any = 0, whole, nextra = 0, nnear, rc;

	for (i = 0; i < n; i++)
		any |= look[i] = (unsigned char)(assign[i].classify != 0);
	whole = w->cfg.frame_search && (w->cfg.frame_search_ms == 0 ||
	    w->frame_search_us == 0 || now - w->frame_search_us >= (uint64_t)w->cfg.frame_search_ms * 1000u ||
	    now < w->frame_search_us) ? ANALYSE_WHOLE_YES : any && w->cfg.frame_search ? ANALYSE_WHOLE_MISSED :
	    ANALYSE_WHOLE_NO;
	nnear = w->cfg.frame_search ? frame_near(w, im, f, n, look, whole) : 0;
	if (nnear < 0)
		whole = ANALYSE_WHOLE_YES;  /* someone known only by a face: searched on the whole frame */
	nnear = nnear > 0 ? nnear : 0;
	for (i = 0; i < n + nnear; i++)
		f->bodyface[i] = (struct nn_box){ 0, 0, 0, 0, 0 };
	if (whole == ANALYSE_WHOLE_YES || (whole == ANALYSE_WHOLE_MISSED && !w->cfg.frame_skip))
		w->frame_search_us = now; /* (a skipped search leaves the timer running) */
	if ((any || whole || nnear) && (rc = analyse_people(w->an, im, f->bodies, n + nnear, look, whole,
	    f->bodyface, f->faces, &nextra, MSG_PERSONS_MAX - nnear)) < 0)
		return rc;
	nextra = frame_near_faces(f, n, nnear, nextra);
	n = slots_make_room(f->bodyface, look, n, &nextra, MSG_PERSONS_MAX, (struct slots_array[]){ SLOTS_ARRAY(f->bodies),
	    SLOTS_ARRAY(f->bodyface), SLOTS_ARRAY(boxes), SLOTS_ARRAY(assign) }, 4); /* too many people: slots.h */
	for (i = 0; i < nextra; i++) {
		f->bodyface[n + i] = f->faces[i];
		f->bodies[n + i] = f->faces[i];
		firstpass_face_to_person(&f->bodies[n + i], im->w, im->h);
		boxes[n + i] = frame_msg_box(&f->bodies[n + i]);
	}
	f->n = n + nextra;
	if (people_update_more(w->people, boxes + n, (size_t)nextra, temperature, assign + n) < 0)
		log_warnx(NULL, "camera=%s out of memory for track events", w->camera);
	return 0;
}

/* frame_boxes - the frame's people through the tracker: ingest's person
 * boxes, then the faces frame_search found in none; or for a frame without
 * any (a plain photo) the faces on the whole image. Returns 0 or -errno (a
 * network failed). */
static int
frame_boxes(struct worker *w, const struct image *im, const struct meta *meta, uint64_t now, float temperature,
            struct frame_found *f, struct msg_box *boxes, struct track_assign *assign, int *nfaces)
{
	int i, n;

	f->has_body = meta->npersons > 0;
	if (!f->has_body) {
		if ((n = analyse_faces(w->an, im, f->faces, MSG_PERSONS_MAX)) < 0)
			return n;
		f->src = f->faces;
		f->n = *nfaces = n;
	} else {
		f->n = meta->npersons < MSG_PERSONS_MAX ? meta->npersons : MSG_PERSONS_MAX;
		memcpy(f->bodies, meta->persons, sizeof(*f->bodies) * (size_t)f->n);
		f->src = f->bodies;
	}
	for (i = 0; i < f->n; i++)
		boxes[i] = frame_msg_box(&f->src[i]);
	if (people_update(w->people, now, boxes, (size_t)f->n, temperature, assign) < 0)
		log_warnx(NULL, "camera=%s out of memory for track events", w->camera);
	return f->has_body ? frame_search(w, im, now, temperature, f, boxes, assign) : 0;
}

/* frame_person - person i of the frame into p: looked at if the tracker
 * asks (a best snapshot kept when the look is the best yet), with the
 * person's settled verdict. Returns 1 if looked at, 0 if not, or -errno. */
static int
frame_person(struct worker *w, const struct image *im, const struct frame_found *f, int i,
             const struct track_assign *as, uint64_t now, struct msg_result *r, struct msg_person *p,
             int *nfaces)
{
	struct snapshot_look snap;
	uint32_t mask;
	uint64_t id;
	int rc, looked = 0;

	if (as->classify) {
		rc = analyse_person(w->an, im, f->has_body ? (f->bodyface[i].score > 0 ? &f->bodyface[i] : NULL) :
		    &f->src[i], r->temperature, p);
		if (rc < 0)
			return rc;
		if (f->has_body)
			*nfaces += rc;
		looked = 1;
		snap = (struct snapshot_look){ w, r->ref.frame_id, im, f->has_body ? &p->body : &p->face, f->has_body };
		people_look(w->people, as->id, now, p, snapshot_look_cb, &snap);
	}
	/* the look may have put a new person in this one's place (ENDED this
	 * frame): the box is theirs, and the gate message names it by id */
	id = people_live_id(w->people, as->id);
	/* The live view shows the person's settled verdict, never one
	 * frame's; "no face" only while nothing is settled. */
	if (people_state(w->people, id, &p->verdict, &p->reason, &mask) != 0) {
		p->verdict = MSG_VERDICT_NONE;
		p->reason = MSG_REASON_NONE;
		mask = MSG_MASK_UNKNOWN;
	}
	if (!looked)
		p->mask = mask; /* else this frame's look, next to the settled verdict */
	if (p->verdict == MSG_VERDICT_NONE)
		p->reason = looked && (f->has_body ? p->face.score <= 0 : 0) ? MSG_REASON_NO_FACE : MSG_REASON_NONE;
	if (!looked)
		p->mask_score = 0;
	p->track_id = as->confirmed || id != as->id ? (int64_t)id : 0;
	return looked;
}

/* frame_people - follow the frame's people and look at those who need it.
 * Fills r's persons and takes the events this frame caused. Returns 0 or
 * -errno (a network failed). */
static int
frame_people(struct worker *w, const struct image *im, const struct meta *meta, uint64_t now,
             struct msg_result *r, int *nfaces, int *nclass, int *nskip)
{
	struct frame_found f;
	struct msg_box boxes[MSG_PERSONS_MAX];
	struct track_assign assign[MSG_PERSONS_MAX];
	int i, rc;

	memset(assign, 0, sizeof(assign));
	if ((rc = frame_boxes(w, im, meta, now, r->temperature, &f, boxes, assign, nfaces)) < 0)
		return rc;
	r->npersons = 0;
	for (i = 0; i < f.n; i++) {
		struct msg_person *p = &r->persons[r->npersons++];

		memset(p, 0, sizeof(*p));
		if (f.has_body)
			p->body = boxes[i];
		else
			p->face = boxes[i];
		if ((rc = frame_person(w, im, &f, i, &assign[i], now, r, p, nfaces)) < 0)
			return rc;
		if (rc > 0)
			(*nclass)++;
		else
			(*nskip)++;
	}
	return 0;
}

/* frame_test_crash - test hook: a frame that makes the worker crash, to
 * show the dispatcher moves it aside after max_crashes
 * (test/e2e/test_dispatcher.py: frame ids ending in
 * GATEWATCH_TEST_CRASH_SUFFIX), and the worker_failing alert
 * (test/e2e/test_worker_alert.py: every frame of camera
 * GATEWATCH_TEST_CRASH_CAMERA). */
static void
frame_test_crash(const struct msg_frame_ref *ref)
{
	const char *mark = getenv("GATEWATCH_TEST_CRASH_SUFFIX"), *cam = getenv("GATEWATCH_TEST_CRASH_CAMERA");
	size_t ml = mark ? strlen(mark) : 0, fl = strlen(ref->frame_id);

	if ((ml > 0 && fl >= ml && strcmp(ref->frame_id + fl - ml, mark) == 0) ||
	    (cam != NULL && strcmp(cam, ref->camera) == 0)) {
		log_warnx(ref->frame_id, "camera=%s GATEWATCH_TEST_CRASH_*: crashing on purpose", ref->camera);
		raise(SIGSEGV);
	}
}

/* One claimed frame in memory. */
struct frame_in {
	char path[SPOOL_PATH_SIZE];  /* in active/ */
	const char *ext;             /* into path: "jpg", "png" */
	unsigned char *img;          /* owned: the file as sent */
	size_t len;
	struct meta meta;            /* ingest's trailer */
	struct image im;             /* owned: decoded */
	uint64_t spooled_us;         /* its spool commit (the file's mtime), 0 = not known */
};

/* frame_load - claim, read and decode the frame. Returns 0, or 1 when the
 * frame is finished already (reported done or failed; nothing owned). */
static int
frame_load(struct worker *w, const struct msg_frame_ref *ref, struct frame_in *in)
{
	char err[256], reason[96], *metatext = NULL;
	struct stat st;
	int rc;

	if ((rc = frame_claim(w, ref, in->path, sizeof(in->path))) < 0) {
		log_warnc(rc, ref->frame_id, "camera=%s cannot claim frame", ref->camera);
		frame_done(w, ref, rc, rc == -ENOENT ? "not in the spool" : "cannot claim");
		return 1;
	}
	in->ext = strrchr(in->path, '.') ? strrchr(in->path, '.') + 1 : "jpg";
	if (stat(in->path, &st) == 0)
		in->spooled_us = (uint64_t)st.st_mtim.tv_sec * 1000000u + (uint64_t)st.st_mtim.tv_nsec / 1000u;
	if ((rc = spool_read(in->path, &in->img, &in->len, &metatext)) < 0) {
		if (rc == -EBADMSG) {
			frame_fail(w, ref, -EINVAL, "damaged spool trailer");
			return 1;
		}
		log_warnc(rc, ref->frame_id, "camera=%s cannot read %s", ref->camera, in->path);
		frame_done(w, ref, rc, "cannot read the frame");
		return 1;
	}
	if (meta_parse(metatext, &in->meta, err, sizeof(err)) != 0)
		log_warnx(ref->frame_id, "camera=%s %s; analysing the whole image", ref->camera, err);
	free(metatext);
	err[0] = '\0';
	if ((rc = image_decode(in->img, in->len, w->cfg.ingest_max_pixels, &in->im, err, sizeof(err))) < 0) {
		/* reason is the short form (96 bytes); the log line has all of err */
		snprintf(reason, sizeof(reason), "damaged image: %.80s", err[0] ? err : strerror(-rc));
		free(in->img);
		frame_fail(w, ref, -EINVAL, reason);
		return 1;
	}
	return 0;
}

int
frame_handle(struct worker *w, const struct msg_frame *f)
{
	const struct msg_frame_ref *ref = &f->ref;
	static struct frame_in in; /* one frame at a time */
	struct msg_result *r = &w->result;
	char reason[96];
	size_t nev;
	uint64_t t0 = util_mono_us(), now, wall;
	int rc, nfaces = 0, nclass = 0, nskip = 0;
	long whole_runs, box_runs, half_runs; /* the face detector's so far: whole frames + boxes, half-height */

	if (strcmp(ref->camera, w->camera) != 0) {
		log_error(ref->frame_id, "frame for camera=%s sent to the worker of camera=%s", ref->camera, w->camera);
		frame_done(w, ref, -EINVAL, "wrong camera");
		return 0;
	}
	frame_test_crash(ref);
	memset(&in, 0, sizeof(in));
	if (frame_load(w, ref, &in) != 0)
		return 0;
	memset(r, 0, sizeof(*r));
	r->ref = *ref;
	r->width = (uint32_t)in.im.w;
	r->height = (uint32_t)in.im.h;
	r->temperature = in.meta.temperature;
	r->received_us = in.meta.received_us > 0 ? in.meta.received_us : (int64_t)frameid_time_us(ref->frame_id);
	/* The tracker runs on the frames' clock; how late frames reach us is
	 * remembered so that the idle tick uses the same clock, however late
	 * they are: a cap on it (10 s) put the tick's clock ahead of the
	 * frames' receipt times when the worker was further behind, which
	 * ended people still there and stamped the next frames (their first
	 * and last seen) with the tick's time. The tick leaves out the time a
	 * frame waited for us (lag.h). */
	now = r->received_us > 0 ? (uint64_t)r->received_us : util_now_us();
	wall = util_now_us();
	lag_frame(&w->lag, now, in.spooled_us, wall);
	w->have_clock = 1;
	if (f->skipped > 0) {
		log_info(ref->frame_id, "camera=%s after %u frames skipped by the dispatcher", ref->camera, f->skipped);
		people_skipped(w->people, f->skipped);
	}
	people_camera_frame(w->people, (uint64_t)in.meta.seq, (uint64_t)in.meta.unlooked);
	/* ingest's close-up run on this frame stands for the whole-frame search */
	analyse_given(w->an, in.meta.faces.input > 0 ? &in.meta.faces : NULL);
	rc = frame_people(w, &in.im, &in.meta, now, r, &nfaces, &nclass, &nskip);
	analyse_given(w->an, NULL);
	analyse_times(w->an, &r->face_time, &r->mask_time); /* for /metrics */
	if (rc == 0)
		snapshot_latest(w, ref, in.ext, in.img, in.len, &in.im, r->snapshot, sizeof(r->snapshot));
	image_free(&in.im);
	free(in.img);
	if (rc < 0) {
		snprintf(reason, sizeof(reason), "analysis failed: %s", strerror(-rc));
		frame_fail(w, ref, rc, reason);
		return 0;
	}
	w->classified += (uint64_t)nclass;
	w->skipped += (uint64_t)nskip;
	nev = people_peek(w->people, r->events, MSG_EVENTS_MAX);
	r->nevents = (uint32_t)nev;
	r->analysed_us = (int64_t)util_now_us();
	r->analyse_ms = (float)(util_mono_us() - t0) / 1000.0f;

	if ((rc = deliver_result(&w->deliver, r, w->fd, w->stop)) < 0)
		return rc; /* stopping: the frame stays in active/ for redelivery */
	people_drop(w->people, nev);
	if ((rc = spool_done(&w->spool, ref->camera, ref->frame_id)) < 0 && rc != -ENOENT)
		log_warnc(rc, ref->frame_id, "camera=%s cannot delete the committed frame", ref->camera);
	analyse_passes(w->an, &whole_runs, &box_runs, &half_runs);
	log_info(ref->frame_id, "camera=%s persons=%u faces=%d classified=%d skipped=%d events=%zu ms=%.1f"
	    " face_runs=%ld+%ld half=%ld given=%ld", ref->camera, r->npersons, nfaces, nclass, nskip, nev,
	    (double)(util_mono_us() - t0) / 1000.0, whole_runs, box_runs, half_runs, analyse_given_used(w->an));
	frame_done(w, ref, 0, "");
	/* More events than one RESULT holds: the rest without a frame. */
	if (people_pending(w->people) > 0 && (rc = frame_flush(w, 0)) == -ECANCELED)
		return rc;
	return 0;
}
