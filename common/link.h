/* link - the one way the programs talk over their unix sockets
 * (AF_UNIX SOCK_SEQPACKET, one datagram = one message of common/msg.h).
 *
 * A link is one connection: its descriptor, who is at the other end, and
 * a bounded queue of messages that did not fit the socket yet. Two layers:
 *
 *   the core (link_open, link_read, link_send, link_flush, link_close)
 *     needs no loop: the caller polls link->fd itself and calls link_read
 *     when it is readable (the worker does this, it waits with poll(2));
 *   the libuv drivers (struct link_server, struct link_client) run the
 *     core on a uv_loop_t: accepting, batch reads, the queue flushed when
 *     the socket is writable, reconnect with backoff. Ingest, the
 *     dispatcher and the notifier use them (ingest's libwebsockets runs on
 *     the same libuv loop).
 *
 * Hello: the connecting side sends MSG_HELLO (its role, pid, camera) as
 * its first message, and the listening side drops a connection whose
 * first message is anything else. The listening side sends no hello
 * back: the connecting side knows whom it dialled, and msg_connect has
 * checked with SO_PEERCRED that the server runs as our user (or root).
 * The listening side checks the same of every connection it accepts and
 * keeps the kernel's pid (link->pid), never the pid the hello claims.
 *
 * Every message is decoded by msg_recv (magic, version, exact size for
 * its type); a bad one or a handler's refusal drops that link with one
 * log line "NAME: WHY; dropping the connection", never the process; EOF
 * and shutdown are an info line "NAME: closed ...".
 */
#ifndef GW_LINK_H
#define GW_LINK_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "msg.h"

#define LINK_BATCH 64          /* messages read per wakeup, so one peer cannot starve the loop */
#define LINK_VOUCH_MAX (CONFIG_CAMERAS_MAX + 256) /* cameras a server keeps a vouched pid for */
#define LINK_QUEUE_MAX 128     /* messages a link holds back when the peer is not reading */

#define LINK_EOF "closed by the peer"        /* l->why after EOF */
#define LINK_STOPPING "closed (shutting down)" /* why a stopping driver drops its links */

struct link;

struct link_ops {
	/* hello - the peer's hello (the listening side only; the link's
	 * role, camera and name are set from it before the call). 0 accepts
	 * it, a negative errno drops the link (say why with link_reject).
	 * NULL accepts every hello. */
	int (*hello)(struct link *l, const struct msg_hello *h);
	/* message - every other message. 0 goes on, a negative errno drops
	 * the link (link_reject). Required. */
	int (*message)(struct link *l, const struct msg *m);
	/* up - a link_client connected and sent its hello. May be NULL. */
	void (*up)(struct link *l);
	/* down - the link is about to close (why). May be NULL. */
	void (*down)(struct link *l, const char *why);
};

struct link_qmsg {
	struct link_qmsg *next;
	unsigned type;
	size_t len;
	unsigned char body[];  /* sent by msg_send when the socket has room */
};

struct link {
	uv_poll_t poll;        /* the drivers' handle (first: the close callback finds the link) */
	int fd;                /* owned; -1 when closed */
	int listening;         /* the peer must say hello first (a server's link) */
	int hello;             /* listening side: the peer's hello was received */
	unsigned role;         /* enum msg_role of the peer (its hello, or whom a client dialled) */
	int pid;               /* the peer's pid from SO_PEERCRED (listening side); 0 unknown */
	char camera[CAMERA_ID_SIZE]; /* from the peer's hello; "" for none */
	char name[64];         /* for logs: "worker gate1 pid 123", "notifier" */
	char why[160];         /* link_reject's reason, for the drop's log line */
	int vouched;           /* another peer vouched for this pid and camera (link_vouched) */
	void *data;            /* the user's, from link_server_start/link_client_start */
	const struct link_ops *ops;
	struct link_qmsg *qhead, **qlast; /* the queue; where the next one goes */
	unsigned qlen, qmax;   /* queued messages; the bound (0: LINK_QUEUE_MAX) */
	unsigned long lost;    /* messages refused because the queue was full */
	/* driver state */
	int polling, closing, writable;
	struct link_server *srv;   /* accepted by this server, or NULL */
	struct link_client *cli;   /* embedded in this client, or NULL */
	struct link *next;         /* the server's list */
};

/* link_role_name - "ingest", "dispatcher", "worker", "notifier", "cli". */
const char *link_role_name(unsigned role);

/* link_init - make l a link over fd (connected, non-blocking or not):
 * role, pid, camera unknown, empty queue of at most qmax (0: the default). */
void link_init(struct link *l, int fd, const struct link_ops *ops, void *data, unsigned qmax);

/* link_open - connect to path (msg_connect: the server must run as our
 * user or root) and send our hello (role, camera or NULL). On success l
 * is initialised over the new descriptor (l->role = peer_role). Returns
 * 0 or a negative errno (l untouched). */
int link_open(struct link *l, const char *path, int nonblock, unsigned our_role, const char *camera,
              unsigned peer_role, const struct link_ops *ops, void *data);

/* link_read - read up to batch messages and hand each to the ops (on a
 * listening link the first must be a hello, and a second one is refused;
 * a hello to a connecting side is skipped). Returns how many messages
 * it read (fewer than batch: the socket has nothing more), or a
 * negative errno when the link must be dropped, with l->why saying why:
 * -ECONNRESET the peer closed it, -EPROTO a bad message or a refusal,
 * another errno from recv. */
int link_read(struct link *l, unsigned batch);

