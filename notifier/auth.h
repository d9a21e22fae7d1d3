/* auth - who is asking: every HTTP request and /live upgrade is matched
 * to a login session (cookie gw_session) or an API token (Authorization:
 * Bearer), checked for a same-origin Origin when it changes something,
 * and failed logins are slowed per address and per user. Loop thread
 * only. */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stdint.h>

#include "authdb.h"
#include "config.h"

struct lws;

#define AUTH_COOKIE "gw_session"

/* One request's credentials, kept in the connection's state while it is
 * answered. */
struct auth_req {
	struct authdb_who who;          /* kind AUTHDB_ANON when none */
	int bad_bearer;                 /* an Authorization header that names no live token */
	char addr[64];                  /* the peer's address */
	char sid[AUTHDB_SECRET_SIZE];   /* the session cookie's value, if one came */
	char tok[AUTHDB_SECRET_SIZE];   /* the bearer token, if one came */
	char set_cookie[200];           /* a Set-Cookie value to send with the answer, or "" */
};

/* auth_init - remember the settings (session lifetimes, TLS); no failed
 * logins are counted yet. */
void auth_init(const struct config *c);

/* auth_identify - fill r from wsi's headers (cookie, bearer, peer).
 * A database error leaves r anonymous (and is logged). */
void auth_identify(struct lws *wsi, struct auth_req *r);

/* auth_recheck - 1 while r's session or token is still good (a /live
 * connection is checked again now and then: logout, expiry, a password
 * change, a revoked token or a removed user end it). Renews the session
 * like any use. */
int auth_recheck(struct auth_req *r);

/* auth_origin_ok - 1 when the request may change something or open
 * /live: its Origin is the server's own (scheme://Host), or it has no
 * Origin and uses a bearer token (not a browser). 0 otherwise. */
int auth_origin_ok(struct lws *wsi, const struct auth_req *r);

/* auth_set_current, auth_current - the request being answered now (set
 * by web.c around each API call), so handlers can check roles and say who
 * did something. auth_current never returns NULL (anonymous outside a
 * request). */
void auth_set_current(const struct auth_req *r);
const struct auth_req *auth_current(void);
/* auth_who_label - who did it, for the audit trail and "by" fields: the
 * user's name, "token:NAME", or "" when anonymous. */
const char *auth_who_label(void);

/* A login whose password is checked off the loop: argon2id costs about
 * 0.1 s of a core, too long to hold up everything else. */
struct auth_pending {
	char user[AUTHDB_NAME_SIZE];
	char password[AUTHDB_PASSWORD_MAX + 1];
	char hash[AUTHDB_HASH_SIZE];
	int role, found, ok;
};

/* auth_login_begin - POST /api/session, on the loop: check the throttle
 * and read the user's hash into p. Returns 0 when p must now go through
 * auth_verify (any thread) and then auth_login_end (loop); else the answer:
 * 429 (*retry_s set: slowed down), 401 (not a user name), 500. */
int auth_login_begin(struct auth_req *r, const char *user, const char *password, int *retry_s,
    struct auth_pending *p);
/* auth_verify - the password check; no shared state, any thread. */
void auth_verify(struct auth_pending *p);
/* auth_login_end - on the loop: count a failure, or start a session and
 * put its cookie in r->set_cookie. Returns 201, 401 or 500. Clears p's
 * secrets. */
int auth_login_end(struct auth_req *r, struct auth_pending *p);

/* auth_logout - DELETE /api/session: end r's session (if any) and clear
 * the cookie. */
void auth_logout(struct auth_req *r);

/* auth_audit - record an action by the current requester (see authdb_audit). */
void auth_audit(const char *action, const char *target, const char *detail);

/* auth_tick - once a second: forget old throttle entries; prune expired
 * sessions now and then. */
void auth_tick(void);

#endif
