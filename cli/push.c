/* push - `gatewatch push`: act as a camera. Connects to ingest's
 * WebSocket, says hello, sends image files (or a stream of concatenated
 * JPEGs on stdin, e.g. from `ffmpeg -f image2pipe -c:v mjpeg -`) as
 * binary frames, at most --max-inflight unanswered at once (or fewer when
 * the welcome says the server takes fewer) and at most --fps per second, and prints every message the server sends as one JSON
 * line on stdout, for a gate controller script: answers (with "file"
 * added), person appeared/left, prompts, verdicts ("track" always a
 * string), errors, and a last {"type":"end",...} line with the counts.
 * Messages for people go to stderr.
 *
 * A live stream on stdin (a pipe) is read as fast as the source writes;
 * while frames are in flight only the newest frame is kept, the others
 * are dropped and counted, so the gate never falls behind its camera. A
 * regular file on stdin (a recording), or --all-frames, sends every frame.
 *
 * A body temperature goes with each frame as a "meta" message: one value
 * for the session (--temperature) or the sensor's latest reading, read
 * again for every frame (--temperature-from FILE or FIFO, never blocking).
 *
 * Exit: 0 when every frame sent got an answer (also after SIGINT or
 * SIGTERM), 1 on auth failure, connection error, timeout or unreadable
 * input (reason on stderr), 2 on usage.
 *
 * One lws thread with lws's own poll loop (a 20 ms tick paces sending and
 * checks the timeouts) plus, for --stdin, jpegstream's reader thread,
 * which wakes the loop with lws_cancel_service. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "cmd.h"
#include "pushout.h"
#include "pushopts.h"
#include "pushsrc.h"
#include "signals.h"
#include "util.h"

#define PUSH_RX_MAX (4 << 20)           /* largest text message we keep (verdicts carry a face) */
#define PUSH_TICK_US 20000
#define PUSH_NAME_MAX 256

enum push_state { PUSH_CONNECTING, PUSH_HELLO_SENT, PUSH_READY, PUSH_DONE };

struct push_sent {
	uint32_t seq;
	char name[PUSH_NAME_MAX];
};

static struct {
	struct pushopts opt;               /* options (max_inflight lowered by the welcome) */
	struct pushsrc src;                /* frames and temperatures */
	/* state */
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t tick;
	enum push_state state;
	int hello_pending, meta_sent;
	int next_file;                     /* files sent so far */
	int input_done;                    /* no more frames to send */
	unsigned char *frame;              /* owned: the frame being sent */
	size_t frame_len;
	char frame_name[PUSH_NAME_MAX];
	uint32_t sent, answered;
	struct push_sent *inflight;        /* owned: max_inflight entries, in send order */
	int ninflight;
	uint64_t next_send_us, last_rx_us, done_us;
	uint64_t persons, prompts, verdicts;
	int exit_code;                     /* -1 while running */
	char *rx;                          /* owned: message reassembly */
	size_t rx_len;
	int rx_over;
} ps;

static volatile sig_atomic_t push_signalled;

