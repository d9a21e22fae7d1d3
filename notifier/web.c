/* web - one lws protocol, "gatewatch-live", serves both HTTP and the /live
 * WebSocket: being protocols[0] it is also what an upgrade without a
 * Sec-WebSocket-Protocol gets. GET for files and the API; POST for the
 * paths api_is_post() names and POST/PATCH/DELETE for the account
 * resources (accounts.h), with a body of at most API_POST_MAX bytes (read
 * whole, then answered); any other method is 405. Responses are written
 * only from the WRITEABLE callbacks, in 16 KiB pieces, with LWS_PRE
 * headroom. No permessage-deflate (it stalls on the libuv loop, see
 * DESIGN.md).
 *
 * Who may ask (auth.h): only the login page, the camera page (the
 * browser side of the camera protocol, whose credential is the camera
 * token), /api/config (the camera page's ingest port) and /api/session
 * answer without a session or bearer token. Other pages redirect to the
 * login page, everything else is 401. Anything but GET, and /live, must
 * come from the server's own origin (403). api.c's POSTs (acknowledge,
 * override) need the supervisor role. GET /metrics (Prometheus text)
 * answers any session or bearer token. */
#include <errno.h>
#include <libwebsockets.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accounts.h"
#include "api.h"
#include "auth.h"
#include "frameid.h"
#include "jbuf.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "netlisten.h"
#include "problem.h"
#include "rest.h"
#include "util.h"
#include "web.h"
#include "webapi.h"
#include "webjob.h"
#include "webpath.h"

#define WEB_CHUNK 16384
#define WEB_RECHECK_S 5    /* /live logins are checked again this often, seconds */


static struct lws_context *web_ctx;
static const struct config *cfg;


/* web_extra_headers - Set-Cookie, Location, Allow, Retry-After and
 * WWW-Authenticate as the answer needs them. Nonzero if they do not fit. */
static int
web_extra_headers(struct lws *wsi, struct web_pss *pss, int status, unsigned char **p, unsigned char *end)
{
	char num[16];

	if (pss->req.set_cookie[0] && lws_add_http_header_by_name(wsi, (const unsigned char *)"set-cookie:",
	    (const unsigned char *)pss->req.set_cookie, (int)strlen(pss->req.set_cookie), p, end))
		return 1;
	if (pss->ao.location[0] && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_LOCATION,
	    (const unsigned char *)pss->ao.location, (int)strlen(pss->ao.location), p, end))
		return 1;
	if (pss->ao.etag[0] && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ETAG,
	    (const unsigned char *)pss->ao.etag, (int)strlen(pss->ao.etag), p, end))
		return 1;
	if (pss->ao.disposition[0] && lws_add_http_header_by_name(wsi, (const unsigned char *)"content-disposition:",
	    (const unsigned char *)pss->ao.disposition, (int)strlen(pss->ao.disposition), p, end))
		return 1;
	if (pss->ao.link[0] && lws_add_http_header_by_name(wsi, (const unsigned char *)"link:",
	    (const unsigned char *)pss->ao.link, (int)strlen(pss->ao.link), p, end))
		return 1;
	if (pss->ao.allow[0] && lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:",
	    (const unsigned char *)pss->ao.allow, (int)strlen(pss->ao.allow), p, end))
		return 1;
	if (status == 429 && pss->ao.retry_after > 0) {
		snprintf(num, sizeof(num), "%d", pss->ao.retry_after);
		if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_RETRY_AFTER, (const unsigned char *)num,
		    (int)strlen(num), p, end))
			return 1;
	}
	if (pss->close_after && lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
	    (const unsigned char *)"close", 5, p, end))
		return 1;
	if (status == 401 && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
	    (const unsigned char *)"Bearer realm=\"gatewatch\"", 24, p, end))
		return 1;
	return 0;
}

/* web_reply - send headers for the JSON in pss->body; the body follows
 * from HTTP_WRITEABLE. Returns what the callback should return. */
