/* accounts_cam - cameras added, changed, removed and given new tokens by
 * an admin (see accounts_cam.h). The database row is the truth (camdb.h);
 * the dashboard's list (cams.c) follows it at once. */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts_cam.h"
#include "api.h"
#include "camdb.h"
#include "cams.h"
#include "db.h"
#include "problem.h"
#include "rest.h"
#include "util.h"
#include "webpath.h"

int
accounts_cam_owns(const char *path)
{
	char id[CAMERA_ID_SIZE];
	const char *rest = webpath_camera(path, id);

	return strcmp(path, "/api/cameras") == 0 || (rest && (rest[0] == '\0' || strcmp(rest, "/token") == 0));
}

/* accounts_cam_answer - the camera as GET /api/cameras/ID gives it for
 * r, plus its new token when tok is not NULL; status on success */
static int
accounts_cam_answer(const char *id, const struct auth_req *r, const char *tok, int status, struct jbuf *out)
{
	json_t *j;
	int st = rest_camera(id, r->who.role, 0, out);

	if (st != 200 || tok == NULL)
		return st == 200 ? status : st;
	if ((j = json_loadb(jbuf_text(out), out->len, 0, NULL)) == NULL ||
	    json_object_set_new(j, "token", json_string(tok)) != 0 || rest_put(out, j) != 0) {
		json_decref(j);
		return problem_json(out, 500, "out of memory");
	}
	json_decref(j);
	return status;
}

/* accounts_cam_changed - If-Match im: 0 when the client saw camera id
 * as it is now (or did not say), else the 412 answer's status */
static int
accounts_cam_changed(const char *im, const char *id, const struct auth_req *r, struct jbuf *out)
{
	char tag[REST_ETAG_SIZE];
	struct jbuf cur;
	int st;

	if (im[0] == '\0')
		return 0;
	jbuf_init(&cur, 0);
	st = rest_camera(id, r->who.role, 0, &cur);
	rest_etag(jbuf_text(&cur), cur.len, tag);
	jbuf_free(&cur);
	if (st != 200)
		return problem_json(out, 404, "no such camera");
	return rest_etag_match(im, tag) ? 0 :
	    problem_json(out, 412, "the camera changed since (If-Match): read it again");
}

/* accounts_cam_fields - "name" and "mode" of body j; 0, or the answer's
 * status (400/422) */
static int
accounts_cam_fields(json_t *j, const char **name, int *mode, struct jbuf *out)
{
	const char *m;
	int bad = 0;

	*name = accounts_str(j, "name", &bad);
	m = accounts_str(j, "mode", &bad);
	if (bad)
		return problem_json(out, 400, "name and mode are strings");
	if ((*name && !camdb_name_ok(*name)) || (m && (*mode = camdb_mode_parse(m)) < 0))
		return problem_json(out, 422, "name: 1..63 bytes of UTF-8 without control characters; mode: gate or indoor");
	if (m == NULL)
		*mode = -1;
	return 0;
}

/* accounts_cam_add - POST /api/cameras {"id","name"?,"mode"?} */
static int
accounts_cam_add(const char *body, size_t len, const struct auth_req *r, struct jbuf *out, struct accounts_out *ao)
{
	char tok[AUTHDB_SECRET_SIZE];
	struct camdb_camera cc;
	const char *id, *name;
	int status, bad = 0, mode, rc;
	json_t *j;

	if ((j = accounts_body(body, len, out, &status)) == NULL)
		return status;
	id = accounts_str(j, "id", &bad);
	if (bad || id == NULL)
		status = problem_json(out, 400, "body: {\"id\", \"name\"?, \"mode\"?} (strings)");
	else if (!util_camera_id_valid(id))
		status = problem_json(out, 422, "id: 1..31 of A-Z a-z 0-9 _ -");
	else if ((status = accounts_cam_fields(j, &name, &mode, out)) != 0)
		;
	else if (camdb_get(db_handle(), id, NULL) == 0)
		status = problem_json(out, 409, "a camera with that id exists");
	else if (camdb_list(db_handle(), NULL, NULL) >= CONFIG_CAMERAS_MAX)
		status = problem_json(out, 409, "there are as many cameras as there may be (64): remove one first");
	else if ((rc = camdb_add(db_handle(), id, name ? name : id, mode < 0 ? CONFIG_MODE_GATE : mode,
	    (int64_t)util_now_us(), tok)) != 0 || camdb_get(db_handle(), id, &cc) != 0)
		status = rc == -EEXIST ? problem_json(out, 409, "a camera with that id exists") :
		    problem_json(out, 500, "database error");
	else {
		cams_set(&cc);
		api_audit("camera_add", id, json_pack("{s:s, s:s}", "name", cc.name, "mode",
		    camdb_mode_name(cc.mode)));
		snprintf(ao->location, sizeof(ao->location), "/api/cameras/%s", id);
		status = accounts_cam_answer(id, r, tok, 201, out);
	}
	sodium_memzero(tok, sizeof(tok));
	json_decref(j);
	return status;
}

