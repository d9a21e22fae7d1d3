/* live - fan-out to /live WebSocket clients. A message is built once into
 * a refcounted buffer with LWS_PRE headroom and shared by every client's
 * ring; it is freed when the last ring lets go. Writes happen only in
 * LWS_CALLBACK_SERVER_WRITEABLE (live_writeable), one message per call. */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "cams.h"
#include "jbuf.h"
#include "live.h"
#include "log.h"
#include "today.h"

#define LIVE_WRITE_BATCH 32

struct live_msg {
	int refs;
	size_t len;
	unsigned char data[]; /* LWS_PRE headroom, then len bytes of JSON */
};

struct live_client {
	struct lws *wsi;
	struct live_msg **ring;  /* owned; queue_cap slots */
	unsigned head, count;
	int dropped;             /* queue overflowed; closing */
	char peer[64];
	struct live_client *next;
};

static struct live_client *clients;
static int queue_cap = 256, nclients;

void
live_init(int cap)
{
	queue_cap = cap > 0 ? cap : 1;
}

int
live_count(void)
{
	return nclients;
}

static struct live_msg *
live_msg_new(const char *json, size_t len)
{
	struct live_msg *m = malloc(sizeof(*m) + LWS_PRE + len);

	if (m == NULL)
		return NULL;
	m->refs = 0;
	m->len = len;
	memcpy(m->data + LWS_PRE, json, len);
	return m;
}

static void
live_msg_unref(struct live_msg *m)
{
	if (--m->refs <= 0)
		free(m);
}

/* live_push - queue m for c; returns -1 if c's queue is full. */
static int
live_push(struct live_client *c, struct live_msg *m)
{
	if (c->dropped)
		return 0;
	if (c->count == (unsigned)queue_cap) {
		c->dropped = 1;
		log_warnx(NULL, "live client %s fell %d messages behind: dropped", c->peer, queue_cap);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return -1;
	}
	m->refs++;
	c->ring[(c->head + c->count) % (unsigned)queue_cap] = m;
	c->count++;
	return 0;
}

struct live_client *
live_open(struct lws *wsi)
{
	struct live_client *c = calloc(1, sizeof(*c));
	struct live_msg *m;
	struct jbuf b;

	if (c == NULL || (c->ring = calloc((size_t)queue_cap, sizeof(*c->ring))) == NULL) {
		free(c);
		return NULL;
	}
	c->wsi = wsi;
	lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
	jbuf_init(&b, 0);
	jbuf_add(&b, "{\"type\":\"hello\",\"today\":");
	/* in memory (today.h): the day's query is too slow for the loop */
	if (today_figures() == NULL || jbuf_json(&b, json_incref(today_figures())) < 0)
		jbuf_add(&b, "null");
	jbuf_add(&b, ",\"cameras\":");
	cams_list_json(&b);
	jbuf_add(&b, "}");
	if (jbuf_failed(&b) || (m = live_msg_new(jbuf_text(&b), b.len)) == NULL) {
		jbuf_free(&b);
		free(c->ring);
		free(c);
		return NULL;
	}
	jbuf_free(&b);
	c->next = clients;
	clients = c;
	nclients++;
	today_tick(1); /* figures left unread while nobody listened: its "today" push */
	live_push(c, m);
	lws_callback_on_writable(wsi); /* inside lws's ESTABLISHED callback */
	log_info(NULL, "live client %s connected (%d now)", c->peer, nclients);
	return c;
}

void
live_close(struct live_client *c)
{
	struct live_client **pp;

	if (c == NULL)
		return;
	for (pp = &clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	while (c->count) {
		live_msg_unref(c->ring[c->head]);
		c->head = (c->head + 1) % (unsigned)queue_cap;
		c->count--;
	}
	nclients--;
	log_info(NULL, "live client %s closed (%d now)", c->peer, nclients);
	free(c->ring);
	free(c);
}

int
live_writeable(struct live_client *c)
{
	struct live_msg *m;
	size_t len;
	int n, i;

	if (c->dropped)
		return -1;
	/* Several messages per call while the socket takes them: one per
	 * loop turn would let a busy pipeline outrun every client. */
	for (i = 0; i < LIVE_WRITE_BATCH && c->count && !lws_send_pipe_choked(c->wsi); i++) {
		m = c->ring[c->head];
		c->head = (c->head + 1) % (unsigned)queue_cap;
		c->count--;
		/* lws_write copies what the kernel does not take and holds
		 * further WRITEABLE callbacks until it is out, so the buffer can
		 * go now. */
		len = m->len;
		n = lws_write(c->wsi, m->data + LWS_PRE, len, LWS_WRITE_TEXT);
		live_msg_unref(m);
		if (n < (int)len)
			return -1;
	}
	if (c->count)
		lws_callback_on_writable(c->wsi);
	return 0;
}

void
live_wake(void)
{
	struct live_client *c;

	for (c = clients; c; c = c->next)
		if (c->count && !c->dropped)
			lws_callback_on_writable(c->wsi);
}

void
live_broadcast(const char *json, size_t len)
{
	struct live_client *c;
	struct live_msg *m;

	if (clients == NULL)
		return;
	if ((m = live_msg_new(json, len)) == NULL) {
		log_warnx(NULL, "live: out of memory, message not sent");
		return;
	}
	m->refs = 1; /* ours, while we push */
	for (c = clients; c; c = c->next)
		live_push(c, m);
	live_msg_unref(m);
	/* We are outside lws's callbacks here (a peer's message, a timer):
	 * wake lws, which calls live_wake from EVENT_WAIT_CANCELLED, where
	 * asking for WRITEABLE is reliable on the libuv loop. */
	lws_cancel_service(lws_get_context(clients->wsi));
}

int
live_drop_if(int (*keep)(struct lws *wsi))
{
	struct live_client *c;
	int n = 0;

	for (c = clients; c; c = c->next)
		if (!c->dropped && !keep(c->wsi)) {
			c->dropped = 1;
			log_info(NULL, "live client %s: its login ended: closed", c->peer);
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
			n++;
		}
	return n;
}
