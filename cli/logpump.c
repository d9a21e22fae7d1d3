/* logpump - drain a program's output pipe into its log file, rotating the
 * file by size between whole lines. See logpump.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logpump.h"

#define LOGPUMP_CHUNK 65536

static int
logpump_open_file(struct logpump *lp)
{
	struct stat st;

	if ((lp->fd = open(lp->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) == -1)
		return -errno;
	lp->size = fstat(lp->fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

/* logpump_rotate - path.(keep-1) -> path.keep, ..., path -> path.1, new path. */
static int
logpump_rotate(struct logpump *lp)
{
	char from[LOGPUMP_PATH_SIZE + 16], to[LOGPUMP_PATH_SIZE + 16];
	int i;

	close(lp->fd);
	lp->fd = -1;
	for (i = lp->keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", lp->path);
		else
			snprintf(from, sizeof(from), "%s.%d", lp->path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", lp->path, i);
		if (rename(from, to) != 0 && errno != ENOENT)
			break; /* keep writing to whatever path names now */
	}
	lp->rotations++;
	return logpump_open_file(lp);
}

static int
logpump_write(struct logpump *lp, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(lp->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
		lp->size += w;
	}
	return 0;
}

int
logpump_open(struct logpump *lp, const char *path, long max_bytes, int keep)
{
	int p[2], rc;

	memset(lp, 0, sizeof(*lp));
	lp->rfd = lp->wfd = lp->fd = -1;
	if ((size_t)snprintf(lp->path, sizeof(lp->path), "%s", path) >= sizeof(lp->path))
		return -ENAMETOOLONG;
	lp->max_bytes = max_bytes;
	lp->keep = keep < 1 ? 1 : keep;
	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	if ((rc = logpump_open_file(lp)) != 0) {
		close(p[0]);
		close(p[1]);
		return rc;
	}
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	lp->rfd = p[0];
	lp->wfd = p[1];
	return 0;
}

long
logpump_drain(struct logpump *lp)
{
	char buf[LOGPUMP_CHUNK];
	long total = 0;
	int err = 0;

	if (lp->rfd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(lp->rfd, buf, sizeof(buf));
		size_t head;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
		if (lp->fd < 0 && (err = logpump_open_file(lp)) != 0)
			continue; /* dropped: the programs must never block on us */
		head = (size_t)n;
		/* Reaching the limit: finish that line in this file, rotate,
		 * the rest goes to the new one. A chunk without a newline is
		 * part of a longer line: it stays in this file. */
		if (lp->max_bytes > 0 && lp->size + n >= lp->max_bytes) {
			off_t at = lp->max_bytes - lp->size - 1; /* the byte that reaches the limit */

			if (at < 0)
				at = 0;
			if ((nl = memchr(buf + at, '\n', (size_t)(n - at))) != NULL)
				head = (size_t)(nl - buf) + 1;
		}
		if ((err = logpump_write(lp, buf, head)) != 0)
			continue;
		if (lp->max_bytes > 0 && lp->size >= lp->max_bytes && buf[head - 1] == '\n' &&
		    (err = logpump_rotate(lp)) != 0)
			continue;
		if (head < (size_t)n && (err = logpump_write(lp, buf + head, (size_t)n - head)) != 0)
			continue;
	}
	return err ? err : total;
}

void
logpump_close(struct logpump *lp)
{
	logpump_drain(lp);
	if (lp->rfd >= 0)
		close(lp->rfd);
	if (lp->wfd >= 0)
		close(lp->wfd);
	if (lp->fd >= 0)
		close(lp->fd);
	lp->rfd = lp->wfd = lp->fd = -1;
}

/* logpump_show_error (logpump.h) - for `up` to show why a program that
 * exited during its start did: its first and last error lines. */
int
logpump_show_error(const struct logpump *lp, off_t from, FILE *out)
{
	char buf[4096], *line, *save = NULL, *first = NULL, *found = NULL;
	int fd = open(lp->path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n;

	if (fd < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	if (from > size)   /* rotated since: the new file is all this start's */
		from = 0;
	if (size - from > (off_t)sizeof(buf) - 1)
		from = size - (off_t)(sizeof(buf) - 1);
	n = pread(fd, buf, (size_t)(size - from), from);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "Z fatal ") != NULL || strstr(line, "Z error ") != NULL) {
			first = first ? first : line;
			found = line;
		}
	if (found == NULL)
		return 0;
	if (first != found)   /* the cause, often: "cannot start" is the last */
		fprintf(out, "%s\n", strchr(first, ' ') + 1);
	fprintf(out, "%s\n", strchr(found, ' ') + 1);
	return 1;
}
