/* authdb - people's accounts, their sessions, API tokens and the audit
 * trail, kept in the notifier's SQLite database (DIR/gatewatch.db) beside
 * its other tables. Shared by the notifier (logins, requests) and the
 * command-line tool (`gatewatch user|token`), which open the same file.
 *
 * Passwords are stored as argon2id strings (libsodium crypto_pwhash_str,
 * interactive limits); session ids and API tokens are 256-bit random
 * secrets handed out once and stored only as their BLAKE2b-256 hash, so a
 * copy of the database logs nobody in. Every function takes the caller's
 * connection, never logs, and returns 0 (or a count / an id) or a
 * negative value: -EINVAL bad argument, -ENOENT no such row, -EEXIST
 * already there, -EIO an SQLite error (sqlite3_errmsg says which). */
#ifndef GW_AUTHDB_H
#define GW_AUTHDB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

enum authdb_role {
	AUTHDB_NONE = 0,        /* anonymous: only the login page */
	AUTHDB_VIEWER = 1,      /* sees everything, changes nothing */
	AUTHDB_SUPERVISOR = 2,  /* + acknowledges alerts, overrides gate decisions */
	AUTHDB_ADMIN = 3,       /* + users, cameras, tokens, settings */
};

enum authdb_kind {
	AUTHDB_ANON = 0,
	AUTHDB_SESSION,         /* a person logged in from a browser (cookie) */
	AUTHDB_TOKEN,           /* a script with a bearer token */
};

#define AUTHDB_NAME_SIZE 64     /* user and token names: 1..63 bytes */
#define AUTHDB_SECRET_SIZE 64   /* a session id or token as text, NUL included */
#define AUTHDB_PASSWORD_MIN 8
#define AUTHDB_PASSWORD_MAX 256
#define AUTHDB_HASH_SIZE 128   /* an argon2id string, NUL included (crypto_pwhash_STRBYTES) */

/* Who made a request. name is the user (session) or the token's name. */
struct authdb_who {
	int kind;                      /* enum authdb_kind */
	int role;                      /* enum authdb_role */
	char name[AUTHDB_NAME_SIZE];
	int64_t token_id;              /* AUTHDB_TOKEN: its id */
	int64_t expires_us;            /* AUTHDB_SESSION: when it ends unless used */
};

/* authdb_init - start libsodium; call once per process. 0 or -EIO. */
int authdb_init(void);

/* authdb_schema - create the users, sessions, tokens and audit tables if
 * missing (the caller's connection should have foreign_keys=ON).
 * 0 or -EIO. */
int authdb_schema(sqlite3 *db);

/* authdb_role_name - "viewer", "supervisor", "admin" ("none" otherwise). */
const char *authdb_role_name(int role);
/* authdb_role_parse - the role named s, or -1. */
int authdb_role_parse(const char *s);
/* authdb_name_valid - 1 for a user or token name: 1..63 of [A-Za-z0-9._@-],
 * starting with a letter or digit. */
int authdb_name_valid(const char *s);
/* authdb_password_ok - 1 if pw may be a password: AUTHDB_PASSWORD_MIN..MAX
 * bytes, no control characters. */
int authdb_password_ok(const char *pw);

/* authdb_random_secret - a fresh random secret (URL-safe base64 of 32
 * bytes, 43 characters) into out (AUTHDB_SECRET_SIZE bytes), after
 * prefix (may be ""). */
void authdb_random_secret(const char *prefix, char *out);

/* authdb_secret_hash - hex BLAKE2b-256 of a secret, into out[65]: what
 * is stored of a session id, an API token or a camera token. */
void authdb_secret_hash(const char *secret, char out[65]);

/* authdb_exec1 - prepare sql, bind the arguments fmt describes ('s' text,
 * NULL binds NULL; 'i' int64) and step once. Returns the number of rows
 * changed, -EEXIST on a constraint, or -EIO. */
int authdb_exec1(sqlite3 *db, const char *sql, const char *fmt, ...);

/* ---- users ---- */
struct authdb_user {
	char name[AUTHDB_NAME_SIZE];
	int role;
	int64_t created_us, changed_us;
};

/* authdb_user_add - a new user with an argon2id hash of password.
 * -EEXIST if the name is taken, -EINVAL for a bad name/role/password,
 * -ENOMEM if hashing failed. */
int authdb_user_add(sqlite3 *db, const char *name, int role, const char *password, int64_t now_us);
/* authdb_password_hash - password's argon2id string (~150 ms: the
 * notifier runs it in its thread pool). 0, or -ENOMEM. */
int authdb_password_hash(const char *password, char out[AUTHDB_HASH_SIZE]);
/* authdb_user_add_hashed, authdb_user_passwd_hashed - as authdb_user_add
 * and authdb_user_passwd with the password hashed already (by
 * authdb_password_hash); -EINVAL if hash is not an argon2 string. */
int authdb_user_add_hashed(sqlite3 *db, const char *name, int role, const char *hash, int64_t now_us);
int authdb_user_passwd_hashed(sqlite3 *db, const char *name, const char *hash, int64_t now_us);
/* authdb_user_del - remove a user and end their sessions. -ENOENT, or
 * -EPERM for the last admin (nothing changed). */
