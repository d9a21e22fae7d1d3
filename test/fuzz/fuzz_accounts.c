/* fuzz_accounts - libFuzzer: what an API client sends the accounts and
 * camera resources, past the HTTP parser: request bodies (jansson, then
 * accounts_str, authdb_name_valid / role_parse / password_ok,
 * camdb_name_ok, camdb_mode_parse, util_camera_id_valid), their paths and
 * their If-Match header, through accounts_handle as the notifier calls it,
 * and GET /api/cameras/ID[/status] (rest_handle: the camera's settings,
 * which its ETag covers, and its live state) (notifier/accounts.c,
 * accounts_cam.c, auth.c, rest.c, common/authdb.c and camdb.c are
 * instrumented; the rest of the notifier is linked as built).
 * Each input gets a fresh in-memory database with one camera (gate1), an
 * admin "boss", a viewer "val" and token 1, and a login throttle with no
 * failures (auth_init): inputs do not depend on the ones before. Input:
 *   byte 0     the requester: anonymous, viewer val, supervisor, admin
 *              boss (session), admin token
 *   line 1     METHOD PATH   (GET, POST, PATCH, DELETE)
 *   line 2     If-Match ("" for none)
 *   the rest   the body
 * Besides memory errors and undefined behaviour, an answer that is not
 * what the API promises aborts: every answer but a 204 is a JSON object,
 * an error one is problem+json with its own status.
 * Passwords are hashed with argon2id's smallest cost here
 * (-Wl,--wrap=crypto_pwhash_str, mk/fuzz.mk): the interactive cost
 * (0.1 s, 64 MiB) would leave a few inputs a second. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "api.h"
#include "auth.h"
#include "cams.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "rest.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __real_crypto_pwhash_str(char out[crypto_pwhash_STRBYTES], const char *const passwd,
    unsigned long long passwdlen, unsigned long long opslimit, size_t memlimit);
int __wrap_crypto_pwhash_str(char out[crypto_pwhash_STRBYTES], const char *const passwd,
    unsigned long long passwdlen, unsigned long long opslimit, size_t memlimit);

int
__wrap_crypto_pwhash_str(char out[crypto_pwhash_STRBYTES], const char *const passwd,
    unsigned long long passwdlen, unsigned long long opslimit, size_t memlimit)
{
	(void)opslimit, (void)memlimit;
	return __real_crypto_pwhash_str(out, passwd, passwdlen, crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN);
}

/* fuzz_accounts_db - a fresh database as the notifier starts with one */
static void
fuzz_accounts_db(const struct config *c)
{
	char err[256], tok[AUTHDB_SECRET_SIZE];

	db_close();
	if (db_open(":memory:", err, sizeof(err)) != 0)
		abort();
	auth_init(c);
	cams_init(c);
	if (authdb_user_add(db_handle(), "boss", AUTHDB_ADMIN, "boss-password", 1) != 0 ||
	    authdb_user_add(db_handle(), "val", AUTHDB_VIEWER, "val-password", 1) != 0 ||
	    authdb_token_add(db_handle(), "monitor", AUTHDB_VIEWER, "boss", 1, tok) != 1)
		abort();
}

/* fuzz_accounts_who - requester k (see above) */
static void
fuzz_accounts_who(struct auth_req *r, unsigned k)
{
	static const struct { int kind, role; const char *name; } who[] = {
		{ AUTHDB_ANON, AUTHDB_NONE, "" }, { AUTHDB_SESSION, AUTHDB_VIEWER, "val" },
		{ AUTHDB_TOKEN, AUTHDB_SUPERVISOR, "sup" }, { AUTHDB_SESSION, AUTHDB_ADMIN, "boss" },
		{ AUTHDB_TOKEN, AUTHDB_ADMIN, "script" },
	};

	memset(r, 0, sizeof(*r));
	k %= sizeof(who) / sizeof(who[0]);
	r->who.kind = who[k].kind;
	r->who.role = who[k].role;
	util_strlcpy(r->who.name, who[k].name, sizeof(r->who.name));
	util_strlcpy(r->addr, "192.0.2.1", sizeof(r->addr));
}

