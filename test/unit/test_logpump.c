/* test_logpump - `gatewatch up`'s log files: what the programs write comes
 * out whole, in order, rotated by size between lines, at most keep old
 * files, and a rotation loses nothing that the kept files should hold. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "logpump.h"
#include "util.h"

CASE(rotation)
{
	char line[256], name[64], *all, *f;
	struct logpump lp;
	struct stat st;
	int i, j, whole = 1;
	size_t len = 0;

	CHECK_INT(logpump_open(&lp, "prog.log", 1000, 2), 0, "open");
	CHECK(fcntl(lp.rfd, F_GETFD) & FD_CLOEXEC && fcntl(lp.wfd, F_GETFD) & FD_CLOEXEC,
	    "both pipe ends are close-on-exec (the child dup2s the write end)");
	/* 60 lines of 100 bytes, drained every 7 lines: 6000 bytes through a
	 * 1000-byte limit, kept: the current file and two old ones. */
	for (i = 0; i < 60; i++) {
		snprintf(line, sizeof(line), "%04d %094d\n", i, 0);
		CHECK(write(lp.wfd, line, strlen(line)) == 100, "write a line");
		if (i % 7 == 6)
			logpump_drain(&lp);
	}
	logpump_close(&lp);
	CHECK(lp.rotations >= 4, "rotated several times");
	printf("# %ld rotations\n", lp.rotations);
	CHECK(stat("prog.log.1", &st) == 0 && st.st_size >= 1000, "prog.log.1 exists and reached the limit");
	CHECK(stat("prog.log.2", &st) == 0 && st.st_size >= 1000, "prog.log.2 exists and reached the limit");
	CHECK(stat("prog.log.3", &st) != 0, "no third old file (log.keep = 2)");
	/* Oldest to newest, the kept text is the tail of what was written,
	 * every line whole. */
	all = calloc(1, 20000);
	for (i = 2; i >= 0; i--) {
		if (i)
			snprintf(name, sizeof(name), "prog.log.%d", i);
		else
			snprintf(name, sizeof(name), "prog.log");
		f = check_slurp(name);
		if (f[0] != '\0' && f[strlen(f) - 1] != '\n')
			whole = 0;
		memcpy(all + len, f, strlen(f));
		len += strlen(f);
		free(f);
	}
	CHECK(whole, "every file ends at a line's end");
	CHECK(len % 100 == 0 && len >= 2000, "only whole lines kept");
	for (i = 60 - (int)(len / 100), j = 0; i < 60; i++, j++) {
		snprintf(line, sizeof(line), "%04d %094d\n", i, 0);
		if (memcmp(all + j * 100, line, 100) != 0)
			break;
	}
	CHECK_INT(i, 60, "the kept files hold the newest lines, in order, none missing");
	free(all);
}

/* max_bytes = 0: never rotated. */
CASE(no_limit)
{
	char line[100];
	struct logpump lp;
	struct stat st;
	int i;

	CHECK_INT(logpump_open(&lp, "plain.log", 0, 5), 0, "open without a limit");
	memset(line, 'p', 99);
	line[99] = '\n';
	for (i = 0; i < 30; i++)
		CHECK(write(lp.wfd, line, 100) == 100, "write");
	logpump_close(&lp);
	CHECK(stat("plain.log", &st) == 0 && st.st_size == 3000 && stat("plain.log.1", &st) != 0,
	    "log.max_bytes = 0: one file, everything in it");
}

/* A line longer than the limit arriving in pieces stays in one file. */
CASE(long_line)
{
	char line[200], *f;
	struct logpump lp;

	CHECK_INT(logpump_open(&lp, "long.log", 100, 3), 0, "open small");
	CHECK(write(lp.wfd, "start-of-a-long-line ", 21) == 21, "write a piece");
	logpump_drain(&lp);
	memset(line, 'x', 200);
	CHECK(write(lp.wfd, line, 200) == 200, "write more of it");
	logpump_drain(&lp);
	CHECK(write(lp.wfd, "end\nnext\n", 9) == 9, "end it");
	logpump_close(&lp);
	f = check_slurp("long.log.1");
	CHECK(strncmp(f, "start-of-a-long-line x", 22) == 0 && strstr(f, "xend\n") != NULL && strstr(f, "next") == NULL,
	    "the long line is whole in one file, the next line in the new one");
	free(f);
	f = check_slurp("long.log");
	CHECK_STR(f, "next\n", "the new file starts with the next line");
	free(f);

}

CASE(show_error)
{
	const char *old = "2026-11-28T03:00:00.000Z fatal ingest - an earlier start\n";
	const char *now = "2026-11-28T03:01:00.000Z info ingest - loading\n"
	    "2026-11-28T03:01:01.000Z error ingest - first trouble\n"
	    "2026-11-28T03:01:02.000Z fatal ingest - models missing (run `make models`)\n"
	    "2026-11-28T03:01:03.000Z info ingest - bye\n";
	struct logpump lp;
	char *f;
	FILE *out;
	off_t from;

	CHECK_INT(logpump_open(&lp, "ingest.log", 0, 2), 0, "open");
	CHECK(write(lp.wfd, old, strlen(old)) == (ssize_t)strlen(old), "an earlier start's fatal line");
	logpump_drain(&lp);
	from = lp.size;
	out = fopen("said", "w");
	CHECK_INT(logpump_show_error(&lp, from, out), 0, "nothing since this start: the earlier line is not shown");
	CHECK(write(lp.wfd, now, strlen(now)) == (ssize_t)strlen(now), "this start's lines");
	logpump_drain(&lp);
	CHECK_INT(logpump_show_error(&lp, from, out), 1, "this start's fatal or error lines are shown");
	fclose(out);
	f = check_slurp("said");
	/* the first is the cause the last one ("cannot start the HTTP server")
	 * may leave out, e.g. lws's "problem getting cert ..." */
	CHECK_STR(f, "error ingest - first trouble\nfatal ingest - models missing (run `make models`)\n",
	    "from its level on, the first and the last one");
	free(f);
	out = fopen("said", "w");
	from = lp.size;
	CHECK(write(lp.wfd, old, strlen(old)) == (ssize_t)strlen(old), "a start with one fatal line");
	logpump_drain(&lp);
	CHECK_INT(logpump_show_error(&lp, from, out), 1, "its one line is shown");
	fclose(out);
	f = check_slurp("said");
	CHECK_STR(f, "fatal ingest - an earlier start\n", "once");
	free(f);
	logpump_close(&lp);
}

CHECK_MAIN()
