/* status - queue status to the notifier over DIR/run/notifier.sock. See status.h. */
#include <errno.h>

#include "dispatcher.h"
#include "link.h"
#include "log.h"
#include "status.h"
#include "util.h"

static struct link_client status_link;
static uv_timer_t status_timer;
static status_sweep_fn status_sweep;

/* status_message - the notifier sends the dispatcher nothing. */
static int
status_message(struct link *l, const struct msg *m)
{
	return link_reject(l, "unexpected %s from the notifier", msg_type_name(m->hdr.type));
}

static void
status_up(struct link *l)
{
	(void)l;
	status_sweep(status_send);
}

static const struct link_ops status_ops = { NULL, status_message, status_up, NULL };

void
status_send(const struct msg_queue_status *st)
{
	link_client_send(&status_link, MSG_QUEUE_STATUS, st, sizeof(*st));
}

static void
status_timer_cb(uv_timer_t *t)
{
	(void)t;
	if (status_link.state == LINK_UP)
		status_sweep(status_send);
}

void
status_start(const char *path, status_sweep_fn sweep)
{
	int rc;

	status_sweep = sweep;
	if ((rc = link_client_start(&status_link, dsp.loop, path, MSG_ROLE_DISPATCHER, NULL, MSG_ROLE_NOTIFIER,
	    &status_ops, NULL)) < 0)
		log_warnc(rc, NULL, "notifier socket %s", path);
	uv_timer_init(dsp.loop, &status_timer);
	uv_timer_start(&status_timer, status_timer_cb, 1000, 1000);
}

void
status_stop(void)
{
	uv_close((uv_handle_t *)&status_timer, NULL);
	link_client_stop(&status_link);
}
