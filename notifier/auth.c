/* auth - credentials of each request (see auth.h). Sessions, tokens and
 * users live in SQLite (common/authdb.c); the login throttle is in
 * memory: after AUTH_FREE_FAILURES failed logins from one address, or for
 * one user name, the next try must wait AUTH_DELAY_S seconds, doubling
 * per further failure up to AUTH_DELAY_MAX_S; a success clears both. */
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "util.h"

#define AUTH_FREE_FAILURES 5
#define AUTH_DELAY_S 30
#define AUTH_DELAY_MAX_S 900
#define AUTH_SLOTS 512
#define AUTH_FORGET_US (3600LL * 1000000)

struct auth_slot {
	char key[80];        /* "a:<address>" or "u:<user>"; "" = free */
	int failures;
	int64_t last_us;     /* last failure */
};

static const struct config *cfg;
static struct auth_slot slots[AUTH_SLOTS];
static const struct auth_req *current;
static struct auth_req anonymous;
static int prune_countdown;

void
auth_init(const struct config *c)
{
	cfg = c;
	memset(slots, 0, sizeof(slots));   /* no failed logins yet */
	if (authdb_init() != 0)
		fatal("libsodium did not start");
	if (authdb_schema(db_handle()) != 0)
		fatal("database: account tables: %s", db_errmsg());
	/* gatewatch up makes the first admin; an installed service makes none */
	if (authdb_count_role(db_handle(), 0) == 0)
		log_warnx(NULL, "no user yet, so nobody can log in: add one as this program's user "
		    "(gatewatch user add NAME --role admin -c FILE; README \"Installing it as a service\")");
}

void
auth_set_current(const struct auth_req *r)
{
	current = r;
}

const struct auth_req *
auth_current(void)
{
	return current ? current : &anonymous;
}

const char *
auth_who_label(void)
{
	static char buf[AUTHDB_NAME_SIZE + 8];
	const struct authdb_who *w = &auth_current()->who;

	if (w->kind == AUTHDB_TOKEN) {
		snprintf(buf, sizeof(buf), "token:%s", w->name);
		return buf;
	}
	return w->kind == AUTHDB_SESSION ? w->name : "";
}

/* auth_cookie_value - the value of cookie name in a Cookie header, into
 * out; 0, or -1 if absent. */
static int
auth_cookie_value(const char *hdr, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	const char *p = hdr, *end;

	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			p += n + 1;
			if ((size_t)(end - p) >= outlen)
				return -1;
			memcpy(out, p, (size_t)(end - p));
			out[end - p] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

static void
auth_make_cookie(struct auth_req *r, const char *value, int max_age)
{
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
	    AUTH_COOKIE, value, max_age, cfg->tls_cert[0] ? "; Secure" : "");
}

void
auth_identify(struct lws *wsi, struct auth_req *r)
{
	char hdr[1024], tok[AUTHDB_SECRET_SIZE + 16];
	int64_t now = (int64_t)util_now_us();
	int renewed, rc;

	memset(r, 0, sizeof(*r));
	lws_get_peer_simple(wsi, r->addr, sizeof(r->addr));
	if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) > 0) {
		if (strncasecmp(hdr, "Bearer ", 7) != 0 || strlen(hdr + 7) >= sizeof(tok)) {
			r->bad_bearer = 1;
			return;
		}
		util_strlcpy(tok, hdr + 7, sizeof(tok));
		util_strlcpy(r->tok, tok, sizeof(r->tok));
		if ((rc = authdb_token_check(db_handle(), tok, now, &r->who)) < 0)
			log_warnx(NULL, "auth: token lookup: %s", db_errmsg());
		if (rc != 1) {
			memset(&r->who, 0, sizeof(r->who));
			r->bad_bearer = 1;
		}
		return;
	}
	if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_COOKIE) <= 0 ||
	    auth_cookie_value(hdr, AUTH_COOKIE, r->sid, sizeof(r->sid)) != 0)
		return;
	rc = authdb_session_get(db_handle(), r->sid, now, (int64_t)cfg->session_idle_s * 1000000, &r->who, &renewed);
	if (rc < 0)
		log_warnx(NULL, "auth: session lookup: %s", db_errmsg());
	if (rc != 1) {
		memset(&r->who, 0, sizeof(r->who));
		return;
	}
	if (renewed) {
		int64_t left = (r->who.expires_us - now) / 1000000;

		auth_make_cookie(r, r->sid, left > 0 ? (int)left : 1);
	}
}

