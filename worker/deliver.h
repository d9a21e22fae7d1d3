/* notify - the worker's connection to the notifier: send a result, wait
 * for the acknowledgement that it is committed, reconnect and resend until
 * it is. The frame is deleted by the caller only after this returns 0. */
#ifndef GW_WORKER_NOTIFY_H
#define GW_WORKER_NOTIFY_H

#include <signal.h>
#include "config.h"
#include "msg.h"

#define NOTIFY_ACK_TIMEOUT_MS 5000
#define NOTIFY_BACKOFF_MIN_MS 200
#define NOTIFY_BACKOFF_MAX_MS 5000

struct notify {
	char path[CONFIG_PATH_SIZE];   /* DIR/run/notifier.sock */
	char camera[CAMERA_ID_SIZE];
	int fd;                        /* owned; -1 when not connected */
	int backoff_ms;                /* next wait after a failure */
};

void notify_init(struct notify *n, const char *path, const char *camera);

/* notify_connect - connect and say hello if not connected. Returns 0 or
 * -errno; a failure is not fatal (notify_result retries). */
int notify_connect(struct notify *n);

/* notify_result - send r and wait for RESULT_ACK of r->ref. Every attempt
 * is bounded (NOTIFY_ACK_TIMEOUT_MS); after a failure it reconnects with
 * backoff and resends (commits are idempotent) for as long as it takes.
 * It gives up only when *stop becomes non-zero or watch_fd (the
 * dispatcher's socket, may be -1) hangs up: -ECANCELED, and the frame must
 * stay where it is. Returns 0 once acknowledged. */
int notify_result(struct notify *n, const struct msg_result *r, int watch_fd,
                  volatile sig_atomic_t *stop);

/* notify_result_timed - as notify_result, for a worker on its way out:
 * no stop flag, no dispatcher to watch, but gives up after timeout_ms in
 * all (-ETIMEDOUT). Returns 0 once acknowledged. */
int notify_result_timed(struct notify *n, const struct msg_result *r, int timeout_ms);

/* notify_takeover - ask the notifier for the camera's open people (left
 * by an earlier worker) and call cb for each, at most timeout_ms in all.
 * Returns how many, or -errno (none taken over; the connection is closed
 * and reopened by the next call). */
int notify_takeover(struct notify *n, int timeout_ms, void (*cb)(const struct msg_track_state *, void *),
                    void *arg);

void notify_close(struct notify *n);

#endif
