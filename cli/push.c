/* push - `gatewatch push`: act as a camera. Connects to ingest's
 * WebSocket, says hello, sends image files (or a stream of concatenated
 * JPEGs on stdin, e.g. from `ffmpeg -f image2pipe -c:v mjpeg -`) as
 * binary frames, paced by --fps and --max-inflight, and prints every text
 * message the server sends as one JSON line on stdout (answers get
 * "file":NAME added). Exit: 0 when every frame got an answer, 1 on auth
 * failure, connection error or timeout (reason on stderr), 2 on usage.
 *
 * One thread, lws's own poll loop; a 20 ms tick paces sending and checks
 * the timeouts. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "cmd.h"
#include "util.h"

#define PUSH_RX_MAX (1 << 20)           /* largest text message we keep */
#define PUSH_STDIN_MAX (64L << 20)      /* largest JPEG taken from stdin */
#define PUSH_TICK_US 20000

enum push_state { PUSH_CONNECTING, PUSH_HELLO_SENT, PUSH_READY, PUSH_DONE };

struct push_sent {
	uint32_t seq;
	char *name;                        /* owned */
};

static struct {
	/* options */
	const char *camera, *token;
	double fps;
	int has_temp;
	double temperature;
	int max_inflight;
	long timeout_ms, linger_ms;
	char **files;
	int nfiles, use_stdin;
	/* state */
	struct lws_context *ctx;
	struct lws *wsi;
	lws_sorted_usec_list_t tick;
	enum push_state state;
	int hello_pending, meta_pending;
	int next_file;                     /* files sent so far */
	int input_done;                    /* no more frames to send */
	unsigned char *frame;              /* owned: the frame being sent */
	size_t frame_len;
	char frame_name[256];
	uint32_t sent, answered;
	struct push_sent *names;           /* owned; seq -> name, grows */
	size_t nnames, capnames;
	uint64_t next_send_us, last_rx_us, done_us;
	int exit_code;                     /* -1 while running */
	char *rx;                          /* owned: message reassembly */
	size_t rx_len;
	int rx_over;
	/* stdin splitter */
	unsigned char *in;                 /* owned */
	size_t in_len, in_cap;
	int in_eof;
} ps;

static void
push_usage(void)
{
	fprintf(stderr,
	    "usage: gatewatch push --url ws://HOST:PORT/ --camera ID --token T\n"
	    "           [--fps N] [--temperature C] [--max-inflight N] [--timeout-ms N]\n"
	    "           [--linger-ms N] [--insecure] FILE... | --stdin\n"
	    "  --stdin reads concatenated JPEGs (ffmpeg -f image2pipe -c:v mjpeg -)\n"
	    "  --insecure accepts a self-signed wss:// certificate\n");
}

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

/* push_jpeg_end - length of the complete JPEG at b[0..len) (b starts with
 * SOI), 0 if more bytes are needed, -1 if it is not a JPEG. Walks the
 * marker segments so that an EOI inside a thumbnail is not taken as the end. */
static long
push_jpeg_end(const unsigned char *b, size_t len)
{
	size_t i = 2;

	while (i + 2 <= len) {
		unsigned m;
		size_t seglen;

		if (b[i] != 0xff)
			return -1;
		m = b[i + 1];
		if (m == 0xff) {               /* fill byte */
			i++;
			continue;
		}
		if (m == 0xd9)
			return (long)(i + 2);
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			i += 2;
			continue;
		}
		if (i + 4 > len)
			return 0;
		seglen = (size_t)b[i + 2] << 8 | b[i + 3];
		if (seglen < 2)
			return -1;
		i += 2 + seglen;
		if (m == 0xda) {               /* entropy-coded data up to the next marker */
			for (;;) {
				if (i + 2 > len)
					return 0;
				if (b[i] == 0xff && b[i + 1] != 0x00 && !(b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7))
					break;
				i++;
			}
		}
	}
	return 0;
}

/* push_stdin_next - the next JPEG from stdin into ps.frame. Returns 1,
 * 0 at end of input, -1 on damaged input (message printed). Blocks. */
