/* child - one worker process of a camera and our end of its socketpair:
 * spawn, hello, frames out, FRAME_DONE in, retire, kill, reap. What the
 * frames mean (the FIFO, crash counting, restart backoff) is camera.c's;
 * a child reports to it through struct child_cb.
 *
 * A worker is `gatewatch-worker --camera CAM --fd 3 <config flags>` with one
 * end of a SOCK_SEQPACKET socketpair as fd 3. Both sides say HELLO. A
 * message that breaks the protocol drops the connection (the worker sees
 * EOF and exits) and its exit counts as a crash.
 *
 * Log lines, one per event, that tests read:
 *   info dispatcher - worker start camera=CAM pid=PID
 *   info dispatcher - worker exit camera=CAM pid=PID status=N|signal:N */
#ifndef GW_DISPATCHER_CHILD_H
#define GW_DISPATCHER_CHILD_H

#include <stdint.h>

#include "msg.h"

struct child; /* owned by the child itself: freed after child_cb.closed */

/* How a child ended, for child_cb.exited. */
struct child_exit {
	int spawned;         /* 0: uv_spawn failed, no process ran */
	int64_t status;      /* exit status, when signal is 0 */
	int signal;          /* the signal that ended it, 0 if it exited */
	int orderly;         /* we asked it to exit and it did, cleanly */
	int killed;          /* we sent SIGKILL (child_kill) */
	int broken;          /* it broke the protocol, or its socket failed */
	int crashed;         /* a signal the kernel sends for what it did itself */
};

/* What a child tells its camera; arg is child_start's. Called on the loop
 * thread, never from inside child_start. */
struct child_cb {
	/* the worker said HELLO: it takes frames now */
	void (*ready)(void *arg);
	/* the worker finished a frame; return < 0 if it was not given that
	 * frame (a protocol error: the connection is dropped) */
	int (*frame_done)(void *arg, const struct msg_frame_done *d);
	/* the process ended (or never started); the child is closing */
	void (*exited)(void *arg, const struct child_exit *e);
	/* every handle is closed; the child is freed after this returns */
	void (*closed)(void *arg);
};

/* child_start - spawn camera's worker and say HELLO. Returns the child;
 * if the spawn fails, the child is returned anyway and reports exited
 * (spawned 0) and closed from the loop. NULL only when not even that was
 * possible (out of memory, no socketpair): nothing will be called. */
struct child *child_start(const char *camera, const struct child_cb *cb, void *arg);

/* child_ready - the worker said HELLO and may be sent a frame. */
int child_ready(const struct child *ch);

/* child_send - send the worker a frame. Returns 0, or a negative errno:
 * then the connection is dropped (logged) and its exit counts as a crash. */
int child_send(struct child *ch, const struct msg_frame_ref *ref, unsigned skipped);

/* child_send_empty - pass ingest's FRAME_EMPTY on to the worker (a hint:
 * a full socket loses it, logged at debug; a broken one drops the worker
 * as child_send does). Returns 0 or a negative errno. */
int child_send_empty(struct child *ch, const struct msg_frame_empty *e);

/* child_retire - ask the worker to exit once its frame is finished (we shut
 * our side for writing: it sees EOF). */
void child_retire(struct child *ch);

/* child_kill - SIGKILL a worker still running (logged); its exit is then
 * not the frame's fault. */
void child_kill(struct child *ch);

/* child_pid - the worker's pid while it runs, else 0. */
int child_pid(const struct child *ch);

#endif
