/* accounts_user - /api/users and /api/users/NAME over HTTP (see
 * accounts.h for the resources): the users, their roles and passwords.
 * Loop thread only. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "accounts_user.h"
#include "db.h"
#include "problem.h"
#include "rest.h"
#include "util.h"

static json_t *
accounts_user_json(const struct authdb_user *u)
{
	char href[96];

	snprintf(href, sizeof(href), "/api/users/%s", u->name);
	return json_pack("{s:s, s:s, s:I, s:I, s:{s:o}}", "name", u->name, "role", authdb_role_name(u->role),
	    "created", (json_int_t)(u->created_us / 1000), "changed", (json_int_t)(u->changed_us / 1000),
	    "_links", "self", accounts_link(href, NULL));
}

static void
accounts_user_item(const struct authdb_user *u, void *arg)
{
	json_array_append_new(arg, accounts_user_json(u));
}

/* accounts_role_audit - the audit entry of a role given to name */
static void
accounts_role_audit(const char *action, const char *name, int role)
{
	char *d;
	json_t *o = json_pack("{s:s}", "role", authdb_role_name(role));

	d = o ? json_dumps(o, JSON_COMPACT) : NULL;
	auth_audit(action, name, d);
	free(d);
	json_decref(o);
}

/* accounts_user_hash - pw's argon2id string when this pass has it (web.c
 * hashed it in the pool and asked again), else NULL with the hash asked
 * for: the handler answers 0 (argon2 costs ~150 ms, too long for the loop
 * thread). Nothing is changed before a hash is in. */
static const char *
accounts_user_hash(struct accounts_out *ao, const char *pw)
{
	if (ao->pw.hash[0] && strcmp(ao->pw.password, pw) == 0)
		return ao->pw.hash;
	ao->pw.want = 1;
	util_strlcpy(ao->pw.password, pw, sizeof(ao->pw.password));
	ao->pw.hash[0] = '\0';
	return NULL;
}

/* accounts_user_add - POST /api/users {"name","role","password"} */
static int
accounts_user_add(const char *body, size_t len, struct jbuf *out, struct accounts_out *ao)
{
	const char *uname, *role, *pw, *hash;
	struct authdb_user u;
	int status, bad = 0, rl = -1, rc;
	json_t *j;

	if ((j = accounts_body(body, len, out, &status)) == NULL)
		return status;
	uname = accounts_str(j, "name", &bad);
	role = accounts_str(j, "role", &bad);
	pw = accounts_str(j, "password", &bad);
	if (bad || uname == NULL || role == NULL || pw == NULL)
		status = problem_json(out, 400, "body: {\"name\", \"role\", \"password\"} (strings)");
	else if (!authdb_name_valid(uname) || (rl = authdb_role_parse(role)) < 0 || !authdb_password_ok(pw))
		status = problem_json(out, 422, "name: 1..63 of A-Z a-z 0-9 . _ @ -; role: admin, supervisor or "
		    "viewer; password: 8..256 characters");
	else if (authdb_user_get(db_handle(), uname, NULL) == 0)
		status = problem_json(out, 409, "a user by that name exists");
	else if ((hash = accounts_user_hash(ao, pw)) == NULL)
		status = 0;
	else if ((rc = authdb_user_add_hashed(db_handle(), uname, rl, hash, (int64_t)util_now_us())) != 0 ||
	    authdb_user_get(db_handle(), uname, &u) != 0)
		status = rc == -EEXIST ? problem_json(out, 409, "a user by that name exists") :
		    problem_json(out, 500, "database error");
	else {
		accounts_role_audit("user_add", uname, rl);
		snprintf(ao->location, sizeof(ao->location), "/api/users/%s", uname);
		status = accounts_reply(out, 201, accounts_user_json(&u));
	}
	json_decref(j);
	return status;
}

/* accounts_user_changed - If-Match im: 0 when the client saw user u as
 * it is (or did not say), else the 412 answer's status */
static int
accounts_user_changed(const char *im, const struct authdb_user *u, struct jbuf *out)
{
	char tag[REST_ETAG_SIZE];
	struct jbuf cur;

	if (im[0] == '\0')
		return 0;
	jbuf_init(&cur, 0);
	jbuf_json(&cur, accounts_user_json(u));
	rest_etag(jbuf_text(&cur), cur.len, tag);
	jbuf_free(&cur);
	return rest_etag_match(im, tag) ? 0 : problem_json(out, 412, "the user changed since (If-Match): read it again");
}

