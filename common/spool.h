/* spool - frames as files: the durable buffer between the programs.
 *
 * Layout under the spool root (DIR/spool):
 *   tmp/                          being written; anything here at start is stale
 *   queue/<camera>/<frameid>.<ext> committed, waiting for the worker (FIFO by name)
 *   active/<camera>/<frameid>.<ext> claimed by the camera's worker
 *   failed/<camera>/<frameid>.<ext> moved aside (+ <frameid>.reason, a text file)
 *
 * A frame file is the image exactly as the camera sent it (JPEG or PNG,
 * ext "jpg"/"png"), followed by a trailer that image readers ignore (they
 * stop at EOI/IEND):  <meta JSON bytes> "\n" "GWMETA01" <u32 LE length of
 * the JSON>. The JSON carries what ingest learned: person boxes, width,
 * height, temperature, receive time, the camera's frame number and its
 * frames not looked at (worker/meta.h; every key optional, unknown keys
 * ignored, so adding one keeps GWMETA01). So `display`, a browser or stb open a
 * spooled frame as is, and one rename moves frame and metadata together.
 *
 * Commit: write tmp/<camera>.<frameid>.<ext>, fsync, rename into queue/,
 * fsync the queue directory. Only then may the dispatcher be told.
 * Claim (worker): rename queue -> active. Done: unlink from active, only
 * after the notifier has committed the result. Skip (dispatcher, a gate
 * camera's stale frame): unlink from queue/, counted, never analysed. Recovery (spool_recover):
 * stale tmp/ files removed, active/ frames renamed back to queue/.
 *
 * Thread-safety: spool functions keep no shared mutable state beyond the
 * struct's read-only fields; callers serialise per camera. All functions
 * return 0 or a negative errno; none logs. Every entry point that takes a
 * camera id or frame id checks it (util_camera_id_valid, frameid_valid)
 * and returns -EINVAL for a bad one, before touching the disk. */
#ifndef GW_SPOOL_H
#define GW_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include "frameid.h"
#include "util.h"

#define SPOOL_META_MAX 16384 /* 16 person boxes and 64 close-up faces take ~6 KB */
#define SPOOL_PATH_SIZE 512
#define SPOOL_TMP_STALE_S 30 /* a tmp/ file older than this was left by a dead writer */

struct spool {
	char root[SPOOL_PATH_SIZE];
	int max_frames;         /* per camera queue cap (queue + active) */
	long max_bytes;         /* per camera queue cap */
	long min_free_mb;       /* disk floor for new frames */
};

enum spool_state { SPOOL_QUEUE, SPOOL_ACTIVE, SPOOL_FAILED };

/* spool_open - create the directory tree if missing, remember the caps.
 * A cap (max_frames, max_bytes, min_free_mb) of 0 or less means none. */
int spool_open(struct spool *sp, const char *root, int max_frames, long max_bytes, long min_free_mb);

/* spool_recover - remove stale tmp/ files and move active/ frames back to
 * queue/. Counts are optional outputs. Only the dispatcher (or a single
 * program owning the spool) calls this at start. A commit in flight
 * meanwhile loses its tmp file and fails (nothing becomes visible). */
int spool_recover(struct spool *sp, int *stale_removed, int *requeued);

/* spool_admit - may this camera take one more frame of len bytes now?
 * Returns 0, -ENOSPC (disk below the floor), -EDQUOT (camera queue at its
 * frame or byte cap). Overflow policy: the newest frame is refused with
 * "busy"; frames already accepted are never dropped. Cost: one readdir of
 * queue/ and active/ (plus one stat per frame when under the frame cap);
 * nothing is cached, so it stays right while other processes claim/delete. */
int spool_admit(const struct spool *sp, const char *camera, size_t len);

/* spool_commit - make a frame durable and visible in queue/<camera>/.
 * ext: "jpg" or "png"; meta: JSON text, at most SPOOL_META_MAX bytes
 * (-EMSGSIZE), or NULL for no trailer at all. Returns 0, or a negative
 * errno; on error nothing is visible and tmp/ holds nothing. */
int spool_commit(const struct spool *sp, const char *camera, const char *frame_id,
                 const char *ext, const void *img, size_t len, const char *meta);

/* spool_path - the path of a frame in a state; searches for the extension.
 * Returns 0 or -ENOENT. */
int spool_path(const struct spool *sp, enum spool_state st, const char *camera,
               const char *frame_id, char *out, size_t outlen);

/* spool_claim - rename queue -> active, durably (both directories
 * fsynced). -ENOENT if not queued. */
int spool_claim(const struct spool *sp, const char *camera, const char *frame_id);

/* spool_unclaim - rename active -> queue (worker gives a frame back). */
int spool_unclaim(const struct spool *sp, const char *camera, const char *frame_id);

/* spool_done - unlink from active (result is committed), durably (the
 * directory fsynced). */
int spool_done(const struct spool *sp, const char *camera, const char *frame_id);

/* spool_skip - unlink a queued frame nobody will analyse (the dispatcher
 * skipped it: a newer frame of a gate camera waits). Not made durable (no
 * directory fsync: it runs on the dispatcher's loop, for every skipped
 * frame): one a power loss brings back was never analysed, so nobody is
 * counted twice, and it is older than every frame after it, so it is
 * skipped again. -ENOENT if not queued (a claimed frame is the worker's). */
int spool_skip(const struct spool *sp, const char *camera, const char *frame_id);

/* spool_fail - move a frame (queued or active) to failed/ with a reason file
 * (reason + "\n"; NULL reason: "unknown"). -ENOENT if neither queued nor active. */
int spool_fail(const struct spool *sp, const char *camera, const char *frame_id, const char *reason);

/* spool_read - read a frame file: img/meta are malloc'd, owned by the caller
 * (meta NUL-terminated, "" when the file has no trailer). Returns 0,
 * -ENOENT, or -EBADMSG for a damaged trailer (magic present but length over
 * SPOOL_META_MAX or the file, no "\n" before the magic, or a NUL in the JSON). */
int spool_read(const char *path, unsigned char **img, size_t *imglen, char **meta);

/* spool_list_cb - called per frame in name (= arrival) order. Return
 * non-zero to stop. */
typedef int (*spool_list_cb)(const char *camera, const char *frame_id, size_t bytes, void *arg);

/* spool_list - walk queue/ (or active/, failed/) of one camera, or of all
 * cameras when camera is NULL (cameras in name order), in frame id order per
 * camera. Returns 0 (also when the callback stopped it) or -errno. */
int spool_list(const struct spool *sp, enum spool_state st, const char *camera, spool_list_cb cb, void *arg);

/* spool_usage - frames and bytes queued+active for a camera. */
int spool_usage(const struct spool *sp, const char *camera, int *frames, long *bytes);

#endif
