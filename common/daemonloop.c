/* daemonloop - the orderly stop of a daemon on its own libuv loop: the
 * first SIGTERM/SIGINT stops new work, the work in flight drains (bounded
 * by drain_ms), then every handle closes and uv_run returns. Kept apart
 * from daemon.c so that a program without libuv (the worker) does not
 * link it. */
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

#define DAEMONLOOP_POLL_MS 50

/* daemonloop_close - drained (or given up): close our handles, then the program's. */
static void
daemonloop_close(struct daemon_loop *dl)
{
	uv_close((uv_handle_t *)&dl->drain, NULL);
	uv_close((uv_handle_t *)&dl->sigterm, NULL);
	uv_close((uv_handle_t *)&dl->sigint, NULL);
	dl->stop->close();
}

static void
daemonloop_poll(uv_timer_t *t)
{
	struct daemon_loop *dl = t->data;
	const struct daemon_stop *s = dl->stop;
	int done = s->drained == NULL || s->drained();

	if (!done && !dl->timed_out && util_mono_us() - dl->drain_start_us >= (uint64_t)s->drain_ms * 1000) {
		dl->timed_out = 1;
		done = s->timeout == NULL || s->timeout();
	}
	if (done) {
		uv_timer_stop(&dl->drain);
		daemonloop_close(dl);
	}
}

static void
daemonloop_signal(uv_signal_t *sig, int signum)
{
	struct daemon_loop *dl = sig->data;

	if (dl->stopping) {
		if (dl->stop->again)
			dl->stop->again(signum);
		return;
	}
	dl->stopping = 1;
	sd_notify(0, "STOPPING=1");
	if (dl->stop->begin)
		dl->stop->begin(signum);
	else
		log_info(NULL, "signal %d: stopping", signum);
	dl->drain_start_us = util_mono_us();
	uv_timer_start(&dl->drain, daemonloop_poll, 0, DAEMONLOOP_POLL_MS);
}

int
daemon_loop_init(struct daemon_loop *dl, const struct daemon_spec *spec)
{
	int rc;

	dl->stop = &spec->stop;
	dl->stopping = dl->timed_out = 0;
	if ((rc = uv_loop_init(&dl->loop)) != 0)
		return rc;
	uv_timer_init(&dl->loop, &dl->drain);
	uv_signal_init(&dl->loop, &dl->sigterm);
	uv_signal_init(&dl->loop, &dl->sigint);
	dl->drain.data = dl->sigterm.data = dl->sigint.data = dl;
	if ((rc = uv_signal_start(&dl->sigterm, daemonloop_signal, SIGTERM)) != 0 ||
	    (rc = uv_signal_start(&dl->sigint, daemonloop_signal, SIGINT)) != 0)
		return rc;
	return 0;
}

void
daemon_loop_run(struct daemon_loop *dl)
{
	uv_run(&dl->loop, UV_RUN_DEFAULT);
}

int
daemon_loop_close(struct daemon_loop *dl)
{
	int rc;

	if ((rc = uv_loop_close(&dl->loop)) != 0)
		log_warnx(NULL, "loop closed with handles still open: %s", uv_strerror(rc));
	return rc;
}

int
daemon_loop_stopping(const struct daemon_loop *dl)
{
	return dl->stopping;
}
