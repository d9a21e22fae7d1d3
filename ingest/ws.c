/* ws - the camera WebSocket endpoint.
 *
 * Wire protocol (fixed: the camera page, `gatewatch push` and the tests
 * speak it): text {"type":"hello",...} first, then
 * binary messages, one frame each, answered in order with
 * {"type":"answer","seq":N,...}; optional {"type":"meta",...} before a
 * frame. Every binary message gets exactly one answer.
 *
 * libwebsockets on this platform (see DESIGN): messages arrive in pieces,
 * so they are reassembled here and ingest.max_bytes is enforced here;
 * writes happen only in SERVER_WRITEABLE, from a bounded per-connection
 * queue; a client that does not read is dropped, not buffered for.
 *
 * A connection (struct ws_conn) outlives its wsi while frames of it are
 * still in the pool: refs counts the wsi plus each job in flight.
 *
 * Until its hello a connection is a stranger and costs as little as
 * possible: nothing it sends is buffered beyond a small text message (a
 * binary frame is an error and a close), it must say hello within
 * ingest.hello_timeout_ms, and strangers are capped in all and per
 * address. Failed hellos slow their address down (doubling backoff). Near
 * the file limit ingest stops accepting for a moment instead of spinning
 * on accept(), and says so once per interval. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "camsg.h"
#include "image.h"
#include "log.h"
#include "netlisten.h"
#include "utf8.h"
#include "util.h"
#include "ws.h"

#define WS_OUTQ 256                 /* messages queued per connection before it is dropped */
#define WS_TEXT_MAX 65536           /* largest text message from a camera */
#define WS_RX_BUF (256 * 1024)      /* lws receive piece size */
#define WS_CLOSE_AUTH 4001
#define WS_CLOSE_PROTOCOL 4002      /* binary before hello, bad hello */
#define WS_CLOSE_TIMEOUT 4008       /* no hello in time */
#define WS_CLOSE_LIMIT 4029         /* too many connections without hello */
#define WS_HELLO_TEXT_MAX 4096      /* largest text message before hello */
#define WS_AUTH_FREE 5              /* failed hellos per address before backoff */
#define WS_AUTH_BACKOFF_MS 1000     /* first backoff, doubling per failure */
#define WS_AUTH_BACKOFF_MAX_MS 60000
#define WS_AUTH_FORGET_MS 600000    /* an address quiet this long starts afresh */
#define WS_AUTH_SLOTS 256           /* addresses remembered (least recent reused) */

struct ws_out {
	unsigned char *buf;             /* owned: LWS_PRE + len bytes; NULL = close marker */
	size_t len;
	int close_code;
	char close_reason[96];
};

struct ws_conn {
	struct ws_conn *prev, *next;    /* all connections with a live wsi */
	struct lws *wsi;                /* NULL once closed */
	int refs;                       /* wsi + jobs in flight; freed at 0 */
	int cam;                        /* config camera index; -1 before hello */
	uint32_t seq;                   /* binary messages received */
	int inflight;                   /* frames in the pipeline */
	float temperature;              /* from the last meta, for the next frame; NAN if none */
	uint64_t born_mono;             /* established; hello is due hello_timeout_ms later */
	char peer[64];
	/* message reassembly */
	int rx_active, rx_binary, rx_over;
	unsigned char *rx;              /* owned; handed to the job for frames */
	size_t rx_len, rx_cap, rx_total;
	uint64_t rx_mono;               /* first piece of this message */
	/* outbound queue */
	struct ws_out out[WS_OUTQ];
	int out_head, out_count;
	int dead;                       /* dropped or closing: accept nothing more */
};

struct ws_pss {
	struct ws_conn *c;
};

/* failed hellos of one address */
struct ws_fail {
	char addr[64];                  /* "" = free slot */
	unsigned fails;
	uint64_t until_mono;            /* hellos before this are refused unread */
	uint64_t last_mono;
};

static struct {
	const struct config *cfg;
	struct lws_context *ctx;
	struct ws_conn *conns;
	int stopping;
	uv_timer_t sweep;               /* hello timeouts */
	int sweep_on;
	struct netlisten listener;
	struct ws_fail fails[WS_AUTH_SLOTS];
} ws;

static void
ws_conn_unref(struct ws_conn *c)
{
	int i;

	if (--c->refs > 0)
		return;
	for (i = 0; i < c->out_count; i++)
		free(c->out[(c->out_head + i) % WS_OUTQ].buf);
	free(c->rx);
	free(c);
}

