/* link - one link between programs: the core over a descriptor and the
 * libuv drivers (a listening side, a connecting side). See link.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "util.h"

const char *
link_role_name(unsigned role)
{
	switch (role) {
	case MSG_ROLE_INGEST: return "ingest";
	case MSG_ROLE_DISPATCHER: return "dispatcher";
	case MSG_ROLE_WORKER: return "worker";
	case MSG_ROLE_NOTIFIER: return "notifier";
	case MSG_ROLE_CLI: return "cli";
	default: return "unknown";
	}
}

void
link_init(struct link *l, int fd, const struct link_ops *ops, void *data, unsigned qmax)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->ops = ops;
	l->data = data;
	l->qmax = qmax ? qmax : LINK_QUEUE_MAX;
	l->qlast = &l->qhead;
	snprintf(l->name, sizeof(l->name), "fd %d (no hello yet)", fd);
}

int
link_open(struct link *l, const char *path, int nonblock, unsigned our_role, const char *camera,
          unsigned peer_role, const struct link_ops *ops, void *data)
{
	int fd, rc;

	if ((fd = msg_connect(path, nonblock)) < 0)
		return fd;
	if ((rc = msg_hello(fd, (enum msg_role)our_role, camera)) < 0) {
		close(fd);
		return rc;
	}
	link_init(l, fd, ops, data, 0);
	l->role = peer_role;
	util_strlcpy(l->name, link_role_name(peer_role), sizeof(l->name));
	return 0;
}

int
link_reject(struct link *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->why, sizeof(l->why), fmt, ap);
	va_end(ap);
	return -EPROTO;
}

/* link_hello - the listening side's first message. */
static int
link_hello(struct link *l, const struct msg *m)
{
	const struct msg_hello *h = &m->u.hello;

	if (m->hdr.type != MSG_HELLO)
		return link_reject(l, "%s before hello", msg_type_name(m->hdr.type));
	l->hello = 1;
	l->role = h->role;
	util_strlcpy(l->camera, h->camera, sizeof(l->camera));
	/* the pid is the kernel's word (SO_PEERCRED); h->pid is only claimed */
	snprintf(l->name, sizeof(l->name), "%s%s%s pid %d", link_role_name(l->role),
	    l->camera[0] ? " " : "", l->camera, l->pid);
	return l->ops->hello ? l->ops->hello(l, h) : 0;
}

/* link_dispatch - one decoded message to the ops. */
static int
link_dispatch(struct link *l, const struct msg *m)
{
	if (l->listening && !l->hello)
		return link_hello(l, m);
	if (m->hdr.type == MSG_HELLO) {
		if (l->listening)
			return link_reject(l, "second hello");
		return 0; /* a hello to a client says nothing it does not know */
	}
	return l->ops->message(l, m);
}

int
link_read(struct link *l, unsigned batch)
{
	struct msg m;
	unsigned i;
	int rc;

	for (i = 0; i < batch && l->fd >= 0 && !l->closing; i++) {
		memset(&m.hdr, 0, sizeof(m.hdr)); /* a short datagram leaves it unset */
		rc = msg_recv(l->fd, &m);
		if (rc == -EAGAIN || rc == -EINTR)
			return (int)i;
		if (rc == 0) {
			util_strlcpy(l->why, LINK_EOF, sizeof(l->why));
			return -ECONNRESET;
		}
		if (rc == -EPROTO) {
			link_reject(l, "bad message (magic %#x version %u type %u len %u)",
			    m.hdr.magic, m.hdr.version, m.hdr.type, m.hdr.len);
			return rc;
		}
		if (rc < 0) {
			snprintf(l->why, sizeof(l->why), "receive: %s", strerror(-rc));
			return rc;
		}
		l->why[0] = '\0';
		if ((rc = link_dispatch(l, &m)) < 0) {
			if (l->why[0] == '\0')
				snprintf(l->why, sizeof(l->why), "%s refused: %s", msg_type_name(m.hdr.type),
				    strerror(-rc));
			return rc;
		}
	}
	return (int)i;
}

static void link_poll_update(struct link *l);

int
link_flush(struct link *l)
{
	struct link_qmsg *q;
	int rc;

	while ((q = l->qhead) != NULL) {
		if ((rc = msg_send(l->fd, q->type, q->body, q->len)) != 0)
			return rc == -ENOBUFS ? -EAGAIN : rc;
		if ((l->qhead = q->next) == NULL)
			l->qlast = &l->qhead;
		l->qlen--;
		free(q);
	}
	return 0;
}

