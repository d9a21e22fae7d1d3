/* deliver - the worker's link to the notifier (a common/link.c link that
 * the worker drives itself with poll(2), it has no event loop): send a
 * result, wait for the acknowledgement that it is committed, reconnect
 * and resend until it is. The frame is deleted by the caller only after
 * this returns 0. */
#ifndef GW_WORKER_DELIVER_H
#define GW_WORKER_DELIVER_H

#include <signal.h>
#include "config.h"
#include "link.h"
#include "msg.h"

#define DELIVER_ACK_TIMEOUT_MS 5000
#define DELIVER_BACKOFF_MIN_MS 200
#define DELIVER_BACKOFF_MAX_MS 5000

struct deliver {
	char path[CONFIG_PATH_SIZE];   /* DIR/run/notifier.sock */
	char camera[CAMERA_ID_SIZE];
	struct link link;              /* link.fd -1 when not connected */
	int backoff_ms;                /* next wait after a failure */
	/* what the messages read so far said (deliver_message) */
	const struct msg_frame_ref *want; /* the ack waited for, or NULL */
	int acked;
	void (*adopt)(const struct msg_track_state *, void *); /* during a takeover */
	void *adopt_arg;
	int adopted, ended;
};

void deliver_init(struct deliver *d, const char *path, const char *camera);

/* deliver_connect - connect and say hello if not connected. Returns 0 or
 * -errno; a failure is not fatal (deliver_result retries). */
int deliver_connect(struct deliver *d);

/* deliver_result - send r and wait for RESULT_ACK of r->ref. Every attempt
 * is bounded (DELIVER_ACK_TIMEOUT_MS); after a failure it reconnects with
 * backoff and resends (commits are idempotent) for as long as it takes.
 * It gives up only when *stop becomes non-zero or watch_fd (the
 * dispatcher's socket, may be -1) hangs up: -ECANCELED, and the frame must
 * stay where it is. Returns 0 once acknowledged. */
int deliver_result(struct deliver *d, const struct msg_result *r, int watch_fd,
                   volatile sig_atomic_t *stop);

/* deliver_result_timed - as deliver_result, for a worker on its way out:
 * no stop flag, no dispatcher to watch, but gives up after timeout_ms in
 * all (-ETIMEDOUT). Returns 0 once acknowledged. */
int deliver_result_timed(struct deliver *d, const struct msg_result *r, int timeout_ms);

/* deliver_takeover - ask the notifier for the camera's open people (left
 * by an earlier worker) and call cb for each, at most timeout_ms in all.
 * Returns how many, or -errno (none taken over; the connection is closed
 * and reopened by the next call). */
int deliver_takeover(struct deliver *d, int timeout_ms, void (*cb)(const struct msg_track_state *, void *),
                     void *arg);

void deliver_close(struct deliver *d);

#endif
