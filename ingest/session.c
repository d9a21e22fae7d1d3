/* session - the camera protocol over one connection (ws.c moves the
 * bytes): hello and its checks (a camera of the database's cameras table,
 * camdb.h: its token's hash compared in constant time, read on the thread
 * pool (camcheck.h); control characters refused, failed hellos slowed per
 * address; a connection whose camera was removed or got a new token is
 * closed within a recheck or two, main.c),
 * meta, frames admitted into the pipeline or answered at once (busy,
 * rejected), answers written back, gate messages fanned out to the
 * camera's connections. Loop thread only. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "camcheck.h"
#include "camsg.h"
#include "log.h"
#include "peers.h"
#include "session.h"
#include "utf8.h"
#include "util.h"
#include "ws.h"

#define SESSION_AUTH_FREE 5              /* failed hellos per address before backoff */
#define SESSION_AUTH_BACKOFF_MS 1000     /* first backoff, doubling per failure */
#define SESSION_AUTH_BACKOFF_MAX_MS 60000
#define SESSION_AUTH_FORGET_MS 600000    /* an address quiet this long starts afresh */
#define SESSION_AUTH_SLOTS 256           /* addresses remembered (least recent reused) */

/* failed hellos of one address */
struct session_fail {
	char addr[64];                  /* "" = free slot */
	unsigned fails;
	uint64_t until_mono;            /* hellos before this are refused unread */
	uint64_t last_mono;
};

static struct {
	struct session_fail fails[SESSION_AUTH_SLOTS];
	uint64_t conn_ids;              /* the last ws_conn id given */
} session;

/* Answers go out in the order their frames came (ws.c's protocol): while
 * a frame of the connection is in the pipeline, each later frame gets a
 * slot, and an answer given at once (busy, rejected) waits in its slot
 * until the answers before it are sent. The pipeline runs a camera's
 * frames one at a time in order, so a slot waits at most for the frames
 * in flight before it (ingest.max_inflight of them). */
struct session_slot {
	struct session_slot *next;
	uint32_t seq;
	json_t *answer;                 /* NULL while the frame is in the pipeline */
};

/* session_slot_add - a slot for seq at the end of c's; NULL if out of memory
 * or c already has WS_OUTQ answers waiting (the connection is dropped). */
