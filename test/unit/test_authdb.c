/* test_authdb - accounts, sessions, tokens and the audit trail on an
 * in-memory SQLite database: argon2id hashes, names and roles, session
 * expiry and sliding renewal, tokens hashed and revocable. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "authdb.h"
#include "check.h"

#define S 1000000LL  /* a second in microseconds */

static int users_seen;

static void
test_authdb_count_user(const struct authdb_user *u, void *arg)
{
	(void)u;
	(void)arg;
	users_seen++;
}

static int
test_authdb_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

#define T0 (1800000000LL * S)

/* A fresh in-memory database with the schema; with ann (supervisor,
 * "ann-password") and bob (viewer, "bob-password") when users is set. */
static sqlite3 *
test_authdb_open(int users)
{
	sqlite3 *db = NULL;

	CHECK_INT(authdb_init(), 0, "libsodium starts");
	CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK, "in-memory database");
	sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	CHECK_INT(authdb_schema(db), 0, "schema created");
	if (users) {
		CHECK_INT(authdb_user_add(db, "ann", AUTHDB_SUPERVISOR, "ann-password", T0), 0, "add ann");
		CHECK_INT(authdb_user_add(db, "bob", AUTHDB_VIEWER, "bob-password", T0), 0, "add bob");
	}
	return db;
}

CASE(names_roles_passwords)
{
	CHECK(authdb_name_valid("ann") && authdb_name_valid("a.b-c_d@x") && !authdb_name_valid("") &&
	    !authdb_name_valid(".ann") && !authdb_name_valid("a b") && !authdb_name_valid("a\"b"), "user names");
	CHECK(authdb_role_parse("admin") == AUTHDB_ADMIN && authdb_role_parse("viewer") == AUTHDB_VIEWER &&
	    authdb_role_parse("root") == -1, "role names");
	CHECK(authdb_password_ok("12345678") && !authdb_password_ok("1234567") && !authdb_password_ok("abc\ndefgh"),
	    "passwords: 8 characters at least, no control characters");
}

