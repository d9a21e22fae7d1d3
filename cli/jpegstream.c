/* jpegstream - concatenated JPEGs split into frames by a reader thread that
 * never lets the source wait (live mode) or hands over every frame in
 * order (keep-all mode). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jpegstream.h"

long
jpegstream_jpeg_end(const unsigned char *b, size_t len)
{
	size_t i = 2;

	while (i + 2 <= len) {
		unsigned m;
		size_t seglen;

		if (b[i] != 0xff)
			return -1;
		m = b[i + 1];
		if (m == 0xff) {               /* fill byte */
			i++;
			continue;
		}
		if (m == 0xd9)
			return (long)(i + 2);
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			i += 2;
			continue;
		}
		if (i + 4 > len)
			return 0;
		seglen = (size_t)b[i + 2] << 8 | b[i + 3];
		if (seglen < 2)
			return -1;
		i += 2 + seglen;
		if (m == 0xda) {               /* entropy-coded data up to the next marker */
			for (;;) {
				if (i + 2 > len)
					return 0;
				if (b[i] == 0xff && b[i + 1] != 0x00 && !(b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7))
					break;
				i++;
			}
		}
	}
	return 0;
}

/* jpegstream_put - hand a complete frame over (reader thread). Returns -1 when
 * stopping. */
static int
jpegstream_put(struct jpegstream *js, unsigned char *frame, size_t len)
{
	pthread_mutex_lock(&js->mu);
	while (js->keep_all && js->slot && !js->stopping)
		pthread_cond_wait(&js->cv, &js->mu);
	if (js->stopping) {
		pthread_mutex_unlock(&js->mu);
		free(frame);
		return -1;
	}
	if (js->slot) {
		free(js->slot);
		js->dropped++;
	}
	js->slot = frame;
	js->slot_len = len;
	js->slot_index = ++js->frames;
	pthread_mutex_unlock(&js->mu);
	if (js->wake)
		js->wake(js->wake_arg);
	return 0;
}

/* jpegstream_split - hand over every complete JPEG in js->in. Returns 0,
 * -1 when out of memory, -2 when stopping. */
static int
jpegstream_split(struct jpegstream *js)
{
	for (;;) {
		size_t skip = 0;
		long end;
		unsigned char *f;

		while (skip + 1 < js->in_len && !(js->in[skip] == 0xff && js->in[skip + 1] == 0xd8))
			skip++;
		if (skip + 1 >= js->in_len && js->in_len && js->in[js->in_len - 1] == 0xff)
			skip = js->in_len - 1;  /* keep a possible first half of an SOI */
		else if (skip + 1 >= js->in_len)
			skip = js->in_len;
		if (skip) {
			memmove(js->in, js->in + skip, js->in_len - skip);
			js->in_len -= skip;
			pthread_mutex_lock(&js->mu);
			js->skipped += skip;
			pthread_mutex_unlock(&js->mu);
		}
		if (js->in_len < 4)
			return 0;
		end = jpegstream_jpeg_end(js->in, js->in_len);
		if (end == 0)
			return 0;
		if (end < 0) {
			/* not a JPEG after all: drop the SOI and look for the next */
			memmove(js->in, js->in + 2, js->in_len - 2);
			js->in_len -= 2;
			pthread_mutex_lock(&js->mu);
			js->skipped += 2;
			pthread_mutex_unlock(&js->mu);
			continue;
		}
		if ((f = malloc((size_t)end)) == NULL)
			return -1;
		memcpy(f, js->in, (size_t)end);
		memmove(js->in, js->in + end, js->in_len - (size_t)end);
		js->in_len -= (size_t)end;
		if (jpegstream_put(js, f, (size_t)end) != 0)
			return -2;
	}
}

static void
jpegstream_finish(struct jpegstream *js, const char *error)
{
	pthread_mutex_lock(&js->mu);
	js->ended = 1;
	if (error)
		snprintf(js->error, sizeof(js->error), "%s", error);
	pthread_mutex_unlock(&js->mu);
	if (js->wake)
		js->wake(js->wake_arg);
}