/* fuzz_accounts_line - the next line of [*p, end) into buf (NUL-free,
 * truncated); -1 when there is no newline */
static int
fuzz_accounts_line(const uint8_t **p, const uint8_t *end, char *buf, size_t len)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (nl == NULL)
		return -1;
	n = (size_t)(nl - *p) < len - 1 ? (size_t)(nl - *p) : len - 1;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = nl + 1;
	return strlen(buf) == n ? 0 : -1;   /* lws hands us C strings */
}

/* fuzz_accounts_check - abort unless out is what status promises */
static void
fuzz_accounts_check(int status, struct jbuf *out)
{
	json_t *j;

	if (status == 204) {
		if (out->len != 0)
			abort();
		return;
	}
	if (status < 200 || status > 599 || (j = json_loadb(jbuf_text(out), out->len, 0, NULL)) == NULL)
		abort();
	if (!json_is_object(j) || (status >= 400 && json_integer_value(json_object_get(j, "status")) != status))
		abort();
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	static int ready;
	const uint8_t *p = data + 1, *end = data + size;
	char line[300], im[256], *path;
	struct accounts_out ao;
	struct auth_req r;
	struct jbuf out;
	int status, cam_get;

	if (!ready) {
		config_defaults(&c);
		util_strlcpy(c.dir, "/nonexistent", sizeof(c.dir));
		c.ncameras = 1;
		util_strlcpy(c.cameras[0].id, "gate1", sizeof(c.cameras[0].id));
		util_strlcpy(c.cameras[0].name, "Front gate", sizeof(c.cameras[0].name));
		util_strlcpy(c.cameras[0].token, "gate1-token-0123456789", sizeof(c.cameras[0].token));
		log_init("fuzz", LOG_LEVEL_ERROR);
		api_init(&c);
		rest_init(&c);
		ready = 1;
	}
	if (size < 1 || fuzz_accounts_line(&p, end, line, sizeof(line)) != 0 ||
	    fuzz_accounts_line(&p, end, im, sizeof(im)) != 0 || (path = strchr(line, ' ')) == NULL)
		return 0;
	*path++ = '\0';
	if (strcmp(line, "GET") != 0 && strcmp(line, "POST") != 0 && strcmp(line, "PATCH") != 0 &&
	    strcmp(line, "DELETE") != 0)
		return 0;
	/* what webapi.c hands over: GET /api/audit reads its query from the
	 * connection, which a harness has not */
	cam_get = strcmp(line, "GET") == 0 && strncmp(path, "/api/cameras/", 13) == 0;
	if ((!accounts_owns_method(line, path) && !cam_get) || strncmp(path, "/api/audit", 10) == 0)
		return 0;
	fuzz_accounts_db(&c);
	fuzz_accounts_who(&r, data[0]);
	jbuf_init(&out, 0);
	auth_set_current(&r);
	if (cam_get) {
		struct api_read rd = { NULL, NULL };
		const char *ctype = NULL;
		char disp[96];

		status = rest_handle(NULL, path, &r, &out, &ctype, disp, sizeof(disp), &rd);
	} else {
		struct api_read rd = { NULL, NULL }; /* only GET /api/audit sets it: not fuzzed, above */

		memset(&ao, 0, sizeof(ao)); /* as web.c at a request's start */
		status = accounts_handle(NULL, line, path, im, (const char *)p, (size_t)(end - p), &r, &out, &ao, &rd);
		if (status == 0 && ao.pw.want && authdb_password_hash(ao.pw.password, ao.pw.hash) == 0) {
			/* a password: hashed as webjob.c does off the loop, then asked again */
			jbuf_truncate(&out, 0);
			status = accounts_handle(NULL, line, path, im, (const char *)p, (size_t)(end - p), &r, &out, &ao,
			    &rd);
		}
	}
	if (!cam_get && status == 0 && ao.pending) { /* a login: its password check, as webjob.c does off the loop */
		struct auth_pending *pend = ao.pending;

		auth_verify(pend);
		jbuf_truncate(&out, 0);
		status = accounts_login_done(&r, pend, &out, &ao);
	}
	auth_set_current(NULL);
	fuzz_accounts_check(status, &out);
	jbuf_free(&out);
	return 0;
}
