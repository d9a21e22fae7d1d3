/* camcheck - ingest's reads of the cameras table (camdb.h), done on the
 * thread pool so that the loop never waits for SQLite: a hello's camera
 * and token, and every few seconds every camera's token hash (a removed
 * camera or a replaced token closes its connections). The database
 * connection is used by one pool thread at a time. Every read gets a
 * number in the order the reads were made (a recheck judges only the
 * hellos read before it). Calls and callbacks: loop thread. */
#ifndef GW_INGEST_CAMCHECK_H
#define GW_INGEST_CAMCHECK_H
#include <sqlite3.h>
#include <stdint.h>
#include <uv.h>
#include "camdb.h"
#include "ws.h"

#define CAMCHECK_ERR_SIZE 160

/* camcheck_init - the loop whose pool runs the reads, and the database
 * (kept open by the caller while reads may run). */
void camcheck_init(uv_loop_t *loop, sqlite3 *db);

/* camcheck_hello_fn - the answer to a hello's check: rc 1 with cc filled
 * (a camera, and token is its token), 0 (not), or negative (the table could
 * not be read: err says why); camera as the hello gave it; seq numbers the
 * read. */
typedef void (*camcheck_hello_fn)(struct ws_conn *c, int rc, const struct camdb_camera *cc, const char *camera,
    uint64_t seq, const char *err);
/* camcheck_hello - check camera and token off the loop, then call done on
 * the loop (c is held meanwhile: done runs even if c closed, c->wsi NULL).
 * 0, or -ENOMEM (done is not called). */
int camcheck_hello(struct ws_conn *c, const char *camera, const char *token, camcheck_hello_fn done);

/* One camera's id and token hash, as a recheck read them. */
struct camcheck_cam {
	char id[CAMERA_ID_SIZE];
	char token_hash[CAMDB_HASH_SIZE];
};
/* camcheck_all_fn - every camera (n of them, by id), or n < 0 and err;
 * seq numbers the read. */
typedef void (*camcheck_all_fn)(const struct camcheck_cam *cams, int n, uint64_t seq, const char *err);
/* camcheck_all - read every camera off the loop (one query), then call
 * done on the loop. 0; -EBUSY while the last one is still running;
 * -ENOMEM. */
int camcheck_all(camcheck_all_fn done);

/* camcheck_find - the camera id in cams (n, by id), or NULL. */
const struct camcheck_cam *camcheck_find(const struct camcheck_cam *cams, int n, const char *id);
#endif