static void *
jpegstream_reader(void *arg)
{
	struct jpegstream *js = arg;
	char why[160];

	for (;;) {
		struct pollfd p[2] = { { js->fd, POLLIN, 0 }, { js->stop_pipe[0], POLLIN, 0 } };
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, sizeof(why), "poll: %s", strerror(errno));
			jpegstream_finish(js, why);
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		if (js->in_len + 65536 > js->in_cap) {
			size_t cap = js->in_cap ? js->in_cap * 2 : 1 << 20;
			unsigned char *q;

			if (cap > (size_t)JPEGSTREAM_MAX + 65536) {
				snprintf(why, sizeof(why), "no JPEG end within %ld bytes", JPEGSTREAM_MAX);
				jpegstream_finish(js, why);
				return NULL;
			}
			if ((q = realloc(js->in, cap)) == NULL) {
				jpegstream_finish(js, "out of memory");
				return NULL;
			}
			js->in = q;
			js->in_cap = cap;
		}
		n = read(js->fd, js->in + js->in_len, js->in_cap - js->in_len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			snprintf(why, sizeof(why), "read: %s", strerror(errno));
			jpegstream_finish(js, why);
			return NULL;
		}
		if (n == 0) {
			if (js->in_len) {
				pthread_mutex_lock(&js->mu);
				js->skipped += js->in_len;   /* a cut-off last frame */
				pthread_mutex_unlock(&js->mu);
				js->in_len = 0;
			}
			jpegstream_finish(js, NULL);
			return NULL;
		}
		js->in_len += (size_t)n;
		if ((n = jpegstream_split(js)) != 0) {
			jpegstream_finish(js, n == -2 ? NULL : "out of memory");
			return NULL;
		}
	}
}

int
jpegstream_start(struct jpegstream *js, int fd, int keep_all, jpegstream_wake_fn wake, void *arg)
{
	int e;

	*js = (struct jpegstream){ .fd = fd, .keep_all = keep_all, .wake = wake, .wake_arg = arg,
	    .stop_pipe = { -1, -1 } };
	pthread_mutex_init(&js->mu, NULL);
	pthread_cond_init(&js->cv, NULL);
	if (pipe(js->stop_pipe) != 0)
		return -errno;
	if ((e = pthread_create(&js->thread, NULL, jpegstream_reader, js)) != 0)
		return -e;
	js->started = 1;
	return 0;
}

int
jpegstream_take(struct jpegstream *js, unsigned char **buf, size_t *len, uint64_t *index)
{
	int r;

	pthread_mutex_lock(&js->mu);
	if (js->slot) {
		*buf = js->slot;
		*len = js->slot_len;
		*index = js->slot_index;
		js->slot = NULL;
		pthread_cond_signal(&js->cv);
		r = 1;
	} else
		r = js->ended ? -1 : 0;
	pthread_mutex_unlock(&js->mu);
	return r;
}

void
jpegstream_counts(struct jpegstream *js, uint64_t *frames, uint64_t *dropped, uint64_t *skipped)
{
	pthread_mutex_lock(&js->mu);
	*frames = js->frames;
	*dropped = js->dropped;
	*skipped = js->skipped;
	pthread_mutex_unlock(&js->mu);
}

void
jpegstream_stop(struct jpegstream *js)
{
	if (js->started) {
		pthread_mutex_lock(&js->mu);
		js->stopping = 1;
		pthread_cond_broadcast(&js->cv);
		pthread_mutex_unlock(&js->mu);
		if (write(js->stop_pipe[1], "x", 1) < 0) {
			/* the pipe is new and empty: cannot fail but for EINTR */
		}
		pthread_join(js->thread, NULL);
		js->started = 0;
	}
	if (js->stop_pipe[0] >= 0)
		close(js->stop_pipe[0]);
	if (js->stop_pipe[1] >= 0)
		close(js->stop_pipe[1]);
	js->stop_pipe[0] = js->stop_pipe[1] = -1;
	free(js->slot);
	js->slot = NULL;
	free(js->in);
	js->in = NULL;
	pthread_mutex_destroy(&js->mu);
	pthread_cond_destroy(&js->cv);
}