int
web_reply(struct lws *wsi, struct web_pss *pss, int status)
{
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;

	if (jbuf_failed(&pss->body)) {
		jbuf_free(&pss->body);
		return -1;
	}
	pss->sent = 0;
	if (status == 204 || status == 304)
		jbuf_truncate(&pss->body, 0);
	/* 204 and 304 have no body: no Content-Type, and no Content-Length
	 * (RFC 9110 8.6: never on a 204; on a 304 it would describe the
	 * representation the client already has) */
	if ((status == 204 || status == 304 ? lws_add_http_header_status(wsi, (unsigned)status, &p, end) :
	    lws_add_http_common_headers(wsi, (unsigned)status,
	    status >= 400 ? "application/problem+json" : pss->ctype ? pss->ctype : "application/json",
	    pss->body.len, &p, end)) || problem_status_line(status, start, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
	    (const unsigned char *)"no-store", 8, &p, end) ||
	    web_extra_headers(wsi, pss, status, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	memset(&pss->ao, 0, sizeof(pss->ao));
	pss->ctype = NULL;
	if (pss->body.len == 0) {
		jbuf_free(&pss->body);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

int
web_error(struct lws *wsi, struct web_pss *pss, int status, const char *msg)
{
	jbuf_free(&pss->body);
	jbuf_init(&pss->body, LWS_PRE);
	problem_json(&pss->body, status, msg);
	return web_reply(wsi, pss, status);
}

void
web_close_after(struct web_pss *pss)
{
	pss->post_uri[0] = '\0';
	pss->close_after = 1;
}

/* web_redirect - status (a 3xx) to location, no body. */
static int
web_redirect(struct lws *wsi, struct web_pss *pss, int status, const char *location)
{
	jbuf_free(&pss->body);
	jbuf_init(&pss->body, LWS_PRE);
	util_strlcpy(pss->ao.location, location, sizeof(pss->ao.location));
	pss->ctype = "text/plain";
	return web_reply(wsi, pss, status);
}

/* web_file - serve a regular file, or a JSON 404. */
static int
web_file(struct lws *wsi, struct web_pss *pss, const char *file, const char *type)
{
	struct stat st;
	int n;

	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		return web_error(wsi, pss, 404, "not found");
	char extra[300];

	/* Pages carry people's data once logged in: no shared caches. */
	snprintf(extra, sizeof(extra), "cache-control: private, no-cache\x0d\x0a%s%s%s",
	    pss->req.set_cookie[0] ? "set-cookie: " : "", pss->req.set_cookie, pss->req.set_cookie[0] ? "\x0d\x0a" : "");
	n = lws_serve_http_file(wsi, file, type, extra, (int)strlen(extra));
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}

/* web_method - the request's method, from the header lws filled. */
static const char *
web_method(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		return "GET";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
		return "POST";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI) > 0)
		return "PATCH";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0)
		return "PUT";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0)
		return "DELETE";
	return "OTHER";
}

/* web_http_who - who is asking, and may they: 0 to go on, or 1 when
 * answered (401, a redirect to the login page, 403) with the callback's
 * return in *rc */
static int
web_http_who(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri, int api, int *rc)
{
	auth_identify(wsi, &pss->req);
	if (pss->req.bad_bearer) {
		log_info(NULL, "http %s %s from %s: 401 (unknown or revoked bearer token)", method, uri, pss->req.addr);
		*rc = web_error(wsi, pss, 401, "bearer token unknown or revoked");
		return 1;
	}
	if (pss->req.who.kind == AUTHDB_ANON && !webpath_public(uri)) {
		if (strcmp(method, "GET") == 0 && !api && (strcmp(uri, "/") == 0 || strstr(uri, ".html") != NULL)) {
			char loc[sizeof(pss->ao.location)];

			*rc = web_redirect(wsi, pss, 302, webpath_login_location(uri, loc, sizeof(loc)));
			return 1;
		}
		*rc = web_error(wsi, pss, 401, "log in first (POST /api/session) or send a bearer token");
		return 1;
	}
	if (strcmp(method, "GET") != 0 && !auth_origin_ok(wsi, &pss->req)) {
		int none = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0;

		log_info(NULL, "http %s %s from %s: 403 (cross-origin)", method, uri, pss->req.addr);
		/* no Origin: a script using a login cookie (curl -b) */
		*rc = web_error(wsi, pss, 403, none ?
		    "a change made with a login cookie needs this server's Origin header; "
		    "scripts use a bearer token (gatewatch token add)" :
		    "cross-origin request refused (Origin is not this server)");
		return 1;
	}
	return 0;
}