static struct session_slot *
session_slot_add(struct ws_conn *c, uint32_t seq, json_t *answer)
{
	struct session_slot *s, **end;

	if (c->nslots >= WS_OUTQ) {
		ws_refuse(c, "busy", WS_CLOSE_LIMIT, "too many frames waiting for the answers of earlier frames");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->seq = seq;
	s->answer = answer;
	for (end = &c->slots; *end; end = &(*end)->next)   /* a few: the frames in flight */
		;
	*end = s;
	c->nslots++;
	return s;
}

/* session_slot_flush - send the answers at the head of c's slots that are
 * ready. */
static void
session_slot_flush(struct ws_conn *c)
{
	struct session_slot *s;

	while ((s = c->slots) != NULL && s->answer != NULL) {
		c->slots = s->next;
		c->nslots--;
		ws_send(c, s->answer);
		free(s);
	}
}

/* session_deliver - the answer o (taken over) to frame seq, in frame order. */
static void
session_deliver(struct ws_conn *c, uint32_t seq, json_t *o)
{
	struct session_slot *s;

	for (s = c->slots; s && s->seq != seq; s = s->next)
		;
	if (s == NULL && c->slots == NULL) {
		ws_send(c, o);          /* nothing before it: at once */
		return;
	}
	if (s == NULL && (o == NULL || session_slot_add(c, seq, o) == NULL)) {
		json_decref(o);
		if (o == NULL)
			ws_send(c, NULL); /* out of memory: dropped */
		return;
	}
	if (s != NULL && (s->answer = o) == NULL) {
		ws_send(c, NULL);
		return;
	}
	session_slot_flush(c);
}

void
session_forget(struct ws_conn *c)
{
	struct session_slot *s;

	while ((s = c->slots) != NULL) {
		c->slots = s->next;
		json_decref(s->answer);
		free(s);
	}
	c->nslots = 0;
}

/* session_answer_send - the one place an answer is written (and logged when
 * it is a refusal). frame may be NULL (no id given: before hello). */
static void
session_answer_send(struct ws_conn *c, uint32_t seq, const char *frame, enum pipeline_status st,
               const char *reason, const struct nn_box *p, int np, uint64_t t0_mono)
{
	if (st == PIPELINE_BUSY || st == PIPELINE_REJECTED) {
		char safe[CHECK_REASON_SIZE];

		utf8_repair(safe, sizeof(safe), reason);
		log_warnx(frame, "camera=%s peer=%s seq=%u %s: %s", ws_cam_id(c), c->peer, seq,
		    pipeline_status_name(st), safe);
	}
	session_deliver(c, seq, camsg_answer(seq, frame, pipeline_status_name(st), reason, p, np,
	    (double)(util_mono_us() - t0_mono) / 1000.0));
}

void
session_answer(struct pipeline_job *job)
{
	struct ws_conn *c = job->owner;

	c->inflight--;
	if (c->wsi)
		session_answer_send(c, job->seq, job->frame_id, job->status, job->reason,
		    job->res.persons, job->status == PIPELINE_NO_PERSON ? 0 : job->res.npersons,
		    job->received_mono);
	pipeline_job_free(job);
	ws_conn_unref(c);
}

void
session_verdict(const struct msg_verdict *v)
{
	int cam = pipeline_camera(v->ref.camera, 0);
	unsigned char *buf, *copy;
	struct ws_conn *c;
	json_t *o;
	size_t n;

	if (!frameid_valid(v->ref.frame_id) || v->track_id <= 0) {
		log_warnx(NULL, "gate message with a bad frame id or track ignored");
		return;
	}
	if (cam < 0)   /* the camera has not connected since ingest started */
		return;
	if ((o = camsg_gate(v, ws_config()->dir)) == NULL) {
		log_warnx(NULL, "gate message of kind %u not sent (unknown kind or out of memory)", v->kind);
		return;
	}
	buf = camsg_dump(o, LWS_PRE, &n);
	json_decref(o);
	if (buf == NULL) {
		log_warnx(NULL, "gate message not sent: out of memory");
		return;
	}
	for (c = ws_conns(); c; c = c->next)
		if (c->cam == cam && (v->conn == 0 || v->conn == c->id) && (copy = malloc(LWS_PRE + n)) != NULL) {
			memcpy(copy, buf, LWS_PRE + n);
			ws_enqueue(c, copy, n);
		}
	free(buf);
}

/* session_sync - ask the notifier for c's camera's open people, so a
 * camera that (re)connects shows who is tracked and decided now. */
static void
session_sync(struct ws_conn *c)
{
	int rc = peers_gate_sync(pipeline_camera_id(c->cam), c->id);

	if (rc != 0 && rc != -ENOTCONN)  /* away: it asks again when the link comes up */
		log_warnc(rc, NULL, "camera=%s peer=%s: the gate state could not be asked for", ws_cam_id(c), c->peer);
}

/* session_recheck_done - every camera as the table has them now (read
 * seq): close the connections whose camera is gone or whose token is not
 * the one they said hello with */
static void
session_recheck_done(const struct camcheck_cam *cams, int n, uint64_t seq, const char *err)
{
	const struct camcheck_cam *k;
	struct ws_conn *c;

	if (n < 0) {   /* keep them all: a busy database is not a revocation */
		log_warnx(NULL, "recheck of the connected cameras: the cameras table could not be read: %s", err);
		return;
	}
	for (c = ws_conns(); c; c = c->next) {
		if (c->cam < 0 || c->dead || c->hello_seq > seq)   /* welcomed after this read: next time */
			continue;
		k = camcheck_find(cams, n, pipeline_camera_id(c->cam));
		if (k && strcmp(k->token_hash, c->token_hash) == 0)
			continue;
		log_warnx(NULL, "camera=%s peer=%s closed: %s", ws_cam_id(c), c->peer,
		    k ? "its token was replaced" : "the camera was removed");
		ws_refuse(c, "auth", WS_CLOSE_AUTH, k ? "token replaced" : "camera removed");
	}
}

void
session_recheck(void)
{
	struct ws_conn *c;
	int rc;

	for (c = ws_conns(); c && (c->cam < 0 || c->dead); c = c->next)
		;
	if (c == NULL)   /* no camera connected: nothing to read */
		return;
	if ((rc = camcheck_all(session_recheck_done)) != 0 && rc != -EBUSY)  /* busy: the last one still runs */
		log_warnc(rc, NULL, "recheck of the connected cameras not started");
}

void
session_resync(void)
{
	struct ws_conn *c;

	for (c = ws_conns(); c; c = c->next)
		if (c->cam >= 0 && !c->dead)
			session_sync(c);
}

/* session_fail_slot - the failure record of addr; create makes one (reusing
 * the least recently used slot). NULL if none and !create. */
static struct session_fail *
session_fail_slot(const char *addr, int create)
{
	struct session_fail *f, *old = &session.fails[0];
	uint64_t now = util_mono_us();
	int i;

	for (i = 0; i < SESSION_AUTH_SLOTS; i++) {
		f = &session.fails[i];
		if (f->addr[0] && now - f->last_mono > (uint64_t)SESSION_AUTH_FORGET_MS * 1000)
			f->addr[0] = '\0';
		if (f->addr[0] && strcmp(f->addr, addr) == 0)
			return f;
		if (f->addr[0] == '\0' || f->last_mono < old->last_mono)
			old = f;
	}
	if (!create)
		return NULL;
	memset(old, 0, sizeof(*old));
	util_strlcpy(old->addr, addr, sizeof(old->addr));
	old->last_mono = now;
	return old;
}

static void
session_fail_note(const char *addr)
{
	struct session_fail *f = session_fail_slot(addr, 1);
	uint64_t now = util_mono_us(), ms;

	f->fails++;
	f->last_mono = now;
	if (f->fails >= SESSION_AUTH_FREE) {
		unsigned shift = f->fails - SESSION_AUTH_FREE;

		ms = shift >= 6 ? SESSION_AUTH_BACKOFF_MAX_MS : (uint64_t)SESSION_AUTH_BACKOFF_MS << shift;
		if (ms > SESSION_AUTH_BACKOFF_MAX_MS)
			ms = SESSION_AUTH_BACKOFF_MAX_MS;
		f->until_mono = now + ms * 1000;
	}
}

/* session_text_ok - no control characters (ids and tokens are compared as C
 * strings and logged). */
static int
session_text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* session_hello_done - the answer to c's hello: ok 1 with cc (a camera,
 * and its token), 0 (not: camera is what it claimed), < 0 (the table could
 * not be read: err) */
