/* check - decode, motion gate, person detector (face detector as the
 * close-up fallback) for one frame.
 *
 * The motion gate exists because the detector costs ~300 ms a frame here:
 * a gate camera mostly looks at an empty corridor, or at a person standing
 * still in front of it. The frame is reduced to a CHECK_GRID_W x
 * CHECK_GRID_H grid of mean grey levels and compared with the camera's
 * previous grid; the detector is skipped only when few cells changed AND
 * its last run is recent (ingest.motion_recheck_ms): the frame then has
 * the last run's outcome, nobody or the same person boxes (a person
 * standing still is where they were; one who moves, arrives or leaves
 * changes cells), and a change the grid misses lasts at most that long.
 *
 * NanoDet misses close-ups (a face filling the frame: it gave a person box
 * to 139 of 545 padded mask-faces val photos), so when it finds nobody the
 * face detector runs; its faces become head-and-shoulders person boxes,
 * and the gate still sees those frames. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "check.h"
#include "firstpass.h"
#include "image.h"
#include "nn.h"
#include "util.h"

#define CHECK_CELL_DELTA 12 /* grey levels a cell must move to count as changed */

/* One detector pair per pool thread, never shared: darknet keeps state in
 * the network. check_preload opens them all before the loop starts
 * (loading silences fd 2 for a moment, which must not swallow other
 * threads' log lines, and a bad model must fail at startup); a thread
 * takes one from the spare list on its first frame. check_all keeps every
 * pair for check_shutdown. */
struct check_detectors {
	struct persondet *person;
	struct facedet *face;       /* input FIRSTPASS_FACE_INPUT */
};

static __thread struct check_detectors *check_detector;
static pthread_mutex_t check_all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct check_detectors *check_all[CHECK_THREADS_MAX];
static int check_nall;
static struct check_detectors *check_spare[CHECK_THREADS_MAX];
static int check_nspare;

