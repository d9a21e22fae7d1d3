/* util - small helpers every program needs: clocks, checked names, files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

uint64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
util_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
util_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
util_camera_id_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		char ch = s[n];

		if (n >= CAMERA_ID_SIZE - 1)
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return n > 0;
}

int
util_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t len;
	char *p;

	len = util_strlcpy(buf, path, sizeof(buf));
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	if (len == 0)
		return -ENOENT;
	/* Create each prefix in turn; an existing one is fine if it is a dir. */
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char save = *p;

		*p = '\0';
		if (mkdir(buf, 0750) == -1 && errno != EEXIST)
			return -errno;
		*p = save;
		if (save == '\0')
			break;
	}
	if (stat(path, &st) == -1)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

int
util_fsync_dir(const char *path)
{
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	if (fsync(fd) == -1)
		rc = -errno;
	close(fd);
	return rc;
}

size_t
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
util_read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	unsigned char *b = NULL;
	size_t cap, got = 0;
	struct stat st;
	int fd, rc;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	if (fstat(fd, &st) == -1) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
		rc = -EFBIG;
		goto out;
	}
	/* Read to EOF, not to st_size: the file may change under us. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096;
	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			unsigned char *nb;

			cap *= 2;
			if ((nb = realloc(b, cap)) == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			b = nb;
		} else if (b == NULL && (b = malloc(cap)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		n = read(fd, b + got, cap - got - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			rc = -EFBIG;
			goto out;
		}
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

void
util_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