/* web_http_405 - a method the path does not take */
static int
web_http_405(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri, int api)
{
	char cl[24];

	log_info(NULL, "http %s %s: 405", method, uri);
	/* A request body may be on its way: answer at once and close rather
	 * than read it. */
	if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && atoll(cl) != 0)
		web_close_after(pss);
	/* a problem+json answer saying what is allowed */
	if (api && accounts_owns_method(method, uri))
		return webapi_call(wsi, pss, method, uri, "", 0);
	util_strlcpy(pss->ao.allow, api && strstr(uri, "/ack") == NULL && strstr(uri, "/override") == NULL ?
	    "GET" : "POST", sizeof(pss->ao.allow));
	return web_error(wsi, pss, 405, "method not allowed here (see Allow)");
}

/* web_metrics - GET /metrics: the page (metrics.h) */
static int
web_metrics(struct lws *wsi, struct web_pss *pss)
{
	jbuf_free(&pss->body);
	jbuf_init(&pss->body, LWS_PRE);
	metrics_page(&pss->body);
	pss->ctype = METRICS_CONTENT_TYPE;
	return web_reply(wsi, pss, 200);
}

/* web_metrics_only - a request on metrics.listen: /metrics without
 * credentials, nothing else */
static int
web_metrics_only(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri)
{
	if (strcmp(uri, "/metrics") != 0)
		return web_error(wsi, pss, 404, "only /metrics is served here");
	if (strcmp(method, "GET") == 0)
		return web_metrics(wsi, pss);
	util_strlcpy(pss->ao.allow, "GET", sizeof(pss->ao.allow));
	return web_error(wsi, pss, 405, "only GET /metrics is served here");
}

/* web_http_get - GET of what is not the API: /metrics, a snapshot, a file */
static int
web_http_get(struct lws *wsi, struct web_pss *pss, const char *uri)
{
	char path[CONFIG_PATH_SIZE + 256];
	const char *type;

	if (strcmp(uri, "/metrics") == 0)
		return web_metrics(wsi, pss); /* any session or bearer token */
	if (strncmp(uri, "/snapshots/", 11) == 0) {
		if (webpath_snapshot(cfg->dir, uri, path, sizeof(path)) != 0) {
			log_info(NULL, "http bad snapshot path refused");
			return web_error(wsi, pss, 404, "not a snapshot path");
		}
		return web_file(wsi, pss, path, "image/jpeg");
	}
	if (strcmp(uri, "/") == 0)
		uri = "/index.html";
	if (!webpath_static_ok(uri) || (type = webpath_type(uri)) == NULL)
		return web_error(wsi, pss, 404, "not found");
	if ((size_t)snprintf(path, sizeof(path), "%s%s", cfg->www_dir, uri) >= sizeof(path))
		return web_error(wsi, pss, 404, "not found");
	return web_file(wsi, pss, path, type);
}

/* web_to_https - http:// on the TLS port (web_start): a 301 to the same path and
 * query over https (lws 4.1's redirect keeps only the Host), never an answer in clear */
static int
web_to_https(struct lws *wsi, struct web_pss *pss, const char *uri)
{
	char host[256], query[1024], loc[sizeof(pss->ao.location)];

	if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
		host[0] = '\0';
	if (lws_hdr_copy(wsi, query, sizeof(query), WSI_TOKEN_HTTP_URI_ARGS) <= 0)
		query[0] = '\0';
	if (webpath_https_location(host, uri, query, loc, sizeof(loc)) != 0 &&
	    webpath_https_location(host, "/", "", loc, sizeof(loc)) != 0)   /* too long: the root */
		return web_error(wsi, pss, 400, "this port speaks https (and the Host header is not a host name)");
	return web_redirect(wsi, pss, 301, loc);
}

