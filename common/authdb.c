/* authdb - accounts, sessions and the audit trail in SQLite (API tokens:
 * authtoken.c; see authdb.h for the contracts). */
#include <errno.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "authdb.h"


static const char authdb_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS users ("
    " name TEXT PRIMARY KEY,"
    " role TEXT NOT NULL CHECK (role IN ('viewer','supervisor','admin')),"
    " hash TEXT NOT NULL,"                 /* argon2id string */
    " created_us INTEGER NOT NULL,"
    " changed_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions ("
    " hash TEXT PRIMARY KEY,"              /* BLAKE2b-256 of the cookie value, hex */
    " user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,"
    " created_us INTEGER NOT NULL,"
    " seen_us INTEGER NOT NULL,"
    " expires_us INTEGER NOT NULL,"        /* seen_us + idle, never past max_us */
    " max_us INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);"
    "CREATE TABLE IF NOT EXISTS tokens ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL CHECK (role IN ('viewer','supervisor','admin')),"
    " hash TEXT NOT NULL UNIQUE,"
    " created_by TEXT NOT NULL,"
    " created_us INTEGER NOT NULL,"
    " last_used_us INTEGER,"
    " revoked_us INTEGER);"
    "CREATE TABLE IF NOT EXISTS audit ("
    " id INTEGER PRIMARY KEY,"
    " at_us INTEGER NOT NULL,"
    " who TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " target TEXT,"
    " detail TEXT,"                        /* JSON object or NULL */
    " addr TEXT);"
    "CREATE INDEX IF NOT EXISTS audit_at ON audit (at_us);"      /* retention; below: ?action=, ?who= */
    "CREATE INDEX IF NOT EXISTS audit_action ON audit (action); CREATE INDEX IF NOT EXISTS audit_who ON audit (who);";

/* For unknown users: the same work as a wrong password. The hash of 64
 * random hex digits nobody kept (crypto_pwhash_str, interactive limits). */
static const char authdb_dummy[] =
    "$argon2id$v=19$m=65536,t=2,p=1$A6qZyOnXdMFLQ9ny1AXV3w$j4iDGTFkYHHoR4Ps+x/QPYfDH6YrosLD/SDmu+K9d+Q";

int
authdb_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int
authdb_schema(sqlite3 *db)
{
	return sqlite3_exec(db, authdb_schema_sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

const char *
authdb_role_name(int role)
{
	switch (role) {
	case AUTHDB_VIEWER: return "viewer";
	case AUTHDB_SUPERVISOR: return "supervisor";
	case AUTHDB_ADMIN: return "admin";
	default: return "none";
	}
}

int
authdb_role_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "viewer") == 0)
		return AUTHDB_VIEWER;
	if (strcmp(s, "supervisor") == 0)
		return AUTHDB_SUPERVISOR;
	if (strcmp(s, "admin") == 0)
		return AUTHDB_ADMIN;
	return -1;
}

int
authdb_role_valid(int role)
{
	return role >= AUTHDB_VIEWER && role <= AUTHDB_ADMIN;
}

int
authdb_name_valid(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) < 1 || n >= AUTHDB_NAME_SIZE)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '@' && c != '-')))
			return 0;
	}
	return 1;
}

