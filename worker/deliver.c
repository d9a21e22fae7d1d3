/* notify - result delivery with at-least-once semantics. The notifier
 * commits by (camera, frame id), so a resend after a lost ack or a notifier
 * restart is harmless; what must never happen is deleting a frame whose
 * result is not committed, hence the ack wait. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "util.h"

void
notify_init(struct notify *n, const char *path, const char *camera)
{
	memset(n, 0, sizeof(*n));
	util_strlcpy(n->path, path, sizeof(n->path));
	util_strlcpy(n->camera, camera, sizeof(n->camera));
	n->fd = -1;
	n->backoff_ms = NOTIFY_BACKOFF_MIN_MS;
}

void
notify_close(struct notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

int
notify_connect(struct notify *n)
{
	int fd, rc;

	if (n->fd >= 0)
		return 0;
	if ((fd = msg_connect(n->path, 0)) < 0)
		return fd;
	if ((rc = msg_hello(fd, MSG_ROLE_WORKER, n->camera)) < 0) {
		close(fd);
		return rc;
	}
	n->fd = fd;
	return 0;
}

/* notify_wait - poll the notifier (and watch_fd for hangup) up to ms.
 * Returns 1 notifier readable, 0 timeout, -ECANCELED, or -errno. */
static int
notify_wait(struct notify *n, int watch_fd, int ms, volatile sig_atomic_t *stop)
{
	struct pollfd p[2];
	uint64_t end = util_mono_us() + (uint64_t)ms * 1000u;
	int np, rc;

	for (;;) {
		uint64_t now = util_mono_us();

		if (stop && *stop)
			return -ECANCELED;
		if (now >= end)
			return 0;
		np = 0;
		if (n->fd >= 0) {
			p[np].fd = n->fd;
			p[np].events = POLLIN;
			p[np++].revents = 0;
		}
		if (watch_fd >= 0) {
			p[np].fd = watch_fd;
			p[np].events = 0;   /* only hangup: frames may wait their turn */
			p[np++].revents = 0;
		}
		rc = poll(p, (nfds_t)np, (int)((end - now + 999) / 1000));
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (rc == 0)
			continue;
		if (watch_fd >= 0 && (p[np - 1].revents & (POLLHUP | POLLERR | POLLNVAL)))
			return -ECANCELED;
		if (n->fd >= 0 && p[0].revents)
			return 1;
	}
}

/* notify_attempt - one send and ack wait. 0 acked, -ECANCELED, or another
 * -errno (the caller reconnects). */
static int
notify_attempt(struct notify *n, const struct msg_result *r, int watch_fd, volatile sig_atomic_t *stop,
               uint64_t deadline)
{
	uint64_t end;
	struct msg m;
	int rc;

	if ((rc = notify_connect(n)) < 0)
		return rc;
	if ((rc = msg_send(n->fd, MSG_RESULT, r, sizeof(*r))) < 0)
		return rc;
	end = util_mono_us() + (uint64_t)NOTIFY_ACK_TIMEOUT_MS * 1000u;
	if (deadline && end > deadline)
		end = deadline;
	for (;;) {
		uint64_t now = util_mono_us();

		if (now >= end)
			return -ETIMEDOUT;
		rc = notify_wait(n, watch_fd, (int)((end - now) / 1000) + 1, stop);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -ETIMEDOUT;
		rc = msg_recv(n->fd, &m);
		if (rc == -EAGAIN || rc == -EINTR)
			continue;
		if (rc == 0)
			return -ECONNRESET;
		if (rc < 0)
			return rc;
		if (m.hdr.type == MSG_RESULT_ACK &&
		    strcmp(m.u.ref.camera, r->ref.camera) == 0 &&
		    strcmp(m.u.ref.frame_id, r->ref.frame_id) == 0)
			return 0;
		/* hello, or an ack of an earlier resend: nothing to do */
		if (m.hdr.type != MSG_HELLO && m.hdr.type != MSG_RESULT_ACK)
			log_debug(r->ref.frame_id, "notifier sent %s, ignored", msg_type_name(m.hdr.type));
	}
}

int
notify_result(struct notify *n, const struct msg_result *r, int watch_fd, volatile sig_atomic_t *stop)
{
	unsigned attempt;
	int rc;

	for (attempt = 1; ; attempt++) {
		rc = notify_attempt(n, r, watch_fd, stop, 0);
		if (rc == 0) {
			n->backoff_ms = NOTIFY_BACKOFF_MIN_MS;
			return 0;
		}
		if (rc == -ECANCELED)
			return rc;
		notify_close(n);
		errno = -rc;
		log_warn(r->ref.frame_id, "result not acknowledged (attempt %u), retrying in %d ms",
		    attempt, n->backoff_ms);
		errno = 0;
		rc = notify_wait(n, watch_fd, n->backoff_ms, stop);
		if (rc == -ECANCELED)
			return rc;
		n->backoff_ms = n->backoff_ms * 2 > NOTIFY_BACKOFF_MAX_MS ?
		    NOTIFY_BACKOFF_MAX_MS : n->backoff_ms * 2;
	}
}

int
notify_result_timed(struct notify *n, const struct msg_result *r, int timeout_ms)
{
	uint64_t deadline = util_mono_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
	int rc, backoff = NOTIFY_BACKOFF_MIN_MS;

	for (;;) {
		uint64_t now = util_mono_us();

		if (now >= deadline)
			return -ETIMEDOUT;
		if ((rc = notify_attempt(n, r, -1, NULL, deadline)) == 0)
			return 0;
		notify_close(n);
		now = util_mono_us();
		if (now >= deadline)
			return -ETIMEDOUT;
		if ((uint64_t)backoff * 1000u > deadline - now)
			backoff = (int)((deadline - now) / 1000u) + 1;
		notify_wait(n, -1, backoff, NULL);
		backoff *= 2;
	}
}

int
notify_takeover(struct notify *n, int timeout_ms, void (*cb)(const struct msg_track_state *, void *), void *arg)
{
	struct msg_takeover t;
	struct msg m;
	uint64_t end = util_mono_us() + (uint64_t)timeout_ms * 1000u;
	int rc, count = 0;

	if ((rc = notify_connect(n)) < 0)
		return rc;
	memset(&t, 0, sizeof(t));
	util_strlcpy(t.camera, n->camera, sizeof(t.camera));
	if ((rc = msg_send(n->fd, MSG_TAKEOVER, &t, sizeof(t))) < 0)
		goto broken;
	for (;;) {
		uint64_t now = util_mono_us();

		if (now >= end) {
			rc = -ETIMEDOUT;
			goto broken;
		}
		if ((rc = notify_wait(n, -1, (int)((end - now) / 1000) + 1, NULL)) < 0)
			goto broken;
		if (rc == 0)
			continue;
		rc = msg_recv(n->fd, &m);
		if (rc == -EAGAIN || rc == -EINTR)
			continue;
		if (rc <= 0) {
			rc = rc == 0 ? -ECONNRESET : rc;
			goto broken;
		}
		if (m.hdr.type != MSG_TRACK_STATE)
			continue; /* the notifier's hello */
		if (m.u.track_state.track_id == 0)
			return count;
		if (strcmp(m.u.track_state.camera, n->camera) == 0) {
			cb(&m.u.track_state, arg);
			count++;
		}
	}
broken:
	/* a half-read list must not be mistaken for the next answer */
	notify_close(n);
	return rc;
}
