/* accounts - sessions, users, tokens and the audit trail over HTTP (see
 * accounts.h). Request bodies are parsed with jansson; answers are built
 * in a jbuf. */
#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "api.h"
#include "db.h"
#include "log.h"
#include "problem.h"
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

/* accounts_body - parse body as a JSON object; NULL (and a 400/415 in
 * out) when it is not one. */
static json_t *
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
static const char *
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

static int
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

static int
accounts_405(struct accounts_out *ao, struct jbuf *out, const char *allow)
{
	util_strlcpy(ao->allow, allow, sizeof(ao->allow));
	return problem_json(out, 405, "method not allowed here");
}

/* ---- /api/session ---- */

static void
accounts_session_json(struct jbuf *out, const struct auth_req *r)
{
	jbuf_add(out, "{\"user\":");
	jbuf_str(out, r->who.name);
	jbuf_add(out, ",\"role\":\"%s\",\"kind\":\"%s\"", authdb_role_name(r->who.role),
	    r->who.kind == AUTHDB_TOKEN ? "token" : "session");
	if (r->who.kind == AUTHDB_SESSION)
		jbuf_add(out, ",\"expires\":%lld", (long long)(r->who.expires_us / 1000));
	jbuf_add(out, ",\"_links\":{\"self\":{\"href\":\"/api/session\"},\"api\":{\"href\":\"/api\"}");
	if (r->who.kind == AUTHDB_SESSION)
		jbuf_add(out, ",\"logout\":{\"href\":\"/api/session\",\"method\":\"DELETE\"}");
	jbuf_add(out, "}}");
}

static int
accounts_session(const char *method, const char *body, size_t len, struct auth_req *r, struct jbuf *out,
    struct accounts_out *ao)
{
	const char *user, *pw;
	json_t *j;
	int bad = 0, status, retry;

	if (strcmp(method, "GET") == 0) {
		/* Nobody is a valid answer to "who am I" (the login page asks). */
		if (r->who.kind == AUTHDB_ANON) {
			jbuf_add(out, "{\"user\":null,\"role\":\"none\",\"kind\":\"none\",\"_links\":{\"self\":"
			    "{\"href\":\"/api/session\"},\"login\":{\"href\":\"/api/session\",\"method\":\"POST\"}}}");
			return 200;
		}
		accounts_session_json(out, r);
		return 200;
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
	accounts_session_json(out, r);
	return 201;
}

/* ---- /api/users ---- */

static void
accounts_user_json(struct jbuf *out, const struct authdb_user *u)
{
	jbuf_add(out, "{\"name\":");
	jbuf_str(out, u->name);
	jbuf_add(out, ",\"role\":\"%s\",\"created\":%lld,\"changed\":%lld,\"_links\":{\"self\":{\"href\":\"/api/users/",
	    authdb_role_name(u->role), (long long)(u->created_us / 1000), (long long)(u->changed_us / 1000));
	jbuf_add(out, "%s\"}}}", u->name); /* names are [A-Za-z0-9._@-]: nothing to escape */
}

struct accounts_list {
	struct jbuf *out;
	int n;
};

static void
accounts_user_item(const struct authdb_user *u, void *arg)
{
	struct accounts_list *l = arg;

	if (l->n++)
		jbuf_add(l->out, ",");
	accounts_user_json(l->out, u);
}

/* accounts_detail - {"role":"..."} style detail for the audit trail. */
static void
accounts_role_detail(char *buf, size_t len, int role)
{
	snprintf(buf, len, "{\"role\":\"%s\"}", authdb_role_name(role));
}

static int
accounts_users(struct lws *wsi, const char *method, const char *name, const char *body, size_t len, struct auth_req *r,
    struct jbuf *out, struct accounts_out *ao)
{
	struct authdb_user u;
	struct accounts_list l = { out, 0 };
	const char *uname, *role, *pw;
	int64_t now = (int64_t)util_now_us();
	int rc, status, bad = 0, rl = -1, self;
	char detail[64];
	json_t *j;

