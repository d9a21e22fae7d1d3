/* spool_scan - walking the spool: list the frames of a state in arrival
 * order, and recover after a crash (stale tmp/ files go, claimed frames
 * go back to queue/). The frames' single moves are spool.c's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool_priv.h"
#include "util.h"

/* scandir filters and order. Frame ids are fixed-width digits, so byte
 * order is arrival order (alphasort would follow the locale). */
static int
spool_scan_frame_filter(const struct dirent *de)
{
	char id[FRAMEID_SIZE];

	return spool_name_parse(de->d_name, id);
}

static int
spool_scan_camera_filter(const struct dirent *de)
{
	return util_camera_id_valid(de->d_name);
}

static int
spool_scan_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void
spool_scan_free_names(struct dirent **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Walk one camera's directory; returns 1 if the callback asked to stop. */
static int
spool_scan_list_one(const struct spool *sp, enum spool_state st, const char *camera,
                  spool_list_cb cb, void *arg)
{
	char dir[SPOOL_PATH_SIZE], id[FRAMEID_SIZE];
	struct dirent **names;
	struct stat sb;
	int i, n, rc = 0, dfd;

	if ((rc = spool_dir(sp, st, camera, dir, sizeof(dir))) < 0)
		return rc;
	if ((n = scandir(dir, &names, spool_scan_frame_filter, spool_scan_name_cmp)) == -1)
		return errno == ENOENT ? 0 : -errno;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		rc = -errno;
		spool_scan_free_names(names, n);
		return rc == -ENOENT ? 0 : rc;
	}
	for (i = 0; i < n; i++) {
		if (fstatat(dfd, names[i]->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;   /* claimed or deleted since the scan */
		spool_name_parse(names[i]->d_name, id);
		if (cb(camera, id, (size_t)sb.st_size, arg) != 0) {
			rc = 1;
			break;
		}
	}
	close(dfd);
	spool_scan_free_names(names, n);
	return rc;
}

/* spool_scan_cameras - fn for every camera directory of a state, in name
 * order, until fn returns non-zero (returned; < 0 is an error). */
static int
spool_scan_cameras(const struct spool *sp, enum spool_state st,
                   int (*fn)(const struct spool *, const char *, void *), void *arg)
{
	char dir[SPOOL_PATH_SIZE];
	struct dirent **cams;
	int i, n, rc;

	if ((rc = spool_fmt(dir, sizeof(dir), "%s/%s", sp->root, spool_state_dirs[st])) < 0)
		return rc;
	if ((n = scandir(dir, &cams, spool_scan_camera_filter, spool_scan_name_cmp)) == -1)
		return errno == ENOENT ? 0 : -errno;
	rc = 0;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(sp, cams[i]->d_name, arg);
	spool_scan_free_names(cams, n);
	return rc;
}

/* A spool_list walk: its state, callback and argument. */
struct spool_scan_list {
	enum spool_state st;
	spool_list_cb cb;
	void *arg;
};

static int
spool_scan_list_camera(const struct spool *sp, const char *camera, void *arg)
{
	struct spool_scan_list *l = arg;

	return spool_scan_list_one(sp, l->st, camera, l->cb, l->arg);
}

int
spool_list(const struct spool *sp, enum spool_state st, const char *camera, spool_list_cb cb, void *arg)
{
	struct spool_scan_list l = { st, cb, arg };
	int rc;

	if ((unsigned)st > SPOOL_FAILED || cb == NULL)
		return -EINVAL;
	if (camera != NULL && !util_camera_id_valid(camera))
		return -EINVAL;
	if (camera != NULL)
		rc = spool_scan_list_one(sp, st, camera, cb, arg);
	else
		rc = spool_scan_cameras(sp, st, spool_scan_list_camera, &l);
	return rc < 0 ? rc : 0;
}

/* Remove the stale files in tmp/: those not modified for
 * SPOOL_TMP_STALE_S. A commit in progress (ingest writing while the
 * dispatcher restarts and recovers) takes milliseconds and is left alone;
 * a file that old was left by a writer that died. */
static int
spool_scan_recover_tmp(const struct spool *sp, int *removed)
{
	char dir[SPOOL_PATH_SIZE];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((rc = spool_fmt(dir, sizeof(dir), "%s/tmp", sp->root)) < 0)
		return rc;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime > time(NULL) - SPOOL_TMP_STALE_S)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			if (errno == ENOENT)
				continue;
			rc = -errno;
			break;
		}
		(*removed)++;
	}
	closedir(d);
	return rc;
}

/* Move every frame of one camera's active/ back to queue/; arg counts
 * them (int). */
static int
spool_scan_recover_camera(const struct spool *sp, const char *camera, void *arg)
{
	char src[SPOOL_PATH_SIZE], dst[SPOOL_PATH_SIZE], qdir[SPOOL_PATH_SIZE];
	struct dirent **names;
	int *requeued = arg;
	int i, n, rc = 0, moved = 0;

	if ((rc = spool_dir(sp, SPOOL_ACTIVE, camera, src, sizeof(src))) < 0 ||
	    (rc = spool_dir(sp, SPOOL_QUEUE, camera, qdir, sizeof(qdir))) < 0)
		return rc;
	if ((n = scandir(src, &names, spool_scan_frame_filter, spool_scan_name_cmp)) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (n > 0 && (rc = spool_mkcamdir(qdir)) < 0) {
		spool_scan_free_names(names, n);
		return rc;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = spool_fmt(src, sizeof(src), "%s/active/%s/%s", sp->root, camera, names[i]->d_name)) < 0 ||
		    (rc = spool_fmt(dst, sizeof(dst), "%s/%s", qdir, names[i]->d_name)) < 0)
			break;
		if (rename(src, dst) == -1) {
			if (errno != ENOENT)
				rc = -errno;
			continue;
		}
		moved++;
	}
	spool_scan_free_names(names, n);
	*requeued += moved;
	if (rc == 0 && moved > 0)
		rc = util_fsync_dir(qdir);
	return rc;
}

int
spool_recover(struct spool *sp, int *stale_removed, int *requeued)
{
	int rc, removed = 0, moved = 0;

	if ((rc = spool_scan_recover_tmp(sp, &removed)) == 0)
		rc = spool_scan_cameras(sp, SPOOL_ACTIVE, spool_scan_recover_camera, &moved);
	if (stale_removed != NULL)
		*stale_removed = removed;
	if (requeued != NULL)
		*requeued = moved;
	return rc < 0 ? rc : 0;
}
