/* camdb - the cameras, as rows of the notifier's SQLite database
 * (DIR/gatewatch.db, table cameras): id, display name, mode (gate or
 * indoor) and the BLAKE2b-256 hash of the camera's token; the token itself
 * is shown once, when it is made, and never stored.
 *
 * The database is the one list of cameras (docs/ARCHITECTURE.md, "The
 * cameras"): the config file's camera.ID.* keys seed it (camdb_seed, run
 * by ingest and the notifier at start), the notifier's API changes it,
 * ingest checks each hello against it (camdb_check) and the worker reads
 * its camera's mode from it. Seeding: a camera the config names is added;
 * when its lines changed since they were last applied (a hash of them is
 * kept) they are applied again, over what the API did; a camera the config
 * brought, that the API never changed, goes when its lines go. Otherwise
 * what the API did stays.
 *
 * Like authdb, every function takes the caller's connection, never logs,
 * and returns 0 (or a count) or a negative errno: -EINVAL bad argument,
 * -ENOENT no such (live) camera, -EEXIST already there, -EIO SQLite. */
#ifndef GW_CAMDB_H
#define GW_CAMDB_H

#include <sqlite3.h>
#include <stdint.h>

#include "authdb.h"
#include "config.h"

#define CAMDB_NAME_SIZE 64      /* display names: 1..63 bytes of UTF-8, no control characters */
#define CAMDB_HASH_SIZE 65      /* hex BLAKE2b-256 and its NUL */

struct camdb_camera {
	char id[CAMERA_ID_SIZE];
	char name[CAMDB_NAME_SIZE];
	enum config_mode mode;
	char token_hash[CAMDB_HASH_SIZE];
	int from_config;            /* the config file brought it */
	int64_t created_us, changed_us;
};

/* camdb_schema - create the cameras table if missing. 0 or -EIO. */
int camdb_schema(sqlite3 *db);

/* camdb_open - open (create) DIR/gatewatch.db as the notifier does (WAL,
 * busy timeout), with the cameras table. 0 or -EIO (*db NULL). */
int camdb_open(const char *dir, sqlite3 **db);

/* camdb_seed - apply the config file's cameras (see above), in one
 * transaction. Returns how many rows changed, or negative. */
int camdb_seed(sqlite3 *db, const struct config *c, int64_t now_us);

/* camdb_name_ok - 1 if s may be a display name. */
int camdb_name_ok(const char *s);
/* camdb_mode_name, camdb_mode_parse - "gate"/"indoor" and back (-1). */
const char *camdb_mode_name(enum config_mode m);
int camdb_mode_parse(const char *s);

/* camdb_get - 0 with cam filled (may be NULL), or -ENOENT. */
int camdb_get(sqlite3 *db, const char *id, struct camdb_camera *cam);
/* camdb_check - 1 with cam filled when id is a camera and token is its
 * token (compared as hashes, in constant time), 0 when not, negative on
 * error. */
int camdb_check(sqlite3 *db, const char *id, const char *token, struct camdb_camera *cam);
/* camdb_list - call fn (may be NULL) for every camera, by id; returns the count. */
int camdb_list(sqlite3 *db, void (*fn)(const struct camdb_camera *, void *), void *arg);

/* camdb_add - a new camera with a fresh token (into tok,
 * AUTHDB_SECRET_SIZE: shown once). -EEXIST if the id is taken. */
int camdb_add(sqlite3 *db, const char *id, const char *name, enum config_mode mode, int64_t now_us, char *tok);
/* camdb_set - new name (NULL: keep) and/or mode (-1: keep). -ENOENT. */
int camdb_set(sqlite3 *db, const char *id, const char *name, int mode, int64_t now_us);
/* camdb_rotate - a fresh token (into tok, shown once); the old one stops
 * working at once. -ENOENT. */
int camdb_rotate(sqlite3 *db, const char *id, int64_t now_us, char *tok);
/* camdb_remove - the camera is no more: its token is refused. -ENOENT. */
int camdb_remove(sqlite3 *db, const char *id, int64_t now_us);

/* camdb_mode - the mode of camera id as DIR/gatewatch.db says (the
 * worker, at start); where it has no row for it (nothing seeded yet: a
 * worker run alone), the config file's; else gate. */
enum config_mode camdb_mode(const struct config *c, const char *id);

/* camdb_mode_known - the same, or -ENOENT where neither the database nor
 * the config file knows the camera (the dispatcher: no gate policy for a
 * camera nobody declared). Blocks on SQLite (up to 2 s on a lock). */
int camdb_mode_known(const struct config *c, const char *id);

#endif