static void
session_hello_done(struct ws_conn *c, int ok, const struct camdb_camera *cc, const char *camera, uint64_t seq,
    const char *err)
{
	int cam = -1;

	c->hello_pending = 0;
	if (c->wsi == NULL || c->dead)
		return;
	lws_rx_flow_control(c->wsi, 1);
	if (ok < 0) {
		log_warnc(ok, NULL, "camera=? peer=%s: the cameras table could not be read: %s", c->peer, err);
		ws_refuse(c, "busy", WS_CLOSE_TRY_AGAIN, "the list of cameras could not be read; try again");
		return;   /* not the camera's fault: no failure noted */
	}
	if (ok == 1 && (cam = pipeline_camera(cc->id, 1)) < 0) {
		log_warnc(cam, NULL, "camera=%s peer=%s refused: no room for another camera", cc->id, c->peer);
		ws_refuse(c, "busy", WS_CLOSE_AUTH, "too many cameras");
		return;
	}
	if (ok != 1) {
		log_warnx(NULL, "camera=%s peer=%s auth failed: unknown camera or wrong token",
		    util_camera_id_valid(camera) ? camera : "?", c->peer);
		session_fail_note(c->peer);
		ws_error(c, "auth", "unknown camera or wrong token");
		ws_enqueue_close(c, WS_CLOSE_AUTH, "unknown camera or wrong token");
		return;
	}
	c->cam = cam;
	c->id = ++session.conn_ids;
	c->hello_seq = seq;
	util_strlcpy(c->token_hash, cc->token_hash, sizeof(c->token_hash));
	log_info(NULL, "camera=%s peer=%s connected", cc->id, c->peer);
	ws_send(c, camsg_welcome(ws_config(), cc->id, cc->mode));
	session_sync(c);
}

static void
session_hello(struct ws_conn *c, const struct camsg *m)
{
	struct session_fail *fl;
	uint64_t now = util_mono_us();

	if (c->cam >= 0 || c->hello_pending) {
		ws_error(c, "bad_message", "hello already received on this connection");
		return;
	}
	/* an address that keeps failing waits; its token is not even read */
	if ((fl = session_fail_slot(c->peer, 0)) != NULL && now < fl->until_mono) {
		char why[96];

		snprintf(why, sizeof(why), "too many failed hellos from this address; retry in %" PRIu64 " ms",
		    (fl->until_mono - now + 999) / 1000);
		log_warnx(NULL, "camera=? peer=%s auth refused: backoff after %u failures", c->peer, fl->fails);
		ws_refuse(c, "auth", WS_CLOSE_AUTH, why);
		return;
	}
	if (!session_text_ok(m->camera) || !session_text_ok(m->token)) {
		log_warnx(NULL, "camera=? peer=%s auth failed: control characters in camera or token", c->peer);
		session_fail_note(c->peer);
		ws_refuse(c, "bad_message", WS_CLOSE_PROTOCOL, "camera and token must not contain control characters");
		return;
	}
	if (!m->has_camera || !m->has_token) {
		session_hello_done(c, 0, NULL, m->camera, 0, "");
		return;
	}
	/* One indexed row of SQLite, on the thread pool: nothing more is read
	 * from the connection until it is answered (frames sent right after
	 * the hello wait in the socket, not here) */
	if (camcheck_hello(c, m->camera, m->token, session_hello_done) != 0) {
		ws_refuse(c, "busy", WS_CLOSE_TRY_AGAIN, "out of memory; try again");
		return;
	}
	c->hello_pending = 1;
	lws_rx_flow_control(c->wsi, 0);
}