static int
web_http(struct lws *wsi, struct web_pss *pss, const char *uri)
{
	const char *method = web_method(wsi);
	int api = strncmp(uri, "/api", 4) == 0 && (uri[4] == '\0' || uri[4] == '/');
	int rc, accounts = api && accounts_owns_method(method, uri);

	if (metrics_vhost(wsi))
		return web_metrics_only(wsi, pss, method, uri);
	if (cfg->tls_cert[0] && !lws_is_ssl(wsi))
		return web_to_https(wsi, pss, uri);
	if (web_http_who(wsi, pss, method, uri, api, &rc))
		return rc;
	if (strcmp(method, "GET") == 0)
		return api ? webapi_call(wsi, pss, method, uri, "", 0) : web_http_get(wsi, pss, uri);
	if (strcmp(method, "DELETE") == 0 && accounts)
		return webapi_call(wsi, pss, method, uri, "", 0);
	if (((strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0) && accounts) ||
	    (api && strcmp(method, "POST") == 0 && api_is_post(uri)))
		return webapi_post(wsi, pss, method, uri);
	return web_http_405(wsi, pss, method, uri, api);
}

static int
web_http_writeable(struct lws *wsi, struct web_pss *pss)
{
	size_t n;
	int last;

	if (pss->job)
		return webapi_job_done(wsi, pss);

	if (pss->body.s == NULL)
		return 0;
	n = pss->body.len - pss->sent;
	if (n > WEB_CHUNK)
		n = WEB_CHUNK;
	last = pss->sent + n == pss->body.len;
	/* The LWS_PRE bytes before this piece are either the headroom or text
	 * already sent, so lws may write its framing there. */
	if (lws_write(wsi, (unsigned char *)jbuf_text(&pss->body) + pss->sent, n,
	    last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n) {
		jbuf_free(&pss->body);
		return -1;
	}
	pss->sent += n;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	jbuf_free(&pss->body);
	if (pss->close_after) {
		pss->close_after = 0;
		return -1;
	}
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* web_http_body - a piece of a request body: kept while it fits */
static void
web_http_body(struct web_pss *pss, const void *in, size_t len)
{
	if (pss->post_len + len > sizeof(pss->post))
		pss->post_big = 1;
	else {
		memcpy(pss->post + pss->post_len, in, len);
		pss->post_len += len;
	}
}

/* web_http_closed - the connection is gone: its answer and its job */
static void
web_http_closed(struct web_pss *pss)
{
	jbuf_free(&pss->body);
	if (pss->job) {
		webjob_detach(pss->job); /* still in the pool: freed when done */
		pss->job = NULL;
	}
	/* a login's or a user's password may sit in the body read so far or
	 * wait for its hash: lws reuses the memory for the next connection */
	sodium_memzero(pss->post, sizeof(pss->post));
	sodium_memzero(&pss->ao.pw, sizeof(pss->ao.pw));
}

/* web_ws_filter - may this upgrade to /live go on: 0, or 1 refused */
static int
web_ws_filter(struct lws *wsi)
{
	struct auth_req r;
	char uri[64];

	if (metrics_vhost(wsi) || lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
	    strcmp(uri, "/live") != 0) {
		log_info(NULL, "ws upgrade refused: path is not /live");
		return 1;
	}
	/* http:// on the https port is only redirected (web_to_https): an
	 * upgrade does not come there, and /live is never served in clear */
	if (cfg->tls_cert[0] && !lws_is_ssl(wsi)) {
		log_info(NULL, "ws upgrade refused: plain http on the https port");
		lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, NULL);
		return 1;
	}
	auth_identify(wsi, &r);
	if (r.who.kind == AUTHDB_ANON) {
		log_info(NULL, "ws upgrade from %s refused: no session or token", r.addr);
		lws_return_http_status(wsi, HTTP_STATUS_UNAUTHORIZED, NULL);
		return 1;
	}
	if (!auth_origin_ok(wsi, &r)) {
		log_info(NULL, "ws upgrade from %s refused: cross-origin", r.addr);
		lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, NULL);
		return 1;
	}
	return 0;
}

