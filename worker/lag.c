/* lag - how late the camera's frames reach this worker (lag.h). A frame
 * handed over while the worker was busy waited in the dispatcher's queue
 * (every frame in order: seconds under load); once the worker waits and
 * no frame comes, that wait is over, and a frame still to come can only be
 * inside ingest. Before, the idle tick ran behind by the latest frame's
 * whole lag, queue wait included, for as long as the worker waited: a
 * person who left undecided was decided and ended at the next person's
 * first frame, and people who had left stayed open (and were sent again to
 * a camera that connected). */
#include "lag.h"

void
lag_frame(struct lag *l, uint64_t received_us, uint64_t spooled_us, uint64_t wall_us)
{
	uint64_t in;

	l->whole_us = wall_us > received_us ? wall_us - received_us : 0;
	l->known = spooled_us != 0;
	l->done_us = 0;
	if (!l->known)
		return;
	in = spooled_us > received_us ? spooled_us - received_us : 0;
	l->ingest_us[l->next] = in < l->whole_us ? in : l->whole_us;
	l->next = (l->next + 1) % LAG_KEEP;
	if (l->n < LAG_KEEP)
		l->n++;
}

void
lag_done(struct lag *l, uint64_t wall_us)
{
	l->done_us = wall_us ? wall_us : 1;
}

uint64_t
lag_idle_us(const struct lag *l, uint64_t wall_us)
{
	uint64_t most = 0;
	unsigned i;

	if (!l->known || l->done_us == 0 || wall_us < l->done_us + LAG_QUEUE_EMPTY_US)
		return l->whole_us;
	for (i = 0; i < l->n; i++)
		if (l->ingest_us[i] > most)
			most = l->ingest_us[i];
	return most;
}

uint64_t
lag_clock_us(const struct lag *l, uint64_t wall_us, uint64_t queued_us)
{
	uint64_t behind = lag_idle_us(l, wall_us), now = wall_us > behind ? wall_us - behind : 0;

	return queued_us != 0 && queued_us < now ? queued_us : now;
}
