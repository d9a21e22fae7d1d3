/* ws - ingest's WebSocket server for cameras (libwebsockets on the
 * program's libuv loop): connections, message reassembly, a bounded
 * outbound queue per connection, closes; what the messages mean is
 * session.c's. Loop thread only. */
#ifndef GW_INGEST_WS_H
#define GW_INGEST_WS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "config.h"
#include "msg.h"
#include "pipeline.h"

#define WS_OUTQ 256                 /* messages queued per connection before it is dropped */
#define WS_TEXT_MAX 65536           /* largest text message from a camera */
#define WS_RX_BUF (256 * 1024)      /* lws receive piece size */
#define WS_CLOSE_AUTH 4001
#define WS_CLOSE_PROTOCOL 4002      /* binary before hello, bad hello */
#define WS_CLOSE_TIMEOUT 4008       /* no hello in time */
#define WS_CLOSE_LIMIT 4029         /* too many connections without hello */
#define WS_CLOSE_TRY_AGAIN 1013     /* RFC 6455 "try again later": the camera list could not be read */
#define WS_HELLO_TEXT_MAX 4096      /* largest text message before hello */

struct session_slot;

struct ws_out {
	unsigned char *buf;             /* owned: LWS_PRE + len bytes; NULL = close marker */
	size_t len;
	int close_code;
	char close_reason[96];
};

struct ws_conn {
	struct ws_conn *prev, *next;    /* all connections with a live wsi */
	struct lws *wsi;                /* NULL once closed */
	int refs;                       /* wsi + jobs in flight; freed at 0 */
	int cam;                        /* the camera's slot (pipeline_camera); -1 before hello */
	char token_hash[65];            /* its token's hash at hello (session_recheck) */
	int hello_pending;              /* its hello is being checked (camcheck.h): nothing read meanwhile */
	uint64_t hello_seq;             /* the number of that read (camcheck.h) */
	uint64_t id;                    /* from its hello: unique in this process (gate syncs) */
	uint32_t seq;                   /* binary messages received */
	int inflight;                   /* frames in the pipeline */
	struct session_slot *slots;     /* answers in frame order while a frame is in the pipeline (session.c) */
	int nslots;
	float temperature;              /* from the last meta, for the next frame; NAN if none */
	uint64_t born_mono;             /* established; hello is due hello_timeout_ms later */
	char peer[64];
	/* message reassembly */
	int rx_active, rx_binary, rx_over;
	unsigned char *rx;              /* owned; handed to the job for frames */
	size_t rx_len, rx_cap, rx_total;
	uint64_t rx_mono;               /* first piece of this message */
	/* outbound queue */
	struct ws_out out[WS_OUTQ];
	int out_head, out_count;
	int dead;                       /* dropped or closing: accept nothing more */
};

/* ws_start - create the lws context on loop and listen. Returns 0, or -1
 * with err set (port in use, bad TLS files, ...). */
int ws_start(uv_loop_t *loop, const struct config *cfg, char *err, size_t errlen);

/* ws_connected - open, authenticated connections of a camera. */
unsigned ws_connected(int cam);

/* ws_stop_accepting - refuse new connections and answer new frames busy. */
void ws_stop_accepting(void);

/* ws_flushed - 1 when no connection has unsent messages. */
int ws_flushed(void);

/* ws_destroy - the two-step teardown lws needs on a foreign loop:
 * ws_destroy(0) before running the loop dry, ws_destroy(1) after. */
void ws_destroy(int final);

/* For session.c: the server's config, its connections (a list through
 * next), and whether it is stopping. */
const struct config *ws_config(void);
struct ws_conn *ws_conns(void);
int ws_is_stopping(void);

/* ws_cam_id - the connection's camera id, "-" before hello. */
const char *ws_cam_id(const struct ws_conn *c);

/* ws_conn_unref - drop a reference (a job done); freed at 0. */
void ws_conn_unref(struct ws_conn *c);

/* ws_enqueue - queue buf (owned, taken over: LWS_PRE + len bytes). */
void ws_enqueue(struct ws_conn *c, unsigned char *buf, size_t len);

/* ws_send - queue the message o (a new reference, taken over; NULL
 * means building it ran out of memory: the connection is dropped). */
void ws_send(struct ws_conn *c, json_t *o);

/* ws_error - queue {"type":"error",...}. */
void ws_error(struct ws_conn *c, const char *error, const char *reason);

/* ws_enqueue_close - close after everything queued so far is sent. */
void ws_enqueue_close(struct ws_conn *c, int code, const char *reason);

/* ws_refuse - error message, then close with code; the close is forced
 * after 2 s if the peer does not read. */
void ws_refuse(struct ws_conn *c, const char *error, int code, const char *reason);

#endif
