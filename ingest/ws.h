/* ws - ingest's WebSocket server for cameras (libwebsockets on the
 * program's libuv loop). Speaks the camera wire protocol: hello/welcome,
 * meta, binary frames answered one by one, verdicts pushed back. Loop
 * thread only. */
#ifndef GW_INGEST_WS_H
#define GW_INGEST_WS_H

#include <uv.h>

#include "config.h"
#include "msg.h"
#include "pipeline.h"

/* ws_start - create the lws context on loop and listen. Returns 0, or -1
 * with err set (port in use, bad TLS files, ...). */
int ws_start(uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen);

/* ws_answer - the pipeline's done callback: answer the frame's sender. */
void ws_answer(struct pipeline_job *job);

/* ws_verdict - forward a notifier verdict to the camera's connections. */
void ws_verdict(const struct msg_verdict *v);

/* ws_connected - open, authenticated connections of a camera. */
unsigned ws_connected(int cam);

/* ws_stop_accepting - refuse new connections and answer new frames busy. */
void ws_stop_accepting(void);

/* ws_flushed - 1 when no connection has unsent messages. */
int ws_flushed(void);

/* ws_destroy - the two-step teardown lws needs on a foreign loop:
 * ws_destroy(0) before running the loop dry, ws_destroy(1) after. */
void ws_destroy(int final);

#endif
