/* session - the camera protocol on top of ws.c: hello, meta, frames into
 * the pipeline, answers, gate messages. Loop thread only. */
#ifndef GW_INGEST_SESSION_H
#define GW_INGEST_SESSION_H

#include <sqlite3.h>

#include "msg.h"
#include "pipeline.h"
#include "ws.h"


/* session_recheck - close the connections whose camera was removed or
 * whose token was replaced since their hello (call every few seconds: the
 * table is read on the thread pool, the connections closed when it has
 * been, so within two calls). */
void session_recheck(void);

/* session_text - a whole text message (c->rx, c->rx_len) from c. */
void session_text(struct ws_conn *c);

/* session_frame - a whole binary message from c: one frame. Takes c->rx
 * over when the frame goes into the pipeline. */
void session_frame(struct ws_conn *c);

/* session_answer - the pipeline's done callback: answer the frame's sender. */
void session_answer(struct pipeline_job *job);

/* session_forget - free what c's session holds (answers waiting for an
 * earlier frame's); ws.c calls it when c is freed. */
void session_forget(struct ws_conn *c);

/* session_verdict - forward a gate message from the notifier to the
 * camera's connections (to one of them when v->conn is set). */
void session_verdict(const struct msg_verdict *v);

/* session_resync - the link to the notifier came up: every camera
 * connection asks again for its camera's open people. */
void session_resync(void);

#endif