static const char *
ws_cam_id(const struct ws_conn *c)
{
	return c->cam >= 0 ? ws.cfg->cameras[c->cam].id : "-";
}

/* ws_drop - a client that cannot keep up: kill it from outside the
 * WRITEABLE path (it may never become writeable). */
static void
ws_drop(struct ws_conn *c, const char *why)
{
	if (c->dead || c->wsi == NULL)
		return;
	c->dead = 1;
	log_warnx(NULL, "camera=%s peer=%s dropped: %s", ws_cam_id(c), c->peer, why);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

static struct ws_out *
ws_out_slot(struct ws_conn *c)
{
	struct ws_out *o;

	if (c->wsi == NULL || c->dead)
		return NULL;
	if (c->out_count == WS_OUTQ) {
		ws_drop(c, "outbound queue full (client not reading)");
		return NULL;
	}
	o = &c->out[(c->out_head + c->out_count) % WS_OUTQ];
	memset(o, 0, sizeof(*o));
	return o;
}

/* ws_enqueue - queue buf (owned, taken over: LWS_PRE + len bytes). */
static void
ws_enqueue(struct ws_conn *c, unsigned char *buf, size_t len)
{
	struct ws_out *o = ws_out_slot(c);

	if (o == NULL) {
		free(buf);
		return;
	}
	o->buf = buf;
	o->len = len;
	c->out_count++;
	lws_callback_on_writable(c->wsi);
}

/* ws_send - queue the message o (a new reference, taken over; NULL
 * means building it ran out of memory). */
static void
ws_send(struct ws_conn *c, json_t *o)
{
	unsigned char *buf = NULL;
	size_t len = 0;

	if (o != NULL)
		buf = camsg_dump(o, LWS_PRE, &len);
	json_decref(o);
	if (buf == NULL) {
		ws_drop(c, "out of memory");
		return;
	}
	ws_enqueue(c, buf, len);
}

/* ws_enqueue_close - close after everything queued so far is sent. */
static void
ws_enqueue_close(struct ws_conn *c, int code, const char *reason)
{
	struct ws_out *o = ws_out_slot(c);

	if (o == NULL)
		return;
	o->close_code = code;
	utf8_repair(o->close_reason, sizeof(o->close_reason), reason);
	c->out_count++;
	c->dead = 1;
	lws_callback_on_writable(c->wsi);
}

static void
ws_error(struct ws_conn *c, const char *error, const char *reason)
{
	ws_send(c, camsg_error(error, reason));
}

/* ws_send_answer - the one place an answer is written (and logged when
 * it is a refusal). frame may be NULL (no id given: before hello). */
static void
ws_send_answer(struct ws_conn *c, uint32_t seq, const char *frame, enum pipeline_status st,
               const char *reason, const struct nn_box *p, int np, uint64_t t0_mono)
{
	if (st == PIPELINE_BUSY || st == PIPELINE_REJECTED) {
		char safe[CHECK_REASON_SIZE];

		utf8_repair(safe, sizeof(safe), reason);
		log_warnx(frame, "camera=%s peer=%s seq=%u %s: %s", ws_cam_id(c), c->peer, seq,
		    pipeline_status_name(st), safe);
	}
	ws_send(c, camsg_answer(seq, frame, pipeline_status_name(st), reason, p, np,
	    (double)(util_mono_us() - t0_mono) / 1000.0));
}

void
ws_answer(struct pipeline_job *job)
{
	struct ws_conn *c = job->owner;

	c->inflight--;
	if (c->wsi)
		ws_send_answer(c, job->seq, job->frame_id, job->status, job->reason,
		    job->res.persons, job->status == PIPELINE_NO_PERSON ? 0 : job->res.npersons,
		    job->received_mono);
	pipeline_job_free(job);
	ws_conn_unref(c);
}

void
ws_verdict(const struct msg_verdict *v)
{
	const struct config_camera *cc = config_camera(ws.cfg, v->ref.camera);
	unsigned char *buf, *copy;
	struct ws_conn *c;
	json_t *o;
	size_t n;
	int cam;

	if (cc == NULL || !frameid_valid(v->ref.frame_id) || v->track_id <= 0) {
		log_warnx(NULL, "gate message for unknown camera, bad frame id or track ignored");
		return;
	}
	cam = (int)(cc - ws.cfg->cameras);
	if ((o = camsg_gate(v, ws.cfg->dir)) == NULL) {
		log_warnx(NULL, "gate message of kind %u not sent (unknown kind or out of memory)", v->kind);
		return;
	}
	buf = camsg_dump(o, LWS_PRE, &n);
	json_decref(o);
	if (buf == NULL) {
		log_warnx(NULL, "gate message not sent: out of memory");
		return;
	}
	for (c = ws.conns; c; c = c->next)
		if (c->cam == cam && (copy = malloc(LWS_PRE + n)) != NULL) {
			memcpy(copy, buf, LWS_PRE + n);
			ws_enqueue(c, copy, n);
		}
	free(buf);
}

unsigned
ws_connected(int cam)
{
	struct ws_conn *c;
	unsigned n = 0;

	for (c = ws.conns; c; c = c->next)
		if (c->cam == cam && c->wsi)
			n++;
	return n;
}

/* ws_fail_slot - the failure record of addr; create makes one (reusing
 * the least recently used slot). NULL if none and !create. */
static struct ws_fail *
ws_fail_slot(const char *addr, int create)
{
	struct ws_fail *f, *old = &ws.fails[0];
	uint64_t now = util_mono_us();
	int i;

	for (i = 0; i < WS_AUTH_SLOTS; i++) {
		f = &ws.fails[i];
		if (f->addr[0] && now - f->last_mono > (uint64_t)WS_AUTH_FORGET_MS * 1000)
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
ws_fail_note(const char *addr)
{
	struct ws_fail *f = ws_fail_slot(addr, 1);
	uint64_t now = util_mono_us(), ms;

	f->fails++;
	f->last_mono = now;
	if (f->fails >= WS_AUTH_FREE) {
		unsigned shift = f->fails - WS_AUTH_FREE;

		ms = shift >= 6 ? WS_AUTH_BACKOFF_MAX_MS : (uint64_t)WS_AUTH_BACKOFF_MS << shift;
		if (ms > WS_AUTH_BACKOFF_MAX_MS)
			ms = WS_AUTH_BACKOFF_MAX_MS;
		f->until_mono = now + ms * 1000;
	}
}

/* ws_prehello_count - connections without hello, from addr (NULL: all). */
static int
ws_prehello_count(const char *addr)
{
	struct ws_conn *c;
	int n = 0;

	for (c = ws.conns; c; c = c->next)
		if (c->wsi && c->cam < 0 && !c->dead && (addr == NULL || strcmp(c->peer, addr) == 0))
			n++;
	return n;
}

/* ws_refuse - error message, then close with code; the close is forced
 * after 2 s if the peer does not read. */
static void
ws_refuse(struct ws_conn *c, const char *error, int code, const char *reason)
{
	if (c->dead || c->wsi == NULL)
		return;
	ws_error(c, error, reason);
	ws_enqueue_close(c, code, reason);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
}

/* ws_sweep - every 100 ms: close connections whose hello is overdue. */
static void
ws_sweep(uv_timer_t *t)
{
	uint64_t now = util_mono_us(), due = (uint64_t)ws.cfg->ingest_hello_timeout_ms * 1000;
	struct ws_conn *c;
	char why[96];

	(void)t;
	for (c = ws.conns; c; c = c->next)
		if (c->wsi && c->cam < 0 && !c->dead && now - c->born_mono >= due) {
			snprintf(why, sizeof(why), "no hello within %d ms", ws.cfg->ingest_hello_timeout_ms);
			log_warnx(NULL, "camera=- peer=%s closed: %s", c->peer, why);
			ws_refuse(c, "timeout", WS_CLOSE_TIMEOUT, why);
		}
}

/* ws_text_ok - no control characters (ids and tokens are compared as C
 * strings and logged). */
static int
ws_text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* ws_token_eq - compare without an early exit on the first difference. */
static int
ws_token_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void
ws_hello(struct ws_conn *c, const struct camsg *m)
{
	const struct config_camera *cc = NULL;
	struct ws_fail *fl;
	uint64_t now = util_mono_us();

	if (c->cam >= 0) {
		ws_error(c, "bad_message", "hello already received on this connection");
		return;
	}
	/* an address that keeps failing waits; its token is not even read */
	if ((fl = ws_fail_slot(c->peer, 0)) != NULL && now < fl->until_mono) {
		char why[96];

		snprintf(why, sizeof(why), "too many failed hellos from this address; retry in %" PRIu64 " ms",
		    (fl->until_mono - now + 999) / 1000);
		log_warnx(NULL, "camera=? peer=%s auth refused: backoff after %u failures", c->peer, fl->fails);
		ws_refuse(c, "auth", WS_CLOSE_AUTH, why);
		return;
	}
	if (!ws_text_ok(m->camera) || !ws_text_ok(m->token)) {
		log_warnx(NULL, "camera=? peer=%s auth failed: control characters in camera or token", c->peer);
		ws_fail_note(c->peer);
		ws_refuse(c, "bad_message", WS_CLOSE_PROTOCOL, "camera and token must not contain control characters");
		return;
	}
	if (m->has_camera)
		cc = config_camera(ws.cfg, m->camera);
	if (cc == NULL || !m->has_token || !ws_token_eq(m->token, cc->token)) {
		log_warnx(NULL, "camera=%s peer=%s auth failed: unknown camera or wrong token",
		    util_camera_id_valid(m->camera) ? m->camera : "?", c->peer);
		ws_fail_note(c->peer);
		ws_error(c, "auth", "unknown camera or wrong token");
		ws_enqueue_close(c, WS_CLOSE_AUTH, "unknown camera or wrong token");
		return;
	}
	c->cam = (int)(cc - ws.cfg->cameras);
	log_info(NULL, "camera=%s peer=%s connected", cc->id, c->peer);
	ws_send(c, camsg_welcome(ws.cfg, cc));
}

static void
ws_text(struct ws_conn *c)
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
		ws_fail_note(c->peer);
		ws_refuse(c, "bad_message", WS_CLOSE_PROTOCOL, why);
		return;
	}
	if (rc != 0)
		goto bad;
	if (m.type == CAMSG_HELLO)
		ws_hello(c, &m);
	else
		c->temperature = m.temperature;
	return;
bad:
	log_warnx(NULL, "camera=%s peer=%s bad_message: %s", ws_cam_id(c), c->peer, why);
	ws_error(c, "bad_message", why);
}

static void
ws_frame(struct ws_conn *c)
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
		    c->rx_total, ws.cfg->ingest_max_bytes);
		goto rejected;
	}
	reason[0] = '\0';
	if (image_probe(c->rx, c->rx_len, &ext, &w, &h, reason, sizeof(reason)) != 0) {
		char why[CHECK_REASON_SIZE];

		if (reason[0] && strstr(reason, "JPEG or PNG") == NULL)
			snprintf(why, sizeof(why), "not a JPEG or PNG image (%.120s)", reason);
		else
			snprintf(why, sizeof(why), "not a JPEG or PNG image");
		util_strlcpy(reason, why, sizeof(reason));
		goto rejected;
	}
	if ((long)w * h > ws.cfg->ingest_max_pixels) {
		snprintf(reason, sizeof(reason), "image is %dx%d = %ld pixels, over ingest.max_pixels (%ld)",
		    w, h, (long)w * h, ws.cfg->ingest_max_pixels);
		goto rejected;
	}
	if (ws.stopping) {
		pipeline_count(c->cam, PIPELINE_BUSY);
		ws_send_answer(c, seq, fid, PIPELINE_BUSY, "server shutting down", NULL, 0, c->rx_mono);
		return;
	}
	if (c->inflight >= ws.cfg->ingest_max_inflight) {
		pipeline_count(c->cam, PIPELINE_BUSY);
		ws_send_answer(c, seq, fid, PIPELINE_BUSY, "too many frames in flight", NULL, 0, c->rx_mono);
		return;
	}
	job = pipeline_job_new(c, seq, c->cam, c->rx, c->rx_len);
	c->rx = NULL;
	c->rx_cap = c->rx_len = 0;
	if (job == NULL) {
		pipeline_count(c->cam, PIPELINE_BUSY);
		ws_send_answer(c, seq, fid, PIPELINE_BUSY, "out of memory", NULL, 0, c->rx_mono);
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
	ws_send_answer(c, seq, fid, PIPELINE_REJECTED, reason, NULL, 0, c->rx_mono);
}