int
auth_recheck(struct auth_req *r)
{
	struct authdb_who w;
	int64_t now = (int64_t)util_now_us();
	int renewed;

	if (r->who.kind == AUTHDB_TOKEN)
		return authdb_token_check(db_handle(), r->tok, now, &w) == 1;
	if (r->who.kind == AUTHDB_SESSION)
		return authdb_session_get(db_handle(), r->sid, now, (int64_t)cfg->session_idle_s * 1000000, &w,
		    &renewed) == 1;
	return 0;
}

int
auth_origin_ok(struct lws *wsi, const struct auth_req *r)
{
	char origin[256], host[200], own[256];

	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
		/* Browsers send Origin with every POST, DELETE and WebSocket;
		 * only a script (bearer token, or a login) goes without. */
		return r->who.kind != AUTHDB_SESSION;
	if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
		return 0;
	snprintf(own, sizeof(own), "%s://%s", cfg->tls_cert[0] ? "https" : "http", host);
	return strcmp(origin, own) == 0;
}

/* ---- login throttle ---- */

static struct auth_slot *
auth_slot(const char *prefix, const char *what, int create)
{
	char key[80];
	struct auth_slot *s, *oldest = &slots[0];
	int i;

	snprintf(key, sizeof(key), "%s%s", prefix, what);
	for (i = 0; i < AUTH_SLOTS; i++) {
		s = &slots[i];
		if (s->key[0] && strcmp(s->key, key) == 0)
			return s;
		if (!s->key[0] || (oldest->key[0] && s->last_us < oldest->last_us))
			oldest = s;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	util_strlcpy(oldest->key, key, sizeof(oldest->key));
	return oldest;
}

/* auth_wait - seconds slot s must still wait before another try (0: none). */
static int
auth_wait(const struct auth_slot *s, int64_t now)
{
	int64_t delay, until;
	int shift;

	if (s == NULL || s->failures < AUTH_FREE_FAILURES)
		return 0;
	shift = s->failures - AUTH_FREE_FAILURES;
	delay = shift > 5 ? AUTH_DELAY_MAX_S : (int64_t)AUTH_DELAY_S << shift;
	if (delay > AUTH_DELAY_MAX_S)
		delay = AUTH_DELAY_MAX_S;
	until = s->last_us + delay * 1000000;
	return now < until ? (int)((until - now + 999999) / 1000000) : 0;
}

static void
auth_fail(const char *prefix, const char *what, int64_t now)
{
	struct auth_slot *s = auth_slot(prefix, what, 1);

	s->failures++;
	s->last_us = now;
}

static void
auth_clear(const char *prefix, const char *what)
{
	struct auth_slot *s = auth_slot(prefix, what, 0);

	if (s)
		memset(s, 0, sizeof(*s));
}

int
auth_login_begin(struct auth_req *r, const char *user, const char *password, int *retry_s,
    struct auth_pending *p)
{
	int64_t now = (int64_t)util_now_us();
	int wa, wu;

	*retry_s = 0;
	memset(p, 0, sizeof(*p));
	wa = auth_wait(auth_slot("a:", r->addr, 0), now);
	wu = auth_wait(auth_slot("u:", user, 0), now);
	if (wa || wu) {
		*retry_s = wa > wu ? wa : wu;
		log_info(NULL, "login %s from %s: slowed down, retry in %d s", user, r->addr, *retry_s);
		return 429;
	}
	if (!authdb_name_valid(user) || strlen(password) > AUTHDB_PASSWORD_MAX) {
		auth_fail("a:", r->addr, now);
		log_info(NULL, "login from %s: not a user name or password", r->addr);
		return 401;
	}
	util_strlcpy(p->user, user, sizeof(p->user));
	util_strlcpy(p->password, password, sizeof(p->password));
	if ((p->found = authdb_login_hash(db_handle(), user, p->hash, &p->role)) < 0) {
		log_warnx(NULL, "login: %s", db_errmsg());
		memset(p, 0, sizeof(*p));
		return 500;
	}
	return 0;
}

void
auth_verify(struct auth_pending *p)
{
	p->ok = authdb_verify(p->hash, p->password) && p->found == 1;
}

int
auth_login_end(struct auth_req *r, struct auth_pending *p)
{
	int64_t now = (int64_t)util_now_us();
	char sid[AUTHDB_SECRET_SIZE];
	const char *user = p->user;
	int status = 201;

	if (!p->ok) {
		auth_fail("a:", r->addr, now);
		auth_fail("u:", user, now);
		log_info(NULL, "login %s from %s: wrong user or password", user, r->addr);
		authdb_audit(db_handle(), now, user, "login_failed", user, NULL, r->addr);
		status = 401;
	} else if (authdb_session_new(db_handle(), user, now, (int64_t)cfg->session_idle_s * 1000000,
	    (int64_t)cfg->session_max_s * 1000000, sid) != 0) {
		log_warnx(NULL, "login: new session: %s", db_errmsg());
		status = 500;
	} else {
		auth_clear("a:", r->addr);
		auth_clear("u:", user);
		memset(&r->who, 0, sizeof(r->who));
		r->who.kind = AUTHDB_SESSION;
		r->who.role = p->role;
		util_strlcpy(r->who.name, user, sizeof(r->who.name));
		r->who.expires_us = now + (int64_t)cfg->session_idle_s * 1000000;
		util_strlcpy(r->sid, sid, sizeof(r->sid));
		auth_make_cookie(r, sid, cfg->session_idle_s < cfg->session_max_s ? cfg->session_idle_s :
		    cfg->session_max_s);
		authdb_audit(db_handle(), now, user, "login", user, NULL, r->addr);
		log_info(NULL, "login %s (%s) from %s", user, authdb_role_name(p->role), r->addr);
	}
	memset(p->password, 0, sizeof(p->password));
	memset(p->hash, 0, sizeof(p->hash));
	memset(sid, 0, sizeof(sid));
	return status;
}

void
auth_logout(struct auth_req *r)
{
	if (r->sid[0] && authdb_session_del(db_handle(), r->sid) == 0 && r->who.kind == AUTHDB_SESSION) {
		authdb_audit(db_handle(), (int64_t)util_now_us(), r->who.name, "logout", r->who.name, NULL, r->addr);
		log_info(NULL, "logout %s from %s", r->who.name, r->addr);
	}
	auth_make_cookie(r, "", 0);
	memset(&r->who, 0, sizeof(r->who));
}

void
auth_audit(const char *action, const char *target, const char *detail)
{
	const struct auth_req *r = auth_current();

	if (authdb_audit(db_handle(), (int64_t)util_now_us(), auth_who_label(), action, target, detail, r->addr) < 0)
		log_warnx(NULL, "audit %s %s: %s", action, target ? target : "", db_errmsg());
}

void
auth_tick(void)
{
	int64_t now = (int64_t)util_now_us();
	int i;

	for (i = 0; i < AUTH_SLOTS; i++)
		if (slots[i].key[0] && now - slots[i].last_us > AUTH_FORGET_US)
			memset(&slots[i], 0, sizeof(slots[i]));
	if (--prune_countdown <= 0) {
		prune_countdown = 600;
		if (authdb_sessions_prune(db_handle(), now) < 0)
			log_warnx(NULL, "auth: pruning sessions: %s", db_errmsg());
	}
}