CASE(users)
{
	sqlite3 *db = test_authdb_open(0);
	struct authdb_user u;
	sqlite3_stmt *st;
	int64_t t0 = T0;
	int role = 0;

	CHECK_INT(authdb_schema(db), 0, "schema again: nothing to do");
	CHECK_INT(authdb_user_add(db, "ann", AUTHDB_SUPERVISOR, "ann-password", t0), 0, "add ann");
	CHECK_INT(authdb_user_add(db, "ann", AUTHDB_VIEWER, "other-password", t0), -EEXIST, "a taken name is -EEXIST");
	CHECK_INT(authdb_user_add(db, "bob", 7, "bob-password", t0), -EINVAL, "a bad role is -EINVAL");
	CHECK_INT(authdb_user_add(db, "bob", AUTHDB_VIEWER, "short", t0), -EINVAL, "a short password is -EINVAL");
	CHECK_INT(authdb_user_add(db, "bob", AUTHDB_VIEWER, "bob-password", t0), 0, "add bob");
	if (sqlite3_prepare_v2(db, "SELECT hash FROM users WHERE name = 'ann'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);

		CHECK(strncmp(h, "$argon2id$", 10) == 0 && strstr(h, "ann-password") == NULL,
		    "the password is stored as an argon2id hash");
	}
	sqlite3_finalize(st);
	CHECK_INT(authdb_login(db, "ann", "ann-password", &role), 1, "the right password logs in");
	CHECK_INT(role, AUTHDB_SUPERVISOR, "with the user's role");
	CHECK_INT(authdb_login(db, "ann", "wrong-password", &role), 0, "a wrong password does not");
	CHECK_INT(authdb_login(db, "nobody", "ann-password", &role), 0, "an unknown user does not");
	CHECK_INT(authdb_user_get(db, "ann", &u), 0, "get ann");
	CHECK(strcmp(u.name, "ann") == 0 && u.role == AUTHDB_SUPERVISOR && u.created_us == t0, "ann's row");
	CHECK_INT(authdb_users(db, test_authdb_count_user, NULL), 2, "two users listed");
	CHECK_INT(users_seen, 2, "the callback saw both");
	CHECK_INT(authdb_count_role(db, AUTHDB_SUPERVISOR), 1, "one supervisor");
	sqlite3_close(db);
}

/* sessions: idle 100 s, at most 1000 s */
CASE(sessions)
{
	sqlite3 *db = test_authdb_open(1);
	char sid[AUTHDB_SECRET_SIZE], other[AUTHDB_SECRET_SIZE];
	struct authdb_who who;
	int64_t t0 = T0;
	int role = 0, renewed = 0;

	CHECK_INT(authdb_session_new(db, "ann", t0, 100 * S, 1000 * S, sid), 0, "a session for ann");
	CHECK(strlen(sid) == 43, "the session id is 43 characters (256 bits)");
	CHECK_INT(test_authdb_count(db, "SELECT count(*) FROM sessions WHERE hash = (SELECT hash FROM sessions LIMIT 1)"), 1,
	    "stored");
	CHECK_INT(authdb_session_get(db, sid, t0 + 10 * S, 100 * S, &who, &renewed), 1, "it is live");
	CHECK(who.kind == AUTHDB_SESSION && strcmp(who.name, "ann") == 0 && who.role == AUTHDB_SUPERVISOR,
	    "it names ann and her role");
	CHECK_INT(renewed, 0, "no renewal within a quarter of the idle time");
	CHECK_INT(authdb_session_get(db, sid, t0 + 90 * S, 100 * S, &who, &renewed), 1, "still live at 90 s");
	CHECK_INT(renewed, 1, "used after 90 s: renewed");
	CHECK_INT(who.expires_us, t0 + 190 * S, "its expiry slides to last use + idle");
	CHECK_INT(authdb_session_get(db, sid, t0 + 180 * S, 100 * S, &who, &renewed), 1,
	    "live at 180 s thanks to the renewal");
	strcpy(other, sid);
	other[0] = other[0] == 'A' ? 'B' : 'A';
	CHECK_INT(authdb_session_get(db, other, t0, 100 * S, &who, &renewed), 0, "another id is no session");
	CHECK_INT(authdb_session_get(db, sid, t0 + 400 * S, 100 * S, &who, &renewed), 0, "idle too long: over");
	CHECK_INT(test_authdb_count(db, "SELECT count(*) FROM sessions"), 0, "and deleted");
	CHECK_INT(authdb_session_new(db, "ann", t0, 100 * S, 150 * S, sid), 0, "a session with a 150 s cap");
	CHECK_INT(authdb_session_get(db, sid, t0 + 90 * S, 100 * S, &who, &renewed), 1, "live at 90 s");
	CHECK_INT(who.expires_us, t0 + 150 * S, "renewal never passes the cap");
	CHECK_INT(authdb_session_get(db, sid, t0 + 151 * S, 100 * S, &who, &renewed), 0, "over at the cap");
	CHECK_INT(authdb_session_new(db, "ann", t0, 100 * S, 1000 * S, sid), 0, "a new session");
	CHECK_INT(authdb_user_set_role(db, "bob", AUTHDB_ADMIN, t0), 0, "bob becomes an admin");
	CHECK_INT(authdb_user_set_role(db, "bob", AUTHDB_VIEWER, t0), -EPERM, "the only admin keeps the role");
	CHECK_INT(authdb_user_del(db, "bob"), -EPERM, "and is not deleted");
	CHECK_INT(authdb_user_set_role(db, "bob", AUTHDB_ADMIN, t0), 0, "but may be made admin again");
	CHECK_INT(authdb_user_set_role(db, "nobody", AUTHDB_VIEWER, t0), -ENOENT, "an unknown name is -ENOENT");
	CHECK_INT(authdb_user_set_role(db, "ann", AUTHDB_ADMIN, t0), 0, "ann becomes an admin too");
	CHECK_INT(authdb_user_set_role(db, "ann", AUTHDB_VIEWER, t0), 0, "ann becomes a viewer");
	CHECK_INT(authdb_user_del(db, "bob"), -EPERM, "bob is the last admin again: not deleted");
	CHECK_INT(test_authdb_count(db, "SELECT count(*) FROM users WHERE name = 'bob' AND role = 'admin'"), 1,
	    "bob is still there, an admin");
	CHECK_INT(authdb_session_get(db, sid, t0 + S, 100 * S, &who, &renewed), 1, "her session goes on");
	CHECK_INT(who.role, AUTHDB_VIEWER, "with the new role at once");
	CHECK_INT(authdb_user_passwd(db, "ann", "new-ann-password", t0), 0, "a new password");
	CHECK_INT(authdb_session_get(db, sid, t0 + S, 100 * S, &who, &renewed), 0, "ends her sessions");
	CHECK_INT(authdb_login(db, "ann", "new-ann-password", &role), 1, "the new password works");
	CHECK_INT(authdb_session_new(db, "bob", t0, 100 * S, 1000 * S, sid), 0, "a session for bob");
	CHECK_INT(authdb_session_del(db, sid), 0, "logout");
	CHECK_INT(authdb_session_del(db, sid), -ENOENT, "logout again: no such session");
	CHECK_INT(authdb_session_new(db, "bob", t0, 100 * S, 1000 * S, sid), 0, "bob again");
	CHECK_INT(authdb_user_set_role(db, "ann", AUTHDB_ADMIN, t0), 0, "ann an admin again");
	CHECK_INT(authdb_user_del(db, "bob"), 0, "delete bob (ann is admin)");
	CHECK_INT(authdb_session_get(db, sid, t0 + S, 100 * S, &who, &renewed), 0, "his session went with him");
	CHECK_INT(authdb_user_del(db, "bob"), -ENOENT, "delete bob again: -ENOENT");
	sqlite3_close(db);
}

/* test_authdb_race - the other connection's change, made between
 * the moment a statement of db starts and its first read */
static sqlite3 *race_other;
static const char *race_sql;

static int
test_authdb_race(unsigned type, void *arg, void *stmt, void *sql)
{
	(void)type;
	(void)arg;
	(void)stmt;
	if (race_sql && (strncmp(sql, "UPDATE users SET role", 21) == 0 || strncmp(sql, "DELETE FROM users", 17) == 0)) {
		CHECK_INT(sqlite3_exec(race_other, race_sql, NULL, NULL, NULL), SQLITE_OK, "the other demotion commits");
		race_sql = NULL;
	}
	return 0;
}

/* Two admins, each demoted (or deleted) by another program at the same
 * instant (the CLI and the API): one stays admin. The other program's
 * change commits right as this one's statement starts, the moment a
 * check made before the change would have missed it. */
CASE(last_admin_race)
{
	const char *mine[] = { "role", "del" };
	sqlite3 *db = NULL;
	int i, rc;

	for (i = 0; i < 2; i++) {
		CHECK_INT(authdb_init(), 0, "libsodium starts");
		unlink("race.db");
		unlink("race.db-wal");
		unlink("race.db-shm");
		CHECK_INT(sqlite3_open("race.db", &db), SQLITE_OK, "a database file");
		CHECK_INT(sqlite3_open("race.db", &race_other), SQLITE_OK, "a second connection to it");
		sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		sqlite3_busy_timeout(db, 5000);
		sqlite3_busy_timeout(race_other, 5000);
		CHECK_INT(authdb_schema(db), 0, "schema created");
		CHECK_INT(authdb_user_add(db, "ann", AUTHDB_ADMIN, "ann-password", T0), 0, "ann, admin");
		CHECK_INT(authdb_user_add(db, "bob", AUTHDB_ADMIN, "bob-password", T0), 0, "bob, admin");
		sqlite3_trace_v2(db, SQLITE_TRACE_STMT, test_authdb_race, NULL);
		race_sql = "UPDATE users SET role = 'viewer' WHERE name = 'bob'";
		rc = i == 0 ? authdb_user_set_role(db, "ann", AUTHDB_VIEWER, T0) : authdb_user_del(db, "ann");
		CHECK(race_sql == NULL, "the other demotion ran during this one");
		CHECK_INT(rc, -EPERM, mine[i]);
		CHECK_INT(test_authdb_count(db, "SELECT count(*) FROM users WHERE role = 'admin'"), 1, "one admin left");
		sqlite3_close(race_other);
		sqlite3_close(db);
	}
}

CASE(tokens)
{
	sqlite3 *db = test_authdb_open(1);
	char tok[AUTHDB_SECRET_SIZE];
	struct authdb_who who;
	struct authdb_token tk;
	int64_t t0 = T0, id;

	id = authdb_token_add(db, "monitor", AUTHDB_VIEWER, "ann", t0, tok);
	CHECK(id > 0 && strncmp(tok, "gwt_", 4) == 0 && strlen(tok) == 47, "a token: gwt_ and 256 random bits");
	CHECK_INT(test_authdb_count(db, "SELECT count(*) FROM tokens WHERE length(hash) = 64"), 1, "stored as a 256-bit hash");
	CHECK_INT(authdb_token_check(db, tok, t0 + S, &who), 1, "the token works");
	CHECK(who.kind == AUTHDB_TOKEN && strcmp(who.name, "monitor") == 0 && who.role == AUTHDB_VIEWER &&
	    who.token_id == id, "it names the token and its role");
	CHECK_INT(authdb_token_get(db, id, &tk), 0, "get the token");
	CHECK(tk.last_used_us == t0 + S && tk.revoked_us == 0 && strcmp(tk.created_by, "ann") == 0,
	    "last use noted, not revoked, made by ann");
	CHECK_INT(authdb_token_check(db, "gwt_nope", t0, &who), 0, "an unknown token does not work");
	CHECK_INT(authdb_token_revoke(db, id, t0 + 2 * S), 0, "revoke");
	CHECK_INT(authdb_token_check(db, tok, t0 + 3 * S, &who), 0, "a revoked token does not work");
	CHECK_INT(authdb_token_revoke(db, id, t0 + 4 * S), 0, "revoke again: fine");
	CHECK_INT(authdb_token_get(db, id, &tk), 0, "still listed");
	CHECK_INT(tk.revoked_us, t0 + 2 * S, "with the first revocation's time");
	CHECK_INT(authdb_token_revoke(db, id + 100, t0), -ENOENT, "an unknown token id: -ENOENT");
	sqlite3_close(db);
}

CASE(audit)
{
	sqlite3 *db = test_authdb_open(1);
	int64_t t0 = T0;

	CHECK(authdb_audit(db, t0, "ann", "login", "ann", NULL, "127.0.0.1") > 0, "an audit row");
	CHECK_INT(test_authdb_count(db, "SELECT count(*) FROM audit WHERE who = 'ann' AND action = 'login'"), 1, "stored");
	sqlite3_close(db);
}

CHECK_MAIN()
