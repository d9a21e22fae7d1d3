/* test_util - clocks, camera ids, mkdirs, strlcpy, read_file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "util.h"

static uint64_t
test_util_clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Each clock is read between two readings of the clock it must be, in
 * microseconds: a wrong clock or a wrong unit falls outside. */
CASE(clocks)
{
	uint64_t t0, t, t1;

	t0 = test_util_clock_us(CLOCK_REALTIME);
	t = util_now_us();
	t1 = test_util_clock_us(CLOCK_REALTIME);
	CHECK(t > 1600000000000000ull && t < 4102444800000000ull, "util_now_us is microseconds since 1970");
	CHECK(t0 <= t && t <= t1, "util_now_us reads CLOCK_REALTIME in microseconds");
	t0 = test_util_clock_us(CLOCK_MONOTONIC);
	t = util_mono_us();
	t1 = test_util_clock_us(CLOCK_MONOTONIC);
	CHECK(t0 <= t && t <= t1, "util_mono_us reads CLOCK_MONOTONIC in microseconds");
}

CASE(camera_id)
{
	CHECK_INT(util_camera_id_valid("gate-1_A"), 1, "camera id of letters, digits, - and _ is valid");
	CHECK_INT(util_camera_id_valid(""), 0, "empty camera id is invalid");
	CHECK_INT(util_camera_id_valid(NULL), 0, "NULL camera id is invalid");
	CHECK_INT(util_camera_id_valid("../etc"), 0, "camera id with dots and slash is invalid");
	CHECK_INT(util_camera_id_valid("a b"), 0, "camera id with a space is invalid");
	CHECK_INT(util_camera_id_valid("abcdefghijabcdefghijabcdefghij1"), 1, "31-char camera id is valid");
	CHECK_INT(util_camera_id_valid("abcdefghijabcdefghijabcdefghij12"), 0, "32-char camera id is invalid");
}

CASE(strlcpy)
{
	char buf[8];

	CHECK_INT(util_strlcpy(buf, "hello world", sizeof(buf)), 11, "strlcpy returns strlen(src)");
	CHECK_STR(buf, "hello w", "strlcpy truncates and terminates");
	CHECK_INT(util_strlcpy(buf, "hi", sizeof(buf)), 2, "strlcpy short returns 2");
	CHECK_STR(buf, "hi", "strlcpy copies a short string");
}

CASE(mkdirs)
{
	struct stat st;
	FILE *f;

	CHECK_INT(util_mkdirs("a/b/c"), 0, "mkdirs creates nested dirs");
	CHECK(stat("a/b/c", &st) == 0 && S_ISDIR(st.st_mode), "a/b/c is a directory");
	CHECK_INT(st.st_mode & 0777 & ~0750, 0, "mkdirs mode is at most 0750");
	CHECK_INT(util_mkdirs("a/b/c"), 0, "mkdirs on an existing tree is fine");
	CHECK_INT(util_mkdirs("a/b/c/"), 0, "mkdirs with a trailing slash is fine");
	f = fopen("a/file", "w");
	fclose(f);
	CHECK_INT(util_mkdirs("a/file"), -ENOTDIR, "mkdirs over a file is -ENOTDIR");
	CHECK_INT(util_mkdirs("a/file/x"), -ENOTDIR, "mkdirs under a file is -ENOTDIR");
	CHECK_INT(util_fsync_dir("a/b"), 0, "fsync_dir on a dir");
	CHECK_INT(util_fsync_dir("nope"), -ENOENT, "fsync_dir on a missing dir is -ENOENT");
}

CASE(read_file)
{
	unsigned char *data;
	size_t len;
	FILE *f;

	CHECK_INT(util_mkdirs("a"), 0, "mkdirs a");
	f = fopen("a/file", "w");
	fputs("0123456789", f);
	fclose(f);
	CHECK_INT(util_read_file("a/file", 100, &data, &len), 0, "read_file reads a file");
	CHECK_INT(len, 10, "read_file length");
	CHECK_STR((char *)data, "0123456789", "read_file content, NUL-terminated");
	free(data);
	CHECK_INT(util_read_file("a/file", 10, &data, &len), 0, "read_file at exactly max is fine");
	free(data);
	CHECK_INT(util_read_file("a/file", 9, &data, &len), -EFBIG, "read_file over max is -EFBIG");
	CHECK(data == NULL, "read_file leaves buf NULL on error");
	CHECK_INT(util_read_file("a/missing", 9, &data, &len), -ENOENT, "read_file missing is -ENOENT");
	CHECK_INT(util_read_file("a", 9, &data, &len), -EISDIR, "read_file on a dir is -EISDIR");
	f = fopen("empty", "w");
	fclose(f);
	CHECK_INT(util_read_file("empty", 9, &data, &len), 0, "read_file on an empty file");
	CHECK_INT(len, 0, "empty file length 0");
	CHECK(data != NULL && data[0] == '\0', "empty file gives an empty string");
	free(data);
}

CHECK_MAIN()
