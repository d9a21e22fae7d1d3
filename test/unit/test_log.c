/* test_log - line format, levels, errno suffix, whole lines under threads,
 * fatal's exit status. stderr is redirected to a file in the temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "util.h"

static int
test_log_count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void *
test_log_spam(void *arg)
{
	int i;

	for (i = 0; i < 500; i++)
		log_info("1764026596123456-007", "thread %d line %d %s", (int)(intptr_t)arg, i,
		    "padding padding padding padding padding padding padding padding padding");
	return NULL;
}

static int test_log_saved_err = -1;

/* stderr into a file of the case's dir, until test_log_release(). */
static void
test_log_capture(const char *path, int flags, int mode)
{
	int fd = open(path, flags, mode);

	if (test_log_saved_err < 0)
		test_log_saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void
test_log_release(void)
{
	dup2(test_log_saved_err, 2);
}

CASE(level_parse)
{
	CHECK_INT(log_level_parse("debug"), LOG_LEVEL_DEBUG, "parse debug");
	CHECK_INT(log_level_parse("info"), LOG_LEVEL_INFO, "parse info");
	CHECK_INT(log_level_parse("warn"), LOG_LEVEL_WARN, "parse warn");
	CHECK_INT(log_level_parse("error"), LOG_LEVEL_ERROR, "parse error");
	CHECK_INT(log_level_parse("loud"), -EINVAL, "parse unknown is -EINVAL");
}

CASE(line_format)
{
	char *out, *line, *save;
	regex_t re;

	test_log_capture("err.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	log_init("ingest", LOG_LEVEL_INFO);
	log_debug(NULL, "hidden %d", 1);
	log_info("1764026596123456-007", "frame accepted camera=%s", "gate1");
	log_info(NULL, "no frame");
	log_info("", "empty frame");
	errno = ENOENT;
	log_warn(NULL, "open %s", "x.jpg");
	CHECK_INT(errno, ENOENT, "log_warn keeps errno");
	errno = ENOENT;
	log_warnx(NULL, "plain warning");
	log_error(NULL, "multi\nline\ttext");
	test_log_release();

	out = check_slurp("err.log");
	CHECK_INT(test_log_count_lines(out), 6, "six lines written, debug filtered");
	CHECK(strstr(out, "hidden") == NULL, "debug line is filtered at info");
	regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
	    "info ingest 1764026596123456-007 frame accepted camera=gate1$", REG_EXTENDED | REG_NOSUB);
	line = strtok_r(out, "\n", &save);
	CHECK(line && regexec(&re, line, 0, NULL, 0) == 0, "first line is TIME info ingest FRAME text");
	if (line)
		printf("# %s\n", line);
	regfree(&re);
	line = strtok_r(NULL, "\n", &save);
	CHECK(line && strstr(line, "Z info ingest - no frame") != NULL, "NULL frame is written as -");
	line = strtok_r(NULL, "\n", &save);
	CHECK(line && strstr(line, "Z info ingest - empty frame") != NULL, "empty frame is written as -");
	line = strtok_r(NULL, "\n", &save);
	CHECK(line && strstr(line, "Z warn ingest - open x.jpg: No such file or directory") != NULL,
	    "log_warn appends strerror(errno)");
	line = strtok_r(NULL, "\n", &save);
	CHECK(line && strstr(line, "Z warn ingest - plain warning") != NULL &&
	    strstr(line, "No such file") == NULL, "log_warnx adds no errno");
	line = strtok_r(NULL, "\n", &save);
	CHECK(line && strstr(line, "Z error ingest - multi line text") != NULL,
	    "control characters in text become spaces: one event, one line");
	free(out);
}

/* log_warnc/log_errorc: a negative errno from common/ as ": strerror". */
CASE(errno_rc)
{
	char *out, *line, *save;

	test_log_capture("rc.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	log_init("worker", LOG_LEVEL_INFO);
	errno = EINTR;
	log_warnc(-ENOSPC, "1764026596123456-007", "spool %s", "gate1");
	CHECK_INT(errno, EINTR, "log_warnc leaves errno alone");
	log_errorc(-EACCES, NULL, "open %s", "a.db");
	log_warnc(0, NULL, "rc 0");
	log_init("worker", LOG_LEVEL_ERROR);
	log_warnc(-EIO, NULL, "filtered");
	test_log_release();

	out = check_slurp("rc.log");
	CHECK_INT(test_log_count_lines(out), 3, "three lines, the warning below the level filtered");
	line = strtok_r(out, "\n", &save);
	CHECK(line && strstr(line, "Z warn worker 1764026596123456-007 spool gate1: No space left on device") != NULL,
	    "log_warnc appends strerror(-rc)");
	line = strtok_r(NULL, "\n", &save);
	CHECK(line && strstr(line, "Z error worker - open a.db: Permission denied") != NULL,
	    "log_errorc appends strerror(-rc) at error level");
	line = strtok_r(NULL, "\n", &save);
	CHECK(line && strlen(line) > 5 && strcmp(line + strlen(line) - 5, " rc 0") == 0 &&
	    strstr(line, "Z warn worker - rc 0") != NULL, "rc 0 appends nothing");
	free(out);
}

/* Four threads, 2000 lines: every line whole. */
CASE(threads)
{
	char *out, *line, *save;
	pthread_t th[4];
	regex_t re;
	int i, good;

	log_init("ingest", LOG_LEVEL_INFO);
	test_log_capture("threads.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, test_log_spam, (void *)(intptr_t)i);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	test_log_release();
	out = check_slurp("threads.log");
	CHECK_INT(test_log_count_lines(out), 2000, "2000 lines from 4 threads");
	regcomp(&re, "^[0-9T:.-]{23}Z info ingest 1764026596123456-007 thread [0-3] line [0-9]+ (padding ?){9}$",
	    REG_EXTENDED | REG_NOSUB);
	good = 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		good += regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	CHECK_INT(good, 2000, "every line from the threads is whole");
	free(out);
}

/* Level filter at warn. */
CASE(level_filter)
{
	char *out;

	test_log_capture("warn.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	log_init("worker", LOG_LEVEL_WARN);
	log_info(NULL, "quiet");
	log_warnx(NULL, "loud");
	test_log_release();
	out = check_slurp("warn.log");
	CHECK(strstr(out, "quiet") == NULL && strstr(out, "warn worker - loud") != NULL, "min level warn filters info");
	free(out);
}

/* fatal exits 2 after logging. */
CASE(fatal)
{
	int fd, status;
	char *out;
	pid_t pid;

	log_init("worker", LOG_LEVEL_WARN);
	fd = open("fatal.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fd, 2);
		fatal("bad config %s", "x");
	}
	close(fd);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2, "fatal exits with status 2");
	out = check_slurp("fatal.log");
	CHECK(strstr(out, "fatal worker - bad config x\n") != NULL, "fatal logs its line");
	free(out);
}

/* Under systemd: stderr is the journal stream JOURNAL_STREAM names. */
CASE(journal)
{
	struct stat st;
	char env[64], *out;

	test_log_capture("journal.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	fstat(2, &st);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init("notifier", LOG_LEVEL_DEBUG);
	log_debug(NULL, "d");
	log_info("1764026596123456-007", "i");
	log_warnx(NULL, "w");
	log_error(NULL, "e");
	test_log_release();
	out = check_slurp("journal.log");
	CHECK_STR(out, "<7>debug notifier - d\n<6>info notifier 1764026596123456-007 i\n"
	    "<4>warn notifier - w\n<3>error notifier - e\n",
	    "stderr is the journal: <N> syslog priority prefixes, no time of our own");
	free(out);
	/* The variable alone (inherited, stderr now a file) changes nothing. */
	test_log_capture("notjournal.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	log_init("notifier", LOG_LEVEL_INFO);
	log_info(NULL, "plain");
	test_log_release();
	out = check_slurp("notjournal.log");
	CHECK(out[0] != '<' && strstr(out, "Z info notifier - plain\n") != NULL,
	    "JOURNAL_STREAM naming another stream: the usual timed lines");
	free(out);
	unsetenv("JOURNAL_STREAM");
}

CHECK_MAIN()