/* link_enqueue - keep a message for link_flush. */
static int
link_enqueue(struct link *l, unsigned type, const void *body, size_t len)
{
	struct link_qmsg *q;

	if (l->qlen >= l->qmax || (q = malloc(sizeof(*q) + len)) == NULL) {
		l->lost++;
		return -ENOBUFS;
	}
	q->type = type;
	q->len = len;
	memcpy(q->body, body, len);
	q->next = NULL;
	*l->qlast = q;
	l->qlast = &q->next;
	l->qlen++;
	link_poll_update(l);
	return 0;
}

int
link_send(struct link *l, unsigned type, const void *body, size_t len)
{
	int rc;

	if (l->fd < 0 || l->closing)
		return -ENOTCONN;
	if (msg_body_size(type) != len || len == 0)
		return -EINVAL;
	if (l->qhead && (rc = link_flush(l)) != 0 && rc != -EAGAIN)
		return rc;
	if (l->qhead == NULL) {
		rc = msg_send(l->fd, type, body, len);
		if (rc != -EAGAIN && rc != -ENOBUFS)
			return rc;
	}
	return link_enqueue(l, type, body, len);
}

void
link_close(struct link *l)
{
	struct link_qmsg *q;

	while ((q = l->qhead) != NULL) {
		l->qhead = q->next;
		free(q);
	}
	l->qlast = &l->qhead;
	l->qlen = 0;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* ---- libuv drivers ---- */

static void link_poll_cb(uv_poll_t *h, int status, int events);

/* link_poll_update - watch for writability only while something waits. */
static void
link_poll_update(struct link *l)
{
	int want = l->qhead != NULL;

	if (!l->polling || l->closing || want == l->writable)
		return;
	l->writable = want;
	uv_poll_start(&l->poll, UV_READABLE | UV_DISCONNECT | (want ? UV_WRITABLE : 0), link_poll_cb);
}

static void link_client_schedule(struct link_client *c);

static void
link_closed_cb(uv_handle_t *h)
{
	struct link *l = (struct link *)h;
	struct link_client *c = l->cli;

	link_close(l);
	if (c) {
		c->state = LINK_DOWN;
		if (!c->stopping)
			link_client_schedule(c);
	} else if (l->srv)
		free(l);
}

void
link_drop(struct link *l, const char *why)
{
	struct link **pp;

	if (l->closing)
		return;
	l->closing = 1;
	if (strcmp(why, LINK_EOF) == 0 || strcmp(why, LINK_STOPPING) == 0)
		log_info(NULL, "%s: %s", l->name, why);
	else if (l->cli && l->cli->stopping)
		log_info(NULL, "%s: %s; closed", l->name, why);
	else
		log_warnx(NULL, "%s: %s; dropping the connection", l->name, why);
	if (l->ops->down)
		l->ops->down(l, why);
	if (l->srv) {
		for (pp = &l->srv->links; *pp; pp = &(*pp)->next)
			if (*pp == l) {
				*pp = l->next;
				break;
			}
		l->srv->n--;
	}
	if (l->cli)
		l->cli->state = LINK_CLOSING;
	if (l->polling) {
		uv_poll_stop(&l->poll);
		uv_close((uv_handle_t *)&l->poll, link_closed_cb);
	} else
		link_closed_cb((uv_handle_t *)&l->poll);
}

int
link_serve(struct link *l, unsigned batch)
{
	int rc;

	if (l->closing)
		return -1;
	if ((rc = link_read(l, batch)) < 0 || l->closing) {
		link_drop(l, l->why[0] ? l->why : strerror(-rc));
		return -1;
	}
	return rc;
}

static void
link_poll_cb(uv_poll_t *h, int status, int events)
{
	struct link *l = (struct link *)h;
	int rc;

	if (status < 0) {
		link_drop(l, uv_strerror(status));
		return;
	}
	if ((events & UV_WRITABLE) && (rc = link_flush(l)) != 0 && rc != -EAGAIN) {
		link_drop(l, strerror(-rc));
		return;
	}
	link_poll_update(l);
	if (events & (UV_READABLE | UV_DISCONNECT))
		link_serve(l, LINK_BATCH);
}

/* link_watch - put l on the loop. */
static int
link_watch(struct link *l, uv_loop_t *loop)
{
	int rc;

	if ((rc = uv_poll_init(loop, &l->poll, l->fd)) != 0)
		return rc;
	l->poll.data = l;
	l->polling = 1;
	l->writable = l->qhead != NULL;
	uv_poll_start(&l->poll, UV_READABLE | UV_DISCONNECT | (l->writable ? UV_WRITABLE : 0), link_poll_cb);
	return 0;
}

/* link_server_take - one accepted descriptor: check who it is, watch it. */
static void
link_server_take(struct link_server *s, int fd)
{
	struct link *l;
	int rc, pid = 0, uid = -1;

	/* only our own user (or root) may speak to us (SO_PEERCRED) */
	if ((rc = msg_peer_check(fd, &pid, &uid)) < 0) {
		log_warnx(NULL, "%s: connection from pid %d uid %d refused: %s", s->name, pid, uid,
		    rc == -EPERM ? "another user" : strerror(-rc));
		close(fd);
		return;
	}
	if ((s->max && s->n >= s->max) || (l = malloc(sizeof(*l))) == NULL) {
		log_warnx(NULL, "%s: connection from pid %d refused: %u connections already", s->name, pid, s->n);
		close(fd);
		return;
	}
	link_init(l, fd, s->ops, s->data, 0);
	l->pid = pid;
	l->listening = 1;
	l->srv = s;
	if ((rc = link_watch(l, s->loop)) != 0) {
		log_warnx(NULL, "%s: %s", s->name, uv_strerror(rc));
		close(fd);
		free(l);
		return;
	}
	l->next = s->links;
	s->links = l;
	s->n++;
}

void
link_server_accept(struct link_server *s)
{
	int i, fd;

	for (i = 0; i < LINK_BATCH && s->fd >= 0; i++) {
		if ((fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				log_warn(NULL, "%s: accept", s->name);
			return;
		}
		link_server_take(s, fd);
	}
}

static void
link_server_cb(uv_poll_t *h, int status, int events)
{
	struct link_server *s = h->data;

	(void)events;
	if (status < 0) {
		log_warnx(NULL, "%s: %s", s->name, uv_strerror(status));
		return;
	}
	link_server_accept(s);
}

int
link_server_start(struct link_server *s, uv_loop_t *loop, const char *path, const char *name,
                  unsigned max, const struct link_ops *ops, void *data)
{
	int rc;

	*s = (struct link_server){ .loop = loop, .name = name, .max = max, .ops = ops, .data = data };
	s->fd = -1;
	if (util_strlcpy(s->path, path, sizeof(s->path)) >= sizeof(s->path))
		return -ENAMETOOLONG;
	if ((rc = msg_listen(path)) < 0)
		return rc;
	s->fd = rc;
	if ((rc = uv_poll_init(loop, &s->poll, s->fd)) != 0) {
		close(s->fd);
		s->fd = -1;
		return -EIO;
	}
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, link_server_cb);
	return 0;
}

static void
link_server_closed(uv_handle_t *h)
{
	struct link_server *s = h->data;

	close(s->fd);
	s->fd = -1;
}

void
link_server_stop(struct link_server *s, int unlink_path)
{
	if (s->fd >= 0 && !uv_is_closing((uv_handle_t *)&s->poll)) {
		uv_close((uv_handle_t *)&s->poll, link_server_closed);
		if (unlink_path)
			unlink(s->path);
	}
	while (s->links)
		link_drop(s->links, LINK_STOPPING);
}

int
link_server_send(struct link_server *s, unsigned role, unsigned type, const void *body, size_t len)
{
	struct link *l, *next;
	int n = 0, rc;

	for (l = s->links; l; l = next) {
		next = l->next;
		if (!l->hello || l->role != role)
			continue;
		if ((rc = link_send(l, type, body, len)) == 0)
			n++;
		else if (rc == -ENOBUFS)
			log_warnx(NULL, "%s: not reading, %u messages waiting; %s lost", l->name, l->qlen,
			    msg_type_name(type));
		else
			link_drop(l, strerror(-rc));
	}
	return n;
}

/* link_vouch_find - camera's slot in s->vouch, or -1; *free_i: an empty one. */
static int
link_vouch_find(const struct link_server *s, const char *camera, int *free_i)
{
	int i;

	*free_i = -1;
	for (i = 0; i < LINK_VOUCH_MAX; i++)
		if (strcmp(s->vouch[i].camera, camera) == 0)
			return i;
		else if (*free_i < 0 && s->vouch[i].camera[0] == '\0')
			*free_i = i;
	return -1;
}

void
link_server_vouch(struct link_server *s, const char *camera, int pid)
{
	int free_i, i = link_vouch_find(s, camera, &free_i);

	if (i < 0 && (pid <= 0 || (i = free_i) < 0))
		return;
	util_strlcpy(s->vouch[i].camera, camera, sizeof(s->vouch[i].camera));
	s->vouch[i].pid = pid;
}

/* link_vouch_check - the table's word on l. */
static int
link_vouch_check(struct link *l)
{
	int free_i, i = link_vouch_find(l->srv, l->camera, &free_i);

	return l->vouched = i >= 0 && l->pid > 0 && l->srv->vouch[i].pid == l->pid;
}

int
link_vouched(struct link *l)
{
	struct link_server *s = l->srv;
	struct link *d, *next;
	int i;

	if (l->vouched || s == NULL || link_vouch_check(l) || s->draining)
		return l->vouched;
	s->draining = 1;
	link_server_accept(s);
	for (d = s->links; d; d = next) {
		next = d->next;
		if (d == l || (d->hello && d->role != s->voucher))
			continue;
		/* one message at a time: another worker's hello is read, not its results */
		for (i = 0; i < LINK_BATCH && (!d->hello || d->role == s->voucher); i++)
			if (link_serve(d, 1) <= 0)
				break;
	}
	s->draining = 0;
	return link_vouch_check(l);
}

/* ---- the connecting side ---- */

static void
link_client_try(uv_timer_t *t)
{
	struct link_client *c = t->data;
	int rc;

	if (c->state != LINK_DOWN || c->stopping)
		return;
	rc = link_open(&c->link, c->path, 1, c->our_role, c->camera[0] ? c->camera : NULL, c->peer_role,
	    c->ops, c->data);
	if (rc == 0 && (rc = link_watch(&c->link, c->loop)) != 0) {
		link_close(&c->link);
		rc = -EIO;
	}
	if (rc < 0) {
		if (!c->warned)
			log_info(NULL, "%s not reachable at %s (%s); retrying", link_role_name(c->peer_role),
			    c->path, strerror(-rc));
		c->warned = 1;
		link_client_schedule(c);
		c->backoff_ms = c->backoff_ms * 2 > LINK_BACKOFF_MAX_MS ? LINK_BACKOFF_MAX_MS : c->backoff_ms * 2;
		return;
	}
	c->link.cli = c;
	c->state = LINK_UP;
	c->warned = 0;
	c->backoff_ms = LINK_BACKOFF_MIN_MS;
	log_info(NULL, "connected to the %s at %s", c->link.name, c->path);
	if (c->ops->up)
		c->ops->up(&c->link);
}

static void
link_client_schedule(struct link_client *c)
{
	uv_timer_start(&c->retry, link_client_try, c->backoff_ms, 0);
}

int
link_client_start(struct link_client *c, uv_loop_t *loop, const char *path, unsigned our_role,
                  const char *camera, unsigned peer_role, const struct link_ops *ops, void *data)
{
	memset(c, 0, sizeof(*c));
	c->link.fd = -1;
	if (util_strlcpy(c->path, path, sizeof(c->path)) >= sizeof(c->path))
		return -ENAMETOOLONG;
	c->loop = loop;
	c->our_role = our_role;
	c->peer_role = peer_role;
	util_strlcpy(c->camera, camera ? camera : "", sizeof(c->camera));
	c->ops = ops;
	c->data = data;
	c->state = LINK_DOWN;
	c->backoff_ms = LINK_BACKOFF_MIN_MS;
	uv_timer_init(loop, &c->retry);
	c->retry.data = c;
	uv_timer_start(&c->retry, link_client_try, 0, 0);
	return 0;
}

int
link_client_send(struct link_client *c, unsigned type, const void *body, size_t len)
{
	int rc;

	if (c->state != LINK_UP)
		return -ENOTCONN;
	rc = link_send(&c->link, type, body, len);
	if (rc < 0 && rc != -ENOBUFS && rc != -EINVAL)
		link_drop(&c->link, strerror(-rc));
	return rc;
}

void
link_client_stop(struct link_client *c)
{
	c->stopping = 1;
	uv_timer_stop(&c->retry);
	if (!uv_is_closing((uv_handle_t *)&c->retry))
		uv_close((uv_handle_t *)&c->retry, NULL);
	if (c->state == LINK_UP)
		link_drop(&c->link, LINK_STOPPING);
}
