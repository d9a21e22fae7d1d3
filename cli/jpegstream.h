/* jpegstream - a stream of concatenated JPEGs (ffmpeg -f image2pipe -c:v
 * mjpeg -, a camera's MJPEG output) split into frames by a reader thread,
 * so that the source is always read as fast as it writes.
 *
 * Live mode keeps only the newest complete frame: a frame that is replaced
 * before the sender took it is dropped and counted (a camera must never
 * fall behind). Keep-all mode (a recording) hands over every frame in
 * order and reads on only once the previous one was taken. */
#ifndef GW_CLI_JPEGSTREAM_H
#define GW_CLI_JPEGSTREAM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define JPEGSTREAM_MAX (64L << 20)     /* largest JPEG taken from the stream */

/* jpegstream_wake_fn - called from the reader thread after a frame or the
 * end of input became available (e.g. lws_cancel_service). */
typedef void (*jpegstream_wake_fn)(void *arg);

struct jpegstream {
	int fd, keep_all;
	jpegstream_wake_fn wake;
	void *wake_arg;
	pthread_t thread;
	int started;
	int stop_pipe[2];              /* owned: written by jpegstream_stop to end a poll */
	pthread_mutex_t mu;
	pthread_cond_t cv;             /* keep-all: the slot was emptied, or stop */
	/* under mu */
	unsigned char *slot;           /* owned: the frame waiting to be taken, or NULL */
	size_t slot_len;
	uint64_t slot_index;           /* 1-based number of the frame in the stream */
	uint64_t frames;               /* complete frames read */
	uint64_t dropped;              /* live mode: frames replaced before they were taken */
	uint64_t skipped;              /* bytes that were not part of a JPEG */
	int ended;                     /* end of input (or a read error, see error) */
	int stopping;
	char error[160];               /* "" or why the stream ended early */
	/* reader thread only */
	unsigned char *in;             /* owned */
	size_t in_len, in_cap;
};

/* jpegstream_jpeg_end - length of the complete JPEG at b[0..len) (b starts
 * with SOI), 0 if more bytes are needed, -1 if it is not a JPEG. Walks the
 * marker segments so that an EOI inside a thumbnail is not the end. */
long jpegstream_jpeg_end(const unsigned char *b, size_t len);

/* jpegstream_start - start reading fd (not owned). Returns 0 or a
 * negative errno. */
int jpegstream_start(struct jpegstream *js, int fd, int keep_all, jpegstream_wake_fn wake, void *arg);

/* jpegstream_take - 1: the waiting frame is now the caller's (*buf owned
 * by the caller, free()), *index its number in the stream; 0: none yet;
 * -1: none and none will come (end of input or error). Never blocks. */
int jpegstream_take(struct jpegstream *js, unsigned char **buf, size_t *len, uint64_t *index);

/* jpegstream_counts - frames read, dropped, bytes skipped, under the lock. */
void jpegstream_counts(struct jpegstream *js, uint64_t *frames, uint64_t *dropped, uint64_t *skipped);

/* jpegstream_stop - end the reader thread (it may be blocked in poll) and
 * free everything. Safe after a failed start. */
void jpegstream_stop(struct jpegstream *js);

#endif
