/* ws - the camera WebSocket endpoint: the bytes; session.c is what they
 * mean.
 *
 * Wire protocol (fixed: the camera page, `gatewatch push` and the tests
 * speak it): text {"type":"hello",...} first, then
 * binary messages, one frame each, answered in order with
 * {"type":"answer","seq":N,...} (in the order the frames came on this
 * connection: an answer given at once waits for the answers of earlier
 * frames still in the pipeline, session.c); optional {"type":"meta",...}
 * before a frame. Every binary message gets exactly one answer.
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
 * address. Failed hellos slow their address down (session.c). Near
 * the file limit ingest stops accepting for a moment instead of spinning
 * on accept(), and says so once per interval. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "camsg.h"
#include "pipeline.h"
#include "log.h"
#include "netlisten.h"
#include "session.h"
#include "utf8.h"
#include "util.h"
#include "ws.h"

/* lws's per-connection user data: our connection, which outlives it */
struct ws_pss {
	struct ws_conn *c;
};

static struct {
	const struct config *cfg;
	struct lws_context *ctx;
	struct ws_conn *conns;
	int stopping;
	uv_timer_t sweep;               /* hello timeouts */
	int sweep_on;
	struct netlisten listener;
} ws;

const struct config *
ws_config(void)
{
	return ws.cfg;
}

struct ws_conn *
ws_conns(void)
{
	return ws.conns;
}

int
ws_is_stopping(void)
{
	return ws.stopping;
}

void
ws_conn_unref(struct ws_conn *c)
{
	int i;

	if (--c->refs > 0)
		return;
	for (i = 0; i < c->out_count; i++)
		free(c->out[(c->out_head + i) % WS_OUTQ].buf);
	session_forget(c);
	free(c->rx);
	free(c);
}

const char *
ws_cam_id(const struct ws_conn *c)
{
	return c->cam >= 0 ? pipeline_camera_id(c->cam) : "-";
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
void
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
void
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
void
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

void
ws_error(struct ws_conn *c, const char *error, const char *reason)
{
	ws_send(c, camsg_error(error, reason));
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
void
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
			/* a hello still being checked (camcheck.h waits behind the
			 * pool's detection jobs) is not the camera's fault */
			snprintf(why, sizeof(why), c->hello_pending ? "hello not checked within %d ms; try again" :
			    "no hello within %d ms", ws.cfg->ingest_hello_timeout_ms);
			log_warnx(NULL, "camera=- peer=%s closed: %s", c->peer, why);
			ws_refuse(c, c->hello_pending ? "busy" : "timeout",
			    c->hello_pending ? WS_CLOSE_TRY_AGAIN : WS_CLOSE_TIMEOUT, why);
		}
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
		session_frame(c);
	else
		session_text(c);
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

/* ws_nodelay - messages go out as soon as they are written: without it
 * a message written right after another (an answer let out after the one
 * before it, a gate message after an answer) waits for the client's
 * delayed ACK of the first, about 40 ms (Nagle). */
static void
ws_nodelay(struct ws_conn *c)
{
	int one = 1, fd = lws_get_socket_fd(c->wsi);

	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		log_debug(NULL, "peer %s: TCP_NODELAY: %s", c->peer, strerror(errno));
}

/* ws_http_page - a plain HTTP request (a browser pointed at this port):
 * 404, saying where the camera page is rather than a bare "404". */
static int
ws_http_page(struct lws *wsi)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "This is gatewatch's camera port (WebSocket). The camera page and the "
	    "dashboard are on port %d: /camera.html, /", ws.cfg->http_port);
	if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, msg))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
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
		ws_nodelay(c);
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
	case LWS_CALLBACK_HTTP:
		return ws_http_page(wsi);
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

int
ws_start(uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen)
{
	static void *foreign_loops[1];
	struct lws_context_creation_info info;

	struct lws_vhost *vh;
	int fd;

	ws.cfg = cfg;
	/* GW_LWS_DEBUG=1 in the environment shows lws's own notices */
	lws_set_log_level(LLL_ERR | LLL_WARN | (getenv("GW_LWS_DEBUG") ? LLL_NOTICE | LLL_INFO : 0), log_lws);
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
		/* lws's HTTP/2 fails Chromium (ERR_HTTP2_COMPRESSION_ERROR): offer
		 * only http/1.1, which WebSockets use anyway */
		info.alpn = "http/1.1";
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
	    netlisten_start(&ws.listener, loop, fd, vh, log_listen_paused, NULL) != 0) {
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