void
session_text(struct ws_conn *c)
{
	struct camsg m;
	char why[256];
	int rc;

	if (c->rx_over) {
		snprintf(why, sizeof(why), "text message of %zu bytes is over %d bytes", c->rx_total, WS_TEXT_MAX);
		goto bad;
	}
	rc = camsg_parse((const char *)c->rx, c->rx_len, &m, why, sizeof(why));
	if (rc == -EBADMSG && c->cam < 0) {   /* a stranger gets one chance */
		log_warnx(NULL, "camera=- peer=%s closed: %s", c->peer, why);
		session_fail_note(c->peer);
		ws_refuse(c, "bad_message", WS_CLOSE_PROTOCOL, why);
		return;
	}
	if (rc != 0)
		goto bad;
	if (m.type == CAMSG_HELLO)
		session_hello(c, &m);
	else
		c->temperature = m.temperature;
	return;
bad:
	log_warnx(NULL, "camera=%s peer=%s bad_message: %s", ws_cam_id(c), c->peer, why);
	ws_error(c, "bad_message", why);
}

void
session_frame(struct ws_conn *c)
{
	struct pipeline_job *job;
	char fid[FRAMEID_SIZE], reason[CHECK_REASON_SIZE];
	const char *ext;
	uint32_t seq = ++c->seq;
	float temp = c->temperature;
	int w, h;

	c->temperature = NAN;
	if (c->cam < 0)   /* ws_receive closes these at their first piece */
		return;
	frameid_next(fid);
	pipeline_count_in(c->cam);
	if (c->rx_over) {
		snprintf(reason, sizeof(reason), "frame of %zu bytes is over ingest.max_bytes (%ld)",
		    c->rx_total, ws_config()->ingest_max_bytes);
		goto rejected;
	}
	if (check_probe(c->rx, c->rx_len, &ext, &w, &h, reason, sizeof(reason)) != 0)
		goto rejected;
	if ((long)w * h > ws_config()->ingest_max_pixels) {
		snprintf(reason, sizeof(reason), "image is %dx%d = %ld pixels, over ingest.max_pixels (%ld)",
		    w, h, (long)w * h, ws_config()->ingest_max_pixels);
		goto rejected;
	}
	if (ws_is_stopping()) {
		pipeline_count(c->cam, PIPELINE_BUSY);
		session_answer_send(c, seq, fid, PIPELINE_BUSY, "server shutting down", NULL, 0, c->rx_mono);
		return;
	}
	if (c->inflight >= ws_config()->ingest_max_inflight) {
		pipeline_count(c->cam, PIPELINE_BUSY);
		session_answer_send(c, seq, fid, PIPELINE_BUSY, "too many frames in flight", NULL, 0, c->rx_mono);
		return;
	}
	job = pipeline_job_new(c, seq, c->cam, c->rx, c->rx_len);
	c->rx = NULL;
	c->rx_cap = c->rx_len = 0;
	if (job == NULL || session_slot_add(c, seq, NULL) == NULL) {
		pipeline_job_free(job);
		pipeline_count(c->cam, PIPELINE_BUSY);
		session_answer_send(c, seq, fid, PIPELINE_BUSY, "out of memory", NULL, 0, c->rx_mono);
		return;
	}
	util_strlcpy(job->frame_id, fid, sizeof(job->frame_id));
	job->temperature = temp;
	job->received_mono = c->rx_mono;
	c->inflight++;
	c->refs++;
	pipeline_submit(job);
	return;
rejected:
	pipeline_count(c->cam, PIPELINE_REJECTED);
	session_answer_send(c, seq, fid, PIPELINE_REJECTED, reason, NULL, 0, c->rx_mono);
}

