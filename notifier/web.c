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

#define WEB_CHUNK 16384
#define WEB_RECHECK_S 5    /* /live logins are checked again this often, seconds */

struct web_pss;

/* A login's password check running in libuv's thread pool. While it runs
 * the connection may close: then pss is NULL and web_job_after frees it. */
struct web_job {
	uv_work_t req;
	struct auth_pending *p;    /* owned */
	struct web_pss *pss;       /* NULL once the connection closed */
	struct lws *wsi;
	int done;
	struct web_job *next;
};

struct web_pss {
	struct live_client *live;  /* WebSocket: owned by live, freed in live_close */
	struct web_job *job;       /* HTTP: a login being checked, or NULL */
	struct jbuf body;          /* HTTP: answer being written; owned */
	size_t sent;
	struct auth_req req;       /* HTTP: who is asking */
	struct accounts_out ao;    /* extra headers of the answer */
	char method[8];            /* request with a body being read: its method */
	char post_uri[96];         /* ...its path */
	char post[API_POST_MAX];   /* ...and its body so far */
	size_t post_len;
	int post_big;              /* the body was over API_POST_MAX */
	const char *ctype;         /* the answer's type when not JSON (GET /metrics), else NULL */
};

static struct lws_context *web_ctx;
static const struct config *cfg;
static uv_loop_t *web_loop;
static struct web_job *web_jobs;   /* every job not yet freed */

static void
web_job_free(struct web_job *j)
{
	struct web_job **pp;

	for (pp = &web_jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (j->p) {
		memset(j->p, 0, sizeof(*j->p));
		free(j->p);
	}
	free(j);
}

static void
web_job_work(uv_work_t *req)
{
	struct web_job *j = req->data;

	auth_verify(j->p);
}

static void
web_job_after(uv_work_t *req, int status)
{
	struct web_job *j = req->data;

	(void)status;
	j->done = 1;
	if (j->pss == NULL) {
		web_job_free(j);
		return;
	}
	/* Outside lws's callbacks: ask for WRITEABLE from EVENT_WAIT_CANCELLED
	 * (DESIGN.md). */
	lws_cancel_service(web_ctx);
}

/* web_jobs_wake - from EVENT_WAIT_CANCELLED: finished checks get their
 * connection's WRITEABLE, where the answer is written. */
static void
web_jobs_wake(void)
{
	struct web_job *j;

	for (j = web_jobs; j; j = j->next)
		if (j->done && j->pss)
			lws_callback_on_writable(j->wsi);
}

static const struct {
	const char *ext, *type;
} web_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
};

static const char *
web_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot == NULL || strchr(dot, '/'))
		return NULL;
	for (i = 0; i < sizeof(web_types) / sizeof(web_types[0]); i++)
		if (strcmp(dot, web_types[i].ext) == 0)
			return web_types[i].type;
	return NULL;
}

/* web_static_path_ok - 1 if a URL path may name a file under www.dir:
 * only [A-Za-z0-9._-/], no empty component, no component starting with a
 * dot (so no "..", no hidden files). */
static int
web_static_path_ok(const char *p)
{
	const char *s;

	if (*p != '/' || strlen(p) > 200)
		return 0;
	for (s = p; *s; s++) {
		if (*s == '/') {
			if (s[1] == '/' || s[1] == '.' || s[1] == '\0')
				return 0;
		} else if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	}
	return 1;
}

/* web_track_id_valid - 1 for a track id: 1 to 19 digits, no leading 0. */
static int
web_track_id_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 19 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* web_snapshot_path - map /snapshots/<camera>/<frame id, track id or
 * "latest">.jpg
 * to its file; 0, or -1 when the path is not exactly that shape. */
