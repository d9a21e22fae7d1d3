/* test_spool - commit/list order, trailer round trip, spooled files are
 * images, caps, id validation, claim/unclaim/done/fail, recovery. Each
 * test works in its own temp dir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "frameid.h"
#include "image.h"
#include "spool.h"
#include "util.h"

#define PHOTO "/usr/share/darknet/data/person.jpg"

static unsigned char *photo;
static size_t photo_len;

/* fresh spool in a new directory under the case's; root is written into
 * root[]. Reads the photo the first time. */
static int
test_spool_fresh(struct spool *sp, char *root, int max_frames, long max_bytes, long min_free_mb)
{
	char tmpl[SPOOL_PATH_SIZE - 8];
	int rc;

	if (photo == NULL) {
		rc = util_read_file(PHOTO, 16u << 20, &photo, &photo_len);
		CHECK_INT(rc, 0, "read " PHOTO);
		if (rc < 0)
			return rc;
	}
	snprintf(tmpl, sizeof(tmpl), "%s/spool-XXXXXX", check_tmpdir());
	if (mkdtemp(tmpl) == NULL)
		return -errno;
	snprintf(root, SPOOL_PATH_SIZE, "%s/spool", tmpl);
	rc = spool_open(sp, root, max_frames, max_bytes, min_free_mb);
	return rc;
}

/* root is <dir>/spool: removes <dir> */
static void
test_spool_cleanup(const char *root)
{
	char dir[SPOOL_PATH_SIZE];
	const char *slash = strrchr(root, '/');

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - root), root);
	if (check_rmtree(dir) < 0)
		printf("# could not remove %s\n", dir);
}

static int
test_spool_count_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

struct seen {
	int n;
	char cam[8][CAMERA_ID_SIZE];
	char id[8][FRAMEID_SIZE];
	size_t bytes[8];
	int stop_after;
};

