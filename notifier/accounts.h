/* accounts - the HTTP resources for people and scripts:
 *   GET    /api/session        who am I: {"user","role","kind","expires",_links}; "user":null if nobody
 *   POST   /api/session        {"user","password"} -> 201 + cookie; 401 wrong; 429 slowed (Retry-After)
 *   DELETE /api/session        log out: 204, cookie cleared
 *   GET    /api/users          admin: {"items":[user...],"_links"}, every user (not paged: ?limit, ?before 400)
 *   POST   /api/users          admin: {"name","role","password"} -> 201 + Location; 409 taken
 *   GET    /api/users/NAME     admin, or the user themself
 *   PATCH  /api/users/NAME     admin: {"role"} and/or {"password"}; a user may change their own password
 *   DELETE /api/users/NAME     admin: 204 (not the last admin: 409)
 *   GET    /api/tokens         admin: every token (revoked ones too), never the secret; not paged, as users
 *   POST   /api/tokens         admin: {"name","role"} -> 201 + Location, the token shown once
 *   GET    /api/tokens/ID      admin
 *   DELETE /api/tokens/ID      admin: revoke, 204
 *   GET    /api/audit          admin: ?limit=1..500 (50) &before=ID &action=A &who=W, newest first;
 *                              the next page: Link rel="next" header and _links.next
 *   GET    /api/audit/ID       admin
 * Errors are problem+json (problem.h). Every change is written to the
 * audit trail. Loop thread only. */
#ifndef GW_ACCOUNTS_H
#define GW_ACCOUNTS_H

#include <jansson.h>
#include <stddef.h>

#include "auth.h"
#include "jbuf.h"

struct api_read;
struct lws;

/* A password hashed off the loop (argon2id, ~150 ms): a handler that
 * needs one answers 0 with want set; web.c hashes password in the pool and
 * asks again with hash filled (accounts_handle keeps it: a request's first
 * pass starts with pw zeroed), or answers 500 when hashing failed. */
struct accounts_hash {
	int want;
	char password[AUTHDB_PASSWORD_MAX + 1];
	char hash[AUTHDB_HASH_SIZE];   /* "" until hashed */
};

/* What a handler tells web.c besides status and body. */
struct accounts_out {
	char location[512];   /* Location header for a 201 or a 301 (web.c), or "" */
	int retry_after;      /* seconds, for a 429; 0 = none */
	char allow[48];       /* Allow header for a 405, or "" */
	char link[256];       /* Link header (rel="next"), or "" */
	char etag[24];        /* ETag header, or "" */
	char disposition[96]; /* Content-Disposition header (CSV downloads), or "" */
	struct auth_pending *pending; /* status 0: a login to verify off the loop (owned, see web.c) */
	struct accounts_hash pw;      /* status 0 with pw.want: a password to hash off the loop (last member) */
};

/* accounts_owns - 1 if path is one of the resources above. */
int accounts_owns(const char *path);
/* accounts_owns_method - 1 if method on path is answered here: the
 * resources above, and the changes to cameras (accounts_cam.h; their GETs
 * are api.c's and rest.c's). */
int accounts_owns_method(const char *method, const char *path);

/* For accounts_cam.c and accounts_user.c: a request body as a JSON object (NULL, with the
 * 400 in out and *status, when it is not one); a member as a string (NULL
 * if absent, *bad set if not a string); 0 when r has role, else the
 * 401/403 answer's status; a 405 naming allow; v (taken) as the answer. */
json_t *accounts_body(const char *body, size_t len, struct jbuf *out, int *status);
const char *accounts_str(json_t *j, const char *key, int *bad);
int accounts_need(const struct auth_req *r, int role, struct jbuf *out);
int accounts_405(struct accounts_out *ao, struct jbuf *out, const char *allow);
int accounts_reply(struct jbuf *out, int status, json_t *v);
/* For accounts_user.c too: {"href": href} (and "method" unless NULL); a
 * whole list {"items","count","_links":{"self","create"}} of items
 * (reference taken), which their listing returned rc for (< 0: a 500). */
json_t *accounts_link(const char *href, const char *method);
int accounts_list(struct jbuf *out, int rc, json_t *items, const char *href);

/* accounts_login_done - the answer to a login whose password check
 * (auth_verify on ao->pending) finished: 201 with the session, or 401.
 * Frees p. */
int accounts_login_done(struct auth_req *r, struct auth_pending *p, struct jbuf *out, struct accounts_out *ao);

/* accounts_handle - answer method (GET, POST, PATCH, DELETE) on path with
 * body (len bytes, not NUL-terminated; may be empty) for requester r
 * (login and logout change r). wsi gives the query string (GET
 * /api/audit only); if_match is the If-Match header ("" when none). Fills
 * out and returns the HTTP status (204: out is empty), or 0 with
 * ao->pending set: a login whose password web.c checks off the loop, or
 * 0 with rd set: the answer is rd's read, off the loop (GET /api/audit),
 * or 0 with ao->pw.want: ask again once ao->pw.hash is filled (a user
 * added or a password changed). */
int accounts_handle(struct lws *wsi, const char *method, const char *path, const char *if_match, const char *body,
    size_t len, struct auth_req *r, struct jbuf *out, struct accounts_out *ao, struct api_read *rd);

#endif
