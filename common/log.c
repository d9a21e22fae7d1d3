/* log - one line per event on stderr: "TIME LEVEL MODULE FRAME-ID TEXT";
 * under systemd (stderr is the journal) "<N>LEVEL MODULE FRAME-ID TEXT"
 * instead, N the syslog priority, so journald keeps the levels.
 * TIME is UTC with milliseconds ("2026-11-24T23:30:01.123Z"). Each line is
 * built in a local buffer and written with one write(2), so lines from
 * several threads (or processes sharing the file) never interleave. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "log.h"
#include "util.h"

#define LOG_LINE_MAX 2048

static char log_program[32] = "gatewatch";
static enum log_level log_min = LOG_LEVEL_INFO;
static int log_journal; /* stderr is the journal: "<N>" prefixes, no time */

/* log_to_journal - is stderr the stream systemd connected to journald?
 * systemd sets JOURNAL_STREAM=<dev>:<inode> of that stream; a program whose
 * stderr was redirected elsewhere (a file, `gatewatch up`'s pipe) keeps the
 * variable but not the stream, so both must match. */
static int
log_to_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (v == NULL || sscanf(v, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *program, enum log_level min)
{
	util_strlcpy(log_program, program ? program : "gatewatch", sizeof(log_program));
	log_min = min;
	log_journal = log_to_journal();
}

/* log_priority - syslog priority of a level word, for journald. */
static int
log_priority(const char *level)
{
	switch (level[0]) {
	case 'd': return 7;              /* debug */
	case 'i': return 6;              /* info */
	case 'w': return 4;              /* warning */
	case 'e': return 3;              /* err */
	default: return 2;               /* fatal, panic: crit */
	}
}

int
log_level_parse(const char *s)
{
	/* in enum log_level order */
	static const char *const names[] = { "debug", "info", "warn", "error" };
	int i;

	for (i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -EINVAL;
}

/* log_emit - format and write one line. err > 0 appends ": strerror(err)". */
static void
log_emit(const char *level, const char *frame, int err, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t n, i, start;
	int r;

	if (log_journal) {
		/* journald keeps the time and turns <N> into the priority */
		r = snprintf(line, sizeof(line), "<%d>%s %s %s ", log_priority(level), level, log_program,
		    frame && *frame ? frame : "-");
		n = 0;
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s %s ",
		    ts.tv_nsec / 1000000L, level, log_program,
		    frame && *frame ? frame : "-");
	}
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	start = n;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	if (err > 0) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(err));
		if (r > 0)
			n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	}
	/* One event, one line: text from outside may carry control characters. */
	for (i = start; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	for (i = 0; i < n; ) {
		ssize_t w = write(STDERR_FILENO, line + i, n - i);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		i += (size_t)w;
	}
}

/* One body for every level: params is the parameter list, err what
 * log_emit appends (errno saved at the call for log_warn, -rc for the
 * negative errno of the common/ convention). errno is left as it was. */
#define LOG_FN(name, params, lvl, word, err) \
void \
name params \
{ \
	va_list ap; \
	int saved = errno; \
	if (lvl < log_min) \
		return; \
	va_start(ap, fmt); \
	log_emit(word, frame, err, fmt, ap); \
	va_end(ap); \
	errno = saved; \
}

#define LOG_PLAIN (const char *frame, const char *fmt, ...)
#define LOG_RC (int rc, const char *frame, const char *fmt, ...)
LOG_FN(log_debug, LOG_PLAIN, LOG_LEVEL_DEBUG, "debug", 0)
LOG_FN(log_info, LOG_PLAIN, LOG_LEVEL_INFO, "info", 0)
LOG_FN(log_warnx, LOG_PLAIN, LOG_LEVEL_WARN, "warn", 0)
LOG_FN(log_warn, LOG_PLAIN, LOG_LEVEL_WARN, "warn", saved)
LOG_FN(log_error, LOG_PLAIN, LOG_LEVEL_ERROR, "error", 0)
LOG_FN(log_warnc, LOG_RC, LOG_LEVEL_WARN, "warn", rc < 0 ? -rc : 0)
LOG_FN(log_errorc, LOG_RC, LOG_LEVEL_ERROR, "error", rc < 0 ? -rc : 0)

/* log_die - the last line of fatal (exit 2) and panic (abort). */
static void __attribute__((noreturn))
log_die(const char *word, const char *fmt, va_list ap)
{
	log_emit(word, NULL, 0, fmt, ap);
	if (word[0] == 'f')
		exit(2);
	abort();
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_die("fatal", fmt, ap);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_die("panic", fmt, ap);
}

void
log_lws(int level, const char *line)
{
	char buf[512];
	size_t n;

	util_strlcpy(buf, line, sizeof(buf));
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (level & LLL_ERR)
		log_error(NULL, "lws: %s", buf);
	else
		log_warnx(NULL, "lws: %s", buf);
}

void
log_listen_paused(void *arg, const char *why, long fd_limit, unsigned refused)
{
	log_warnx(NULL, "%snot accepting connections for 1 s: %s (limit %ld descriptors); "
	    "%u refused since the last such line", arg ? (const char *)arg : "", why, fd_limit, refused);
}