/* link_send - send one message, or queue it behind those already waiting
 * if the peer's socket is full. Returns 0 (sent or queued), -ENOBUFS if
 * the queue is full (this message is lost; l->lost counts it), -ENOTCONN
 * for a closed link, or another negative errno (the link is broken: drop
 * it). A driven link's queue is flushed when its socket is writable. */
int link_send(struct link *l, unsigned type, const void *body, size_t len);

/* link_flush - send what is queued. 0 when the queue is empty, -EAGAIN
 * while some is left, or another negative errno (broken). */
int link_flush(struct link *l);

/* link_reject - format why the link is being dropped into l->why (the
 * drop's log line says it); returns -EPROTO for a handler to return. */
int link_reject(struct link *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* link_close - close the descriptor and free the queue (core users; a
 * driven link is closed by link_drop). */
void link_close(struct link *l);

/* ---- libuv drivers ---- */

struct link_server {
	uv_poll_t poll;
	uv_loop_t *loop;
	int fd;                /* the listening socket; -1 when stopped */
	char path[CONFIG_PATH_SIZE];
	const char *name;      /* for logs: "notifier.sock" */
	const struct link_ops *ops;
	void *data;
	unsigned max, n;       /* most links at once (0: no limit); links now */
	struct link *links;    /* accepted links, newest first */
	unsigned voucher;      /* the role whose links vouch (link_server_vouch); 0: none */
	int draining;          /* link_vouched is reading the vouchers' links */
	struct {
		char camera[CAMERA_ID_SIZE];
		int pid;
	} vouch[LINK_VOUCH_MAX]; /* per camera, the one pid vouched for */
};

/* link_server_start - listen on path (msg_listen: a stale socket file is
 * replaced, a live one is -EADDRINUSE) and serve every connection there
 * with ops. Returns 0 or a negative errno. */
int link_server_start(struct link_server *s, uv_loop_t *loop, const char *path, const char *name,
                      unsigned max, const struct link_ops *ops, void *data);

/* link_server_stop - stop listening (remove the socket file if
 * unlink_path) and drop every link. Safe to call twice. */
void link_server_stop(struct link_server *s, int unlink_path);

/* link_server_accept - accept the connections waiting now (the loop does
 * this by itself; for a handler that must see them at once). */
void link_server_accept(struct link_server *s);

/* link_serve - read up to batch messages from l now (the loop reads
 * LINK_BATCH when the socket is readable), dropping it on error. Returns
 * how many it read, or -1 if l was dropped. */
int link_serve(struct link *l, unsigned batch);

/* link_server_send - send to every link of s whose peer said hello with
 * role: a full queue or a broken link loses this message (logged; the
 * broken link is dropped). Returns how many got it. */
int link_server_send(struct link_server *s, unsigned role, unsigned type, const void *body, size_t len);

/* Vouching: a peer's identity beyond its user. The kernel says which pid
 * is at the other end (SO_PEERCRED), the hello only claims a camera; for
 * the notifier a RESULT may come only from the process the dispatcher
 * forked as that camera's worker, or any process of our user could make
 * a gate show PASS (issue 11). So the dispatcher's links vouch (its
 * QUEUE_STATUS names each camera's worker pid), and a worker's link is
 * believed once its (camera, kernel pid) was vouched for. */

/* link_server_vouch - pid is camera's one process from now on (0: none).
 * The caller's voucher role is set in s->voucher. */
void link_server_vouch(struct link_server *s, const char *camera, int pid);

/* link_vouched - was l's (camera, pid) vouched for? If not yet, what the
 * vouchers have already sent is read first (it may wait on a socket the
 * loop has not served, or even accepted, yet; of a link without hello
 * only its hello is read). Once true it stays true for l. */
int link_vouched(struct link *l);

/* link_drop - log why (a warning, or info for LINK_EOF, LINK_STOPPING and
 * a stopping client), call ops->down and close l; the memory of a
 * server's link goes when the loop has closed its handle. */
void link_drop(struct link *l, const char *why);

enum link_client_state { LINK_DOWN, LINK_UP, LINK_CLOSING };

struct link_client {
	struct link link;      /* valid while state is LINK_UP */
	uv_loop_t *loop;
	uv_timer_t retry;
	char path[CONFIG_PATH_SIZE];
	unsigned our_role, peer_role;
	char camera[CAMERA_ID_SIZE];  /* our hello's camera; "" for none */
	const struct link_ops *ops;
	void *data;
	enum link_client_state state;
	int warned;            /* "not reachable" was logged since the last connection */
	int stopping;
	unsigned backoff_ms;   /* next retry; LINK_BACKOFF_MIN_MS .. LINK_BACKOFF_MAX_MS */
};

#define LINK_BACKOFF_MIN_MS 100
#define LINK_BACKOFF_MAX_MS 1000

/* link_client_start - keep a link to path open: connect now, and after
 * a failure or a drop again after a backoff that doubles from
 * LINK_BACKOFF_MIN_MS to LINK_BACKOFF_MAX_MS. Returns 0 or a negative
 * errno (a path too long). */
int link_client_start(struct link_client *c, uv_loop_t *loop, const char *path, unsigned our_role,
                      const char *camera, unsigned peer_role, const struct link_ops *ops, void *data);

/* link_client_send - link_send on the link if it is up; -ENOTCONN if not.
 * A broken link is dropped (and retried). */
int link_client_send(struct link_client *c, unsigned type, const void *body, size_t len);

/* link_client_stop - close the link and stop retrying. */
void link_client_stop(struct link_client *c);

#endif