	self = name && r->who.kind == AUTHDB_SESSION && strcmp(r->who.name, name) == 0;
	if (name == NULL) {
		if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
			return status;
		if (strcmp(method, "GET") == 0) {
			jbuf_add(out, "{\"items\":[");
			if (authdb_users(db_handle(), accounts_user_item, &l) < 0)
				return problem_json(out, 500, "database error");
			jbuf_add(out, "],\"count\":%d,\"_links\":{\"self\":{\"href\":\"/api/users\"},"
			    "\"create\":{\"href\":\"/api/users\",\"method\":\"POST\"}}}", l.n);
			return 200;
		}
		if (strcmp(method, "POST") != 0)
			return accounts_405(ao, out, "GET, POST");
		if ((j = accounts_body(body, len, out, &status)) == NULL)
			return status;
		uname = accounts_str(j, "name", &bad);
		role = accounts_str(j, "role", &bad);
		pw = accounts_str(j, "password", &bad);
		if (bad || uname == NULL || role == NULL || pw == NULL) {
			json_decref(j);
			return problem_json(out, 400, "body: {\"name\", \"role\", \"password\"} (strings)");
		}
		if (!authdb_name_valid(uname) || (rl = authdb_role_parse(role)) < 0 || !authdb_password_ok(pw)) {
			json_decref(j);
			return problem_json(out, 422, "name: 1..63 of A-Z a-z 0-9 . _ @ -; role: admin, supervisor or "
			    "viewer; password: 8..256 characters");
		}
		rc = authdb_user_add(db_handle(), uname, rl, pw, now);
		if (rc == 0 && authdb_user_get(db_handle(), uname, &u) == 0) {
			accounts_role_detail(detail, sizeof(detail), rl);
			auth_audit("user_add", uname, detail);
			snprintf(ao->location, sizeof(ao->location), "/api/users/%s", uname);
			accounts_user_json(out, &u);
			json_decref(j);
			return 201;
		}
		json_decref(j);
		return rc == -EEXIST ? problem_json(out, 409, "a user by that name exists") :
		    problem_json(out, 500, "database error");
	}
	/* One user. Anyone may read and re-password themselves. */
	if (!self && (status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (r->who.kind == AUTHDB_ANON)
		return accounts_need(r, AUTHDB_VIEWER, out);
	if (!authdb_name_valid(name) || authdb_user_get(db_handle(), name, &u) != 0)
		return problem_json(out, 404, "no such user");
	if (strcmp(method, "GET") == 0) {
		accounts_user_json(out, &u);
		return 200;
	}
	if (strcmp(method, "DELETE") == 0) {
		if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
			return status;
		if (u.role == AUTHDB_ADMIN && authdb_count_role(db_handle(), AUTHDB_ADMIN) <= 1)
			return problem_json(out, 409, "the last admin cannot be deleted");
		if (authdb_user_del(db_handle(), name) != 0)
			return problem_json(out, 500, "database error");
		auth_audit("user_del", name, NULL);
		return 204;
	}
	if (strcmp(method, "PATCH") != 0)
		return accounts_405(ao, out, "GET, PATCH, DELETE");
	{
		/* If-Match: change it only if it is still what the client saw. */
		char im[256], tag[REST_ETAG_SIZE];
		struct jbuf cur;

		if (lws_hdr_copy(wsi, im, sizeof(im), WSI_TOKEN_HTTP_IF_MATCH) > 0) {
			jbuf_init(&cur, 0);
			accounts_user_json(&cur, &u);
			rest_etag(jbuf_text(&cur), cur.len, tag);
			jbuf_free(&cur);
			if (!rest_etag_match(im, tag))
				return problem_json(out, 412, "the user changed since (If-Match): read it again");
		}
	}
	if ((j = accounts_body(body, len, out, &status)) == NULL)
		return status;
	role = accounts_str(j, "role", &bad);
	pw = accounts_str(j, "password", &bad);
	if (bad || (role == NULL && pw == NULL) || json_object_size(j) != (size_t)((role != NULL) + (pw != NULL))) {
		json_decref(j);
		return problem_json(out, 400, "body: {\"role\"} and/or {\"password\"} (strings), nothing else");
	}
	if ((role && (rl = authdb_role_parse(role)) < 0) || (pw && !authdb_password_ok(pw))) {
		json_decref(j);
		return problem_json(out, 422, "role: admin, supervisor or viewer; password: 8..256 characters");
	}
	if (role && (status = accounts_need(r, AUTHDB_ADMIN, out)) != 0) {
		json_decref(j);
		return status;
	}
	if (role && u.role == AUTHDB_ADMIN && rl != AUTHDB_ADMIN &&
	    authdb_count_role(db_handle(), AUTHDB_ADMIN) <= 1) {
		json_decref(j);
		return problem_json(out, 409, "the last admin keeps the admin role");
	}
	if (role) {
		if (authdb_user_set_role(db_handle(), name, rl, now) != 0) {
			json_decref(j);
			return problem_json(out, 500, "database error");
		}
		accounts_role_detail(detail, sizeof(detail), rl);
		auth_audit("user_role", name, detail);
	}
	if (pw) {
		if (authdb_user_passwd(db_handle(), name, pw, now) != 0) {
			json_decref(j);
			return problem_json(out, 500, "database error");
		}
		auth_audit("user_passwd", name, NULL);
	}
	json_decref(j);
	if (authdb_user_get(db_handle(), name, &u) != 0)
		return problem_json(out, 500, "database error");
	accounts_user_json(out, &u);
	return 200;
}

/* ---- /api/tokens ---- */

static void
accounts_token_json(struct jbuf *out, const struct authdb_token *t)
{
	jbuf_add(out, "{\"id\":%lld,\"name\":", (long long)t->id);
	jbuf_str(out, t->name);
	jbuf_add(out, ",\"role\":\"%s\",\"created_by\":", authdb_role_name(t->role));
	jbuf_str(out, t->created_by);
	jbuf_add(out, ",\"created\":%lld,\"last_used\":", (long long)(t->created_us / 1000));
	if (t->last_used_us)
		jbuf_add(out, "%lld", (long long)(t->last_used_us / 1000));
	else
		jbuf_add(out, "null");
	jbuf_add(out, ",\"revoked\":");
	if (t->revoked_us)
		jbuf_add(out, "%lld", (long long)(t->revoked_us / 1000));
	else
		jbuf_add(out, "null");
	jbuf_add(out, ",\"active\":%s,\"_links\":{\"self\":{\"href\":\"/api/tokens/%lld\"}",
	    t->revoked_us ? "false" : "true", (long long)t->id);
	if (!t->revoked_us)
		jbuf_add(out, ",\"revoke\":{\"href\":\"/api/tokens/%lld\",\"method\":\"DELETE\"}", (long long)t->id);
	jbuf_add(out, "}}");
}

static void
accounts_token_item(const struct authdb_token *t, void *arg)
{
	struct accounts_list *l = arg;

	if (l->n++)
		jbuf_add(l->out, ",");
	accounts_token_json(l->out, t);
}

static int
accounts_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s == NULL || *s < '1' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*id = v;
	return 0;
}

static int
accounts_tokens(const char *method, const char *idstr, const char *body, size_t len, struct auth_req *r,
    struct jbuf *out, struct accounts_out *ao)
{
	struct accounts_list l = { out, 0 };
	struct authdb_token t;
	char tok[AUTHDB_SECRET_SIZE], target[24], detail[128];
	const char *name, *role;
	int64_t id, now = (int64_t)util_now_us();
	int status, bad = 0, rl;
	json_t *j;

