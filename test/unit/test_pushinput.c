/* test_pushinput - the inputs of `gatewatch push`: cli/sensor.c (a
 * temperature from a file or FIFO, never blocking) and cli/jpegstream.c
 * (concatenated JPEGs split on their markers, newest-only or keep-all). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "jpegstream.h"
#include "sensor.h"

static int test_pushinput_stopped;

static void
test_pushinput_put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

CASE(sensor_file)
{
	struct sensor s;
	char path[256];
	double c = 0;
	uint64_t now = (uint64_t)time(NULL) * 1000u;

	snprintf(path, sizeof(path), "%s/temp", check_tmpdir());
	CHECK(sensor_open(&s, path, 0) == -ENOENT, "a missing sensor file is an error at start");
	test_pushinput_put_file(path, "36.6\n");
	CHECK_INT(sensor_open(&s, path, 10000), 0, "a sensor file opens");
	CHECK_INT(sensor_read(&s, now, &c), 1, "a reading is found");
	CHECK(c > 36.59 && c < 36.61, "its value is 36.6");
	test_pushinput_put_file(path, "36.6\n37.25\n");
	CHECK(sensor_read(&s, now, &c) == 1 && c > 37.24 && c < 37.26, "the last line is the newest reading");
	test_pushinput_put_file(path, "");
	CHECK(sensor_read(&s, now, &c) == 1 && c > 37.24 && c < 37.26, "an empty file (being rewritten) keeps the last reading");
	test_pushinput_put_file(path, "warm\n");
	CHECK(sensor_read(&s, now, &c) == 1 && c > 37.24 && c < 37.26, "garbage keeps the last reading");
	CHECK(strstr(s.problem, "not a number") != NULL, "and says it is not a number");
	test_pushinput_put_file(path, "120\n");
	CHECK(sensor_read(&s, now, &c) == 1 && strstr(s.problem, "outside") != NULL, "an impossible value is refused");
	test_pushinput_put_file(path, "null\n");
	CHECK_INT(sensor_read(&s, now, &c), 0, "\"null\": no reading");
	test_pushinput_put_file(path, "38.0\n");
	CHECK_INT(sensor_read(&s, now + 60000, &c), 0, "a reading older than the limit is not used");
	CHECK(strstr(s.problem, "old") != NULL, "and the problem says it is old");
	sensor_close(&s);
}

CASE(sensor_fifo)
{
	struct sensor s;
	char path[256];
	double c = 0;
	int w;

	snprintf(path, sizeof(path), "%s/fifo", check_tmpdir());
	mkfifo(path, 0600);
	CHECK_INT(sensor_open(&s, path, 5000), 0, "a FIFO opens without a writer");
	CHECK_INT(sensor_read(&s, 1000000, &c), 0, "no writer: no reading, and no wait");
	w = open(path, O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0, "a writer can open it");
	CHECK_INT(write(w, "36.1\n36.2\n36.", 13), 13, "three readings written, the last cut off");
	CHECK(sensor_read(&s, 1000000, &c) == 1 && c > 36.19 && c < 36.21, "the last complete line is the reading");
	CHECK_INT(write(w, "9\n", 2), 2, "the cut-off line is finished");
	CHECK(sensor_read(&s, 1000100, &c) == 1 && c > 36.89 && c < 36.91, "and becomes the reading");
	CHECK(sensor_read(&s, 1000200, &c) == 1 && c > 36.89 && c < 36.91, "nothing new: the same reading");
	CHECK_INT(sensor_read(&s, 1010000, &c), 0, "until it is older than the limit");
	close(w);
	CHECK_INT(sensor_read(&s, 1010000, &c), 0, "the writer gone: no wait either");
	w = open(path, O_WRONLY | O_NONBLOCK);
	CHECK_INT(write(w, "35.5\n", 5), 5, "a new writer");
	CHECK(sensor_read(&s, 1020000, &c) == 1 && c > 35.49 && c < 35.51, "its reading is taken");
	close(w);
	sensor_close(&s);
}

/* a minimal JPEG-shaped byte string: SOI, APP0 holding an EOI pair (as a
 * thumbnail would), SOS with entropy data containing stuffed 0xff00 and a
 * restart marker, EOI. tag makes each one different. */
static size_t
test_pushinput_fake_jpeg(unsigned char *b, unsigned char tag)
{
	static const unsigned char head[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x06, 0xff, 0xd9, 0x00, 0x00,
		0xff, 0xda, 0x00, 0x04, 0x00, 0x00 };
	size_t n = sizeof(head);

	memcpy(b, head, n);
	b[n++] = tag;
	b[n++] = 0xff;
	b[n++] = 0x00;
	b[n++] = 0xff;
	b[n++] = 0xd3;
	b[n++] = tag;
	b[n++] = 0xff;
	b[n++] = 0xd9;
	return n;
}

static int
test_pushinput_take_wait(struct jpegstream *js, unsigned char **f, size_t *len, uint64_t *idx)
{
	int i, r = 0;

	for (i = 0; i < 3000; i++) {    /* bounded: 30 s (a loaded machine, ASan) */
		if ((r = jpegstream_take(js, f, len, idx)) != 0)
			return r;
		usleep(10000);
	}
	return r;
}

