/* util - small helpers every program needs: clocks, checked names. */
#ifndef GW_UTIL_H
#define GW_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define CAMERA_ID_SIZE 32 /* a camera id: 1..31 chars of [A-Za-z0-9_-] */

uint64_t util_now_us(void);   /* CLOCK_REALTIME, microseconds */
uint64_t util_mono_us(void);  /* CLOCK_MONOTONIC, microseconds */
uint64_t util_cpu_us(void);   /* CLOCK_PROCESS_CPUTIME_ID: this process's CPU time, microseconds */

/* util_camera_id_valid - 1 if s is 1..31 chars of [A-Za-z0-9_-]. Camera ids
 * become directory names, so nothing else is allowed. */
int util_camera_id_valid(const char *s);

/* util_mkdirs - mkdir -p with mode 0750; returns 0 or -errno. */
int util_mkdirs(const char *path);

/* util_fsync_dir - open the directory and fsync it; returns 0 or -errno. */
int util_fsync_dir(const char *path);

/* util_strlcpy - copy with truncation, always NUL-terminates; returns strlen(src). */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/* util_read_file - read a whole file into a malloc'd buffer (owned by the
 * caller, NUL-terminated for convenience); refuses files over max bytes
 * with -EFBIG. Returns 0 or -errno. */
int util_read_file(const char *path, size_t max, unsigned char **buf, size_t *len);

/* util_errf - printf into err (errlen bytes, always NUL-terminated when
 * errlen > 0); does nothing when err is NULL or errlen is 0. The common/
 * modules' way of filling their caller's error buffer. */
void util_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
