/* updir - what `gatewatch up` keeps in its state directory: the effective
 * configuration (DIR/gatewatch.conf, the demo camera's token kept across
 * runs), the lock that allows one `up` per DIR (DIR/run/up.lock, flock)
 * and the pid file (DIR/run/up.pid). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "updir.h"
#include "util.h"

/* updir_demo_token (updir.h) - the demo camera's token: the one
 * DIR/gatewatch.conf already has, else a new random one. */
int
updir_demo_token(const char *conf, char *tok, size_t toklen)
{
	struct config old;
	const struct config_camera *cam;
	unsigned char rnd[16];
	char err[256];
	int fd, i;

	config_defaults(&old);
	if (access(conf, R_OK) == 0 && config_load(&old, conf, err, sizeof(err)) == 0 &&
	    (cam = config_camera(&old, "demo")) != NULL) {
		util_strlcpy(tok, cam->token, toklen);
		return 0;
	}
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (read(fd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd)) {
		close(fd);
		return -1;
	}
	close(fd);
	if (toklen < sizeof(rnd) * 2 + 1)
		return -1;
	for (i = 0; i < (int)sizeof(rnd); i++)
		snprintf(tok + i * 2, 3, "%02x", rnd[i]);
	return 0;
}

/* updir_write_conf (updir.h) - the effective configuration, atomically. */
int
updir_write_conf(const struct config *c, const char *path)
{
	char tmp[CONFIG_PATH_SIZE + 64];
	FILE *f;
	int fd;

	/* camera tokens and secrets: owner only */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (fchmod(fd, 0600) == -1 || (f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	config_dump(c, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* updir_lock (updir.h) - hold DIR/run/up.lock for the life of this process (flock:
 * released by the kernel however `up` ends) and write our pid in it.
 * Returns the descriptor, or -1 with *other set to the holder's pid (0 if
 * unknown) when another `up` holds it, -2 on another error. */
int
updir_lock(const char *path, pid_t *other)
{
	char buf[32];
	ssize_t n;
	int fd, len;

	*other = 0;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1)
		return -2;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;

		if (e == EWOULDBLOCK && (n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[n] = '\0';
			*other = (pid_t)strtol(buf, NULL, 10);
		}
		close(fd);
		errno = e;
		return e == EWOULDBLOCK ? -1 : -2;
	}
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len) {
		close(fd);
		return -2;
	}
	return fd;
}

/* updir_running (updir.h) - pid of a live `gatewatch up` recorded in path, or 0. */
pid_t
updir_running(const char *path)
{
	char buf[32], proc[64], exe[256];
	FILE *f;
	long pid;
	ssize_t n;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL || (pid = strtol(buf, NULL, 10)) <= 1) {
		fclose(f);
		return 0;
	}
	fclose(f);
	if (pid == (long)getpid() || kill((pid_t)pid, 0) != 0)
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%ld/exe", pid);
	if ((n = readlink(proc, exe, sizeof(exe) - 1)) <= 0)
		return 0;
	exe[n] = '\0';
	return strstr(exe, "gatewatch") != NULL ? (pid_t)pid : 0;
}
