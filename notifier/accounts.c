/* accounts - sessions, users, tokens and the audit trail over HTTP (see
 * accounts.h). Bodies are parsed with jansson; answers built in a jbuf. */
#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "accounts_cam.h"
#include "accounts_user.h"
#include "api.h"
#include "db.h"
#include "log.h"
#include "problem.h"
#include "query.h"
#include "rest.h"
#include "util.h"

static int
accounts_starts(const char *path, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0)
		return 0;
	if (path[n] == '\0') {
		*rest = NULL;
		return 1;
	}
	if (path[n] == '/' && path[n + 1]) {
		*rest = path + n + 1;
		return 1;
	}
	return 0;
}

int
accounts_owns(const char *path)
{
	const char *rest;

	return strcmp(path, "/api/session") == 0 || accounts_starts(path, "/api/users", &rest) ||
	    accounts_starts(path, "/api/tokens", &rest) || accounts_starts(path, "/api/audit", &rest);
}

int
accounts_owns_method(const char *method, const char *path)
{
	return accounts_owns(path) || (strcmp(method, "GET") != 0 && accounts_cam_owns(path));
}

/* accounts_body - parse body as a JSON object; NULL (and a 400/415 in
 * out) when it is not one. */
json_t *
accounts_body(const char *body, size_t len, struct jbuf *out, int *status)
{
	json_error_t e;
	json_t *j;
	char msg[200];

	if (len == 0) {
		*status = problem_json(out, 400, "a JSON object body is needed");
		return NULL;
	}
	if ((j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e)) == NULL || !json_is_object(j)) {
		snprintf(msg, sizeof(msg), "body: not a JSON object%s%s", j ? "" : ": ", j ? "" : e.text);
		json_decref(j);
		*status = problem_json(out, 400, msg);
		return NULL;
	}
	return j;
}

/* accounts_str - member key of j as a string, NULL if absent; sets *bad
 * when present but not a string. */
