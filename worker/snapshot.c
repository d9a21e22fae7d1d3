/* snapshot - what the live view shows of a camera: its latest frame and
 * each person's best look so far, under DIR/snapshots/<camera>/
 * (notifier.snapshot_keep_days: 0 keeps none). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "log.h"
#include "util.h"
#include "worker.h"

#define SNAPSHOT_QUALITY 80

/* snapshot_latest (worker.h) - the frame as the live view shows it:
 * DIR/snapshots/<camera>/latest.jpg, replaced every frame (a JPEG is kept
 * as sent, a PNG is encoded). Written to a temporary name and renamed, so a reader never
 * sees half a file; not fsynced (a lost snapshot costs nothing). rel gets
 * the path relative to DIR, "" if none was written. */
void
snapshot_latest(struct worker *w, const struct msg_frame_ref *ref, const char *ext,
                const unsigned char *img, size_t len, const struct image *im, char *rel, size_t rellen)
{
	char dir[CONFIG_PATH_SIZE + 64], path[CONFIG_PATH_SIZE + 128], tmp[CONFIG_PATH_SIZE + 140];
	size_t off = 0;
	int fd, rc;

	rel[0] = '\0';
	if (w->cfg.snapshot_keep_days <= 0)
		return;
	snprintf(dir, sizeof(dir), "%s/snapshots/%s", w->cfg.dir, ref->camera);
	snprintf(path, sizeof(path), "%s/latest.jpg", dir);
	snprintf(tmp, sizeof(tmp), "%s/.latest.jpg.tmp", dir);
	if ((rc = util_mkdirs(dir)) < 0) {
		log_warnc(rc, ref->frame_id, "snapshot dir %s", dir);
		return;
	}
	if (strcmp(ext, "jpg") != 0) {
		if ((rc = image_write_jpeg(im, path, SNAPSHOT_QUALITY)) < 0) {
			log_warnc(rc, ref->frame_id, "snapshot %s", path);
			return;
		}
		snprintf(rel, rellen, "snapshots/%s/latest.jpg", ref->camera);
		return;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) == -1) {
		log_warn(ref->frame_id, "snapshot %s", tmp);
		return;
	}
	while (off < len) {
		ssize_t n = write(fd, img + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn(ref->frame_id, "snapshot write %s", tmp);
			close(fd);
			unlink(tmp);
			return;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		log_warn(ref->frame_id, "snapshot %s", path);
		unlink(tmp);
		return;
	}
	snprintf(rel, rellen, "snapshots/%s/latest.jpg", ref->camera);
}

/* snapshot_track - the best look at a person so far: the person's
 * box (or, for a face-only photo, the face with room around it) cut from
 * the frame, as DIR/snapshots/<camera>/<track id>.jpg, replacing the
 * previous best. Returns 0 or -errno (logged; the track goes on). */
static int
snapshot_track(struct worker *w, const char *frame_id, const struct image *im,
               const struct msg_box *box, int has_body, uint64_t id)
{
	char rel[128], path[CONFIG_PATH_SIZE + 160], dir[CONFIG_PATH_SIZE + 64];
	float mx = box->w * (has_body ? 0.10f : 0.5f), my = box->h * (has_body ? 0.05f : 0.5f);
	struct image crop;
	int rc;

	if (w->cfg.snapshot_keep_days <= 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s/snapshots/%s", w->cfg.dir, w->camera);
	people_snapshot_rel(w->people, id, rel, sizeof(rel));
	snprintf(path, sizeof(path), "%s/%s", w->cfg.dir, rel);
	if ((rc = util_mkdirs(dir)) < 0 ||
	    (rc = image_crop(im, (int)(box->x - mx), (int)(box->y - my), (int)(box->w + 2 * mx),
	    (int)(box->h + 2 * my), &crop)) < 0) {
		log_warnc(rc, frame_id, "camera=%s track=%llu snapshot", w->camera, (unsigned long long)id);
		return rc;
	}
	rc = image_write_jpeg(&crop, path, SNAPSHOT_QUALITY);
	image_free(&crop);
	if (rc < 0) {
		log_warnc(rc, frame_id, "camera=%s snapshot %s", w->camera, path);
		return rc;
	}
	people_snapshot_saved(w->people, id);
	return 0;
}

/* snapshot_look_cb (worker.h) */
int
snapshot_look_cb(uint64_t id, void *arg)
{
	struct snapshot_look *s = arg;

	return snapshot_track(s->w, s->frame_id, s->im, s->box, s->has_body, id);
}