static int
test_spool_collect(const char *camera, const char *frame_id, size_t bytes, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		util_strlcpy(s->cam[s->n], camera, CAMERA_ID_SIZE);
		util_strlcpy(s->id[s->n], frame_id, FRAMEID_SIZE);
		s->bytes[s->n] = bytes;
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

CASE(commit_list)
{
	char root[SPOOL_PATH_SIZE], path[1200], ids[3][FRAMEID_SIZE], err[256];
	struct seen s;
	struct spool sp;
	unsigned char *img = NULL, *file = NULL;
	size_t len, flen;
	char *meta = NULL;
	const char *m = "{\"w\":640,\"h\":424,\"persons\":[[1,2,3,4]]}";
	struct image im;
	int i, rc, frames = -1;
	long bytes = -1;

	CHECK_INT(test_spool_fresh(&sp, root, 10, 100L << 20, 0), 0, "spool_open");
	snprintf(path, sizeof(path), "%s/active", root);
	CHECK(access(path, F_OK) == 0, "spool_open creates active/");
	for (i = 0; i < 3; i++)
		frameid_next(ids[i]);
	/* committed out of order: listing is by frame id, not by commit time */
	rc = spool_commit(&sp, "gate1", ids[2], "jpg", photo, photo_len, m);
	CHECK_INT(rc, 0, "commit third id first");
	rc = spool_commit(&sp, "gate1", ids[0], "jpg", photo, photo_len, NULL);
	CHECK_INT(rc, 0, "commit first id without meta");
	rc = spool_commit(&sp, "gate1", ids[1], "png", "\x89PNG", 4, "{}");
	CHECK_INT(rc, 0, "commit second id as png");
	rc = spool_commit(&sp, "gate2", ids[0], "jpg", photo, photo_len, m);
	CHECK_INT(rc, 0, "commit to a second camera");
	snprintf(path, sizeof(path), "%s/tmp", root);
	CHECK_INT(test_spool_count_entries(path), 0, "tmp/ is empty after commits");

	memset(&s, 0, sizeof(s));
	rc = spool_list(&sp, SPOOL_QUEUE, "gate1", test_spool_collect, &s);
	CHECK_INT(rc, 0, "list gate1");
	CHECK_INT(s.n, 3, "list gate1 sees 3 frames");
	CHECK_STR(s.id[0], ids[0], "list order 1");
	CHECK_STR(s.id[1], ids[1], "list order 2");
	CHECK_STR(s.id[2], ids[2], "list order 3");
	CHECK_INT(s.bytes[0], photo_len, "list reports bytes of a frame without meta");
	CHECK_INT(s.bytes[2], photo_len + strlen(m) + 13, "list reports bytes with the trailer");

	memset(&s, 0, sizeof(s));
	rc = spool_list(&sp, SPOOL_QUEUE, NULL, test_spool_collect, &s);
	CHECK_INT(s.n, 4, "list all cameras sees 4 frames");
	CHECK_STR(s.cam[3], "gate2", "list all cameras: gate2 comes after gate1");
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	rc = spool_list(&sp, SPOOL_QUEUE, NULL, test_spool_collect, &s);
	CHECK_INT(rc * 100 + s.n, 2, "list stops when the callback says so");
	memset(&s, 0, sizeof(s));
	rc = spool_list(&sp, SPOOL_ACTIVE, "nocam", test_spool_collect, &s);
	CHECK_INT(rc * 100 + s.n, 0, "list of an unknown camera is empty");

	rc = spool_usage(&sp, "gate1", &frames, &bytes);
	CHECK_INT(rc, 0, "usage");
	CHECK_INT(frames, 3, "usage counts 3 frames");
	CHECK_INT(bytes, (long)(2 * photo_len + 4 + strlen(m) + 13 + 2 + 13), "usage counts bytes");

	/* trailer round trip */
	rc = spool_path(&sp, SPOOL_QUEUE, "gate1", ids[2], path, sizeof(path));
	CHECK_INT(rc, 0, "spool_path finds the frame");
	CHECK(strstr(path, "/queue/gate1/") != NULL && strstr(path, ".jpg") != NULL, "spool_path is queue/gate1/<id>.jpg");
	rc = spool_read(path, &img, &len, &meta);
	CHECK_INT(rc, 0, "spool_read");
	CHECK_INT(len, photo_len, "spool_read image length");
	CHECK(img && memcmp(img, photo, photo_len) == 0, "spool_read image bytes are the camera's");
	CHECK_STR(meta, m, "spool_read meta round trip");
	free(img);
	free(meta);
	spool_path(&sp, SPOOL_QUEUE, "gate1", ids[0], path, sizeof(path));
	rc = spool_read(path, &img, &len, &meta);
	CHECK_INT(rc * 1000000 + (long)len, photo_len, "frame without meta reads back whole");
	CHECK_STR(meta, "", "frame without meta has meta \"\"");
	free(img);
	free(meta);
	spool_path(&sp, SPOOL_QUEUE, "gate1", ids[1], path, sizeof(path));
	CHECK(strstr(path, ".png") != NULL, "spool_path finds the png extension");

	/* the committed file, trailer and all, is an image as it stands */
	spool_path(&sp, SPOOL_QUEUE, "gate1", ids[2], path, sizeof(path));
	rc = util_read_file(path, 16u << 20, &file, &flen);
	CHECK_INT(flen, photo_len + strlen(m) + 13, "file is image + trailer");
	rc = image_decode(file, flen, 0, &im, err, sizeof(err));
	if (rc)
		printf("# %s\n", err);
	CHECK_INT(rc, 0, "spooled file with trailer decodes directly");
	CHECK_INT(im.w * 10000 + im.h, 640 * 10000 + 424, "spooled file decodes to 640x424");
	image_free(&im);
	free(file);
	{
		char cmd[1400];

		snprintf(cmd, sizeof(cmd), "/usr/bin/identify -format '%%wx%%h' '%s' >/dev/null 2>&1", path);
		CHECK_INT(system(cmd), 0, "ImageMagick identify opens the spooled file");
	}
	test_spool_cleanup(root);
}

CASE(read_damaged)
{
	char root[SPOOL_PATH_SIZE], path[1200];
	unsigned char buf[64], *img;
	struct spool sp;
	size_t len;
	char *meta;
	int fd, rc;

	test_spool_fresh(&sp, root, 10, 1L << 20, 0);
	snprintf(path, sizeof(path), "%s/damaged.jpg", root);
	memset(buf, 'a', sizeof(buf));
	memcpy(buf + sizeof(buf) - 12, "GWMETA01\xff\x00\x00\x00", 12);   /* 255 > file */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK_INT(write(fd, buf, sizeof(buf)), sizeof(buf), "write damaged file");
	close(fd);
	rc = spool_read(path, &img, &len, &meta);
	CHECK_INT(rc, -EBADMSG, "trailer longer than the file is -EBADMSG");
	CHECK(img == NULL && meta == NULL, "damaged read returns nothing");
	memcpy(buf + sizeof(buf) - 12, "GWMETA01\x05\x00\x00\x00", 12);   /* no '\n' before */
	fd = open(path, O_WRONLY | O_TRUNC, 0600);
	CHECK_INT(write(fd, buf, sizeof(buf)), sizeof(buf), "rewrite damaged file");
	close(fd);
	rc = spool_read(path, &img, &len, &meta);
	CHECK_INT(rc, -EBADMSG, "trailer without its newline is -EBADMSG");
	snprintf(path, sizeof(path), "%s/none.jpg", root);
	rc = spool_read(path, &img, &len, &meta);
	CHECK_INT(rc, -ENOENT, "missing file is -ENOENT");
	test_spool_cleanup(root);
}

CASE(caps)
{
	char root[SPOOL_PATH_SIZE], id[FRAMEID_SIZE], big[SPOOL_META_MAX + 2];
	struct spool sp;
	int i, rc;

	test_spool_fresh(&sp, root, 3, 1L << 20, 0);
	for (i = 0; i < 3; i++) {
		rc = spool_admit(&sp, "cam", 1000);
		if (rc != 0)
			break;
		frameid_next(id);
		rc = spool_commit(&sp, "cam", id, "jpg", photo, 1000, "{}");
		if (rc != 0)
			break;
	}
	CHECK_INT(rc, 0, "three frames admitted and committed under a cap of 3");
	CHECK_INT(spool_admit(&sp, "cam", 1000), -EDQUOT, "fourth frame is -EDQUOT");
	CHECK_INT(spool_admit(&sp, "other", 1000), 0, "another camera is not affected");
	CHECK_INT(spool_claim(&sp, "cam", id), 0, "claim one");
	CHECK_INT(spool_admit(&sp, "cam", 1000), -EDQUOT, "claimed frames still count against the cap");
	CHECK_INT(spool_done(&sp, "cam", id), 0, "done one");
	CHECK_INT(spool_admit(&sp, "cam", 1000), 0, "room again after done");
	test_spool_cleanup(root);

	test_spool_fresh(&sp, root, 100, 3000, 0);
	frameid_next(id);
	CHECK_INT(spool_commit(&sp, "cam", id, "jpg", photo, 2000, NULL), 0, "commit 2000 bytes");
	CHECK_INT(spool_admit(&sp, "cam", 1000), 0, "1000 more fits a 3000-byte cap");
	CHECK_INT(spool_admit(&sp, "cam", 1001), -EDQUOT, "1001 more is -EDQUOT");
	test_spool_cleanup(root);

	test_spool_fresh(&sp, root, 100, 1L << 20, 1L << 40);   /* a floor no disk has */
	CHECK_INT(spool_admit(&sp, "cam", 1000), -ENOSPC, "below the disk floor is -ENOSPC");
	test_spool_cleanup(root);

	test_spool_fresh(&sp, root, 100, 1L << 20, 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	frameid_next(id);
	CHECK_INT(spool_commit(&sp, "cam", id, "jpg", photo, 100, big), -EMSGSIZE, "meta over SPOOL_META_MAX is refused");
	big[SPOOL_META_MAX] = '\0';
	CHECK_INT(spool_commit(&sp, "cam", id, "jpg", photo, 100, big), 0, "meta of exactly SPOOL_META_MAX is taken");
	test_spool_cleanup(root);
}

CASE(bad_ids)
{
	static const char *const bad_cams[] = { "", "../x", "a/b", ".", "..", "cam era",
		"0123456789012345678901234567890123", "cam\n" };
	static const char *const bad_ids[] = { "", "x", "../../etc/passwd", "1764026596123456_007",
		"1764026596123456-07", "1764026596123456-0071", "176402659612345a-007" };
	char root[SPOOL_PATH_SIZE], id[FRAMEID_SIZE], path[1200], what[160];
	struct seen s;
	struct spool sp;
	size_t i;
	int fails = 0, frames;
	long bytes;

	test_spool_fresh(&sp, root, 10, 1L << 20, 0);
	frameid_next(id);
	for (i = 0; i < sizeof(bad_cams) / sizeof(bad_cams[0]); i++) {
		const char *c = bad_cams[i];
		int r[9];
		int k;

		r[0] = spool_admit(&sp, c, 10);
		r[1] = spool_commit(&sp, c, id, "jpg", photo, 10, NULL);
		r[2] = spool_path(&sp, SPOOL_QUEUE, c, id, path, sizeof(path));
		r[3] = spool_claim(&sp, c, id);
		r[4] = spool_unclaim(&sp, c, id);
		r[5] = spool_done(&sp, c, id);
		r[6] = spool_fail(&sp, c, id, "x");
		r[7] = spool_list(&sp, SPOOL_QUEUE, c, test_spool_collect, &s);
		r[8] = spool_usage(&sp, c, &frames, &bytes);
		for (k = 0; k < 9; k++)
			if (r[k] != -EINVAL) {
				printf("# camera \"%s\": call %d returned %d\n", c, k, r[k]);
				fails++;
			}
	}
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		const char *f = bad_ids[i];
		int r[6];
		int k;

		r[0] = spool_commit(&sp, "cam", f, "jpg", photo, 10, NULL);
		r[1] = spool_path(&sp, SPOOL_QUEUE, "cam", f, path, sizeof(path));
		r[2] = spool_claim(&sp, "cam", f);
		r[3] = spool_unclaim(&sp, "cam", f);
		r[4] = spool_done(&sp, "cam", f);
		r[5] = spool_fail(&sp, "cam", f, "x");
		for (k = 0; k < 6; k++)
			if (r[k] != -EINVAL) {
				printf("# frame id \"%s\": call %d returned %d\n", f, k, r[k]);
				fails++;
			}
	}
	snprintf(what, sizeof(what), "every entry point refuses %zu bad camera ids and %zu bad frame ids",
	         sizeof(bad_cams) / sizeof(bad_cams[0]), sizeof(bad_ids) / sizeof(bad_ids[0]));
	CHECK_INT(fails, 0, what);
	CHECK_INT(spool_commit(&sp, "cam", id, "gif", photo, 10, NULL), -EINVAL, "extension gif is refused");
	CHECK_INT(spool_commit(&sp, "cam", id, "../jpg", photo, 10, NULL), -EINVAL, "extension with a slash is refused");
	snprintf(path, sizeof(path), "%s/queue", root);
	CHECK_INT(test_spool_count_entries(path), 0, "nothing was created by refused calls");
	test_spool_cleanup(root);
}

CASE(states)
{
	char root[SPOOL_PATH_SIZE], a[FRAMEID_SIZE], b[FRAMEID_SIZE], path[1200];
	unsigned char *txt = NULL;
	struct seen s;
	struct spool sp;
	size_t len;
	int frames = -1;
	long bytes;

	test_spool_fresh(&sp, root, 10, 1L << 20, 0);
	frameid_next(a);
	frameid_next(b);
	spool_commit(&sp, "cam", a, "jpg", photo, 500, "{\"a\":1}");
	spool_commit(&sp, "cam", b, "png", photo, 600, NULL);

	CHECK_INT(spool_claim(&sp, "cam", a), 0, "claim a");
	CHECK_INT(spool_path(&sp, SPOOL_ACTIVE, "cam", a, path, sizeof(path)), 0, "a is in active/");
	CHECK_INT(spool_path(&sp, SPOOL_QUEUE, "cam", a, path, sizeof(path)), -ENOENT, "a is no longer in queue/");
	CHECK_INT(spool_claim(&sp, "cam", a), -ENOENT, "claiming a twice is -ENOENT");
	memset(&s, 0, sizeof(s));
	spool_list(&sp, SPOOL_ACTIVE, "cam", test_spool_collect, &s);
	CHECK_INT(s.n, 1, "active/ lists one frame");
	spool_usage(&sp, "cam", &frames, &bytes);
	CHECK_INT(frames, 2, "usage counts queue + active");

	CHECK_INT(spool_unclaim(&sp, "cam", a), 0, "unclaim a");
	CHECK_INT(spool_path(&sp, SPOOL_QUEUE, "cam", a, path, sizeof(path)), 0, "a is back in queue/");
	CHECK_INT(spool_unclaim(&sp, "cam", a), -ENOENT, "unclaiming a queued frame is -ENOENT");
	CHECK_INT(spool_done(&sp, "cam", a), -ENOENT, "done on a queued frame is -ENOENT");

	CHECK_INT(spool_claim(&sp, "cam", a), 0, "claim a again");
	CHECK_INT(spool_done(&sp, "cam", a), 0, "done a");
	CHECK_INT(spool_path(&sp, SPOOL_ACTIVE, "cam", a, path, sizeof(path)), -ENOENT, "a is gone after done");
	CHECK_INT(spool_path(&sp, SPOOL_QUEUE, "cam", a, path, sizeof(path)), -ENOENT, "a is not requeued by done");

	/* skip: a queued frame leaves unanalysed; a claimed one is the worker's */
	frameid_next(a);
	spool_commit(&sp, "cam", a, "jpg", photo, 500, NULL);
	CHECK_INT(spool_skip(&sp, "cam", a), 0, "skip a queued frame");
	CHECK_INT(spool_path(&sp, SPOOL_QUEUE, "cam", a, path, sizeof(path)), -ENOENT, "a skipped frame leaves queue/");
	CHECK_INT(spool_skip(&sp, "cam", a), -ENOENT, "skipping it twice is -ENOENT");
	frameid_next(a);
	spool_commit(&sp, "cam", a, "jpg", photo, 500, NULL);
	spool_claim(&sp, "cam", a);
	CHECK_INT(spool_skip(&sp, "cam", a), -ENOENT, "a claimed frame cannot be skipped");
	CHECK_INT(spool_done(&sp, "cam", a), 0, "the claimed frame is done as usual");
	CHECK_INT(spool_skip(&sp, "../x", a), -EINVAL, "skip checks the camera id");

	/* fail straight from the queue, png extension kept */
	CHECK_INT(spool_fail(&sp, "cam", b, "decode failed: bad huffman code"), 0, "fail b from queue/");
	CHECK_INT(spool_path(&sp, SPOOL_FAILED, "cam", b, path, sizeof(path)), 0, "b is in failed/");
	CHECK(strstr(path, ".png") != NULL, "failed b keeps its .png");
	snprintf(path, sizeof(path), "%s/failed/cam/%s.reason", root, b);
	util_read_file(path, 4096, &txt, &len);
	CHECK_STR((char *)txt, "decode failed: bad huffman code\n", "reason file holds the reason");
	free(txt);
	memset(&s, 0, sizeof(s));
	spool_list(&sp, SPOOL_FAILED, "cam", test_spool_collect, &s);
	CHECK_INT(s.n, 1, "failed/ lists the frame, not its reason file");
	CHECK_INT(spool_fail(&sp, "cam", b, "again"), -ENOENT, "failing a frame not queued or active is -ENOENT");
	snprintf(path, sizeof(path), "%s/tmp", root);
	CHECK_INT(test_spool_count_entries(path), 0, "a refused fail leaves nothing in tmp/");

	/* fail from active/ */
	frameid_next(a);
	spool_commit(&sp, "cam", a, "jpg", photo, 500, NULL);
	spool_claim(&sp, "cam", a);
	CHECK_INT(spool_fail(&sp, "cam", a, NULL), 0, "fail from active/ without a reason");
	CHECK_INT(spool_path(&sp, SPOOL_FAILED, "cam", a, path, sizeof(path)), 0, "it is in failed/");
	spool_usage(&sp, "cam", &frames, &bytes);
	CHECK_INT(frames, 0, "failed frames do not count against the cap");
	test_spool_cleanup(root);
}

CASE(recover)
{
	char root[SPOOL_PATH_SIZE], a[FRAMEID_SIZE], b[FRAMEID_SIZE], path[1200];
	struct spool sp, sp2;
	struct seen s;
	int fd, stale = -1, requeued = -1;
	char freshp[SPOOL_PATH_SIZE + 64];

	test_spool_fresh(&sp, root, 10, 1L << 20, 0);
	frameid_next(a);
	frameid_next(b);
	spool_commit(&sp, "cam", a, "jpg", photo, 500, "{}");
	spool_commit(&sp, "cam", b, "jpg", photo, 500, "{}");
	spool_claim(&sp, "cam", a);
	/* a crash during a commit: half a file in tmp/ */
	snprintf(path, sizeof(path), "%s/tmp/cam.%s.jpg", root, b);
	fd = open(path, O_WRONLY | O_CREAT, 0640);
	CHECK_INT(write(fd, "half", 4), 4, "write a stale tmp file");
	close(fd);
	/* a commit in progress right now (another program writing) */
	snprintf(freshp, sizeof(freshp), "%s/tmp/cam.%s.png", root, b);
	fd = open(freshp, O_WRONLY | O_CREAT, 0640);
	close(fd);
	{
		struct timespec old[2] = { { time(NULL) - SPOOL_TMP_STALE_S - 5, 0 }, { time(NULL) - SPOOL_TMP_STALE_S - 5, 0 } };
		CHECK_INT(utimensat(AT_FDCWD, path, old, 0), 0, "age the stale tmp file");
	}

	/* a restarted program opens the same spool */
	CHECK_INT(spool_open(&sp2, root, 10, 1L << 20, 0), 0, "reopen the spool");
	CHECK_INT(spool_recover(&sp2, &stale, &requeued), 0, "recover");
	CHECK_INT(stale, 1, "recover removed one stale tmp file");
	CHECK_INT(access(freshp, F_OK), 0, "recover left a commit in progress alone");
	unlink(freshp);
	CHECK_INT(requeued, 1, "recover requeued one active frame");
	snprintf(path, sizeof(path), "%s/tmp", root);
	CHECK_INT(test_spool_count_entries(path), 0, "tmp/ is empty after recover");
	snprintf(path, sizeof(path), "%s/active/cam", root);
	CHECK_INT(test_spool_count_entries(path), 0, "active/cam is empty after recover");
	memset(&s, 0, sizeof(s));
	spool_list(&sp2, SPOOL_QUEUE, "cam", test_spool_collect, &s);
	CHECK_INT(s.n, 2, "both frames are queued after recover");
	CHECK_STR(s.id[0], a, "the requeued frame keeps its place in order");
	CHECK_INT(spool_recover(&sp2, &stale, &requeued), 0, "recover again");
	CHECK_INT(stale * 10 + requeued, 0, "a second recover finds nothing");
	test_spool_cleanup(root);
}

CHECK_MAIN()