static int
push_stdin_next(void)
{
	for (;;) {
		size_t skip = 0;
		long end;
		ssize_t n;

		while (skip + 1 < ps.in_len && !(ps.in[skip] == 0xff && ps.in[skip + 1] == 0xd8))
			skip++;
		if (skip && skip + 1 >= ps.in_len && ps.in_len)
			skip = ps.in_len - 1;  /* keep a possible 0xff */
		if (skip) {
			memmove(ps.in, ps.in + skip, ps.in_len - skip);
			ps.in_len -= skip;
		}
		if (ps.in_len >= 4) {
			end = push_jpeg_end(ps.in, ps.in_len);
			if (end < 0) {
				/* not a JPEG after all: drop the SOI and resync */
				memmove(ps.in, ps.in + 2, ps.in_len - 2);
				ps.in_len -= 2;
				continue;
			}
			if (end > 0) {
				if ((ps.frame = malloc((size_t)end)) == NULL)
					return -1;
				memcpy(ps.frame, ps.in, (size_t)end);
				ps.frame_len = (size_t)end;
				memmove(ps.in, ps.in + end, ps.in_len - (size_t)end);
				ps.in_len -= (size_t)end;
				snprintf(ps.frame_name, sizeof(ps.frame_name), "stdin#%u", ps.sent + 1);
				return 1;
			}
		}
		if (ps.in_eof)
			return 0;
		if (ps.in_len + 65536 > ps.in_cap) {
			size_t cap = ps.in_cap ? ps.in_cap * 2 : 1 << 20;
			unsigned char *p;

			if (cap > (size_t)PUSH_STDIN_MAX + 65536) {
				fprintf(stderr, "gatewatch push: stdin: no JPEG end within %ld bytes\n", PUSH_STDIN_MAX);
				return -1;
			}
			if ((p = realloc(ps.in, cap)) == NULL)
				return -1;
			ps.in = p;
			ps.in_cap = cap;
		}
		n = read(0, ps.in + ps.in_len, ps.in_cap - ps.in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "gatewatch push: stdin: %s\n", strerror(errno));
			return -1;
		}
		if (n == 0)
			ps.in_eof = 1;
		ps.in_len += (size_t)n;
	}
}

/* push_load_next - the next frame into ps.frame: 1, 0 when none is left,
 * -1 when the input cannot be read (fatal: the user named it). */
static int
push_load_next(void)
{
	int rc;

	if (ps.frame)
		return 1;
	if (ps.use_stdin)
		return push_stdin_next();
	if (ps.next_file >= ps.nfiles)
		return 0;
	util_strlcpy(ps.frame_name, ps.files[ps.next_file], sizeof(ps.frame_name));
	rc = util_read_file(ps.files[ps.next_file], (size_t)1 << 30, &ps.frame, &ps.frame_len);
	if (rc != 0) {
		fprintf(stderr, "gatewatch push: %s: %s\n", ps.files[ps.next_file], strerror(-rc));
		return -1;
	}
	ps.next_file++;
	return 1;
}

static void
push_remember(uint32_t seq, const char *name)
{
	if (ps.nnames == ps.capnames) {
		size_t cap = ps.capnames ? ps.capnames * 2 : 64;
		struct push_sent *p = realloc(ps.names, cap * sizeof(*p));

		if (p == NULL)
			return;
		ps.names = p;
		ps.capnames = cap;
	}
	ps.names[ps.nnames].seq = seq;
	ps.names[ps.nnames].name = strdup(name);
	ps.nnames++;
}

static const char *
push_name(uint32_t seq)
{
	size_t i;

	for (i = 0; i < ps.nnames; i++)
		if (ps.names[i].seq == seq)
			return ps.names[i].name;
	return NULL;
}

static int
push_write_text(const char *text)
{
	size_t len = strlen(text);
	unsigned char *buf = malloc(LWS_PRE + len);
	int n;

	if (buf == NULL)
		return -1;
	memcpy(buf + LWS_PRE, text, len);
	n = lws_write(ps.wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
	free(buf);
	return n < (int)len ? -1 : 0;
}

/* push_json_str - s as a JSON string (no escapes needed beyond these). */
static void
push_json_str(char *out, size_t outlen, const char *s)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s && n + 8 < outlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20)
			n += (size_t)snprintf(out + n, outlen - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n++] = '"';
	out[n] = '\0';
}

