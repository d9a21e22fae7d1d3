/* webapi - the web server's API requests, and the connection state web.c
 * and webapi.c share. Internal to the web server (web.c, webapi.c): loop
 * thread only. */
#ifndef GW_WEBAPI_H
#define GW_WEBAPI_H

#include <stddef.h>

#include "accounts.h"
#include "api.h"
#include "auth.h"
#include "jbuf.h"

struct lws;
struct live_client;
struct webjob;

/* One HTTP or /live connection (lws per-session data). */
struct web_pss {
	struct live_client *live;  /* WebSocket: owned by live, freed in live_close */
	struct webjob *job;        /* HTTP: work in the thread pool for this request, or NULL */
	struct jbuf body;          /* HTTP: answer being written; owned */
	size_t sent;
	struct auth_req req;       /* HTTP: who is asking */
	struct accounts_out ao;    /* extra headers of the answer */
	char job_uri[96];          /* the request a job answers */
	char method[8];            /* request with a body being read, or a job: its method */
	char post_uri[96];         /* ...its path */
	char post[API_POST_MAX];   /* ...and its body so far */
	size_t post_len;
	int post_big;              /* the body was over API_POST_MAX */
	const char *ctype;         /* the answer's type when not JSON (GET /metrics), else NULL */
	int close_after;           /* answered before its body was read: close once the answer is out */
};

/* web_reply - send headers for the answer in pss->body (its status); the
 * body follows from HTTP_WRITEABLE. Returns what the callback returns. */
int web_reply(struct lws *wsi, struct web_pss *pss, int status);

/* web_error - a problem+json answer with status and msg. */
int web_error(struct lws *wsi, struct web_pss *pss, int status, const char *msg);

/* web_close_after - the request's body (if any) is not to be read: the
 * next answer goes out with "connection: close", the connection closes
 * after it, and what comes of the body is dropped. */
void web_close_after(struct web_pss *pss);

/* webapi_call - answer an API request whose body (if any) is in. */
int webapi_call(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri, const char *body,
    size_t len);

/* webapi_job_done - HTTP_WRITEABLE while pss->job is in the pool: 0
 * until it is done, then its answer (a login's, a read's; a hashed
 * password's request is asked again, webapi_call). */
int webapi_job_done(struct lws *wsi, struct web_pss *pss);

/* webapi_post - a request that carries a body (POST, PATCH) to an API
 * path that takes one: read it (webapi_post_done when complete), or
 * answer now. */
int webapi_post(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri);

/* webapi_post_done - the whole request body is in: answer it. */
int webapi_post_done(struct lws *wsi, struct web_pss *pss);

/* webapi_finish - the answer to an API request is in pss->body: links
 * (unless linked: a read off the loop added them), ETag (304 when the
 * client has it), log, headers. */
int webapi_finish(struct lws *wsi, struct web_pss *pss, const char *method, const char *uri, int status,
    int linked);

#endif