static int
web_snapshot_path(const char *uri, char *out, size_t outlen)
{
	char cam[CAMERA_ID_SIZE], fid[FRAMEID_SIZE];
	const char *p = uri + strlen("/snapshots/"), *slash, *dot;
	int n;

	if ((slash = strchr(p, '/')) == NULL || (size_t)(slash - p) >= sizeof(cam))
		return -1;
	memcpy(cam, p, (size_t)(slash - p));
	cam[slash - p] = '\0';
	p = slash + 1;
	if ((dot = strchr(p, '.')) == NULL || strcmp(dot, ".jpg") != 0 || (size_t)(dot - p) >= sizeof(fid))
		return -1;
	memcpy(fid, p, (size_t)(dot - p));
	fid[dot - p] = '\0';
	if (!util_camera_id_valid(cam) ||
	    !(frameid_valid(fid) || web_track_id_valid(fid) || strcmp(fid, "latest") == 0))
		return -1;
	n = snprintf(out, outlen, "%s/snapshots/%s/%s.jpg", cfg->dir, cam, fid);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

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
	if (status == 401 && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
	    (const unsigned char *)"Bearer realm=\"gatewatch\"", 24, p, end))
		return 1;
	return 0;
}

/* web_reply - send headers for the JSON in pss->body; the body follows
 * from HTTP_WRITEABLE. Returns what the callback should return. */