	if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (idstr == NULL) {
		if (strcmp(method, "GET") == 0) {
			jbuf_add(out, "{\"items\":[");
			if (authdb_tokens(db_handle(), accounts_token_item, &l) < 0)
				return problem_json(out, 500, "database error");
			jbuf_add(out, "],\"count\":%d,\"_links\":{\"self\":{\"href\":\"/api/tokens\"},"
			    "\"create\":{\"href\":\"/api/tokens\",\"method\":\"POST\"}}}", l.n);
			return 200;
		}
		if (strcmp(method, "POST") != 0)
			return accounts_405(ao, out, "GET, POST");
		if ((j = accounts_body(body, len, out, &status)) == NULL)
			return status;
		name = accounts_str(j, "name", &bad);
		role = accounts_str(j, "role", &bad);
		if (bad || name == NULL || role == NULL) {
			json_decref(j);
			return problem_json(out, 400, "body: {\"name\", \"role\"} (strings)");
		}
		if (!authdb_name_valid(name) || (rl = authdb_role_parse(role)) < 0) {
			json_decref(j);
			return problem_json(out, 422, "name: 1..63 of A-Z a-z 0-9 . _ @ -; role: admin, supervisor or viewer");
		}
		if ((id = authdb_token_add(db_handle(), name, rl, auth_who_label(), now, tok)) <= 0 ||
		    authdb_token_get(db_handle(), id, &t) != 0) {
			json_decref(j);
			return problem_json(out, 500, "database error");
		}
		snprintf(target, sizeof(target), "%lld", (long long)id);
		snprintf(detail, sizeof(detail), "{\"name\":\"%s\",\"role\":\"%s\"}", name, authdb_role_name(rl));
		json_decref(j);
		auth_audit("token_add", target, detail);
		snprintf(ao->location, sizeof(ao->location), "/api/tokens/%lld", (long long)id);
		accounts_token_json(out, &t);
		/* The one time the secret is shown: splice it into the item. */
		jbuf_truncate(out, out->len - 1);
		jbuf_add(out, ",\"token\":\"%s\"}", tok);
		memset(tok, 0, sizeof(tok));
		return 201;
	}
	if (accounts_id(idstr, &id) != 0 || authdb_token_get(db_handle(), id, &t) != 0)
		return problem_json(out, 404, "no such token");
	if (strcmp(method, "GET") == 0) {
		accounts_token_json(out, &t);
		return 200;
	}
	if (strcmp(method, "DELETE") != 0)
		return accounts_405(ao, out, "GET, DELETE");
	if (authdb_token_revoke(db_handle(), id, now) != 0)
		return problem_json(out, 500, "database error");
	if (!t.revoked_us)
		auth_audit("token_revoke", idstr, NULL);
	return 204;
}

/* ---- /api/audit ---- */

static void
accounts_audit_row(struct jbuf *out, sqlite3_stmt *st)
{
	const char *detail = (const char *)sqlite3_column_text(st, 5);
	long long id = sqlite3_column_int64(st, 0);

	jbuf_add(out, "{\"id\":%lld,\"at\":%lld,\"who\":", id, (long long)(sqlite3_column_int64(st, 1) / 1000));
	jbuf_str(out, (const char *)sqlite3_column_text(st, 2));
	jbuf_add(out, ",\"action\":");
	jbuf_str(out, (const char *)sqlite3_column_text(st, 3));
	jbuf_add(out, ",\"target\":");
	jbuf_str(out, (const char *)sqlite3_column_text(st, 4));
	jbuf_add(out, ",\"detail\":");
	/* Written by us as an object; anything else is shown as null. */
	if (detail && detail[0] == '{' && detail[strlen(detail) - 1] == '}')
		jbuf_add(out, "%s", detail);
	else
		jbuf_add(out, "null");
	jbuf_add(out, ",\"addr\":");
	jbuf_str(out, (const char *)sqlite3_column_text(st, 6));
	jbuf_add(out, ",\"_links\":{\"self\":{\"href\":\"/api/audit/%lld\"}}}", id);
}

static int
accounts_audit(struct lws *wsi, const char *method, const char *idstr, struct auth_req *r, struct jbuf *out,
    struct accounts_out *ao)
{
	char b1[32], b2[32], b3[64], b4[96];
	const char *action, *who, *v;
	sqlite3_stmt *st;
	int64_t id, before = 0, limit = 100, last = 0;
	int status, rc, n = 0;