static void
push_finish(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
push_finish(int code, const char *fmt, ...)
{
	va_list ap;

	if (ps.exit_code >= 0)
		return;
	if (fmt) {
		fprintf(stderr, "gatewatch push: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	ps.exit_code = code;
	ps.state = PUSH_DONE;
}

/* push_load_next - the next frame into ps.frame: 1, 0 when none is ready
 * now, -1 when none will come (input_done set; exit code set on error). */
static int
push_load_next(void)
{
	int rc;

	if (ps.frame)
		return 1;
	rc = pushsrc_next(&ps.src, &ps.frame, &ps.frame_len, ps.frame_name, sizeof(ps.frame_name));
	if (rc < 0) {
		ps.input_done = 1;
		if (ps.src.error[0])
			push_finish(1, "%s", ps.src.error);
	}
	return rc;
}

/* push_send - write the message o (taken over) as one text frame. */
static int
push_send(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	size_t len = text ? strlen(text) : 0;
	unsigned char *buf = text ? malloc(LWS_PRE + len) : NULL;
	int n = -1;

	json_decref(o);
	if (buf != NULL) {
		memcpy(buf + LWS_PRE, text, len);
		n = lws_write(ps.wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
	}
	free(buf);
	free(text);
	return n < (int)len || n < 0 ? -1 : 0;
}

/* push_writeable - send hello, then (meta +) one frame when a slot is free
 * and pacing allows. One lws_write per call. */
static int
push_writeable(void)
{
	unsigned char *b;
	double c;
	int rc;

	if (ps.hello_pending) {
		ps.hello_pending = 0;
		if (push_send(json_pack("{s:s, s:s, s:s}", "type", "hello", "camera", ps.opt.camera,
		    "token", ps.opt.token)) != 0)
			return -1;
		ps.state = PUSH_HELLO_SENT;
		return 0;
	}
	if (ps.state != PUSH_READY || ps.input_done)
		return 0;
	if (ps.ninflight >= ps.opt.max_inflight || lws_now_usecs() < (lws_usec_t)ps.next_send_us)
		return 0;
	rc = push_load_next();
	if (rc <= 0)
		return 0;              /* the reader thread wakes us */
	if (!ps.meta_sent && pushsrc_temperature(&ps.src, &c)) {
		ps.meta_sent = 1;
		if (push_send(json_pack("{s:s, s:f}", "type", "meta", "temperature", round(c * 100) / 100)) != 0)
			return -1;
		lws_callback_on_writable(ps.wsi);
		return 0;
	}
	if ((b = malloc(LWS_PRE + ps.frame_len)) == NULL)
		return -1;
	memcpy(b + LWS_PRE, ps.frame, ps.frame_len);
	rc = lws_write(ps.wsi, b + LWS_PRE, ps.frame_len, LWS_WRITE_BINARY);
	free(b);
	free(ps.frame);
	ps.frame = NULL;
	ps.meta_sent = 0;
	if (rc < (int)ps.frame_len)
		return -1;
	ps.sent++;
	if (ps.ninflight == 0)
		ps.last_rx_us = (uint64_t)lws_now_usecs();   /* the answer timeout starts now */
	ps.inflight[ps.ninflight].seq = ps.sent;
	util_strlcpy(ps.inflight[ps.ninflight].name, ps.frame_name, PUSH_NAME_MAX);
	ps.ninflight++;
	if (ps.opt.fps > 0) {
		uint64_t step = (uint64_t)(1e6 / ps.opt.fps), now = (uint64_t)lws_now_usecs();

		ps.next_send_us = ps.next_send_us + step > now ? ps.next_send_us + step : now + step;
	}
	return 0;
}

/* push_answered - the file name of answered frame seq (into name), and
 * that frame is no longer in flight. Returns 0, or -1 for a seq we did not
 * send or that was answered already. */
static int
push_answered(json_int_t seq, char *name, size_t namelen)
{
	int i;

	for (i = 0; i < ps.ninflight; i++)
		if ((json_int_t)ps.inflight[i].seq == seq) {
			util_strlcpy(name, ps.inflight[i].name, namelen);
			memmove(&ps.inflight[i], &ps.inflight[i + 1], (size_t)(ps.ninflight - i - 1) * sizeof(ps.inflight[0]));
			ps.ninflight--;
			return 0;
		}
	return -1;
}

/* push_print - one JSON line on stdout (pushout.h: it waits for a slow
 * reader, and says so). */
static void
push_print(json_t *o)
{
	int rc = pushout_print(o);

	if (rc < 0)
		push_finish(1, "cannot write to stdout: %s", strerror(-rc));
}

/* push_message - one whole text message from the server. */
static void
push_message(const char *msg, size_t len)
{
	json_error_t err;
	json_t *o, *v;
	const char *type, *st, *why;
	char name[PUSH_NAME_MAX];

	ps.last_rx_us = (uint64_t)lws_now_usecs();
	o = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL || !json_is_object(o) || !json_is_string(json_object_get(o, "type"))) {
		fprintf(stderr, "gatewatch push: ignored a server message that is not a JSON object with a type (%s): %.120s\n",
		    o ? "no \"type\" string" : err.text, msg);
		json_decref(o);
		return;
	}
	type = json_string_value(json_object_get(o, "type"));
	/* one form for the controller: the track id as a decimal string */
	v = json_object_get(o, "track");
	if (json_is_integer(v)) {
		char t[32];

		snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		json_object_set_new(o, "track", json_string(t));
	}
	if (strcmp(type, "answer") == 0) {
		v = json_object_get(o, "seq");
		if (json_is_integer(v) && push_answered(json_integer_value(v), name, sizeof(name)) == 0) {
			json_object_set_new(o, "file", json_string(name));
			ps.answered++;
			if (json_unpack(o, "{s:s, s:s}", "status", &st, "reason", &why) == 0 && strcmp(st, "rejected") == 0)
				fprintf(stderr, "gatewatch push: %s: rejected: %s\n", name, why);   /* not an image, ... */
		} else
			fprintf(stderr, "gatewatch push: an answer for a frame not in flight: %.120s\n", msg);
	} else if (json_is_true(json_object_get(o, "replay")))
		;       /* said before this connection: counted then, not again */
	else if (strcmp(type, "person") == 0)
		ps.persons += json_is_string(json_object_get(o, "event")) &&
		    strcmp(json_string_value(json_object_get(o, "event")), "appeared") == 0;
	else if (strcmp(type, "prompt") == 0)
		ps.prompts++;
	else if (strcmp(type, "verdict") == 0)
		ps.verdicts++;
	push_print(o);
	if (strcmp(type, "welcome") == 0 && ps.state != PUSH_DONE) {
		v = json_object_get(o, "max_inflight");
		if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) < ps.opt.max_inflight) {
			/* more would only be answered busy */
			fprintf(stderr, "gatewatch push: the server analyses at most %" JSON_INTEGER_FORMAT
			    " frames of a camera at once: %" JSON_INTEGER_FORMAT " in flight, not %d\n",
			    json_integer_value(v), json_integer_value(v), ps.opt.max_inflight);
			ps.opt.max_inflight = (int)json_integer_value(v);
		}
		ps.state = PUSH_READY;
		ps.next_send_us = (uint64_t)lws_now_usecs();
	} else if (strcmp(type, "error") == 0) {
		const char *e = json_string_value(json_object_get(o, "error"));
		const char *r = json_string_value(json_object_get(o, "reason"));

		if (e && strcmp(e, "auth") == 0)
			push_finish(1, "authentication failed for camera %s: %s", ps.opt.camera, r ? r : e);
		else
			fprintf(stderr, "gatewatch push: server error: %s%s%s\n", e ? e : "(no error field)",
			    r ? ": " : "", r ? r : "");
	}
	json_decref(o);
	if (ps.wsi)
		lws_callback_on_writable(ps.wsi);
}

static void
push_tick(lws_sorted_usec_list_t *sul)
{
	uint64_t now = (uint64_t)lws_now_usecs();

	(void)sul;
	/* always rescheduled: it is also what wakes lws_service() up */
	lws_sul_schedule(ps.ctx, 0, &ps.tick, push_tick, PUSH_TICK_US);
	if (ps.state == PUSH_DONE)
		return;
	if (push_signalled) {
		/* a stop asked for is not a failure, unanswered frames or not */
		push_finish(0, "stopped by a signal with %u of %u frames answered", ps.answered, ps.sent);
		return;
	}
	if (ps.state == PUSH_READY && ps.input_done && ps.ninflight == 0) {
		if (ps.done_us == 0)
			ps.done_us = now;
		if (now - ps.done_us >= (uint64_t)ps.opt.linger_ms * 1000u) {
			push_finish(0, NULL);
			return;
		}
	} else if (ps.opt.timeout_ms > 0 && (ps.state != PUSH_READY || ps.ninflight > 0) &&
	    now - ps.last_rx_us > (uint64_t)ps.opt.timeout_ms * 1000u) {
		push_finish(1, "timed out after %ld ms without a message from the server (%u of %u frames answered)",
		    ps.opt.timeout_ms, ps.answered, ps.sent);
		return;
	}
	if (ps.wsi)
		lws_callback_on_writable(ps.wsi);
}

/* push_connect_error - the connection failed: say so, with the URL and what
 * may be wrong. lws's "read failed" is a server that closed the connection at
 * once, as the dashboard's port, or a TLS server to ws://, does. */
static void
push_connect_error(const void *in)
{
	const char *why = in ? (const char *)in : "connection failed", *hint = "";

	if (strstr(why, "SSL"))
		hint = ps.opt.cacert ? " (is --cacert the server's certificate, naming the URL's host? see above)" :
		    " (a self-signed server: --cacert ITS_CERT.pem)";
	else if (strstr(why, "read failed"))
		hint = strcmp(ps.opt.scheme, "ws") == 0 ?
		    " (is the port ingest's, as gatewatch up prints it, not the dashboard's?"
		    " a server with tls.cert set takes wss:// only)" :
		    " (is the port ingest's, as gatewatch up prints it, not the dashboard's?)";
	push_finish(1, "cannot connect to %s: %s%s", ps.opt.url, why, hint);
}

static int
push_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	(void)user;
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		/* the stdin reader has a frame (or the end) */
		if (ps.wsi && ps.state == PUSH_READY)
			lws_callback_on_writable(ps.wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		push_connect_error(in);
		ps.wsi = NULL;
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		ps.hello_pending = 1;
		ps.last_rx_us = (uint64_t)lws_now_usecs();
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_frame_is_binary(wsi))
			return 0;
		if (!ps.rx_over) {
			if (ps.rx_len + len > PUSH_RX_MAX)
				ps.rx_over = 1;
			else {
				char *p = realloc(ps.rx, ps.rx_len + len + 1);

				if (p == NULL)
					return -1;
				ps.rx = p;
				memcpy(ps.rx + ps.rx_len, in, len);
				ps.rx_len += len;
				ps.rx[ps.rx_len] = '\0';
			}
		}
		if (lws_is_final_fragment(wsi)) {
			if (ps.rx_over)
				fprintf(stderr, "gatewatch push: ignored a server message over %d bytes\n", PUSH_RX_MAX);
			else if (ps.rx)
				push_message(ps.rx, ps.rx_len);
			ps.rx_len = 0;
			ps.rx_over = 0;
		}
		return ps.state == PUSH_DONE ? -1 : 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (ps.state == PUSH_DONE) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
			return -1;
		}
		return push_writeable();
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *b = in;
			unsigned code = (unsigned)b[0] << 8 | b[1];

			if (code == 4001)
				push_finish(1, "authentication failed for camera %s (server closed with 4001: %.*s)",
				    ps.opt.camera, (int)len - 2, (const char *)b + 2);
			else
				push_finish(1, "server closed the connection (%u: %.*s) with %u of %u frames answered",
				    code, (int)len - 2, (const char *)b + 2, ps.answered, ps.sent);
		}
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (ps.state != PUSH_DONE)
			push_finish(1, "connection closed with %u of %u frames answered", ps.answered, ps.sent);
		ps.wsi = NULL;
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols push_protocols[] = {
	{ "gatewatch-camera", push_callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
push_wake(void *arg)
{
	(void)arg;
	if (ps.ctx)
		lws_cancel_service(ps.ctx);
}

static void
push_on_signal(int sig)
{
	(void)sig;
	push_signalled = 1;
}

/* push_summary - the counts on stderr (people) and as the last JSON line;
 * frames, dropped, skipped: stdin's counts. */
static void
push_summary(uint64_t frames, uint64_t dropped, uint64_t skipped)
{
	json_t *o;

	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "type", "end", "sent", (json_int_t)ps.sent,
	    "answered", (json_int_t)ps.answered, "persons", (json_int_t)ps.persons,
	    "prompts", (json_int_t)ps.prompts, "verdicts", (json_int_t)ps.verdicts,
	    "exit", (json_int_t)ps.exit_code);
	if (o && ps.opt.use_stdin) {
		json_object_set_new(o, "read", json_integer((json_int_t)frames));
		json_object_set_new(o, "dropped", json_integer((json_int_t)dropped));
		json_object_set_new(o, "skipped_bytes", json_integer((json_int_t)skipped));
	}
	if (o)
		push_print(o);
	json_decref(o);
	if (ps.opt.use_stdin)
		fprintf(stderr, "gatewatch push: %llu frames read from stdin, %u sent, %u answered, %llu dropped%s%s\n",
		    (unsigned long long)frames, ps.sent, ps.answered, (unsigned long long)dropped,
		    ps.src.live ? " (only the newest frame is kept while frames are in flight)" : "",
		    skipped ? "; some input was not JPEG and was skipped" : "");
	else
		fprintf(stderr, "gatewatch push: %u frames sent, %u answered\n", ps.sent, ps.answered);
}

/* push_open - the in-flight table, signals, the lws context, then the
 * frame source (its reader wakes the context). Returns 0, or the exit status (said on stderr). */
static int
push_open(void)
{
	struct lws_context_creation_info info;

	if ((ps.inflight = calloc((size_t)ps.opt.max_inflight, sizeof(*ps.inflight))) == NULL) {
		fprintf(stderr, "gatewatch push: out of memory\n");
		return 1;
	}
	signals_on_stop(push_on_signal);
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = push_protocols;
	if (strcmp(ps.opt.scheme, "wss") == 0)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_filepath = ps.opt.cacert;  /* NULL: the system's CAs */
	if ((ps.ctx = lws_create_context(&info)) == NULL) {
		fprintf(stderr, "gatewatch push: cannot create the libwebsockets context\n");
		return 1;
	}
	return pushsrc_open(&ps.src, &ps.opt, push_wake);
}

/* push_run - connect and serve until finished, then let a normal close go out. */
static void
push_run(void)
{
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = ps.ctx;
	ci.address = ps.opt.host;
	ci.port = ps.opt.port;
	ci.path = ps.opt.path;
	ci.host = ps.opt.host;
	ci.origin = ps.opt.host;
	ci.protocol = "gatewatch-camera";
	ci.alpn = "http/1.1";
	if (strcmp(ps.opt.scheme, "wss") == 0)
		ci.ssl_connection = LCCSCF_USE_SSL | (ps.opt.insecure ? LCCSCF_ALLOW_SELFSIGNED |
		    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED : 0);
	ci.pwsi = &ps.wsi;
	ps.last_rx_us = (uint64_t)lws_now_usecs();
	if (lws_client_connect_via_info(&ci) == NULL)
		push_finish(1, "cannot connect to %s", ps.opt.url);
	lws_sul_schedule(ps.ctx, 0, &ps.tick, push_tick, PUSH_TICK_US);
	while (ps.exit_code < 0)
		if (lws_service(ps.ctx, 0) < 0)
			push_finish(1, "event loop failed");
	if (ps.wsi) {
		uint64_t until = (uint64_t)lws_now_usecs() + 500000;

		lws_callback_on_writable(ps.wsi);
		while (ps.wsi && (uint64_t)lws_now_usecs() < until)
			lws_service(ps.ctx, 0);
	}
	lws_sul_schedule(ps.ctx, 0, &ps.tick, NULL, LWS_SET_TIMER_USEC_CANCEL);
}

/* push_close - everything push_open made, in reverse; stdin's counts. */
static void
push_close(uint64_t *frames, uint64_t *dropped, uint64_t *skipped)
{
	pushsrc_close(&ps.src, frames, dropped, skipped);   /* before the context: the reader may wake it */
	if (ps.ctx)
		lws_context_destroy(ps.ctx);
	free(ps.inflight);
	free(ps.frame);
	free(ps.rx);
}

int
cmd_push(int argc, char **argv)
{
	uint64_t frames = 0, dropped = 0, skipped = 0;
	int rc;

	memset(&ps, 0, sizeof(ps));
	ps.exit_code = -1;
	push_signalled = 0;
	if ((rc = pushopts_parse(&ps.opt, argc, argv)) >= 0)
		return rc;
	if ((rc = push_open()) != 0) {
		push_close(&frames, &dropped, &skipped);
		return rc;
	}
	push_run();
	if (ps.exit_code == 0 && ps.answered < ps.sent && !push_signalled)
		ps.exit_code = 1;
	rc = ps.exit_code;
	push_close(&frames, &dropped, &skipped);
	push_summary(frames, dropped, skipped);
	return rc;
}