static int
web_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct web_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return web_http(wsi, pss, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return web_http_writeable(wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		if (pss && pss->post_uri[0])
			web_http_body(pss, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss && pss->post_uri[0])
			return webapi_post_done(wsi, pss);
		return 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss)
			web_http_closed(pss);
		break;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return web_ws_filter(wsi);
	case LWS_CALLBACK_ESTABLISHED:
		/* the same credentials FILTER_PROTOCOL_CONNECTION accepted, kept to
		 * check them again (web_tick) */
		auth_identify(wsi, &pss->req);
		if ((pss->live = live_open(wsi)) == NULL)
			return -1;
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->live ? live_writeable(pss->live) : -1;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		live_wake();
		webjob_wake();
		return 0;
	case LWS_CALLBACK_RECEIVE:
		/* Dashboards only listen; what they send is ignored. */
		return 0;
	case LWS_CALLBACK_CLOSED:
		live_close(pss->live);
		pss->live = NULL;
		return 0;
	default:
		break;
	}
	(void)len;
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols web_protocols[] = {
	{ "gatewatch-live", web_callback, sizeof(struct web_pss), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static struct netlisten web_listener;

int
web_start(uv_loop_t *loop, const struct config *c)
{
	struct lws_context_creation_info info, vinfo;
	static void *foreign[1];
	struct lws_vhost *vh;
	char err[256];
	int fd;

	cfg = c;
	api_init(c);
	auth_init(c);
	rest_init(c);
	live_init(c->client_queue);
	lws_set_log_level(LLL_ERR | LLL_WARN, log_lws);
	memset(&info, 0, sizeof(info));
	foreign[0] = loop;
	info.foreign_loops = foreign;
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8;
	/* we bind listen.address exactly and accept (netlisten.c): lws 4.1
	 * given an IPv4 iface listens on [::], every interface */
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.options |= LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.protocols = web_protocols;
	info.pt_serv_buf_size = 32768;
	if (c->tls_cert[0]) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = c->tls_cert;
		info.ssl_private_key_filepath = c->tls_key;
		/* lws's HTTP/2 fails Chromium (ERR_HTTP2_COMPRESSION_ERROR): offer
		 * only http/1.1, which WebSockets use anyway */
		info.alpn = "http/1.1";
	}
	vinfo = info;
	/* http:// to the TLS port reaches web_http, which answers only a 301
	 * to https:// (web_to_https), and web_ws_filter, which refuses it (lws
	 * peeks at the first byte; the dashboard's vhost, not metrics') */
	if (c->tls_cert[0])
		vinfo.options |= LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT | LWS_SERVER_OPTION_ALLOW_HTTP_ON_HTTPS_LISTENER;
	if ((web_ctx = lws_create_context(&info)) == NULL ||
	    (vh = lws_create_vhost(web_ctx, &vinfo)) == NULL) {
		log_error(NULL, "http: cannot serve on %s:%d (see the lws lines above)", c->listen_address, c->http_port);
		return -1;
	}
	if (config_path(c, "gatewatch.db", err, sizeof(err)) != 0) {
		log_error(NULL, "http: the database path is too long");
		return -1;
	}
	webjob_init(loop, web_ctx, err);
	metrics_start(loop, web_ctx, &info, c);
	if ((fd = netlisten_bind(c->listen_address, c->http_port, err, sizeof(err))) < 0 ||
	    netlisten_start(&web_listener, loop, fd, vh, log_listen_paused, (void *)"http: ") != 0) {
		log_error(NULL, "http: %s", fd < 0 ? err : "cannot watch the listening socket");
		return -1;
	}
	log_info(NULL, "http%s listening on %s:%d, www %s", c->tls_cert[0] ? "s" : "",
	    c->listen_address, c->http_port, c->www_dir);
	return 0;
}

/* web_live_keep - 1 while a /live client's login is still good. */
static int
web_live_keep(struct lws *wsi)
{
	struct web_pss *pss = lws_wsi_user(wsi);

	return pss != NULL && auth_recheck(&pss->req);
}

void
web_tick(void)
{
	static int n;

	if (web_ctx && ++n % WEB_RECHECK_S == 0)
		live_drop_if(web_live_keep);
}

void
web_stop(void)
{
	netlisten_stop(&web_listener);
	if (web_ctx)
		lws_context_destroy(web_ctx);
}

void
web_finish(void)
{
	/* Second call on a foreign loop frees what the first one left. */
	if (web_ctx)
		lws_context_destroy(web_ctx);
	web_ctx = NULL;
	webjob_close();
}
