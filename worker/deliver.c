/* deliver - result delivery with at-least-once semantics. The notifier
 * commits by (camera, frame id), so a resend after a lost ack or a notifier
 * restart is harmless; what must never happen is deleting a frame whose
 * result is not committed, hence the ack wait. The transport is a
 * common/link.c link; this file waits on it with poll(2). */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "deliver.h"
#include "log.h"
#include "util.h"

/* deliver_message - note what a message from the notifier says. */
static int
deliver_message(struct link *l, const struct msg *m)
{
	struct deliver *d = l->data;
	const struct msg_track_state *s = &m->u.track_state;

	if (m->hdr.type == MSG_RESULT_ACK) {
		/* an ack of an earlier resend: nothing to do */
		if (d->want && strcmp(m->u.ref.camera, d->want->camera) == 0 &&
		    strcmp(m->u.ref.frame_id, d->want->frame_id) == 0)
			d->acked = 1;
	} else if (m->hdr.type == MSG_TRACK_STATE && d->adopt) {
		if (s->track_id == 0)
			d->ended = 1;
		else if (strcmp(s->camera, d->camera) == 0) {
			d->adopt(s, d->adopt_arg);
			d->adopted++;
		}
	} else
		log_debug(NULL, "notifier sent %s, ignored", msg_type_name(m->hdr.type));
	return 0;
}

static const struct link_ops deliver_ops = { NULL, deliver_message, NULL, NULL };

void
deliver_init(struct deliver *d, const char *path, const char *camera)
{
	memset(d, 0, sizeof(*d));
	util_strlcpy(d->path, path, sizeof(d->path));
	util_strlcpy(d->camera, camera, sizeof(d->camera));
	d->link.fd = -1;
	d->backoff_ms = DELIVER_BACKOFF_MIN_MS;
}

void
deliver_close(struct deliver *d)
{
	link_close(&d->link);
}

int
deliver_connect(struct deliver *d)
{
	if (d->link.fd >= 0)
		return 0;
	return link_open(&d->link, d->path, 1, MSG_ROLE_WORKER, d->camera, MSG_ROLE_NOTIFIER, &deliver_ops, d);
}

/* deliver_wait - poll the notifier (and watch_fd for hangup) up to ms,
 * sending what the link has queued meanwhile. Returns 1 notifier
 * readable, 0 timeout, -ECANCELED, or -errno. */
static int
deliver_wait(struct deliver *d, int watch_fd, int ms, volatile sig_atomic_t *stop)
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
		if (d->link.fd >= 0) {
			p[np].fd = d->link.fd;
			p[np].events = POLLIN | (d->link.qhead ? POLLOUT : 0);
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
		if (d->link.fd >= 0 && (p[0].revents & POLLOUT) && (rc = link_flush(&d->link)) < 0 && rc != -EAGAIN)
			return rc;
		if (d->link.fd >= 0 && (p[0].revents & ~POLLOUT))
			return 1;
	}
}

/* deliver_read - wait up to end for one message; 0 read (or nothing yet),
 * or -errno. */
static int
deliver_read(struct deliver *d, int watch_fd, volatile sig_atomic_t *stop, uint64_t end)
{
	uint64_t now = util_mono_us();
	int rc;

	if (now >= end)
		return -ETIMEDOUT;
	rc = deliver_wait(d, watch_fd, (int)((end - now) / 1000) + 1, stop);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ETIMEDOUT;
	/* one at a time: what follows the answer stays for the next call */
	rc = link_read(&d->link, 1);
	return rc < 0 ? rc : 0;
}

/* deliver_attempt - one send and ack wait. 0 acked, -ECANCELED, or another
 * -errno (the caller reconnects). */
static int
deliver_attempt(struct deliver *d, const struct msg_result *r, int watch_fd, volatile sig_atomic_t *stop,
                uint64_t deadline)
{
	uint64_t end;
	int rc;

	if ((rc = deliver_connect(d)) < 0)
		return rc;
	if ((rc = link_send(&d->link, MSG_RESULT, r, sizeof(*r))) < 0)
		return rc;
	end = util_mono_us() + (uint64_t)DELIVER_ACK_TIMEOUT_MS * 1000u;
	if (deadline && end > deadline)
		end = deadline;
	d->want = &r->ref;
	d->acked = 0;
	while (!d->acked && (rc = deliver_read(d, watch_fd, stop, end)) == 0)
		;
	d->want = NULL;
	return d->acked ? 0 : rc;
}

static void
deliver_backoff(struct deliver *d)
{
	d->backoff_ms = d->backoff_ms * 2 > DELIVER_BACKOFF_MAX_MS ? DELIVER_BACKOFF_MAX_MS : d->backoff_ms * 2;
}

int
deliver_result(struct deliver *d, const struct msg_result *r, int watch_fd, volatile sig_atomic_t *stop)
{
	unsigned attempt;
	int rc;

	for (attempt = 1; ; attempt++) {
		rc = deliver_attempt(d, r, watch_fd, stop, 0);
		if (rc == 0) {
			d->backoff_ms = DELIVER_BACKOFF_MIN_MS;
			return 0;
		}
		if (rc == -ECANCELED)
			return rc;
		deliver_close(d);
		log_warnc(rc, r->ref.frame_id, "result not acknowledged (attempt %u), retrying in %d ms",
		    attempt, d->backoff_ms);
		rc = deliver_wait(d, watch_fd, d->backoff_ms, stop);
		if (rc == -ECANCELED)
			return rc;
		deliver_backoff(d);
	}
}

int
deliver_result_timed(struct deliver *d, const struct msg_result *r, int timeout_ms)
{
	uint64_t deadline = util_mono_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000u;
	int backoff = DELIVER_BACKOFF_MIN_MS;

	for (;;) {
		uint64_t now = util_mono_us();

		if (now >= deadline)
			return -ETIMEDOUT;
		if (deliver_attempt(d, r, -1, NULL, deadline) == 0)
			return 0;
		deliver_close(d);
		now = util_mono_us();
		if (now >= deadline)
			return -ETIMEDOUT;
		if ((uint64_t)backoff * 1000u > deadline - now)
			backoff = (int)((deadline - now) / 1000u) + 1;
		deliver_wait(d, -1, backoff, NULL);
		backoff *= 2;
	}
}

int
deliver_takeover(struct deliver *d, int timeout_ms, void (*cb)(const struct msg_track_state *, void *), void *arg)
{
	struct msg_takeover t;
	uint64_t end = util_mono_us() + (uint64_t)timeout_ms * 1000u;
	int rc;

	if ((rc = deliver_connect(d)) < 0)
		return rc;
	memset(&t, 0, sizeof(t));
	util_strlcpy(t.camera, d->camera, sizeof(t.camera));
	d->adopt = cb;
	d->adopt_arg = arg;
	d->adopted = d->ended = 0;
	if ((rc = link_send(&d->link, MSG_TAKEOVER, &t, sizeof(t))) == 0)
		while (!d->ended && (rc = deliver_read(d, -1, NULL, end)) == 0)
			;
	d->adopt = NULL;
	if (d->ended)
		return d->adopted;
	/* a half-read list must not be mistaken for the next answer */
	deliver_close(d);
	return rc;
}