/* push_writeable - send hello, then meta + one frame when pacing allows. */
static int
push_writeable(void)
{
	char buf[1024], cam[128], tok[300];
	unsigned char *b;
	int rc;

	if (ps.hello_pending) {
		ps.hello_pending = 0;
		push_json_str(cam, sizeof(cam), ps.camera);
		push_json_str(tok, sizeof(tok), ps.token);
		snprintf(buf, sizeof(buf), "{\"type\":\"hello\",\"camera\":%s,\"token\":%s}", cam, tok);
		if (push_write_text(buf) != 0)
			return -1;
		ps.state = PUSH_HELLO_SENT;
		return 0;
	}
	if (ps.state != PUSH_READY || ps.input_done)
		return 0;
	if (ps.sent - ps.answered >= (uint32_t)ps.max_inflight || lws_now_usecs() < (lws_usec_t)ps.next_send_us)
		return 0;
	if (ps.meta_pending) {
		ps.meta_pending = 0;
		snprintf(buf, sizeof(buf), "{\"type\":\"meta\",\"temperature\":%.2f}", ps.temperature);
		if (push_write_text(buf) != 0)
			return -1;
		lws_callback_on_writable(ps.wsi);
		return 0;
	}
	rc = push_load_next();
	if (rc < 0) {
		push_finish(1, NULL);
		return -1;
	}
	if (rc == 0) {
		ps.input_done = 1;
		return 0;
	}
	if ((b = malloc(LWS_PRE + ps.frame_len)) == NULL)
		return -1;
	memcpy(b + LWS_PRE, ps.frame, ps.frame_len);
	rc = lws_write(ps.wsi, b + LWS_PRE, ps.frame_len, LWS_WRITE_BINARY);
	free(b);
	free(ps.frame);
	ps.frame = NULL;
	if (rc < (int)ps.frame_len)
		return -1;
	ps.sent++;
	push_remember(ps.sent, ps.frame_name);
	ps.meta_pending = ps.has_temp;
	if (ps.fps > 0) {
		uint64_t step = (uint64_t)(1e6 / ps.fps), now = (uint64_t)lws_now_usecs();

		ps.next_send_us = ps.next_send_us + step > now ? ps.next_send_us + step : now + step;
	}
	return 0;
}

/* push_message - one whole text message from the server. */
static void
push_message(char *msg, size_t len)
{
	const char *p, *name;
	char esc[600];

	ps.last_rx_us = (uint64_t)lws_now_usecs();
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	if (strstr(msg, "\"type\":\"answer\"") && len && msg[len - 1] == '}' &&
	    (p = strstr(msg, "\"seq\":")) != NULL) {
		uint32_t seq = (uint32_t)strtoul(p + 6, NULL, 10);

		if ((name = push_name(seq)) != NULL) {
			push_json_str(esc, sizeof(esc), name);
			printf("%.*s,\"file\":%s}\n", (int)len - 1, msg, esc);
		} else
			printf("%s\n", msg);
		ps.answered++;
	} else
		printf("%s\n", msg);
	fflush(stdout);
	if (strstr(msg, "\"type\":\"welcome\"")) {
		ps.state = PUSH_READY;
		ps.meta_pending = ps.has_temp;
		ps.next_send_us = (uint64_t)lws_now_usecs();
	} else if (strstr(msg, "\"type\":\"error\"") && strstr(msg, "\"error\":\"auth\""))
		push_finish(1, "authentication failed for camera %s: %s", ps.camera, msg);
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
	if (ps.state == PUSH_READY && ps.input_done && ps.answered >= ps.sent) {
		if (ps.done_us == 0)
			ps.done_us = now;
		if (now - ps.done_us >= (uint64_t)ps.linger_ms * 1000u) {
			push_finish(0, NULL);
			return;
		}
	} else if (ps.timeout_ms > 0 && now - ps.last_rx_us > (uint64_t)ps.timeout_ms * 1000u) {
		push_finish(1, "timed out after %ld ms without a message from the server (%u of %u frames answered)",
		    ps.timeout_ms, ps.answered, ps.sent);
		return;
	}
	if (ps.wsi)
		lws_callback_on_writable(ps.wsi);
}

static int
push_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		push_finish(1, "cannot connect: %s%s", in ? (const char *)in : "connection failed",
		    in && strstr((const char *)in, "SSL") ? " (a self-signed certificate needs --insecure)" : "");
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
			if (!ps.rx_over && ps.rx)
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
				    ps.camera, (int)len - 2, (const char *)b + 2);
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

static int
push_number(const char *flag, const char *v, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(*out) || *out < lo || *out > hi) {
		fprintf(stderr, "gatewatch push: %s: expected a number from %g to %g, got \"%s\"\n", flag, lo, hi, v);
		return -1;
	}
	return 0;
}