/* accounts_cam_patch - PATCH /api/cameras/ID {"name"} and/or {"mode"} */
static int
accounts_cam_patch(const char *id, const char *body, size_t len, const struct auth_req *r, struct jbuf *out)
{
	struct camdb_camera cc;
	const char *name;
	int status, mode;
	json_t *j;

	if ((j = accounts_body(body, len, out, &status)) == NULL)
		return status;
	if ((status = accounts_cam_fields(j, &name, &mode, out)) != 0)
		;
	else if ((name == NULL && mode < 0) || json_object_size(j) != (size_t)((name != NULL) + (mode >= 0)))
		status = problem_json(out, 400, "body: {\"name\"} and/or {\"mode\"} (strings), nothing else");
	else if (camdb_set(db_handle(), id, name, mode, (int64_t)util_now_us()) != 0 ||
	    camdb_get(db_handle(), id, &cc) != 0)
		status = problem_json(out, 500, "database error");
	else {
		cams_set(&cc);
		api_audit("camera_change", id, json_pack("{s:s, s:s}", "name", cc.name, "mode",
		    camdb_mode_name(cc.mode)));
		status = accounts_cam_answer(id, r, NULL, 200, out);
	}
	json_decref(j);
	return status;
}

/* accounts_cam_one - PATCH, DELETE /api/cameras/ID and POST .../token */
static int
accounts_cam_one(const char *im, const char *method, const char *id, int token, const char *body, size_t len,
    const struct auth_req *r, struct jbuf *out, struct accounts_out *ao)
{
	char tok[AUTHDB_SECRET_SIZE];
	int status;

	if (token && strcmp(method, "POST") != 0)
		return accounts_405(ao, out, "POST");
	if (!token && strcmp(method, "PATCH") != 0 && strcmp(method, "DELETE") != 0)
		return accounts_405(ao, out, "GET, PATCH, DELETE");
	if (camdb_get(db_handle(), id, NULL) != 0)
		return problem_json(out, 404, "no such camera");
	if ((status = accounts_cam_changed(im, id, r, out)) != 0)
		return status;
	if (strcmp(method, "PATCH") == 0)
		return accounts_cam_patch(id, body, len, r, out);
	if (strcmp(method, "DELETE") == 0) {
		if (camdb_remove(db_handle(), id, (int64_t)util_now_us()) != 0)
			return problem_json(out, 500, "database error");
		cams_remove(id);
		api_audit("camera_remove", id, NULL);
		return 204;
	}
	if (camdb_rotate(db_handle(), id, (int64_t)util_now_us(), tok) != 0)
		return problem_json(out, 500, "database error");
	api_audit("camera_token", id, NULL);
	status = accounts_cam_answer(id, r, tok, 200, out);
	sodium_memzero(tok, sizeof(tok));
	return status;
}

int
accounts_cam_handle(const char *im, const char *method, const char *path, const char *body, size_t len,
    struct auth_req *r, struct jbuf *out, struct accounts_out *ao)
{
	char id[CAMERA_ID_SIZE];
	const char *rest;
	int status;

	if ((status = accounts_need(r, AUTHDB_ADMIN, out)) != 0)
		return status;
	if (strcmp(path, "/api/cameras") == 0)
		return strcmp(method, "POST") == 0 ? accounts_cam_add(body, len, r, out, ao) :
		    accounts_405(ao, out, "GET, POST");
	if ((rest = webpath_camera(path, id)) == NULL || (rest[0] && strcmp(rest, "/token") != 0))
		return problem_json(out, 404, "no such camera");
	return accounts_cam_one(im, method, id, rest[0] != '\0', body, len, r, out, ao);
}