const char *
accounts_str(json_t *j, const char *key, int *bad)
{
	json_t *v = json_object_get(j, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

int
accounts_need(const struct auth_req *r, int role, struct jbuf *out)
{
	if (r->who.kind == AUTHDB_ANON)
		return problem_json(out, 401, "log in first (POST /api/session) or send a bearer token");
	if (r->who.role < role) {
		char msg[128];

		snprintf(msg, sizeof(msg), "needs the %s role (you are %s)", authdb_role_name(role),
		    authdb_role_name(r->who.role));
		return problem_json(out, 403, msg);
	}
	return 0;
}

int
accounts_405(struct accounts_out *ao, struct jbuf *out, const char *allow)
{
	util_strlcpy(ao->allow, allow, sizeof(ao->allow));
	return problem_json(out, 405, "method not allowed here");
}

/* ---- /api/session ---- */

/* accounts_link - {"href": href} (and "method" unless NULL) */
json_t *
accounts_link(const char *href, const char *method)
{
	return method ? json_pack("{s:s, s:s}", "href", href, "method", method) : json_pack("{s:s}", "href", href);
}

static json_t *
accounts_session_json(const struct auth_req *r)
{
	json_t *o, *links;

	if (r->who.kind == AUTHDB_ANON) /* nobody is a valid answer to "who am I" (the login page asks) */
		return json_pack("{s:n, s:s, s:s, s:{s:o, s:o}}", "user", "role", "none", "kind", "none", "_links",
		    "self", accounts_link("/api/session", NULL), "login", accounts_link("/api/session", "POST"));
	links = json_pack("{s:o, s:o}", "self", accounts_link("/api/session", NULL), "api", accounts_link("/api", NULL));
	if (r->who.kind == AUTHDB_SESSION)
		json_object_set_new(links, "logout", accounts_link("/api/session", "DELETE"));
	o = json_pack("{s:s, s:s, s:s}", "user", r->who.name, "role", authdb_role_name(r->who.role),
	    "kind", r->who.kind == AUTHDB_TOKEN ? "token" : "session");
	if (o && r->who.kind == AUTHDB_SESSION)
		json_object_set_new(o, "expires", json_integer(r->who.expires_us / 1000));
	if (o == NULL || links == NULL || json_object_set_new(o, "_links", links) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* accounts_reply - v (reference taken) as the answer with status, or 500 */
int
accounts_reply(struct jbuf *out, int status, json_t *v)
{
	return jbuf_json(out, v) == 0 ? status : problem_json(out, 500, "out of memory");
}

static int
accounts_session(const char *method, const char *body, size_t len, struct auth_req *r, struct jbuf *out,
    struct accounts_out *ao)
{
	const char *user, *pw;
	json_t *j;
	int bad = 0, status, retry;

	if (strcmp(method, "GET") == 0) {
		return accounts_reply(out, 200, accounts_session_json(r));
	}
	if (strcmp(method, "DELETE") == 0) {
		auth_logout(r);
		return 204;
	}
	if (strcmp(method, "POST") != 0)
		return accounts_405(ao, out, "GET, POST, DELETE");
	if ((j = accounts_body(body, len, out, &status)) == NULL)
		return status;
	user = accounts_str(j, "user", &bad);
	pw = accounts_str(j, "password", &bad);
	if (bad || user == NULL || pw == NULL) {
		json_decref(j);
		return problem_json(out, 400, "body: {\"user\": NAME, \"password\": PASSWORD}");
	}
	if ((ao->pending = calloc(1, sizeof(*ao->pending))) == NULL) {
		json_decref(j);
		return problem_json(out, 500, "out of memory");
	}
	status = auth_login_begin(r, user, pw, &retry, ao->pending);
	json_decref(j);
	if (status == 0)
		return 0;   /* web.c checks the password off the loop */
	free(ao->pending);
	ao->pending = NULL;
	if (status == 429) {
		ao->retry_after = retry;
		return problem_json(out, 429, "too many failed logins: wait and try again");
	}
	if (status == 401)
		return problem_json(out, 401, "wrong user or password");
	return problem_json(out, 500, "database error");
}

int
accounts_login_done(struct auth_req *r, struct auth_pending *p, struct jbuf *out, struct accounts_out *ao)
{
	int status = auth_login_end(r, p);

	memset(p, 0, sizeof(*p));
	free(p);
	memset(ao, 0, sizeof(*ao));
	if (status == 401)
		return problem_json(out, 401, "wrong user or password");
	if (status != 201)
		return problem_json(out, 500, "database error");
	util_strlcpy(ao->location, "/api/session", sizeof(ao->location));
	return accounts_reply(out, 201, accounts_session_json(r));
}

/* ---- lists ---- */

/* accounts_list - the whole list (accounts_whole) {"items","count","_links":{"self","create"}}
 * of items (reference taken), which their listing returned rc for (< 0: a 500) */
int
accounts_list(struct jbuf *out, int rc, json_t *items, const char *href)
{
	if (items == NULL || rc < 0) {
		json_decref(items);
		return problem_json(out, 500, "database error");
	}
	return accounts_reply(out, 200, json_pack("{s:o, s:I, s:{s:o, s:o}}", "items", items, "count",
	    (json_int_t)json_array_size(items), "_links", "self", accounts_link(href, NULL), "create",
	    accounts_link(href, "POST")));
}

/* ---- /api/tokens ---- */

static json_t *
accounts_token_json(const struct authdb_token *t)
{
	char href[48];
	json_t *links;

	snprintf(href, sizeof(href), "/api/tokens/%lld", (long long)t->id);
	links = json_pack("{s:o}", "self", accounts_link(href, NULL));
	if (links && !t->revoked_us)
		json_object_set_new(links, "revoke", accounts_link(href, "DELETE"));
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:o, s:o, s:b, s:o}", "id", (json_int_t)t->id, "name", t->name,
	    "role", authdb_role_name(t->role), "created_by", t->created_by, "created", (json_int_t)(t->created_us / 1000),
	    "last_used", t->last_used_us ? json_integer(t->last_used_us / 1000) : json_null(),
	    "revoked", t->revoked_us ? json_integer(t->revoked_us / 1000) : json_null(), "active", !t->revoked_us,
	    "_links", links);
}

static void
accounts_token_item(const struct authdb_token *t, void *arg)
{
	json_array_append_new(arg, accounts_token_json(t));
}

static int
accounts_id(const char *s, int64_t *id)
{
	long long v;

	if (s == NULL || *s == '0' || api_int(s, 1, INT64_MAX, &v) != 0)
		return -1;
	*id = v;
	return 0;
}

/* accounts_token_add - POST /api/tokens {"name","role"}: the answer is
 * the one time the secret is shown */
static int
accounts_token_add(const char *body, size_t len, struct jbuf *out, struct accounts_out *ao)
{
	char tok[AUTHDB_SECRET_SIZE], target[24], *d = NULL;
	struct authdb_token t;
	const char *name, *role;
	int status, bad = 0, rl = -1;
	json_t *j, *item;
	int64_t id;

	if ((j = accounts_body(body, len, out, &status)) == NULL)
		return status;
	name = accounts_str(j, "name", &bad);
	role = accounts_str(j, "role", &bad);
	if (bad || name == NULL || role == NULL)
		status = problem_json(out, 400, "body: {\"name\", \"role\"} (strings)");
	else if (!authdb_name_valid(name) || (rl = authdb_role_parse(role)) < 0)
		status = problem_json(out, 422, "name: 1..63 of A-Z a-z 0-9 . _ @ -; role: admin, supervisor or viewer");
	else if ((id = authdb_token_add(db_handle(), name, rl, auth_who_label(), (int64_t)util_now_us(), tok)) <= 0 ||
	    authdb_token_get(db_handle(), id, &t) != 0)
		status = problem_json(out, 500, "database error");
	else {
		snprintf(target, sizeof(target), "%lld", (long long)id);
		item = json_pack("{s:s, s:s}", "name", name, "role", authdb_role_name(rl));
		d = item ? json_dumps(item, JSON_COMPACT) : NULL;
		json_decref(item);
		auth_audit("token_add", target, d);
		free(d);
		snprintf(ao->location, sizeof(ao->location), "/api/tokens/%lld", (long long)id);
		if ((item = accounts_token_json(&t)) != NULL)
			json_object_set_new(item, "token", json_string(tok));
		memset(tok, 0, sizeof(tok));
		status = accounts_reply(out, 201, item);
	}
	json_decref(j);
	return status;
}

static int
accounts_tokens(const char *method, const char *idstr, const char *body, size_t len, struct auth_req *r,
    struct jbuf *out, struct accounts_out *ao)
{
	struct authdb_token t;
	json_t *items;
	int64_t id;
	int status;

	if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (idstr == NULL) {
		if (strcmp(method, "POST") == 0)
			return accounts_token_add(body, len, out, ao);
		if (strcmp(method, "GET") != 0)
			return accounts_405(ao, out, "GET, POST");
		items = json_array();
		return accounts_list(out, items ? authdb_tokens(db_handle(), accounts_token_item, items) : -ENOMEM,
		    items, "/api/tokens");
	}
	if (accounts_id(idstr, &id) != 0 || authdb_token_get(db_handle(), id, &t) != 0)
		return problem_json(out, 404, "no such token");
	if (strcmp(method, "GET") == 0)
		return accounts_reply(out, 200, accounts_token_json(&t));
	if (strcmp(method, "DELETE") != 0)
		return accounts_405(ao, out, "GET, DELETE");
	if (authdb_token_revoke(db_handle(), id, (int64_t)util_now_us()) != 0)
		return problem_json(out, 500, "database error");
	if (!t.revoked_us)
		auth_audit("token_revoke", idstr, NULL);
	return 204;
}

/* ---- /api/audit ---- */

/* accounts_audit_read - GET /api/audit, off the loop (webjob.h): a filter by action or who has no
 * index and scans the whole trail, which grows with every login and is never pruned. A full page's
 * _links.next is also its Link rel="next" header, the paging every list shares (/api/tracks). */
static int
accounts_audit_read(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen)
{
	json_t *j = query_audit(db, arg);
	const char *next;

	if (j == NULL)
		return api_db_error(db, "api audit", out);
	if (json_is_null(j))
		return problem_json(out, 404, "no such audit entry");
	if ((next = json_string_value(json_object_get(json_object_get(json_object_get(j, "_links"), "next"), "href"))))
		snprintf(link, linklen, "<%s>; rel=\"next\"", next);
	return accounts_reply(out, 200, j);
}

static int
accounts_audit(struct lws *wsi, const char *method, const char *idstr, struct auth_req *r, struct jbuf *out,
    struct accounts_out *ao, struct api_read *rd)
{
	struct query_audit q = { .limit = 50 };
	char b1[32], b2[32], b3[64], b4[96];
	const char *v;
	int status;

	if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (strcmp(method, "GET") != 0)
		return accounts_405(ao, out, "GET");
	if (idstr && accounts_id(idstr, &q.id) != 0)
		return problem_json(out, 404, "no such audit entry");
	if (idstr == NULL) {
		if ((v = api_arg(wsi, "limit", b1, sizeof(b1))) != NULL &&
		    (accounts_id(v, &q.limit) != 0 || q.limit > 500))
			return problem_json(out, 400, "limit: 1..500");
		if ((v = api_arg(wsi, "before", b2, sizeof(b2))) != NULL && accounts_id(v, &q.before) != 0)
			return problem_json(out, 400, "before: an audit entry id");
		if ((q.action = (v = api_arg(wsi, "action", b3, sizeof(b3))) != NULL))
			util_strlcpy(q.action_s, v, sizeof(q.action_s));  /* v points into b3, past "action=" */
		if ((q.who = (v = api_arg(wsi, "who", b4, sizeof(b4))) != NULL))
			util_strlcpy(q.who_s, v, sizeof(q.who_s));
	}
	return api_defer(rd, accounts_audit_read, &q, sizeof(q), out);
}

/* accounts_whole - 0 when a GET of a whole list (users, tokens: never paged) asks no paging, else 401/403/400 */
static int
accounts_whole(struct lws *wsi, const char *path, struct auth_req *r, struct jbuf *out)
{
	char b[32], msg[96];
	int status;

	if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0 ||
	    (api_arg(wsi, "limit", b, sizeof(b)) == NULL && api_arg(wsi, "before", b, sizeof(b)) == NULL))
		return status;
	snprintf(msg, sizeof(msg), "%s is not paged: it answers the whole list (no limit, no before)", path);
	return problem_json(out, 400, msg);
}

int
accounts_handle(struct lws *wsi, const char *method, const char *path, const char *if_match, const char *body,
    size_t len, struct auth_req *r, struct jbuf *out, struct accounts_out *ao, struct api_read *rd)
{
	const char *rest;
	int status;

	/* all but pw (last): a second pass has the password hashed in the pool */
	memset(ao, 0, offsetof(struct accounts_out, pw));
	if (strcmp(path, "/api/session") == 0)
		return accounts_session(method, body, len, r, out, ao);
	if (accounts_cam_owns(path))
		return accounts_cam_handle(if_match, method, path, body, len, r, out, ao);
	if (accounts_starts(path, "/api/users", &rest) || accounts_starts(path, "/api/tokens", &rest) ||
	    accounts_starts(path, "/api/audit", &rest)) {
		if (rest && strchr(rest, '/'))
			return problem_json(out, 404, "no such resource");
		if (path[5] == 'a')
			return accounts_audit(wsi, method, rest, r, out, ao, rd);
		if (rest == NULL && strcmp(method, "GET") == 0 && (status = accounts_whole(wsi, path, r, out)) != 0)
			return status;
		return path[5] == 'u' ? accounts_users(if_match, method, rest, body, len, r, out, ao) :
		    accounts_tokens(method, rest, body, len, r, out, ao);
	}
	return problem_json(out, 404, "no such API");
}