int authdb_user_del(sqlite3 *db, const char *name);
/* authdb_user_passwd - new password; ends the user's sessions. */
int authdb_user_passwd(sqlite3 *db, const char *name, const char *password, int64_t now_us);
/* authdb_user_set_role - change a user's role (sessions keep going with
 * the new role, read on every request). -ENOENT, or -EPERM when that
 * would take the role of the last admin (nothing changed). */
int authdb_user_set_role(sqlite3 *db, const char *name, int role, int64_t now_us);
/* authdb_user_get - 0 with u filled, or -ENOENT. */
int authdb_user_get(sqlite3 *db, const char *name, struct authdb_user *u);
/* authdb_users - call fn for every user, by name; returns the count. */
int authdb_users(sqlite3 *db, void (*fn)(const struct authdb_user *, void *), void *arg);
/* authdb_count_role - how many users have role (0: any role). */
int authdb_count_role(sqlite3 *db, int role);
/* authdb_login - check name and password. Returns 1 with *role set when
 * they match, 0 when not (an unknown user costs the same time as a wrong
 * password), negative on error. */
int authdb_login(sqlite3 *db, const char *name, const char *password, int *role);

/* authdb_login_hash - the first half of authdb_login, for callers that
 * verify off their event loop: the user's argon2id string (or one that
 * matches no password, for an unknown user) into hash
 * (AUTHDB_HASH_SIZE), and the role. Returns 1 (user found), 0 (unknown),
 * negative on error. */
int authdb_login_hash(sqlite3 *db, const char *name, char *hash, int *role);
/* authdb_verify - the second half: 1 if password matches hash. CPU only
 * (about 0.1 s of one core), no database: any thread may call it. */
int authdb_verify(const char *hash, const char *password);

/* ---- sessions ---- */
/* authdb_session_new - start a session for user; the id (the cookie's
 * value) is written to sid (AUTHDB_SECRET_SIZE) and only its hash kept.
 * It ends idle_us after its last use, and max_us after it started. */
int authdb_session_new(sqlite3 *db, const char *user, int64_t now_us, int64_t idle_us,
    int64_t max_us, char *sid);
/* authdb_session_get - 1 with who filled when sid names a live session
 * of an existing user; *renewed = 1 when its expiry moved (sliding
 * renewal, at most once a minute or a quarter of idle_us: the caller
 * re-sends the cookie). 0 when
 * unknown or expired (an expired one is deleted), negative on error. */
int authdb_session_get(sqlite3 *db, const char *sid, int64_t now_us, int64_t idle_us,
    struct authdb_who *who, int *renewed);
/* authdb_session_del - end the session sid (logout). 0 or -ENOENT. */
int authdb_session_del(sqlite3 *db, const char *sid);
/* authdb_sessions_prune - delete expired sessions; returns how many. */
int authdb_sessions_prune(sqlite3 *db, int64_t now_us);

/* For authtoken.c (the tokens, below): 1 for a valid role; run sql (one
 * parameter: the secret's hash) for the row that secret names, into hash
 * and *stp: 1 with *stp on that row (finalize it), 0 when there is none
 * (or secret is NULL or too long), -EIO; a session's or token's use is
 * written back at most once per AUTHDB_RENEW_US. */
#define AUTHDB_RENEW_US 60000000LL
int authdb_role_valid(int role);
int authdb_by_secret(sqlite3 *db, const char *sql, const char *secret, char hash[65], sqlite3_stmt **stp);

/* ---- API tokens (authtoken.c) ---- */
struct authdb_token {
	int64_t id;
	char name[AUTHDB_NAME_SIZE];
	int role;
	char created_by[AUTHDB_NAME_SIZE];
	int64_t created_us, last_used_us, revoked_us; /* 0 = never / not revoked */
};

/* authdb_token_add - a new bearer token (text into tok, AUTHDB_SECRET_SIZE,
 * shown once: only its hash is kept). Returns its id (> 0) or negative. */
int64_t authdb_token_add(sqlite3 *db, const char *name, int role, const char *by, int64_t now_us,
    char *tok);
/* authdb_token_check - 1 with who filled for a live (not revoked) token,
 * 0 otherwise, negative on error. Notes when it was last used (at most
 * once a minute). */
int authdb_token_check(sqlite3 *db, const char *tok, int64_t now_us, struct authdb_who *who);
/* authdb_token_revoke - revoke token id: 0 (also when it already was)
 * or -ENOENT. */
int authdb_token_revoke(sqlite3 *db, int64_t id, int64_t now_us);
/* authdb_token_get - 0 with t filled, or -ENOENT. */
int authdb_token_get(sqlite3 *db, int64_t id, struct authdb_token *t);
/* authdb_tokens - call fn for every token (revoked ones too), by id. */
int authdb_tokens(sqlite3 *db, void (*fn)(const struct authdb_token *, void *), void *arg);

/* ---- audit trail ---- */
/* authdb_audit - record that who (a user, "token:NAME", "cli:USER") did
 * action (login, login_failed, logout, alert_ack, override, user_add,
 * user_del, user_passwd, user_role, token_add, token_revoke, camera_...)
 * to target (may be NULL), with detail (a JSON object text or NULL) from
 * addr (may be NULL). Returns the row id or negative. */
int64_t authdb_audit(sqlite3 *db, int64_t now_us, const char *who, const char *action,
    const char *target, const char *detail, const char *addr);

#endif
