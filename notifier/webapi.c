/* webapi - the web server's API requests (web.c hands them over): who
 * answers which path (accounts.c, api.c, rest.c), reading a request's
 * body, work sent to the thread pool (webjob.c), and what every answer
 * gets on its way out (links, ETag and 304, a log line). Loop thread. */
#include <libwebsockets.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "api.h"
#include "log.h"
#include "problem.h"
#include "rest.h"
#include "util.h"
#include "webapi.h"
#include "webjob.h"

#define WEBAPI_JOB_TIMEOUT_S 120

/* webapi_finish - the answer to an API request is in pss->body: links,
 * ETag (304 when the client has it), log, headers */
int
webapi_finish(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri, int status,
    int linked)
{
	if (status == 200 && !linked && strcmp(method, "GET") == 0 && !rest_owns(uri) && !accounts_owns(uri))
		rest_decorate(wsi, uri, &pss->req, &pss->body, pss->ao.link, sizeof(pss->ao.link));
	if (status != 200) {
		pss->ao.disposition[0] = '\0';
		pss->ctype = NULL;
	}
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

/* webapi_job - the answer comes from work in the thread pool (a login's
 * password check, a database read): remember the request, answer from
 * HTTP_WRITEABLE */
static int
webapi_job(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri, struct webjob *j)
{
	if (j == NULL) {
		/* a password waiting for its hash is not kept past its request */
		sodium_memzero(&pss->ao.pw, sizeof(pss->ao.pw));
		return web_error(wsi, pss, 500, "cannot start that now");
	}
	pss->job = j;
	/* lws would otherwise drop a connection that waits this long for
	 * its answer (its timeout_secs, 5 s); the work is bounded by the
	 * database's busy timeout and the query itself */
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, WEBAPI_JOB_TIMEOUT_S);
	util_strlcpy(pss->job_uri, uri, sizeof(pss->job_uri));
	util_strlcpy(pss->method, method, sizeof(pss->method));
	return 0;
}

/* webapi_call - answer an API request whose body (if any) is in. */
int
webapi_call(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri, const char *body,
    size_t len)
{
	struct api_read rd = { NULL, NULL };
	char im[256];
	int status;

	if (strlen(uri) >= sizeof(pss->job_uri))
		return web_error(wsi, pss, 404, "no such API");
	jbuf_free(&pss->body);
	jbuf_init(&pss->body, LWS_PRE);
	auth_set_current(&pss->req);
	if (accounts_owns_method(method, uri)) {
		/* one too long to read guards too: it matches nothing (412) */
		if (lws_hdr_copy(wsi, im, sizeof(im), WSI_TOKEN_HTTP_IF_MATCH) <= 0)
			util_strlcpy(im, lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_IF_MATCH) > 0 ? "\"\"" : "", sizeof(im));
		status = accounts_handle(wsi, method, uri, im, body, len, &pss->req, &pss->body, &pss->ao, &rd);
	}
	else if (strcmp(method, "POST") == 0) {
		if (pss->req.who.role < AUTHDB_SUPERVISOR)
			status = problem_json(&pss->body, 403, "acknowledging and overriding need the supervisor role");
		else if ((status = api_post(uri, body, len, &pss->body)) == 200) /* the person or alert, linked */
			rest_decorate(wsi, strncmp(uri, "/api/tracks/", 12) == 0 ? "/api/tracks" : "/api/alerts", &pss->req,
			    &pss->body, pss->ao.link, sizeof(pss->ao.link));
	} else if (rest_owns(uri))
		status = rest_handle(wsi, uri, &pss->req, &pss->body, &pss->ctype, pss->ao.disposition,
		    sizeof(pss->ao.disposition), &rd);
	else
		status = api_handle(wsi, uri, &pss->body, &rd);
	auth_set_current(NULL);
	if (status == 0 && pss->ao.pending) {
		struct auth_pending *p = pss->ao.pending;

		pss->ao.pending = NULL;
		return webapi_job(wsi, pss, method, uri, webjob_login(wsi, p));
	}
	if (status == 0 && rd.fn)
		return webapi_job(wsi, pss, method, uri, webjob_read(wsi, rd.fn, rd.arg));
	if (status == 0 && pss->ao.pw.want) {
		pss->ao.pw.want = 0;
		if (pss->ao.pw.hash[0] == '\0') /* not a second pass: hash, then ask again (web.c) */
			return webapi_job(wsi, pss, method, uri, webjob_hash(wsi, pss->ao.pw.password));
		status = problem_json(&pss->body, 500, "the password was hashed for another request");
	}
	return webapi_finish(wsi, pss, method, uri, status, 0);
}

