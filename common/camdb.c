/* camdb - the cameras table of gatewatch.db (see camdb.h). A removed
 * camera keeps its row (removed_us set, token hash cleared), so the
 * config file does not bring back a camera an admin removed, and its id
 * may be added again. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "camdb.h"
#include "utf8.h"
#include "util.h"

static const char camdb_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS cameras ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " mode TEXT NOT NULL CHECK (mode IN ('gate', 'indoor')),"
    " token_hash TEXT,"             /* NULL once removed */
    " seed TEXT,"                   /* hash of the config lines last applied; NULL: not from the config */
    " api_changed INTEGER NOT NULL DEFAULT 0,"
    " created_us INTEGER NOT NULL,"
    " changed_us INTEGER NOT NULL,"
    " removed_us INTEGER);";

#define CAMDB_COLS "id, name, mode, token_hash, seed IS NOT NULL, created_us, changed_us"

int
camdb_schema(sqlite3 *db)
{
	return sqlite3_exec(db, camdb_schema_sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int
camdb_open(const char *dir, sqlite3 **db)
{
	char path[CONFIG_PATH_SIZE + 32];

	*db = NULL;
	if (sodium_init() < 0)
		return -EIO;
	if ((size_t)snprintf(path, sizeof(path), "%s/gatewatch.db", dir) >= sizeof(path))
		return -EINVAL;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(*db, 5000) != SQLITE_OK ||
	    sqlite3_exec(*db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK || camdb_schema(*db) != 0) {
		sqlite3_close(*db);
		*db = NULL;
		return -EIO;
	}
	return 0;
}

int
camdb_name_ok(const char *s)
{
	size_t n;
	const unsigned char *p;

	if (s == NULL || (n = strlen(s)) < 1 || n >= CAMDB_NAME_SIZE || !utf8_valid(s, n))
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

const char *
camdb_mode_name(enum config_mode m)
{
	return m == CONFIG_MODE_INDOOR ? "indoor" : "gate";
}

int
camdb_mode_parse(const char *s)
{
	if (s && strcmp(s, "gate") == 0)
		return CONFIG_MODE_GATE;
	if (s && strcmp(s, "indoor") == 0)
		return CONFIG_MODE_INDOOR;
	return -1;
}

/* camdb_row - a row of CAMDB_COLS into cam */
static void
camdb_row(sqlite3_stmt *st, struct camdb_camera *cam)
{
	const char *h = (const char *)sqlite3_column_text(st, 3);

	memset(cam, 0, sizeof(*cam));
	util_strlcpy(cam->id, (const char *)sqlite3_column_text(st, 0), sizeof(cam->id));
	util_strlcpy(cam->name, (const char *)sqlite3_column_text(st, 1), sizeof(cam->name));
	cam->mode = camdb_mode_parse((const char *)sqlite3_column_text(st, 2)) == CONFIG_MODE_INDOOR ?
	    CONFIG_MODE_INDOOR : CONFIG_MODE_GATE;
	util_strlcpy(cam->token_hash, h ? h : "", sizeof(cam->token_hash));
	cam->from_config = sqlite3_column_int(st, 4);
	cam->created_us = sqlite3_column_int64(st, 5);
	cam->changed_us = sqlite3_column_int64(st, 6);
}

int
camdb_get(sqlite3 *db, const char *id, struct camdb_camera *cam)
{
	struct camdb_camera tmp;
	sqlite3_stmt *st;
	int rc;

	if (!util_camera_id_valid(id))
		return -ENOENT;
	if (sqlite3_prepare_v2(db, "SELECT " CAMDB_COLS " FROM cameras WHERE id = ? AND removed_us IS NULL", -1, &st,
	    NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		camdb_row(st, cam ? cam : &tmp);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int
camdb_check(sqlite3 *db, const char *id, const char *token, struct camdb_camera *cam)
{
	char hash[CAMDB_HASH_SIZE];
	int rc;

	if (token == NULL || strlen(token) >= CONFIG_TOKEN_SIZE)
		return 0;
	if ((rc = camdb_get(db, id, cam)) != 0)
		return rc == -ENOENT ? 0 : rc;
	authdb_secret_hash(token, hash);
	return strlen(cam->token_hash) == CAMDB_HASH_SIZE - 1 &&
	    sodium_memcmp(hash, cam->token_hash, CAMDB_HASH_SIZE - 1) == 0;
}

int
camdb_list(sqlite3 *db, void (*fn)(const struct camdb_camera *, void *), void *arg)
{
	struct camdb_camera cam;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, "SELECT " CAMDB_COLS " FROM cameras WHERE removed_us IS NULL ORDER BY id", -1, &st,
	    NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		camdb_row(st, &cam);
		if (fn)
			fn(&cam, arg);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

/* camdb_seed_hash - the hash of a config camera's lines */
static void
camdb_seed_hash(const struct config_camera *cc, char out[CAMDB_HASH_SIZE])
{
	char lines[CONFIG_TOKEN_SIZE + CAMDB_NAME_SIZE + 16];

	snprintf(lines, sizeof(lines), "%s\n%s\n%s", cc->token, cc->name, camdb_mode_name(cc->mode));
	authdb_secret_hash(lines, out);
	sodium_memzero(lines, sizeof(lines));
}

/* camdb_seed_one - apply config camera cc: 1 when a row changed */
static int
camdb_seed_one(sqlite3 *db, const struct config_camera *cc, int64_t now)
{
	char seed[CAMDB_HASH_SIZE], hash[CAMDB_HASH_SIZE];
	const char *name = cc->name[0] ? cc->name : cc->id;

	camdb_seed_hash(cc, seed);
	authdb_secret_hash(cc->token, hash);
	return authdb_exec1(db, "INSERT INTO cameras (id, name, mode, token_hash, seed, created_us, changed_us)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (id) DO UPDATE SET name = ?2, mode = ?3,"
	    " token_hash = ?4, seed = ?5, api_changed = 0, changed_us = ?6, removed_us = NULL"
	    " WHERE seed IS NULL OR seed != ?5", "sssssi", cc->id, name, camdb_mode_name(cc->mode), hash, seed, now);
}

/* camdb_seed_gone - remove the config's cameras nobody changed whose
 * lines are gone from c; how many, or negative */
static int
camdb_seed_gone(sqlite3 *db, const struct config *c, int64_t now)
{
	char gone[CONFIG_CAMERAS_MAX][CAMERA_ID_SIZE];
	sqlite3_stmt *st;
	int rc, n = 0, i;

	if (sqlite3_prepare_v2(db, "SELECT id FROM cameras WHERE seed IS NOT NULL AND api_changed = 0"
	    " AND removed_us IS NULL", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < CONFIG_CAMERAS_MAX)
		if (config_camera(c, (const char *)sqlite3_column_text(st, 0)) == NULL)
			util_strlcpy(gone[n++], (const char *)sqlite3_column_text(st, 0), CAMERA_ID_SIZE);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return -EIO;
	for (i = 0; i < n; i++)  /* seed cleared: the lines coming back bring it back */
		if ((rc = authdb_exec1(db, "UPDATE cameras SET token_hash = NULL, seed = NULL, changed_us = ?1,"
		    " removed_us = ?1 WHERE id = ?2", "is", now, gone[i])) < 0)
			return rc;
	return n;
}

int
camdb_seed(sqlite3 *db, const struct config *c, int64_t now_us)
{
	int i, rc = 0, n = 0;

	if (sodium_init() < 0 || sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	for (i = 0; i < c->ncameras && rc >= 0; i++)
		if (c->cameras[i].token[0] != '\0' && (rc = camdb_seed_one(db, &c->cameras[i], now_us)) > 0)
			n += rc;
	if (rc >= 0 && (rc = camdb_seed_gone(db, c, now_us)) > 0)
		n += rc;
	if (rc < 0 || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc < 0 ? rc : -EIO;
	}
	return n;
}

/* camdb_new_token - a fresh camera token into tok and its hash into hash */
static void
camdb_new_token(char *tok, char hash[CAMDB_HASH_SIZE])
{
	authdb_random_secret("gwc_", tok);
	authdb_secret_hash(tok, hash);
}

int
camdb_add(sqlite3 *db, const char *id, const char *name, enum config_mode mode, int64_t now_us, char *tok)
{
	char hash[CAMDB_HASH_SIZE];
	int rc;

	if (!util_camera_id_valid(id) || !camdb_name_ok(name))
		return -EINVAL;
	camdb_new_token(tok, hash);
	/* a removed camera's id may be used again: a new camera */
	rc = authdb_exec1(db, "INSERT INTO cameras (id, name, mode, token_hash, seed, api_changed, created_us, changed_us)"
	    " VALUES (?1, ?2, ?3, ?4, NULL, 1, ?5, ?5) ON CONFLICT (id) DO UPDATE SET name = ?2, mode = ?3,"
	    " token_hash = ?4, seed = NULL, api_changed = 1, created_us = ?5, changed_us = ?5, removed_us = NULL"
	    " WHERE removed_us IS NOT NULL", "ssssi", id, name, camdb_mode_name(mode), hash, now_us);
	if (rc == 0)
		memset(tok, 0, AUTHDB_SECRET_SIZE);
	return rc < 0 ? rc : rc == 0 ? -EEXIST : 0;
}

int
camdb_set(sqlite3 *db, const char *id, const char *name, int mode, int64_t now_us)
{
	int rc;

	if ((name && !camdb_name_ok(name)) || (mode != -1 && mode != CONFIG_MODE_GATE && mode != CONFIG_MODE_INDOOR))
		return -EINVAL;
	rc = authdb_exec1(db, "UPDATE cameras SET name = coalesce(?1, name), mode = coalesce(?2, mode),"
	    " api_changed = 1, changed_us = ?3 WHERE id = ?4 AND removed_us IS NULL", "ssis", name,
	    mode == -1 ? NULL : camdb_mode_name((enum config_mode)mode), now_us, id);
	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

int
camdb_rotate(sqlite3 *db, const char *id, int64_t now_us, char *tok)
{
	char hash[CAMDB_HASH_SIZE];
	int rc;

	camdb_new_token(tok, hash);
	rc = authdb_exec1(db, "UPDATE cameras SET token_hash = ?1, api_changed = 1, changed_us = ?2"
	    " WHERE id = ?3 AND removed_us IS NULL", "sis", hash, now_us, id);
	if (rc <= 0)
		memset(tok, 0, AUTHDB_SECRET_SIZE);
	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

int
camdb_remove(sqlite3 *db, const char *id, int64_t now_us)
{
	int rc = authdb_exec1(db, "UPDATE cameras SET token_hash = NULL, api_changed = 1, changed_us = ?1,"
	    " removed_us = ?1 WHERE id = ?2 AND removed_us IS NULL", "is", now_us, id);

	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

int
camdb_mode_known(const struct config *c, const char *id)
{
	char path[CONFIG_PATH_SIZE + 32];
	const struct config_camera *cc;
	struct camdb_camera cam;
	sqlite3 *db = NULL;
	int rc = -EIO;

	if ((size_t)snprintf(path, sizeof(path), "%s/gatewatch.db", c->dir) < sizeof(path) &&
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 2000);
		rc = camdb_get(db, id, &cam);
	}
	sqlite3_close(db);
	if (rc == 0)
		return (int)cam.mode;
	/* no row: nothing seeded yet (a worker run alone) or removed */
	return (cc = config_camera(c, id)) != NULL ? (int)cc->mode : -ENOENT;
}

enum config_mode
camdb_mode(const struct config *c, const char *id)
{
	int m = camdb_mode_known(c, id);

	return m < 0 ? CONFIG_MODE_GATE : (enum config_mode)m;
}