/* check_open - open one more detector pair and list it. Caller holds the lock. */
static struct check_detectors *
check_open(const struct check_params *p, char *err, size_t errlen)
{
	struct check_detectors *d;

	if (check_nall == CHECK_THREADS_MAX) {
		snprintf(err, errlen, "more than %d person detectors", CHECK_THREADS_MAX);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((d->person = persondet_open(p->models_dir, p->input, err, errlen)) == NULL) {
		free(d);
		return NULL;
	}
	if ((d->face = facedet_open(p->models_dir, FIRSTPASS_FACE_INPUT, err, errlen)) == NULL) {
		persondet_close(d->person);
		free(d);
		return NULL;
	}
	check_all[check_nall++] = d;
	return d;
}

static struct check_detectors *
check_get_detector(const struct check_params *p, char *err, size_t errlen)
{
	if (check_detector != NULL)
		return check_detector;
	pthread_mutex_lock(&check_all_lock);
	if (check_nspare > 0)
		check_detector = check_spare[--check_nspare];
	else
		check_detector = check_open(p, err, errlen);
	pthread_mutex_unlock(&check_all_lock);
	return check_detector;
}

int
check_preload(const struct check_params *p, int count, char *err, size_t errlen)
{
	struct check_detectors *d;
	int rc = 0;

	pthread_mutex_lock(&check_all_lock);
	while (check_nspare < count && check_nspare < CHECK_THREADS_MAX) {
		if ((d = check_open(p, err, errlen)) == NULL) {
			rc = -1;
			break;
		}
		check_spare[check_nspare++] = d;
	}
	pthread_mutex_unlock(&check_all_lock);
	return rc;
}

void
check_shutdown(void)
{
	int i;

	pthread_mutex_lock(&check_all_lock);
	for (i = 0; i < check_nall; i++) {
		persondet_close(check_all[i]->person);
		facedet_close(check_all[i]->face);
		free(check_all[i]);
	}
	check_nall = check_nspare = 0;
	pthread_mutex_unlock(&check_all_lock);
}

const char *
check_by_name(enum check_by by)
{
	return by == CHECK_BY_FACE ? "face" : "person";
}

/* check_grid - mean grey per cell of a coarse grid: pixel x falls in
 * cell column x * CHECK_GRID_W / w (rounded down), so column g holds
 * x = ceil(g * w / CHECK_GRID_W) up to the next column's first x; the
 * inner loop sums runs of a row, with no division per pixel. */
static void
check_grid(const struct image *im, unsigned char *grid)
{
	unsigned long sum[CHECK_GRID_H * CHECK_GRID_W] = { 0 };
	unsigned long rows[CHECK_GRID_H] = { 0 };
	int x0[CHECK_GRID_W + 1];
	int x, y, g, i;

	for (g = 0; g <= CHECK_GRID_W; g++)
		x0[g] = (int)(((long)g * im->w + CHECK_GRID_W - 1) / CHECK_GRID_W);
	for (y = 0; y < im->h; y++) {
		int gy = (int)((long)y * CHECK_GRID_H / im->h);
		const unsigned char *row = im->rgb + (size_t)y * im->w * 3;
		unsigned long *s = sum + gy * CHECK_GRID_W;

		rows[gy]++;
		for (g = 0; g < CHECK_GRID_W; g++) {
			const unsigned char *px = row + (size_t)x0[g] * 3;
			unsigned long acc = 0;

			for (x = x0[g]; x < x0[g + 1]; x++, px += 3)
				acc += (77u * px[0] + 150u * px[1] + 29u * px[2]) >> 8;
			s[g] += acc;
		}
	}
	for (i = 0; i < CHECK_GRID_H * CHECK_GRID_W; i++) {
		unsigned long cnt = rows[i / CHECK_GRID_W] * (unsigned long)(x0[i % CHECK_GRID_W + 1] - x0[i % CHECK_GRID_W]);

		grid[i] = cnt ? (unsigned char)(sum[i] / cnt) : 0;
	}
}

/* check_motion_skip - update the camera's grid; 1 if the detector may be
 * skipped for this frame. */
static int
check_motion_skip(const struct check_params *p, struct check_motion *m, const struct image *im)
{
	unsigned char grid[CHECK_GRID_H * CHECK_GRID_W];
	int i, changed = 0, skip = 0;
	double frac;

	check_grid(im, grid);
	if (m->valid) {
		for (i = 0; i < CHECK_GRID_H * CHECK_GRID_W; i++)
			if (abs((int)grid[i] - (int)m->grid[i]) > CHECK_CELL_DELTA)
				changed++;
		frac = (double)changed / (CHECK_GRID_H * CHECK_GRID_W);
		skip = frac < p->motion_threshold && m->last_detect_us != 0 &&
		    util_mono_us() - m->last_detect_us < (uint64_t)p->motion_recheck_ms * 1000u;
	}
	memcpy(m->grid, grid, sizeof(grid));
	m->valid = 1;
	return skip;
}

void
check_params_set(struct check_params *p, const struct config *cfg)
{
	*p = (struct check_params){
		.models_dir = cfg->models_dir, .input = cfg->person_input,
		.threshold = (float)cfg->person_threshold, .face_threshold = (float)cfg->closeup_threshold,
		.whole_threshold = analyse_whole_threshold(cfg),
		.max_pixels = cfg->ingest_max_pixels, .motion_threshold = cfg->motion_threshold,
		.motion_recheck_ms = cfg->motion_recheck_ms,
	};
}

int
check_probe(const void *buf, size_t len, const char **ext, int *w, int *h, char *reason, size_t size)
{
	char err[CHECK_REASON_SIZE - 32];

	err[0] = '\0';
	if (image_probe(buf, len, ext, w, h, err, sizeof(err)) == 0)
		return 0;
	if (err[0] && strstr(err, "JPEG or PNG") == NULL)
		snprintf(reason, size, "not a JPEG or PNG image (%s)", err);
	else
		snprintf(reason, size, "not a JPEG or PNG image");
	return -1;
}

/* check_decode - probe and decode buf into im; 0, or -1 with res's
 * outcome and reason set. */
static int
check_decode(const struct check_params *p, const void *buf, size_t len, struct image *im,
             struct check_result *res)
{
	char err[CHECK_REASON_SIZE - 32];
	uint64_t t0;
	int w = 0, h = 0, rc;

	res->outcome = CHECK_BAD_IMAGE;
	if (check_probe(buf, len, &res->ext, &w, &h, res->reason, sizeof(res->reason)) != 0)
		return -1;
	res->width = w;
	res->height = h;
	err[0] = '\0';
	t0 = util_mono_us();
	rc = image_decode(buf, len, p->max_pixels, im, err, sizeof(err));
	res->decode_ms = (double)(util_mono_us() - t0) / 1000.0;
	if (rc == -E2BIG) {
		snprintf(res->reason, sizeof(res->reason), "image is %dx%d = %ld pixels, over ingest.max_pixels (%ld)",
		    w, h, (long)w * h, p->max_pixels);
		return -1;
	}
	if (rc != 0) {
		snprintf(res->reason, sizeof(res->reason), "damaged or truncated image: %s",
		    err[0] ? err : strerror(-rc));
		return -1;
	}
	res->width = im->w;
	res->height = im->h;
	return 0;
}

/* check_outcome - res's outcome and reason from n boxes found. */
static void
check_outcome(struct check_result *res, int n)
{
	res->npersons = n;
	if (n > 0 && res->by == CHECK_BY_FACE) {
		res->outcome = CHECK_PERSON;
		snprintf(res->reason, sizeof(res->reason), "%d face%s found (close-up)", n, n == 1 ? "" : "s");
	} else if (n > 0) {
		res->outcome = CHECK_PERSON;
		snprintf(res->reason, sizeof(res->reason), "%d person%s found", n, n == 1 ? "" : "s");
	} else {
		res->outcome = CHECK_NO_PERSON;
		res->by = CHECK_BY_PERSON;
		snprintf(res->reason, sizeof(res->reason), "no person found");
	}
}

void
check_frame(const struct check_params *p, struct check_motion *motion,
            const void *buf, size_t len, struct check_result *res)
{
	struct image im = { 0, 0, NULL };
	struct check_detectors *d;
	char err[CHECK_REASON_SIZE - 32];
	uint64_t t0, t1;
	enum firstpass_by by;
	int n;

	memset(res, 0, sizeof(*res));
	if (check_decode(p, buf, len, &im, res) != 0)
		return;
	if (motion && check_motion_skip(p, motion, &im)) {
		res->motion_skipped = 1;
		image_free(&im);
		if (!motion->last_person) {
			res->outcome = CHECK_NO_PERSON;
			snprintf(res->reason, sizeof(res->reason), "no motion");
			return;
		}
		res->by = (enum check_by)motion->by;
		memcpy(res->persons, motion->persons, sizeof(res->persons));
		check_outcome(res, motion->npersons);
		util_strlcpy(res->reason + strlen(res->reason), " (no motion: the last run's)",
		    sizeof(res->reason) - strlen(res->reason));
		return;
	}
	if ((d = check_get_detector(p, err, sizeof(err))) == NULL) {
		res->outcome = CHECK_DETECTOR_FAILED;
		snprintf(res->reason, sizeof(res->reason), "person detector unavailable: %s", err);
		image_free(&im);
		return;
	}
	t0 = util_mono_us();
	res->faces.threshold = p->whole_threshold;
	n = firstpass_run(d->person, d->face, &im, p->threshold, p->face_threshold,
	    res->persons, MSG_PERSONS_MAX, &by, &res->times, &res->faces);
	res->by = by == FIRSTPASS_BY_FACE ? CHECK_BY_FACE : CHECK_BY_PERSON;
	t1 = util_mono_us();
	res->detect_ms = (double)(t1 - t0) / 1000.0;
	image_free(&im);
	if (n < 0) {
		res->outcome = CHECK_DETECTOR_FAILED;
		snprintf(res->reason, sizeof(res->reason), "%s detector failed: %s",
		    by == FIRSTPASS_BY_FACE ? "face" : "person", strerror(-n));
		return;
	}
	if (motion) {
		motion->last_person = n > 0;
		motion->last_detect_us = t1;
		motion->npersons = n;
		motion->by = res->by;
		memcpy(motion->persons, res->persons, sizeof(motion->persons));
	}
	check_outcome(res, n);
}