static int
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
	if (lws_add_http_common_headers(wsi, (unsigned)status,
	    status >= 400 ? "application/problem+json" : pss->ctype ? pss->ctype : "application/json",
	    pss->body.len, &p, end) ||
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

static int
web_error(struct lws *wsi, struct web_pss *pss, int status, const char *msg)
{
	jbuf_free(&pss->body);
	jbuf_init(&pss->body, LWS_PRE);
	problem_json(&pss->body, status, msg);
	return web_reply(wsi, pss, status);
}

/* web_redirect - 302 to location (a page that needs a login). */
static int
web_redirect(struct lws *wsi, const char *location)
{
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;

	if (lws_add_http_common_headers(wsi, HTTP_STATUS_FOUND, "text/plain", 0, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_LOCATION, (const unsigned char *)location,
	    (int)strlen(location), &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
	    (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
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

/* web_public - 1 for what answers without credentials (see the top). */
static int
web_public(const char *uri)
{
	static const char *const open_paths[] = {
		"/style.css", "/favicon.svg", "/common.js", "/api/config", "/api/session",
		"/sw.js", "/manifest.webmanifest", /* fetched by the browser itself, no secrets */
	};
	size_t i;

	/* the login page's and the camera page's own files: /login.*, /camera.* */
	if (strncmp(uri, "/login.", 7) == 0 || strncmp(uri, "/camera.", 8) == 0)
		return 1;
	for (i = 0; i < sizeof(open_paths) / sizeof(open_paths[0]); i++)
		if (strcmp(uri, open_paths[i]) == 0)
			return 1;
	return 0;
}

/* web_api_call - answer an API request whose body (if any) is in. */
static int
web_api_call(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri, const char *body,
    size_t len)
{
	int status;

	jbuf_free(&pss->body);
	jbuf_init(&pss->body, LWS_PRE);
	auth_set_current(&pss->req);
	if (accounts_owns(uri)) {
		status = accounts_handle(wsi, method, uri, body, len, &pss->req, &pss->body, &pss->ao);
		if (status == 0 && pss->ao.pending) {
			struct web_job *j = calloc(1, sizeof(*j));

			auth_set_current(NULL);
			if (j == NULL) {
				free(pss->ao.pending);
				pss->ao.pending = NULL;
				return web_error(wsi, pss, 500, "out of memory");
			}
			j->p = pss->ao.pending;
			pss->ao.pending = NULL;
			j->pss = pss;
			j->wsi = wsi;
			j->req.data = j;
			j->next = web_jobs;
			web_jobs = j;
			pss->job = j;
			if (uv_queue_work(web_loop, &j->req, web_job_work, web_job_after) != 0) {
				pss->job = NULL;
				web_job_free(j);
				return web_error(wsi, pss, 500, "cannot check the password now");
			}
			return 0;   /* answered from HTTP_WRITEABLE when the check is done */
		}
	}
	else if (strcmp(method, "POST") == 0) {
		if (pss->req.who.role < AUTHDB_SUPERVISOR)
			status = problem_json(&pss->body, 403, "acknowledging and overriding need the supervisor role");
		else
			status = api_post(uri, body, len, &pss->body);
	} else if (rest_owns(uri))
		status = rest_handle(wsi, uri, &pss->req, &pss->body, &pss->ctype, pss->ao.disposition,
		    sizeof(pss->ao.disposition));
	else if ((status = api_handle(wsi, uri, &pss->body)) == 200)
		rest_decorate(wsi, uri, &pss->req, &pss->body, pss->ao.link, sizeof(pss->ao.link));
	auth_set_current(NULL);
	if (status == 200 && strcmp(method, "GET") == 0 && !jbuf_failed(&pss->body)) {
		/* Collections, items and figures: a client that has this answer
		 * (If-None-Match) gets 304 and no body. */
		char inm[256];

		rest_etag(jbuf_text(&pss->body), pss->body.len, pss->ao.etag);
		if (lws_hdr_copy(wsi, inm, sizeof(inm), WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 &&
		    rest_etag_match(inm, pss->ao.etag)) {
			jbuf_truncate(&pss->body, 0);
			status = 304;
		}
	}
	if (status >= 400 || strcmp(method, "GET") != 0)
		log_info(NULL, "http %s %s: %d%s%s", method, uri, status, pss->req.who.name[0] ? " by " : "",
		    pss->req.who.name);
	return web_reply(wsi, pss, status);
}

/* web_post_done - the whole request body is in: answer it. */
static int
web_post_done(struct lws *wsi, struct web_pss *pss)
{
	char uri[sizeof(pss->post_uri)];

	util_strlcpy(uri, pss->post_uri, sizeof(uri));
	pss->post_uri[0] = '\0';
	if (pss->post_big) {
		char msg[64];

		snprintf(msg, sizeof(msg), "body over %d bytes", API_POST_MAX);
		log_info(NULL, "http %s %s: 413 (%s)", pss->method, uri, msg);
		return web_error(wsi, pss, 413, msg);
	}
	return web_api_call(wsi, pss, pss->method, uri, pss->post, pss->post_len);
}

static int
web_http(struct lws *wsi, struct web_pss *pss, const char *uri)
{
	char path[CONFIG_PATH_SIZE + 256];
	const char *type, *method = web_method(wsi);
	int api = strncmp(uri, "/api", 4) == 0 && (uri[4] == '\0' || uri[4] == '/');
	int get = strcmp(method, "GET") == 0;

	auth_identify(wsi, &pss->req);
	if (pss->req.bad_bearer) {
		log_info(NULL, "http %s %s from %s: 401 (unknown or revoked bearer token)", method, uri, pss->req.addr);
		return web_error(wsi, pss, 401, "bearer token unknown or revoked");
	}
	if (pss->req.who.kind == AUTHDB_ANON && !web_public(uri)) {
		if (get && !api && (strcmp(uri, "/") == 0 || strstr(uri, ".html") != NULL)) {
			char loc[300];

			snprintf(loc, sizeof(loc), "/login.html?next=%s", strlen(uri) < 200 ? uri : "/");
			return web_redirect(wsi, loc);
		}
		return web_error(wsi, pss, 401, "log in first (POST /api/session) or send a bearer token");
	}
	if (!get && !auth_origin_ok(wsi, &pss->req)) {
		log_info(NULL, "http %s %s from %s: 403 (cross-origin)", method, uri, pss->req.addr);
		return web_error(wsi, pss, 403, "cross-origin request refused (Origin is not this server)");
	}
	if (api && !get) {
		int accounts = accounts_owns(uri);

		if (strcmp(method, "DELETE") == 0 && accounts)
			return web_api_call(wsi, pss, method, uri, "", 0);
		if (((strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0) && accounts) ||
		    (strcmp(method, "POST") == 0 && api_is_post(uri))) {
			char cl[24];

			if (strlen(uri) >= sizeof(pss->post_uri))
				return web_error(wsi, pss, 404, "no such API");
			util_strlcpy(pss->post_uri, uri, sizeof(pss->post_uri));
			util_strlcpy(pss->method, method, sizeof(pss->method));
			pss->post_len = 0;
			pss->post_big = 0;
			/* No Content-Length (or 0): no body will come, answer now. */
			if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0 || atoll(cl) == 0)
				return web_post_done(wsi, pss);
			if (atoll(cl) > API_POST_MAX) {
				log_info(NULL, "http %s %s: 413 (body over %d bytes)", method, uri, API_POST_MAX);
				lws_return_http_status(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, NULL);
				return -1;
			}
			return 0; /* the body comes in LWS_CALLBACK_HTTP_BODY */
		}
	}
	if (!get) {
		char cl[24];

		log_info(NULL, "http %s %s: 405", method, uri);
		if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0 || atoll(cl) == 0) {
			/* nothing to read: a problem+json answer saying what is allowed */
			if (api && accounts_owns(uri))
				return web_api_call(wsi, pss, method, uri, "", 0);
			util_strlcpy(pss->ao.allow, api && strstr(uri, "/ack") == NULL && strstr(uri, "/override") == NULL ?
			    "GET" : "POST", sizeof(pss->ao.allow));
			return web_error(wsi, pss, 405, "method not allowed here (see Allow)");
		}
		/* A request body may be on its way: answer at once and close
		 * rather than read it. */
		lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return -1;
	}
	if (api)
		return web_api_call(wsi, pss, method, uri, "", 0);
	if (strcmp(uri, "/metrics") == 0) {
		/* Prometheus through the dashboard's port, for a session or a
		 * bearer token of any role (docs/METRICS.md); metrics.listen
		 * serves the same page on loopback without credentials. */
		jbuf_free(&pss->body);
		jbuf_init(&pss->body, LWS_PRE);
		metrics_page(&pss->body);
		pss->ctype = METRICS_CONTENT_TYPE;
		return web_reply(wsi, pss, 200);
	}
	if (strncmp(uri, "/snapshots/", 11) == 0) {
		if (web_snapshot_path(uri, path, sizeof(path)) != 0) {
			log_info(NULL, "http bad snapshot path refused");
			return web_error(wsi, pss, 404, "not a snapshot path");
		}
		return web_file(wsi, pss, path, "image/jpeg");
	}
	if (strcmp(uri, "/") == 0)
		uri = "/index.html";
	if (!web_static_path_ok(uri) || (type = web_type(uri)) == NULL)
		return web_error(wsi, pss, 404, "not found");
	if ((size_t)snprintf(path, sizeof(path), "%s%s", cfg->www_dir, uri) >= sizeof(path))
		return web_error(wsi, pss, 404, "not found");
	return web_file(wsi, pss, path, type);
}

static int
web_http_writeable(struct lws *wsi, struct web_pss *pss)
{
	size_t n;
	int last;

	if (pss->job) {
		struct web_job *j = pss->job;
		int status;

		if (!j->done)
			return 0;
		pss->job = NULL;
		jbuf_free(&pss->body);
		jbuf_init(&pss->body, LWS_PRE);
		status = accounts_login_done(&pss->req, j->p, &pss->body, &pss->ao);
		j->p = NULL;
		web_job_free(j);
		log_info(NULL, "http POST /api/session: %d%s%s", status, status == 201 ? " by " : "",
		    status == 201 ? pss->req.who.name : "");
		return web_reply(wsi, pss, status);
	}

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
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
web_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct web_pss *pss = user;
	char uri[64];

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return web_http(wsi, pss, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return web_http_writeable(wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		if (pss && pss->post_uri[0]) {
			if (pss->post_len + len > sizeof(pss->post))
				pss->post_big = 1;
			else {
				memcpy(pss->post + pss->post_len, in, len);
				pss->post_len += len;
			}
		}
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss && pss->post_uri[0])
			return web_post_done(wsi, pss);
		return 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss) {
			jbuf_free(&pss->body);
			if (pss->job) {
				/* still in the pool: web_job_after frees it */
				pss->job->pss = NULL;
				if (pss->job->done)
					web_job_free(pss->job);
				pss->job = NULL;
			}
		}
		break;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		struct auth_req r;

		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/live") != 0) {
			log_info(NULL, "ws upgrade refused: path is not /live");
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
		web_jobs_wake();
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
	struct lws_context_creation_info info;
	static void *foreign[1];
	struct lws_vhost *vh;
	char err[256];
	int fd;

	cfg = c;
	web_loop = loop;
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
	}
	if ((web_ctx = lws_create_context(&info)) == NULL ||
	    (vh = lws_create_vhost(web_ctx, &info)) == NULL) {
		log_error(NULL, "http: cannot serve on %s:%d (see the lws lines above)", c->listen_address, c->http_port);
		return -1;
	}
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
}