/* ws_receive - one piece of a message; a whole message is handled when
 * its final piece arrives. Over-limit messages are counted, not kept. */
static int
ws_receive(struct ws_conn *c, const void *in, size_t len)
{
	size_t limit;

	if (c->dead)   /* closing: keep nothing */
		return 0;
	if (!c->rx_active) {
		c->rx_active = 1;
		c->rx_binary = lws_frame_is_binary(c->wsi);
		c->rx_over = 0;
		c->rx_len = c->rx_total = 0;
		c->rx_mono = util_mono_us();
		if (c->rx_binary && c->cam < 0) {
			log_warnx(NULL, "camera=- peer=%s closed: binary frame before hello", c->peer);
			ws_refuse(c, "bad_message", WS_CLOSE_PROTOCOL, "send hello first");
			return 0;
		}
	}
	limit = c->rx_binary ? (size_t)ws.cfg->ingest_max_bytes : c->cam < 0 ? WS_HELLO_TEXT_MAX : WS_TEXT_MAX;
	c->rx_total += len;
	if (!c->rx_over && c->rx_len + len > limit) {
		c->rx_over = 1;
		free(c->rx);
		c->rx = NULL;
		c->rx_len = c->rx_cap = 0;
		if (c->cam < 0) {
			log_warnx(NULL, "camera=- peer=%s closed: text over %d bytes before hello", c->peer, WS_HELLO_TEXT_MAX);
			ws_refuse(c, "bad_message", WS_CLOSE_PROTOCOL, "hello message too long");
			return 0;
		}
	}
	if (!c->rx_over && len > 0) {
		if (c->rx_len + len + 1 > c->rx_cap) {
			size_t cap = c->rx_cap ? c->rx_cap : c->cam < 0 ? 1024 : 64 * 1024;
			unsigned char *p;

			while (cap < c->rx_len + len + 1)
				cap *= 2;
			if ((p = realloc(c->rx, cap)) == NULL)
				return -1;
			c->rx = p;
			c->rx_cap = cap;
		}
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
		c->rx[c->rx_len] = '\0';
	}
	if (!lws_is_final_fragment(c->wsi))
		return 0;
	c->rx_active = 0;
	if (c->dead)
		return 0;
	if (c->rx_binary)
		ws_frame(c);
	else
		ws_text(c);
	return 0;
}

