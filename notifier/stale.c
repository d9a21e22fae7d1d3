/* stale - end the people of a camera whose worker is gone for good.
 *
 * A worker that dies (kill -9, a crash) or exits idle leaves its people
 * open in the database. The next worker of the camera asks for them
 * (MSG_TAKEOVER) and goes on following them under the same ids, so a
 * person still at the gate is neither counted nor decided twice. Only
 * once no worker of the camera has been connected for stale_grace_us()
 * (wall time: longer than any restart of a worker waits) does the
 * notifier end them itself (peer_tick, once a second).
 *
 * How: each such track gets the ENDED event its worker would have sent,
 * committed through commit_result in a result of its own (NOFRAME, at its
 * last_seen time: ended_us = last_seen_us), so the database, /live, the
 * gate, the figures and the history see it like any other end, and a
 * replay can never store it twice (the next seq of the track). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "commit.h"
#include "fanout.h"
#include "frameid.h"
#include "log.h"
#include "stale.h"
#include "util.h"

#define STALE_BATCH 16
#define STALE_MAX_BATCHES 64 /* per call: the rest waits for the next one */

static int64_t stale_missing = 2000000; /* us */
static int64_t stale_grace = 12000000;  /* us */
static struct msg_result stale_r; /* loop thread only */

void
stale_init(const struct config *c)
{
	stale_missing = (int64_t)c->track_max_missing_ms * 1000;
	stale_grace = stale_missing + (int64_t)c->worker_backoff_max_ms * 1000;
}

int64_t
stale_grace_us(void)
{
	return stale_grace;
}

int64_t
stale_missing_us(void)
{
	return stale_missing;
}

int
stale_close(const char *camera, int64_t seen_before_us)
{
	struct msg_track_event ev[STALE_BATCH];
	int64_t now = (int64_t)util_now_us();
	int batch, i, n, ended = 0;

	for (batch = 0; batch < STALE_MAX_BATCHES; batch++) {
		if ((n = db_tracks_stale(camera, INT64_MAX, seen_before_us, ev, STALE_BATCH)) < 0) {
			log_error(NULL, "%s: looking for tracks of an earlier worker: %s", camera, db_errmsg());
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct commit_out out;

			memset(&stale_r, 0, sizeof(stale_r));
			util_strlcpy(stale_r.ref.camera, camera, sizeof(stale_r.ref.camera));
			frameid_next(stale_r.ref.frame_id);
			stale_r.flags = MSG_RESULT_NOFRAME;
			stale_r.nevents = 1;
			stale_r.events[0] = ev[i];
			stale_r.received_us = stale_r.analysed_us = ev[i].last_seen_us;
			stale_r.temperature = NAN;
			if (commit_result(&stale_r, &out) < 0) {
				log_error(NULL, "%s: ending track %lld of an earlier worker: %s", camera,
				    (long long)ev[i].track_id, db_errmsg());
				return -1;
			}
			log_info(NULL, "%s: track %lld ended: no worker took it over (seq %u, last seen %lld s ago)",
			    camera, (long long)ev[i].track_id, ev[i].seq,
			    (long long)((now - ev[i].last_seen_us) / 1000000));
			fanout_result(&stale_r, &out);
			ended += out.nfresh;
		}
		if (n < STALE_BATCH)
			break;
	}
	return ended;
}