/* webapi_post_done - the whole request body is in: answer it. */
int
webapi_post_done(struct lws *wsi, struct web_pss *pss)
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
	return webapi_call(wsi, pss, pss->method, uri, pss->post, pss->post_len);
}

/* webapi_post - a request that carries a body (POST, PATCH) to an API
 * path that takes one: read it (LWS_CALLBACK_HTTP_BODY), or answer now */
int
webapi_post(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri)
{
	char cl[24];

	if (strlen(uri) >= sizeof(pss->post_uri))
		return web_error(wsi, pss, 404, "no such API");
	util_strlcpy(pss->post_uri, uri, sizeof(pss->post_uri));
	util_strlcpy(pss->method, method, sizeof(pss->method));
	pss->post_len = 0;
	pss->post_big = 0;
	/* No Content-Length (or 0): no body will come, answer now. */
	if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0 || atoll(cl) == 0)
		return webapi_post_done(wsi, pss);
	if (atoll(cl) > API_POST_MAX) {
		log_info(NULL, "http %s %s: 413 (body over %d bytes)", method, uri, API_POST_MAX);
		web_close_after(pss); /* answered now, the body never read */
		return web_error(wsi, pss, 413, "a body over 1 KiB");
	}
	return 0; /* the body comes in LWS_CALLBACK_HTTP_BODY */
}

/* webapi_hashed - a user add or password change whose password was hashed
 * in the pool: asked again with the hash (accounts.h's accounts_hash). */
static int
webapi_hashed(struct lws *wsi, struct web_pss *pss)
{
	int rc;

	if (pss->ao.pw.hash[0] == '\0') {
		sodium_memzero(&pss->ao.pw, sizeof(pss->ao.pw));
		return web_error(wsi, pss, 500, "cannot hash the password");
	}
	rc = webapi_call(wsi, pss, pss->method, pss->job_uri, pss->post, pss->post_len);
	sodium_memzero(&pss->ao.pw, sizeof(pss->ao.pw));
	return rc;
}

int
webapi_job_done(struct lws *wsi, struct web_pss *pss)
{
	struct webjob *j = pss->job;
	struct auth_pending *p;
	int status;

	if (!webjob_done(j))
		return 0;
	pss->job = NULL;
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	if ((p = webjob_login_take(j)) != NULL) {
		webjob_free(j);
		jbuf_free(&pss->body);
		jbuf_init(&pss->body, LWS_PRE);
		status = accounts_login_done(&pss->req, p, &pss->body, &pss->ao);
		log_info(NULL, "http POST /api/session: %d%s%s", status, status == 201 ? " by " : "",
		    status == 201 ? pss->req.who.name : "");
		return web_reply(wsi, pss, status);
	}
	if (webjob_hash_take(j, pss->ao.pw.hash, sizeof(pss->ao.pw.hash)) == 0) {
		webjob_free(j);
		return webapi_hashed(wsi, pss);
	}
	status = webjob_answer(j, &pss->body, pss->ao.link, sizeof(pss->ao.link));
	webjob_free(j);
	if (status < 0)
		status = problem_json(&pss->body, 500, "database error");
	return webapi_finish(wsi, pss, pss->method, pss->job_uri, status, 1);
}
