/* prune - snapshot retention. Only files named <frame id>.jpg or
 * <track id>.jpg inside snapshots/<camera id>/ are candidates, and a
 * file's age is the snapshot's own time: when it was last written (its
 * modification time), so a person's best look taken today is kept however
 * long the worker that numbered the track has run. Nothing else in the
 * folder is ever touched (latest.jpg, links, other files). The scan runs
 * in libuv's thread pool; the loop thread only starts it and logs the
 * outcome. A result row whose snapshot was pruned keeps its URL, which
 * then answers 404. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "frameid.h"
#include "log.h"
#include "prune.h"
#include "util.h"

#define PRUNE_EVERY_MS (3600 * 1000)

static uv_timer_t prune_timer;
static uv_work_t prune_work;
static int prune_busy, prune_started;
static char prune_dir[CONFIG_PATH_SIZE + 16];
static int prune_days;
static struct {
	uint64_t cutoff_us;
	long removed, failed;
} prune_run;

/* prune_track_time - a track id's time in microseconds, 0 if s is not a
 * track id (1 to 19 digits, no leading zero) or holds no time (before
 * 2001: a worker that numbers its tracks from 0 keeps its snapshots).
 * Only used to recognise a snapshot's name; its age is its mtime. */
static uint64_t
prune_track_time(const char *s)
{
	uint64_t v = 0;
	size_t i, n = strlen(s);

	if (n < 1 || n > 19 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v >= 1000000000000000ULL ? v : 0;
}

/* prune_camera - runs in the thread pool. */
static void
prune_camera(const char *dir)
{
	char stem[FRAMEID_SIZE], path[CONFIG_PATH_SIZE + 128];
	struct dirent *e;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		uint64_t t;

		if (n < 5 || n - 4 >= sizeof(stem) || strcmp(e->d_name + n - 4, ".jpg") != 0)
			continue;
		memcpy(stem, e->d_name, n - 4);
		stem[n - 4] = '\0';
		if (!frameid_valid(stem) && prune_track_time(stem) == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		t = (uint64_t)st.st_mtim.tv_sec * 1000000ULL + (uint64_t)st.st_mtim.tv_nsec / 1000ULL;
		if (t >= prune_run.cutoff_us)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (unlink(path) == 0)
			prune_run.removed++;
		else if (errno != ENOENT)
			prune_run.failed++;
	}
	closedir(d);
}

static void
prune_scan(uv_work_t *w)
{
	char path[CONFIG_PATH_SIZE + 64];
	struct dirent *e;
	DIR *d;

	(void)w;
	if ((d = opendir(prune_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!util_camera_id_valid(e->d_name))
			continue;
		/* a valid camera id is under CAMERA_ID_SIZE, so this fits */
		if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", prune_dir, CAMERA_ID_SIZE, e->d_name) < sizeof(path))
			prune_camera(path);
	}
	closedir(d);
}

static void
prune_done(uv_work_t *w, int status)
{
	(void)w;
	prune_busy = 0;
	if (status == 0 && (prune_run.removed || prune_run.failed))
		log_info(NULL, "snapshots older than %d days: %ld removed, %ld could not be removed",
		    prune_days, prune_run.removed, prune_run.failed);
}

static void
prune_tick(uv_timer_t *t)
{
	if (prune_busy)
		return;
	prune_run.cutoff_us = util_now_us() - (uint64_t)prune_days * 86400ULL * 1000000ULL;
	prune_run.removed = prune_run.failed = 0;
	if (daemon_pool_try(t->loop, &prune_work, NULL, prune_scan, prune_done) == 0)
		prune_busy = 1;
}

void
prune_start(uv_loop_t *loop, const struct config *c)
{
	if (config_path(c, "snapshots", prune_dir, sizeof(prune_dir)) != 0)
		return;
	prune_days = c->snapshot_keep_days;
	uv_timer_init(loop, &prune_timer);
	uv_timer_start(&prune_timer, prune_tick, 0, PRUNE_EVERY_MS);
	prune_started = 1;
}

void
prune_stop(void)
{
	if (prune_started && !uv_is_closing((uv_handle_t *)&prune_timer))
		uv_close((uv_handle_t *)&prune_timer, NULL);
}