static void *
test_pushinput_stopper(void *arg)
{
	jpegstream_stop(arg);
	__atomic_store_n(&test_pushinput_stopped, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* jpegstream_stop in a thread: 1 when it returned within ms, else 0 (the
 * thread is left behind, the reader is still running). */
static int
test_pushinput_stop_within(struct jpegstream *js, int ms)
{
	pthread_t th;
	int i;

	test_pushinput_stopped = 0;
	if (pthread_create(&th, NULL, test_pushinput_stopper, js) != 0)
		return 0;
	for (i = 0; i < ms / 10 && !__atomic_load_n(&test_pushinput_stopped, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	if (!__atomic_load_n(&test_pushinput_stopped, __ATOMIC_SEQ_CST)) {
		pthread_detach(th);
		return 0;
	}
	pthread_join(th, NULL);
	return 1;
}

CASE(jpegstream)
{
	unsigned char a[64], b[64], c[64], all[256];
	size_t na = test_pushinput_fake_jpeg(a, 1), nb = test_pushinput_fake_jpeg(b, 2),
	    nc = test_pushinput_fake_jpeg(c, 3), n = 0, len;
	struct jpegstream js;
	unsigned char *f;
	uint64_t idx, frames, dropped, skipped;
	int p[2];

	CHECK_INT(jpegstream_jpeg_end(a, na), (long)na, "an EOI inside APP0 or stuffed entropy data is not the end");
	CHECK_INT(jpegstream_jpeg_end(a, na - 1), 0, "a cut-off JPEG needs more bytes");
	memcpy(all + n, "junk", 4);
	n += 4;
	memcpy(all + n, a, na);
	n += na;
	memcpy(all + n, b, nb);
	n += nb;
	memcpy(all + n, c, nc);
	n += nc;

	/* keep-all: every frame in order, junk skipped and counted */
	CHECK_INT(pipe(p), 0, "pipe");
	CHECK_INT(write(p[1], all, n), (long)n, "stream written");
	close(p[1]);
	CHECK_INT(jpegstream_start(&js, p[0], 1, NULL, NULL), 0, "keep-all reader starts");
	CHECK(test_pushinput_take_wait(&js, &f, &len, &idx) == 1 && len == na && memcmp(f, a, na) == 0 && idx == 1,
	    "keep-all: frame 1");
	free(f);
	CHECK(test_pushinput_take_wait(&js, &f, &len, &idx) == 1 && len == nb && memcmp(f, b, nb) == 0 && idx == 2,
	    "keep-all: frame 2");
	free(f);
	CHECK(test_pushinput_take_wait(&js, &f, &len, &idx) == 1 && len == nc && memcmp(f, c, nc) == 0 && idx == 3,
	    "keep-all: frame 3");
	free(f);
	CHECK_INT(test_pushinput_take_wait(&js, &f, &len, &idx), -1, "keep-all: then the end");
	jpegstream_counts(&js, &frames, &dropped, &skipped);
	CHECK(frames == 3 && dropped == 0 && skipped == 4, "keep-all: 3 frames, none dropped, 4 junk bytes skipped");
	jpegstream_stop(&js);
	close(p[0]);

	/* live: all three arrive before anyone takes one: only the newest is left */
	CHECK_INT(pipe(p), 0, "pipe");
	CHECK_INT(write(p[1], all, n), (long)n, "stream written");
	CHECK_INT(jpegstream_start(&js, p[0], 0, NULL, NULL), 0, "live reader starts");
	for (int i = 0; i < 3000; i++) {    /* bounded: 30 s */
		jpegstream_counts(&js, &frames, &dropped, &skipped);
		if (frames == 3)
			break;
		usleep(10000);
	}
	CHECK(test_pushinput_take_wait(&js, &f, &len, &idx) == 1 && len == nc && memcmp(f, c, nc) == 0 && idx == 3,
	    "live: the newest frame is taken");
	free(f);
	jpegstream_counts(&js, &frames, &dropped, &skipped);
	CHECK(frames == 3 && dropped == 2, "live: the two older ones are counted as dropped");
	CHECK_INT(jpegstream_take(&js, &f, &len, &idx), 0, "live: nothing more yet, the source is still open");
	/* a frame cut in two writes is put together */
	CHECK_INT(write(p[1], a, 10), 10, "half a frame");
	CHECK_INT(jpegstream_take(&js, &f, &len, &idx), 0, "half a frame is not a frame");
	CHECK_INT(write(p[1], a + 10, na - 10), (long)(na - 10), "the other half");
	CHECK(test_pushinput_take_wait(&js, &f, &len, &idx) == 1 && len == na && idx == 4, "live: the joined frame");
	free(f);
	/* the reader is blocked in poll: stop must end it (bounded: 30 s) */
	CHECK_INT(test_pushinput_stop_within(&js, 30000), 1, "stop ends a reader waiting for input");
	close(p[0]);
	close(p[1]);
}

CHECK_MAIN()