/* accounts_user_patch - PATCH /api/users/NAME {"role"} and/or {"password"} */
static int
accounts_user_patch(const struct authdb_user *u, json_t *j, struct auth_req *r, struct jbuf *out,
    struct accounts_out *ao)
{
	int64_t now = (int64_t)util_now_us();
	const char *role, *pw, *hash = NULL;
	int bad = 0, rl = -1, status;

	role = accounts_str(j, "role", &bad);
	pw = accounts_str(j, "password", &bad);
	if (bad || (role == NULL && pw == NULL) || json_object_size(j) != (size_t)((role != NULL) + (pw != NULL)))
		return problem_json(out, 400, "body: {\"role\"} and/or {\"password\"} (strings), nothing else");
	if ((role && (rl = authdb_role_parse(role)) < 0) || (pw && !authdb_password_ok(pw)))
		return problem_json(out, 422, "role: admin, supervisor or viewer; password: 8..256 characters");
	if (role && (status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (pw && (hash = accounts_user_hash(ao, pw)) == NULL)
		return 0;
	if (role) {
		if ((status = authdb_user_set_role(db_handle(), u->name, rl, now)) == -EPERM)
			return problem_json(out, 409, "the last admin keeps the admin role");
		if (status != 0)   /* -ENOENT: deleted meanwhile (gatewatch user del) */
			return problem_json(out, status == -ENOENT ? 404 : 500, status == -ENOENT ? "no such user" :
			    "database error");
		accounts_role_audit("user_role", u->name, rl);
	}
	if (pw) {
		if ((status = authdb_user_passwd_hashed(db_handle(), u->name, hash, now)) != 0)
			return problem_json(out, status == -ENOENT ? 404 : 500, status == -ENOENT ? "no such user" :
			    "database error");
		auth_audit("user_passwd", u->name, NULL);
	}
	return 200;
}

/* accounts_user - GET, PATCH, DELETE /api/users/NAME. Anyone may read and
 * re-password themselves. */
static int
accounts_user(const char *im, const char *method, const char *name, const char *body, size_t len,
    struct auth_req *r, struct jbuf *out, struct accounts_out *ao)
{
	int self = r->who.kind == AUTHDB_SESSION && strcmp(r->who.name, name) == 0, status;
	struct authdb_user u;
	json_t *j;

	if (!self && (status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (r->who.kind == AUTHDB_ANON)
		return accounts_need(r, AUTHDB_VIEWER, out);
	if (!authdb_name_valid(name) || authdb_user_get(db_handle(), name, &u) != 0)
		return problem_json(out, 404, "no such user");
	if (strcmp(method, "GET") == 0)
		return accounts_reply(out, 200, accounts_user_json(&u));
	if (strcmp(method, "DELETE") == 0) {
		if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
			return status;
		if ((status = authdb_user_del(db_handle(), name)) == -EPERM)
			return problem_json(out, 409, "the last admin cannot be deleted");
		if (status != 0)
			return problem_json(out, status == -ENOENT ? 404 : 500, status == -ENOENT ? "no such user" :
			    "database error");
		auth_audit("user_del", name, NULL);
		return 204;
	}
	if (strcmp(method, "PATCH") != 0)
		return accounts_405(ao, out, "GET, PATCH, DELETE");
	if ((status = accounts_user_changed(im, &u, out)) != 0)
		return status;
	if ((j = accounts_body(body, len, out, &status)) == NULL)
		return status;
	status = accounts_user_patch(&u, j, r, out, ao);
	json_decref(j);
	if (status != 200)
		return status;
	if (authdb_user_get(db_handle(), name, &u) != 0)
		return problem_json(out, 500, "database error");
	return accounts_reply(out, 200, accounts_user_json(&u));
}

int
accounts_users(const char *im, const char *method, const char *name, const char *body, size_t len, struct auth_req *r,
    struct jbuf *out, struct accounts_out *ao)
{
	json_t *items;
	int status;

	if (name != NULL)
		return accounts_user(im, method, name, body, len, r, out, ao);
	if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (strcmp(method, "POST") == 0)
		return accounts_user_add(body, len, out, ao);
	if (strcmp(method, "GET") != 0)
		return accounts_405(ao, out, "GET, POST");
	items = json_array();
	return accounts_list(out, items ? authdb_users(db_handle(), accounts_user_item, items) : -ENOMEM, items,
	    "/api/users");
}
