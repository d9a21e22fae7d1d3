/* stale - end the people of a worker that is gone.
 *
 * Which tracks: a track id is its worker's start time in microseconds
 * plus a count (worker/people.c passes util_now_us() as id_base after the
 * process started), so the tracks of the worker that just said hello are
 * all above its process start time, and an open track below it belongs
 * to an earlier worker of the camera, which is gone (the dispatcher runs
 * one worker per camera). A worker that reconnects (a notifier restart)
 * keeps its tracks: they are above its own start time. Two more guards:
 * only ids that hold a time (>= 2001, see prune.c) are judged, and only
 * tracks not seen for track.max_missing_ms, so a peer that merely speaks
 * for the camera (a test feeding results) ends nothing that a worker
 * could still be following. The caller repeats stale_close for a while
 * after the hello, so a track the dead worker saw just before it died
 * ends once max_missing_ms has passed.
 *
 * How: each such track gets the ENDED event its worker would have sent,
 * committed through events_commit in a result of its own (NOFRAME, at its
 * last_seen time: ended_us = last_seen_us), so the database, /live, the
 * figures and the history see it like any other end, and a replay can
 * never store it twice (the next seq of the track). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "events.h"
#include "fanout.h"
#include "frameid.h"
#include "log.h"
#include "stale.h"
#include "util.h"

#define STALE_BATCH 16
#define STALE_MAX_BATCHES 64 /* per call: the rest waits for the next one */

static int64_t stale_missing = 2000000; /* us */
static struct msg_result stale_r; /* loop thread only */

void
stale_init(const struct config *c)
{
	stale_missing = (int64_t)c->track_max_missing_ms * 1000;
}

int64_t
stale_missing_us(void)
{
	return stale_missing;
}

int64_t
stale_proc_start_us(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0;
	struct timespec boot, real;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;
	int field;

	if (pid <= 0 || hz <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold anything, so count from
	 * the last ')'; starttime is field 22, state field 3. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 2; field < 22 && *p; p++)
		if (*p == ' ')
			field++;
	if (field != 22 || sscanf(p, "%llu", &ticks) != 1)
		return 0;
	if (clock_gettime(CLOCK_BOOTTIME, &boot) != 0 || clock_gettime(CLOCK_REALTIME, &real) != 0)
		return 0;
	return ((int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000) -
	    ((int64_t)boot.tv_sec * 1000000 + boot.tv_nsec / 1000) +
	    (int64_t)(ticks * 1000000ULL / (unsigned long long)hz);
}

int
stale_close(const char *camera, int64_t start_us)
{
	struct msg_track_event ev[STALE_BATCH];
	int64_t now = (int64_t)util_now_us();
	int batch, i, n, ended = 0;

	if (start_us <= 0)
		return 0;
	for (batch = 0; batch < STALE_MAX_BATCHES; batch++) {
		if ((n = db_tracks_stale(camera, start_us, now - stale_missing, ev, STALE_BATCH)) < 0) {
			log_error(NULL, "%s: looking for tracks of an earlier worker: %s", camera, db_errmsg());
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct events_out out;

			memset(&stale_r, 0, sizeof(stale_r));
			util_strlcpy(stale_r.ref.camera, camera, sizeof(stale_r.ref.camera));
			frameid_next(stale_r.ref.frame_id);
			stale_r.flags = MSG_RESULT_NOFRAME;
			stale_r.nevents = 1;
			stale_r.events[0] = ev[i];
			stale_r.received_us = stale_r.analysed_us = ev[i].last_seen_us;
			stale_r.temperature = NAN;
			if (events_commit(&stale_r, &out) < 0) {
				log_error(NULL, "%s: ending track %lld of an earlier worker: %s", camera,
				    (long long)ev[i].track_id, db_errmsg());
				return -1;
			}
			log_info(NULL, "%s: track %lld of an earlier worker ended (seq %u, last seen %lld s ago)",
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
