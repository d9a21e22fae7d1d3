/* logpump - `gatewatch up`'s log files: each program writes its stdout and
 * stderr into a pipe that `up` drains into DIR/log/<program>.log, rotated
 * by size (log.max_bytes; <program>.log.1 is the newest old file, at most
 * log.keep of them). Rotation happens between whole lines, so no line is
 * split across two files, and nothing a program writes is lost to it. */
#ifndef GW_LOGPUMP_H
#define GW_LOGPUMP_H

#include <stdio.h>
#include <sys/types.h>

#define LOGPUMP_PATH_SIZE 640

struct logpump {
	int rfd;                 /* read end, non-blocking; -1 when closed */
	int wfd;                 /* write end: the program's fd 1 and 2 (dup2 it in the child) */
	int fd;                  /* the open log file, O_APPEND */
	off_t size;              /* its size */
	long max_bytes;          /* 0 = never rotate */
	int keep;
	long rotations;          /* count, for tests and the log */
	char path[LOGPUMP_PATH_SIZE];
};

/* logpump_open - make the pipe (both ends close-on-exec) and open path for
 * appending (0640). Returns 0, or a negative errno with nothing left open. */
int logpump_open(struct logpump *lp, const char *path, long max_bytes, int keep);

/* logpump_drain - copy what the pipe holds now into the file, rotating it
 * when it grows past max_bytes. Never blocks. Returns the bytes copied, or
 * a negative errno (the file could not be written or reopened; the data
 * read is dropped, the pipe stays drained so the programs never block). */
long logpump_drain(struct logpump *lp);

/* logpump_show_error - print to out the first and the last line with
 * level fatal or error that the log file got since it was from bytes long
 * (at most its last 4 KiB; one line when they are the same), from its
 * level on (no time stamp). Returns 1 if it printed any, else 0. */
int logpump_show_error(const struct logpump *lp, off_t from, FILE *out);

/* logpump_close - drain once more, close everything. */
void logpump_close(struct logpump *lp);

#endif
