/* sensor - the latest body temperature a sensor program wrote into a file
 * or FIFO, read once per frame without ever blocking the frame stream. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensor.h"

#define SENSOR_FILE_MAX 4096

/* sensor_parse - one line: 1 with *c set, 0 for an explicit "no reading"
 * (empty after trimming is not that: it is -1 too), -1 when it is not a
 * temperature (why in s->problem). */
static int
sensor_parse(struct sensor *s, const char *line, size_t len, double *c)
{
	char buf[SENSOR_LINE_MAX], *end;
	size_t a = 0, b = len;

	while (a < b && (line[a] == ' ' || line[a] == '\t' || line[a] == '\r'))
		a++;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r' || line[b - 1] == '\n'))
		b--;
	if (b == a) {
		snprintf(s->problem, sizeof(s->problem), "empty reading");
		return -1;
	}
	if (b - a >= sizeof(buf)) {
		snprintf(s->problem, sizeof(s->problem), "reading of %zu characters is not a temperature", b - a);
		return -1;
	}
	memcpy(buf, line + a, b - a);
	buf[b - a] = '\0';
	if (strcmp(buf, "null") == 0 || strcmp(buf, "-") == 0)
		return 0;
	errno = 0;
	*c = strtod(buf, &end);
	if (errno || end == buf || *end || !isfinite(*c)) {
		snprintf(s->problem, sizeof(s->problem), "\"%.40s\" is not a number of degrees C", buf);
		return -1;
	}
	if (*c < -50 || *c > 100) {
		snprintf(s->problem, sizeof(s->problem), "%.1f C is outside -50..100 C", *c);
		return -1;
	}
	return 1;
}

/* sensor_take - apply one parsed line written at at_ms. */
static void
sensor_take(struct sensor *s, const char *line, size_t len, uint64_t at_ms)
{
	double c;
	int r = sensor_parse(s, line, len, &c);

	if (r > 0) {
		s->has = 1;
		s->value = c;
		s->at_ms = at_ms;
	} else if (r == 0) {
		s->has = 0;             /* the sensor says: nobody measured */
		snprintf(s->problem, sizeof(s->problem), "the sensor has no reading (null)");
	}
}

int
sensor_open(struct sensor *s, const char *path, long max_age_ms)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->max_age_ms = max_age_ms;
	if (strlen(path) >= sizeof(s->path)) {
		snprintf(s->problem, sizeof(s->problem), "path too long");
		return -ENAMETOOLONG;
	}
	strcpy(s->path, path);
	if (stat(path, &st) != 0) {
		int e = errno;

		snprintf(s->problem, sizeof(s->problem), "%s", strerror(e));
		return -e;
	}
	if (S_ISREG(st.st_mode)) {
		if (access(path, R_OK) != 0) {
			int e = errno;

			snprintf(s->problem, sizeof(s->problem), "%s", strerror(e));
			return -e;
		}
		return 0;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
		snprintf(s->problem, sizeof(s->problem), "not a regular file, FIFO or character device");
		return -EINVAL;
	}
	/* O_NONBLOCK: the open does not wait for a writer, reads never wait */
	if ((s->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		int e = errno;

		snprintf(s->problem, sizeof(s->problem), "%s", strerror(e));
		return -e;
	}
	s->fifo = 1;
	return 0;
}

static void
sensor_read_file(struct sensor *s)
{
	char buf[SENSOR_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t len = 0, a;
	int fd;

	if ((fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		snprintf(s->problem, sizeof(s->problem), "%s", strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(s->problem, sizeof(s->problem), "%s", strerror(errno));
		close(fd);
		return;
	}
	while (len < SENSOR_FILE_MAX) {
		n = read(fd, buf + len, SENSOR_FILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	/* the last non-empty line: a sensor may append or rewrite */
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		len--;
	if (len == 0) {
		/* being rewritten (truncate, then write): keep what we had */
		snprintf(s->problem, sizeof(s->problem), "the file is empty");
		return;
	}
	a = len;
	while (a > 0 && buf[a - 1] != '\n')
		a--;
	sensor_take(s, buf + a, len - a,
	    (uint64_t)st.st_mtim.tv_sec * 1000u + (uint64_t)st.st_mtim.tv_nsec / 1000000u);
}

static void
sensor_read_stream(struct sensor *s, uint64_t now_ms)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		ssize_t i;

		n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				snprintf(s->problem, sizeof(s->problem), "%s", strerror(errno));
			return;
		}
		if (n == 0)
			return;         /* no writer now; one may come back */
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				if (s->part_len < sizeof(s->part))
					sensor_take(s, s->part, s->part_len, now_ms);
				else
					snprintf(s->problem, sizeof(s->problem), "a line over %d characters", SENSOR_LINE_MAX);
				s->part_len = 0;
			} else if (s->part_len < sizeof(s->part))
				s->part[s->part_len++] = buf[i];
			else
				s->part_len = sizeof(s->part);   /* too long: dropped at its newline */
		}
	}
}

int
sensor_read(struct sensor *s, uint64_t now_ms, double *c)
{
	s->problem[0] = '\0';
	if (s->fifo)
		sensor_read_stream(s, now_ms);
	else
		sensor_read_file(s);
	if (!s->has) {
		if (s->problem[0] == '\0')
			snprintf(s->problem, sizeof(s->problem), "no reading yet");
		return 0;
	}
	if (s->max_age_ms > 0 && now_ms > s->at_ms && now_ms - s->at_ms > (uint64_t)s->max_age_ms) {
		/* no age in the text: push says a problem again only when it changes */
		snprintf(s->problem, sizeof(s->problem), "the latest reading is older than %.1f s",
		    (double)s->max_age_ms / 1000.0);
		return 0;
	}
	*c = s->value;
	return 1;
}

void
sensor_close(struct sensor *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