static int
ws_writeable(struct ws_conn *c)
{
	struct ws_out *o;
	int n;

	if (c->out_count == 0)
		return 0;
	o = &c->out[c->out_head];
	if (o->buf == NULL) {
		/* lws_close_reason + return -1 sends no close frame from
		 * WRITEABLE on lws 4.1 + libuv: write the close frame ourselves. */
		unsigned char cf[LWS_PRE + 2 + sizeof(o->close_reason)];
		size_t rl = strlen(o->close_reason);

		cf[LWS_PRE] = (unsigned char)(o->close_code >> 8);
		cf[LWS_PRE + 1] = (unsigned char)(o->close_code & 0xff);
		memcpy(cf + LWS_PRE + 2, o->close_reason, rl);
		lws_write(c->wsi, cf + LWS_PRE, 2 + rl, (enum lws_write_protocol)4 /* LWS_WRITE_CLOSE, private in 4.1 */);
		return -1;
	}
	n = lws_write(c->wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT);
	free(o->buf);
	o->buf = NULL;
	c->out_head = (c->out_head + 1) % WS_OUTQ;
	c->out_count--;
	if (n < (int)o->len)
		return -1;
	if (c->out_count)
		lws_callback_on_writable(c->wsi);
	return 0;
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_pss *pss = user;
	struct ws_conn *c;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		return ws.stopping ? 1 : 0;
	case LWS_CALLBACK_ESTABLISHED: {
		char peer[64];
		const char *why = NULL;

		if (lws_get_peer_simple(wsi, peer, sizeof(peer)) == NULL)
			util_strlcpy(peer, "?", sizeof(peer));
		if (ws_prehello_count(NULL) >= ws.cfg->ingest_prehello_max)
			why = "too many connections without hello";
		else if (ws_prehello_count(peer) >= ws.cfg->ingest_prehello_per_address)
			why = "too many connections without hello from this address";
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return -1;
		c->wsi = wsi;
		c->refs = 1;
		c->cam = -1;
		c->temperature = NAN;
		c->born_mono = util_mono_us();
		util_strlcpy(c->peer, peer, sizeof(c->peer));
		c->next = ws.conns;
		if (ws.conns)
			ws.conns->prev = c;
		ws.conns = c;
		pss->c = c;
		if (why) {
			log_warnx(NULL, "camera=- peer=%s closed: %s", c->peer, why);
			ws_refuse(c, "busy", WS_CLOSE_LIMIT, why);
		}
		return 0;
	}
	case LWS_CALLBACK_RECEIVE:
		if (pss == NULL || (c = pss->c) == NULL)
			return -1;
		return ws_receive(c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pss == NULL || (c = pss->c) == NULL)
			return -1;
		return ws_writeable(c);
	case LWS_CALLBACK_CLOSED:
		if (pss == NULL || (c = pss->c) == NULL)
			return 0;
		if (c->cam >= 0)
			log_info(NULL, "camera=%s peer=%s disconnected", ws_cam_id(c), c->peer);
		if (c->prev)
			c->prev->next = c->next;
		else
			ws.conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->wsi = NULL;
		pss->c = NULL;
		ws_conn_unref(c);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static struct lws_protocols ws_protocols[] = {
	{ "gatewatch-camera", ws_callback, sizeof(struct ws_pss), WS_RX_BUF, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* "default": connections that ask for no or another subprotocol get ours. */
static const struct lws_protocol_vhost_options ws_pvo_default = { NULL, NULL, "default", "1" };
static const struct lws_protocol_vhost_options ws_pvo = { NULL, &ws_pvo_default, "gatewatch-camera", "" };

static void
ws_lws_log(int level, const char *line)
{
	char buf[512];
	size_t n;

	n = util_strlcpy(buf, line, sizeof(buf));

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (level & LLL_ERR)
		log_error(NULL, "lws: %s", buf);
	else
		log_warnx(NULL, "lws: %s", buf);
}

static void
ws_listen_note(void *arg, const char *why, long fd_limit, unsigned refused)
{
	(void)arg;
	log_warnx(NULL, "not accepting connections for 1 s: %s (limit %ld descriptors); "
	    "%u refused since the last such line", why, fd_limit, refused);
}

int
ws_start(uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen)
{
	static void *foreign_loops[1];
	struct lws_context_creation_info info;

	struct lws_vhost *vh;
	int fd;

	ws.cfg = cfg;
	/* GW_LWS_DEBUG=1 in the environment shows lws's own notices */
	lws_set_log_level(LLL_ERR | LLL_WARN | (getenv("GW_LWS_DEBUG") ? LLL_NOTICE | LLL_INFO : 0), ws_lws_log);
	foreign_loops[0] = loop;
	memset(&info, 0, sizeof(info));
	/* we bind and accept (netlisten.c); lws serves what we adopt */
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = ws_protocols;
	info.pvo = &ws_pvo;
	info.options |= LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	info.foreign_loops = foreign_loops;
	info.pt_serv_buf_size = WS_RX_BUF;
	/* the WebSocket handshake, too, must be done within the hello timeout */
	info.timeout_secs = (unsigned)(cfg->ingest_hello_timeout_ms + 999) / 1000;
	/* info.extensions stays NULL: permessage-deflate stalls on libuv */
	if (cfg->tls_cert[0]) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cfg->tls_cert;
		info.ssl_private_key_filepath = cfg->tls_key;
	}
	/* an implicit vhost that fails to bind leaves a context that listens
	 * nowhere; an explicit one reports the failure */
	info.options |= LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	ws.ctx = lws_create_context(&info);
	if (ws.ctx == NULL) {
		snprintf(err, errlen, "cannot create the libwebsockets context%s (is the "
		    "libwebsockets-evlib-uv plugin installed?)", cfg->tls_cert[0] ? " with TLS" : "");
		return -1;
	}
	if ((vh = lws_create_vhost(ws.ctx, &info)) == NULL) {
		snprintf(err, errlen, "cannot serve on %s:%d%s", cfg->listen_address, cfg->ingest_port,
		    cfg->tls_cert[0] ? " with TLS (unreadable tls.cert/tls.key?)" : "");
		ws_destroy(0);
		return -1;
	}
	if ((fd = netlisten_bind(cfg->listen_address, cfg->ingest_port, err, errlen)) < 0 ||
	    netlisten_start(&ws.listener, loop, fd, vh, ws_listen_note, NULL) != 0) {
		ws_destroy(0);
		return -1;
	}
	uv_timer_init(loop, &ws.sweep);
	uv_timer_start(&ws.sweep, ws_sweep, 100, 100);
	ws.sweep_on = 1;
	return 0;
}

void
ws_stop_accepting(void)
{
	ws.stopping = 1;
	netlisten_stop(&ws.listener);
	if (ws.sweep_on) {
		uv_close((uv_handle_t *)&ws.sweep, NULL);
		ws.sweep_on = 0;
	}
}

int
ws_flushed(void)
{
	struct ws_conn *c;

	for (c = ws.conns; c; c = c->next)
		if (c->wsi && c->out_count > 0 && !c->dead)
			return 0;
	return 1;
}

void
ws_destroy(int final)
{
	if (ws.ctx == NULL)
		return;
	lws_context_destroy(ws.ctx);
	if (final)
		ws.ctx = NULL;
}
