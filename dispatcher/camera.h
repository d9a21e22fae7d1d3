/* camera - per camera: the frame FIFO and at most one worker process
 * (child.h: the process, its socketpair and the message exchange).
 *
 * The dispatcher sends a worker one MSG_FRAME at a time, only after the
 * worker's HELLO and the next only after MSG_FRAME_DONE, so a worker that
 * dies while loading its models never counts against a frame.
 *
 * A worker that dies holding a frame: the frame goes back to queue/ (if the
 * worker had claimed it) and to the head of the FIFO, and the death is
 * counted against it; at dispatcher.max_crashes deaths the frame is moved to
 * failed/. Any worker exit the dispatcher did not ask for delays the next
 * start: dispatcher.worker_backoff_ms, doubling up to
 * dispatcher.worker_backoff_max_ms, back to the start after a frame is done.
 * A worker with nothing to do for dispatcher.worker_idle_ms is told to exit
 * (child_retire). A gate camera's worker (dispatcher.gate_latest) gets the
 * newest waiting frame: the older ones are stale for the person at the
 * gate now, and are removed from queue/ unanalysed, logged and counted
 * (msg_queue_status.skipped); the tracker sees a missing look, not a
 * missing person (its times come from the frames' clock). A FRAME_DONE with a non-zero status means the worker gave
 * up on the frame: if the frame is still in queue/ or active/ it is moved to
 * failed/ with the worker's reason. */
#ifndef GW_DISPATCHER_CAMERA_H
#define GW_DISPATCHER_CAMERA_H

#include "msg.h"

/* camera_init - start the periodic spool rescan (messages are hints: a
 * frame whose FRAME_READY was lost is found within two seconds). */
void camera_init(void);

/* camera_rescan - queue every frame in spool queue/ not yet known, in id
 * order, and start workers as needed. Returns frames added or -errno. */
int camera_rescan(void);

/* camera_frame_ready - ingest committed a frame. Returns 1 if queued, 0 if
 * already known or not in the spool (a stale hint), -errno otherwise. */
int camera_frame_ready(const char *camera, const char *frame_id);

/* camera_frame_empty - ingest found nobody in a frame (not spooled). The
 * camera's worker gets it in frame id order with the frames: at once when
 * it waits and no older frame is queued, else after those; only the newest
 * such hint waits (an older one says less). Without a worker it is dropped:
 * nobody is tracked. Returns 1 if kept or sent, 0 if dropped. */
int camera_frame_empty(const struct msg_frame_empty *e);

/* camera_status_all - call cb with the queue status of every camera. */
void camera_status_all(void (*cb)(const struct msg_queue_status *));

/* camera_stop - stop rescans and restarts; tell every worker to finish its
 * frame and exit. done() is called once no worker is left. */
void camera_stop(void (*done)(void));

/* camera_kill - SIGKILL every worker still running (the drain timed out). */
void camera_kill(void);

/* camera_workers - workers alive now. */
int camera_workers(void);

/* camera_close - close every handle and free every camera (after stop). */
void camera_close(void);

#endif
