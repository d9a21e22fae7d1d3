/* today - the day's figures in memory, read again in the thread pool;
 * see today.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "query.h"
#include "today.h"
#include "util.h"
#include "webjob.h"

/* One read in the pool (a plain struct: webjob frees it). */
struct today_job {
	time_t day;
	json_t *figures;          /* owned: the pool's answer, NULL on error */
	uint64_t cost_us;
	char err[128];
};

static struct {
	json_t *figures;          /* owned, or NULL */
	int day;                  /* the local day they are of (today_day) */
	int dirty, busy;
	uint64_t start_us, cost_us; /* monotonic: the last read's start, its time */
	unsigned long long reads, read_us; /* pool reads since start, their time */
	unsigned long long held;  /* ticks a read was due but nobody listened */
	today_fresh_fn fresh;
} today;

/* today_day - the local day holding t, as one number. */
static int
today_day(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900) * 1000 + tm.tm_yday;
}

static void
today_set(json_t *figures, time_t day)
{
	json_decref(today.figures);
	today.figures = figures;
	today.day = today_day(day);
}

void
today_init(sqlite3 *db, today_fresh_fn fresh)
{
	time_t now = time(NULL);
	json_t *t;

	today.fresh = fresh;
	today.start_us = util_mono_us();
	if ((t = query_stats_day(db, now)) == NULL) {
		log_warnx(NULL, "today's figures: %s", sqlite3_errmsg(db));
		today.dirty = 1;
	}
	today.cost_us = util_mono_us() - today.start_us;
	today_set(t, now);
}

void
today_changed(void)
{
	today.dirty = 1;
}

json_t *
today_figures(void)
{
	return today.figures;
}

/* today_read - on a pool thread. */
static int
today_read(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen)
{
	struct today_job *j = arg;
	uint64_t t0 = util_mono_us();

	(void)out, (void)link, (void)linklen;
	if ((j->figures = query_stats_day(db, j->day)) == NULL)
		util_strlcpy(j->err, sqlite3_errmsg(db), sizeof(j->err));
	j->cost_us = util_mono_us() - t0;
	return j->figures ? 200 : 500;
}

/* today_done - the read's answer, on the loop thread. */
static void
today_done(void *arg, int status)
{
	struct today_job *j = arg;

	today.busy = 0;
	today.cost_us = j->cost_us;
	today.reads++;
	today.read_us += j->cost_us;
	if (status < 0 || j->figures == NULL) {
		log_warnx(NULL, "today's figures: %s", status < 0 ? "cannot open the database" : j->err);
		today.dirty = 1;
		return;
	}
	today_set(j->figures, j->day);
	j->figures = NULL;
	if (today.fresh)
		today.fresh(today.figures);
}

void
today_counts(unsigned long long *reads, double *seconds, unsigned long long *held)
{
	*reads = today.reads;
	*held = today.held;
	*seconds = (double)today.read_us / 1e6;
}

void
today_tick(int listening)
{
	uint64_t now = util_mono_us();
	time_t t = time(NULL);
	struct today_job *j;

	if (today.busy || (!today.dirty && today.figures != NULL && today_day(t) == today.day))
		return;
	if (!listening) {
		today.held++; /* the change waits for someone to listen */
		return;
	}
	/* at most 5% of a pool thread, and once a second (the tick) */
	if (now - today.start_us < 20 * today.cost_us)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->day = t;
	if (webjob_call(today_read, j, today_done) != 0)
		return;
	today.busy = 1;
	today.dirty = 0;
	today.start_us = now;
}
