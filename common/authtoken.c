/* authtoken - the API tokens of authdb.h (a script's bearer token): add,
 * check, revoke, read. Only the token's hash is stored. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "authdb.h"

int64_t
authdb_token_add(sqlite3 *db, const char *name, int role, const char *by, int64_t now_us, char *tok)
{
	char hash[65];
	int rc;

	if (!authdb_name_valid(name) || !authdb_role_valid(role))
		return -EINVAL;
	authdb_random_secret("gwt_", tok);
	authdb_secret_hash(tok, hash);
	rc = authdb_exec1(db, "INSERT INTO tokens (name, role, hash, created_by, created_us) VALUES (?,?,?,?,?)",
	    "ssssi", name, authdb_role_name(role), hash, by ? by : "", now_us);
	return rc < 0 ? rc : sqlite3_last_insert_rowid(db);
}

int
authdb_token_check(sqlite3 *db, const char *tok, int64_t now_us, struct authdb_who *who)
{
	char hash[65];
	sqlite3_stmt *st;
	int64_t used;
	int rc;

	if ((rc = authdb_by_secret(db, "SELECT id, name, role, coalesce(last_used_us, 0) FROM tokens"
	    " WHERE hash = ? AND revoked_us IS NULL", tok, hash, &st)) != 1)
		return rc;
	memset(who, 0, sizeof(*who));
	who->kind = AUTHDB_TOKEN;
	who->token_id = sqlite3_column_int64(st, 0);
	snprintf(who->name, sizeof(who->name), "%s", (const char *)sqlite3_column_text(st, 1));
	who->role = authdb_role_parse((const char *)sqlite3_column_text(st, 2));
	used = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	if (who->role < 0)
		return 0;
	if (now_us - used >= AUTHDB_RENEW_US)
		authdb_exec1(db, "UPDATE tokens SET last_used_us = ? WHERE id = ?", "ii", now_us, who->token_id);
	return 1;
}

int
authdb_token_revoke(sqlite3 *db, int64_t id, int64_t now_us)
{
	int rc;

	if (authdb_token_get(db, id, NULL) != 0)
		return -ENOENT;
	rc = authdb_exec1(db, "UPDATE tokens SET revoked_us = ? WHERE id = ? AND revoked_us IS NULL", "ii",
	    now_us, id);
	return rc < 0 ? rc : 0;
}

static void
authtoken_row(sqlite3_stmt *st, struct authdb_token *t)
{
	t->id = sqlite3_column_int64(st, 0);
	snprintf(t->name, sizeof(t->name), "%s", (const char *)sqlite3_column_text(st, 1));
	t->role = authdb_role_parse((const char *)sqlite3_column_text(st, 2));
	snprintf(t->created_by, sizeof(t->created_by), "%s", (const char *)sqlite3_column_text(st, 3));
	t->created_us = sqlite3_column_int64(st, 4);
	t->last_used_us = sqlite3_column_int64(st, 5);
	t->revoked_us = sqlite3_column_int64(st, 6);
}

#define AUTHTOKEN_COLS "id, name, role, created_by, created_us, coalesce(last_used_us, 0)," \
	" coalesce(revoked_us, 0)"

int
authdb_token_get(sqlite3 *db, int64_t id, struct authdb_token *t)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT " AUTHTOKEN_COLS " FROM tokens WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && t)
		authtoken_row(st, t);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int
authdb_tokens(sqlite3 *db, void (*fn)(const struct authdb_token *, void *), void *arg)
{
	struct authdb_token t;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT " AUTHTOKEN_COLS " FROM tokens ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		authtoken_row(st, &t);
		fn(&t, arg);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}