	if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (strcmp(method, "GET") != 0)
		return accounts_405(ao, out, "GET");
	if (idstr && accounts_id(idstr, &id) != 0)
		return problem_json(out, 404, "no such audit entry");
	if (idstr == NULL) {
		if ((v = api_arg(wsi, "limit", b1, sizeof(b1))) != NULL &&
		    (accounts_id(v, &limit) != 0 || limit > 500))
			return problem_json(out, 400, "limit: 1..500");
		if ((v = api_arg(wsi, "before", b2, sizeof(b2))) != NULL && accounts_id(v, &before) != 0)
			return problem_json(out, 400, "before: an audit entry id");
	}
	action = idstr ? NULL : api_arg(wsi, "action", b3, sizeof(b3));
	who = idstr ? NULL : api_arg(wsi, "who", b4, sizeof(b4));
	if (sqlite3_prepare_v2(db_handle(), "SELECT id, at_us, who, action, target, detail, addr FROM audit"
	    " WHERE (?1 = 0 OR id = ?1) AND (?2 = 0 OR id < ?2) AND (?3 IS NULL OR action = ?3)"
	    " AND (?4 IS NULL OR who = ?4) ORDER BY id DESC LIMIT ?5", -1, &st, NULL) != SQLITE_OK)
		return problem_json(out, 500, "database error");
	sqlite3_bind_int64(st, 1, idstr ? id : 0);
	sqlite3_bind_int64(st, 2, before);
	if (action)
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	if (who)
		sqlite3_bind_text(st, 4, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, idstr ? 1 : limit);
	if (idstr == NULL)
		jbuf_add(out, "{\"items\":[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++)
			jbuf_add(out, ",");
		accounts_audit_row(out, st);
		last = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return problem_json(out, 500, "database error");
	if (idstr)
		return n ? 200 : problem_json(out, 404, "no such audit entry");
	jbuf_add(out, "],\"count\":%d,\"_links\":{\"self\":{\"href\":\"/api/audit\"}", n);
	if (n == limit)
		jbuf_add(out, ",\"next\":{\"href\":\"/api/audit?before=%lld&limit=%lld\"}", (long long)last,
		    (long long)limit);
	jbuf_add(out, "}}");
	return 200;
}

int
accounts_handle(struct lws *wsi, const char *method, const char *path, const char *body, size_t len,
    struct auth_req *r, struct jbuf *out, struct accounts_out *ao)
{
	const char *rest;

	memset(ao, 0, sizeof(*ao));
	if (strcmp(path, "/api/session") == 0)
		return accounts_session(method, body, len, r, out, ao);
	if (accounts_starts(path, "/api/users", &rest)) {
		if (rest && strchr(rest, '/'))
			return problem_json(out, 404, "no such resource");
		return accounts_users(wsi, method, rest, body, len, r, out, ao);
	}
	if (accounts_starts(path, "/api/tokens", &rest)) {
		if (rest && strchr(rest, '/'))
			return problem_json(out, 404, "no such resource");
		return accounts_tokens(method, rest, body, len, r, out, ao);
	}
	if (accounts_starts(path, "/api/audit", &rest)) {
		if (rest && strchr(rest, '/'))
			return problem_json(out, 404, "no such resource");
		return accounts_audit(wsi, method, rest, r, out, ao);
	}
	return problem_json(out, 404, "no such API");
}
