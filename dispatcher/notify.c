/* notify - queue status to the notifier over DIR/run/notifier.sock. See notify.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "camera.h"
#include "dispatcher.h"
#include "log.h"
#include "notify.h"
#include "util.h"

static uv_timer_t ntimer;
static uv_poll_t npoll;
static int nfd = -1;
static int nwarned;             /* "notifier absent" logged once until it comes */
static char npath[CONFIG_PATH_SIZE];

static void
notify_close(const char *why)
{
	if (nfd < 0)
		return;
	log_warnx(NULL, "notifier connection closed: %s; retrying every second", why);
	uv_close((uv_handle_t *)&npoll, NULL);
	close(nfd);
	nfd = -1;
	nwarned = 1;
}

static void
notify_poll_cb(uv_poll_t *h, int status, int events)
{
	struct msg m;
	int rc, n;

	(void)h;
	(void)events;
	if (status < 0) {
		notify_close(uv_strerror(status));
		return;
	}
	for (n = 0; n < 64 && nfd >= 0; n++) {
		rc = msg_recv(nfd, &m);
		if (rc == -EAGAIN)
			return;
		if (rc == 0) {
			notify_close("notifier went away");
			return;
		}
		if (rc == -EPROTO) {
			notify_close("malformed message (magic, version, type or size)");
			return;
		}
		if (rc < 0) {
			notify_close(strerror(-rc));
			return;
		}
		if (m.hdr.type != MSG_HELLO || m.u.hello.role != MSG_ROLE_NOTIFIER) {
			notify_close("unexpected message from the notifier");
			return;
		}
	}
}

void
notify_queue_status(const struct msg_queue_status *st)
{
	int rc;

	if (nfd < 0)
		return;
	rc = msg_send(nfd, MSG_QUEUE_STATUS, st, sizeof(*st));
	if (rc < 0 && rc != -EAGAIN)
		notify_close(strerror(-rc));
}

static void
notify_connect(void)
{
	int fd, rc;

	if ((fd = msg_connect(npath, 1)) < 0) {
		if (!nwarned)
			log_info(NULL, "notifier not reachable at %s (%s); retrying every second", npath, strerror(-fd));
		nwarned = 1;
		return;
	}
	if ((rc = msg_hello(fd, MSG_ROLE_DISPATCHER, NULL)) < 0 || uv_poll_init(dsp.loop, &npoll, fd) != 0) {
		close(fd);
		return;
	}
	nfd = fd;
	uv_poll_start(&npoll, UV_READABLE | UV_DISCONNECT, notify_poll_cb);
	log_info(NULL, "connected to the notifier");
	nwarned = 0;
}

static void
notify_timer_cb(uv_timer_t *t)
{
	(void)t;
	if (nfd < 0)
		notify_connect();
	if (nfd >= 0)
		camera_status_all(notify_queue_status);
}

void
notify_start(const char *path)
{
	util_strlcpy(npath, path, sizeof(npath));
	uv_timer_init(dsp.loop, &ntimer);
	uv_timer_start(&ntimer, notify_timer_cb, 0, 1000);
}

void
notify_stop(void)
{
	uv_close((uv_handle_t *)&ntimer, NULL);
	if (nfd >= 0) {
		uv_close((uv_handle_t *)&npoll, NULL);
		close(nfd);
		nfd = -1;
	}
}