int
authdb_password_ok(const char *pw)
{
	size_t n;
	const unsigned char *p;

	if (pw == NULL || (n = strlen(pw)) < AUTHDB_PASSWORD_MIN || n > AUTHDB_PASSWORD_MAX)
		return 0;
	for (p = (const unsigned char *)pw; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

void
authdb_random_secret(const char *prefix, char *out)
{
	unsigned char rnd[32];
	size_t n = strlen(prefix);

	randombytes_buf(rnd, sizeof(rnd));
	memcpy(out, prefix, n);
	sodium_bin2base64(out + n, AUTHDB_SECRET_SIZE - n, rnd, sizeof(rnd),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
}

void
authdb_secret_hash(const char *secret, char out[65])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)secret, strlen(secret), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

/* authdb_by_secret - run sql (one parameter: the hash) for the row that
 * secret names, into hash and *stp: 1 with *stp on that row (finalize
 * it), 0 when there is none (or secret is NULL or too long), -EIO. */
int
authdb_by_secret(sqlite3 *db, const char *sql, const char *secret, char hash[65], sqlite3_stmt **stp)
{
	int rc;

	if (secret == NULL || strlen(secret) >= AUTHDB_SECRET_SIZE)
		return 0;
	authdb_secret_hash(secret, hash);
	if (sqlite3_prepare_v2(db, sql, -1, stp, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(*stp, 1, hash, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(*stp)) == SQLITE_ROW)
		return 1;
	sqlite3_finalize(*stp);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int
authdb_exec1(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	va_start(ap, fmt);
	for (i = 0; fmt[i]; i++) {
		if (fmt[i] == 's') {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		} else if (fmt[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return -EIO;
	return sqlite3_changes(db);
}

_Static_assert(AUTHDB_HASH_SIZE == crypto_pwhash_STRBYTES, "an argon2id string fits");

int
authdb_password_hash(const char *password, char out[AUTHDB_HASH_SIZE])
{
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return -ENOMEM;
	return 0;
}

int
authdb_user_add(sqlite3 *db, const char *name, int role, const char *password, int64_t now_us)
{
	char hash[AUTHDB_HASH_SIZE];
	int rc;

	if (!authdb_name_valid(name) || !authdb_role_valid(role) || !authdb_password_ok(password))
		return -EINVAL;
	if (authdb_user_get(db, name, NULL) == 0) /* before the hash's cost */
		return -EEXIST;
	if ((rc = authdb_password_hash(password, hash)) == 0)
		rc = authdb_user_add_hashed(db, name, role, hash, now_us);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int
authdb_user_add_hashed(sqlite3 *db, const char *name, int role, const char *hash, int64_t now_us)
{
	int rc;

	if (!authdb_name_valid(name) || !authdb_role_valid(role) || strncmp(hash, "$argon2", 7) != 0)
		return -EINVAL;
	rc = authdb_exec1(db, "INSERT INTO users (name, role, hash, created_us, changed_us) VALUES (?,?,?,?,?)",
	    "sssii", name, authdb_role_name(role), hash, now_us, now_us);
	return rc < 0 ? rc : 0;
}

/* The last admin stays one: the statement that would delete or demote
 * them changes nothing, decided in that one statement (SQLite runs it
 * under the write lock), so a CLI and the API changing two admins at the
 * same instant cannot both pass a check made before their change. ?1 is
 * the user's name. */
#define AUTHDB_KEEPS_ADMIN "(role <> 'admin' OR EXISTS (SELECT 1 FROM users WHERE name <> ?1 AND role = 'admin'))"

/* authdb_unchanged - why a keeps-admin statement changed no row */
static int
authdb_unchanged(sqlite3 *db, const char *name)
{
	int rc = authdb_user_get(db, name, NULL);

	return rc == 0 ? -EPERM : rc;
}

int
authdb_user_del(sqlite3 *db, const char *name)
{
	int rc;

	if ((rc = authdb_exec1(db, "DELETE FROM users WHERE name = ?1 AND " AUTHDB_KEEPS_ADMIN, "s", name)) <= 0)
		return rc < 0 ? rc : authdb_unchanged(db, name);
	/* Sessions go with the user (ON DELETE CASCADE needs foreign_keys,
	 * so say it here too; a session is read joined to its user). */
	return authdb_exec1(db, "DELETE FROM sessions WHERE user = ?", "s", name) < 0 ? -EIO : 0;
}

int
authdb_user_passwd(sqlite3 *db, const char *name, const char *password, int64_t now_us)
{
	char hash[AUTHDB_HASH_SIZE];
	int rc;

	if (!authdb_password_ok(password))
		return -EINVAL;
	if (authdb_user_get(db, name, NULL) != 0) /* before the hash's cost */
		return -ENOENT;
	if ((rc = authdb_password_hash(password, hash)) == 0)
		rc = authdb_user_passwd_hashed(db, name, hash, now_us);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int
authdb_user_passwd_hashed(sqlite3 *db, const char *name, const char *hash, int64_t now_us)
{
	int rc;

	if (strncmp(hash, "$argon2", 7) != 0)
		return -EINVAL;
	rc = authdb_exec1(db, "UPDATE users SET hash = ?, changed_us = ? WHERE name = ?", "sis", hash, now_us, name);
	if (rc <= 0)
		return rc < 0 ? rc : -ENOENT;
	return authdb_exec1(db, "DELETE FROM sessions WHERE user = ?", "s", name) < 0 ? -EIO : 0;
}

int
authdb_user_set_role(sqlite3 *db, const char *name, int role, int64_t now_us)
{
	int rc;

	if (!authdb_role_valid(role))
		return -EINVAL;
	rc = authdb_exec1(db, "UPDATE users SET role = ?2, changed_us = ?3 WHERE name = ?1 AND (?2 = 'admin' OR "
	    AUTHDB_KEEPS_ADMIN ")", "ssi", name, authdb_role_name(role), now_us);
	return rc < 0 ? rc : rc == 0 ? authdb_unchanged(db, name) : 0;
}

static void
authdb_user_row(sqlite3_stmt *st, struct authdb_user *u)
{
	const unsigned char *s = sqlite3_column_text(st, 0);

	snprintf(u->name, sizeof(u->name), "%s", s ? (const char *)s : "");
	u->role = authdb_role_parse((const char *)sqlite3_column_text(st, 1));
	u->created_us = sqlite3_column_int64(st, 2);
	u->changed_us = sqlite3_column_int64(st, 3);
}

int
authdb_user_get(sqlite3 *db, const char *name, struct authdb_user *u)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT name, role, created_us, changed_us FROM users WHERE name = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && u)
		authdb_user_row(st, u);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int
authdb_users(sqlite3 *db, void (*fn)(const struct authdb_user *, void *), void *arg)
{
	struct authdb_user u;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT name, role, created_us, changed_us FROM users ORDER BY name",
	    -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		authdb_user_row(st, &u);
		fn(&u, arg);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int
authdb_count_role(sqlite3 *db, int role)
{
	sqlite3_stmt *st;
	int n = -EIO;

	if (sqlite3_prepare_v2(db, role ? "SELECT count(*) FROM users WHERE role = ?" :
	    "SELECT count(*) FROM users", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (role)
		sqlite3_bind_text(st, 1, authdb_role_name(role), -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
authdb_login_hash(sqlite3 *db, const char *name, char *hash, int *role)
{
	sqlite3_stmt *st;
	int rc, r = -1;

	if (sqlite3_prepare_v2(db, "SELECT hash, role FROM users WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(hash, AUTHDB_HASH_SIZE, "%s", (const char *)sqlite3_column_text(st, 0));
		r = authdb_role_parse((const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -EIO;
	if (rc == SQLITE_DONE || r < 0) {
		snprintf(hash, AUTHDB_HASH_SIZE, "%s", authdb_dummy);
		*role = 0;
		return 0;
	}
	*role = r;
	return 1;
}

int
authdb_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int
authdb_login(sqlite3 *db, const char *name, const char *password, int *role)
{
	char hash[AUTHDB_HASH_SIZE];
	int found, r = 0, ok;

	if ((found = authdb_login_hash(db, name, hash, &r)) < 0)
		return found;
	ok = authdb_verify(hash, password) && found == 1;
	sodium_memzero(hash, sizeof(hash));
	if (ok)
		*role = r;
	return ok;
}

int
authdb_session_new(sqlite3 *db, const char *user, int64_t now_us, int64_t idle_us, int64_t max_us, char *sid)
{
	char hash[65];
	int64_t end = now_us + max_us, exp = now_us + idle_us;
	int rc;

	authdb_random_secret("", sid);
	authdb_secret_hash(sid, hash);
	rc = authdb_exec1(db, "INSERT INTO sessions (hash, user, created_us, seen_us, expires_us, max_us)"
	    " VALUES (?,?,?,?,?,?)", "ssiiii", hash, user, now_us, now_us, exp < end ? exp : end, end);
	return rc < 0 ? rc : 0;
}

int
authdb_session_get(sqlite3 *db, const char *sid, int64_t now_us, int64_t idle_us, struct authdb_who *who,
    int *renewed)
{
	char hash[65];
	sqlite3_stmt *st;
	int64_t seen, exp, end;
	int rc;

	*renewed = 0;
	if ((rc = authdb_by_secret(db, "SELECT s.user, u.role, s.seen_us, s.expires_us, s.max_us FROM sessions s"
	    " JOIN users u ON u.name = s.user WHERE s.hash = ?", sid, hash, &st)) != 1)
		return rc;
	memset(who, 0, sizeof(*who));
	who->kind = AUTHDB_SESSION;
	snprintf(who->name, sizeof(who->name), "%s", (const char *)sqlite3_column_text(st, 0));
	who->role = authdb_role_parse((const char *)sqlite3_column_text(st, 1));
	seen = sqlite3_column_int64(st, 2);
	exp = sqlite3_column_int64(st, 3);
	end = sqlite3_column_int64(st, 4);
	sqlite3_finalize(st);
	if (now_us >= exp || who->role < 0) {
		authdb_exec1(db, "DELETE FROM sessions WHERE hash = ?", "s", hash);
		memset(who, 0, sizeof(*who));
		return 0;
	}
	/* Renew at most once a minute (a write per request would be waste),
	 * sooner for sessions that live less than a few minutes. */
	if (now_us - seen >= (idle_us / 4 < AUTHDB_RENEW_US ? idle_us / 4 : AUTHDB_RENEW_US)) {
		exp = now_us + idle_us < end ? now_us + idle_us : end;
		if (authdb_exec1(db, "UPDATE sessions SET seen_us = ?, expires_us = ? WHERE hash = ?", "iis",
		    now_us, exp, hash) < 0)
			return -EIO;
		*renewed = 1;
	}
	who->expires_us = exp;
	return 1;
}

int
authdb_session_del(sqlite3 *db, const char *sid)
{
	char hash[65];
	int rc;

	if (sid == NULL || strlen(sid) >= AUTHDB_SECRET_SIZE)
		return -ENOENT;
	authdb_secret_hash(sid, hash);
	rc = authdb_exec1(db, "DELETE FROM sessions WHERE hash = ?", "s", hash);
	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

int
authdb_sessions_prune(sqlite3 *db, int64_t now_us)
{
	return authdb_exec1(db, "DELETE FROM sessions WHERE expires_us <= ?", "i", now_us);
}

int64_t
authdb_audit(sqlite3 *db, int64_t now_us, const char *who, const char *action, const char *target,
    const char *detail, const char *addr)
{
	int rc = authdb_exec1(db, "INSERT INTO audit (at_us, who, action, target, detail, addr) VALUES (?,?,?,?,?,?)",
	    "isssss", now_us, who, action, target, detail, addr);

	return rc < 0 ? rc : sqlite3_last_insert_rowid(db);
}