int
cmd_push(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	const char *url = NULL, *prot, *ads, *path;
	char urlbuf[1024], pathbuf[1024];
	double d;
	int i, port, insecure = 0;

	memset(&ps, 0, sizeof(ps));
	ps.max_inflight = 1;
	ps.timeout_ms = 30000;
	ps.exit_code = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--stdin") == 0) {
			ps.use_stdin = 1;
			continue;
		}
		if (strcmp(a, "--insecure") == 0) {
			insecure = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			push_usage();
			return 0;
		}
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (v == NULL) {
			fprintf(stderr, "gatewatch push: %s needs a value\n", a);
			push_usage();
			return 2;
		}
		i++;
		if (strcmp(a, "--url") == 0)
			url = v;
		else if (strcmp(a, "--camera") == 0)
			ps.camera = v;
		else if (strcmp(a, "--token") == 0)
			ps.token = v;
		else if (strcmp(a, "--fps") == 0) {
			if (push_number(a, v, 0, 1000, &ps.fps))
				return 2;
		} else if (strcmp(a, "--temperature") == 0) {
			if (push_number(a, v, -50, 100, &ps.temperature))
				return 2;
			ps.has_temp = 1;
		} else if (strcmp(a, "--max-inflight") == 0) {
			if (push_number(a, v, 1, 1024, &d))
				return 2;
			ps.max_inflight = (int)d;
		} else if (strcmp(a, "--timeout-ms") == 0) {
			if (push_number(a, v, 0, 86400000, &d))
				return 2;
			ps.timeout_ms = (long)d;
		} else if (strcmp(a, "--linger-ms") == 0) {
			if (push_number(a, v, 0, 86400000, &d))
				return 2;
			ps.linger_ms = (long)d;
		} else {
			fprintf(stderr, "gatewatch push: unknown option %s\n", a);
			push_usage();
			return 2;
		}
	}
	ps.files = argv + i;
	ps.nfiles = argc - i;
	if (url == NULL || ps.camera == NULL || ps.token == NULL) {
		fprintf(stderr, "gatewatch push: --url, --camera and --token are required\n");
		push_usage();
		return 2;
	}
	if ((ps.nfiles > 0) == ps.use_stdin) {
		fprintf(stderr, "gatewatch push: give image files or --stdin (one of them)\n");
		push_usage();
		return 2;
	}
	util_strlcpy(urlbuf, url, sizeof(urlbuf));
	if (lws_parse_uri(urlbuf, &prot, &ads, &port, &path) != 0 ||
	    (strcmp(prot, "ws") != 0 && strcmp(prot, "wss") != 0) || ads[0] == '\0') {
		fprintf(stderr, "gatewatch push: --url %s: expected ws://HOST:PORT/PATH or wss://...\n", url);
		return 2;
	}
	snprintf(pathbuf, sizeof(pathbuf), "/%s", path);

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = push_protocols;
	if (strcmp(prot, "wss") == 0)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if ((ps.ctx = lws_create_context(&info)) == NULL) {
		fprintf(stderr, "gatewatch push: cannot create the libwebsockets context\n");
		return 1;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = ps.ctx;
	ci.address = ads;
	ci.port = port;
	ci.path = pathbuf;
	ci.host = ads;
	ci.origin = ads;
	ci.protocol = "gatewatch-camera";
	ci.alpn = "http/1.1";
	if (strcmp(prot, "wss") == 0)
		ci.ssl_connection = LCCSCF_USE_SSL | (insecure ? LCCSCF_ALLOW_SELFSIGNED |
		    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED : 0);
	ci.pwsi = &ps.wsi;
	ps.last_rx_us = (uint64_t)lws_now_usecs();
	if (lws_client_connect_via_info(&ci) == NULL)
		push_finish(1, "cannot connect to %s", url);
	lws_sul_schedule(ps.ctx, 0, &ps.tick, push_tick, PUSH_TICK_US);
	while (ps.exit_code < 0)
		if (lws_service(ps.ctx, 0) < 0)
			push_finish(1, "event loop failed");
	/* let a normal close go out when we finished first */
	if (ps.wsi) {
		uint64_t until = (uint64_t)lws_now_usecs() + 500000;

		lws_callback_on_writable(ps.wsi);
		while (ps.wsi && (uint64_t)lws_now_usecs() < until)
			lws_service(ps.ctx, 0);
	}
	lws_sul_schedule(ps.ctx, 0, &ps.tick, NULL, LWS_SET_TIMER_USEC_CANCEL);
	lws_context_destroy(ps.ctx);
	for (i = 0; i < (int)ps.nnames; i++)
		free(ps.names[i].name);
	free(ps.names);
	free(ps.frame);
	free(ps.rx);
	free(ps.in);
	if (ps.exit_code == 0 && ps.answered < ps.sent)
		return 1;
	return ps.exit_code;
}
