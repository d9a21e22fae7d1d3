/* log - one line per event: "TIME LEVEL MODULE FRAME-ID TEXT", so one grep
 * follows a frame through all four programs.  Daemons only: common/ library
 * code never logs, it returns a negative errno and lets the caller decide. */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* log_init - name the program (e.g. "ingest") and the lowest level written.
 * Output goes to stderr, line-buffered; a supervisor or `gatewatch up`
 * redirects it to a file. */
void log_init(const char *program, enum log_level min);

/* log_level_parse - "debug"|"info"|"warn"|"error" as an enum log_level;
 * -EINVAL if unknown. */
int log_level_parse(const char *s);

/* frame may be NULL or "" (written as "-"). Thread-safe: one write(2) per line. */
void log_debug(const char *frame, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *frame, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_error(const char *frame, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* log_warn - appends ": strerror(errno)" when errno is set at the call. */
void log_warn(const char *frame, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* log_warnc - a warning for a negative errno rc (the common/ convention):
 * appends ": strerror(-rc)"; rc >= 0 appends nothing. Leaves errno alone. */
void log_warnc(int rc, const char *frame, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* log_errorc - log_error with ": strerror(-rc)" appended, as log_warnc. */
void log_errorc(int rc, const char *frame, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* log_warnx - a warning without errno. */
void log_warnx(const char *frame, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fatal - environment or config problem: log and exit(2). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* log_lws - the servers' libwebsockets log hook (lws_set_log_level): one
 * lws line, trailing newline cut, as "lws: ..." at error level for
 * LLL_ERR, warn otherwise. */
void log_lws(int level, const char *line);
/* log_listen_paused - the servers' netlisten_note: accepting paused for a
 * moment near the file limit. arg: a prefix for the line ("http: ") or NULL. */
void log_listen_paused(void *arg, const char *why, long fd_limit, unsigned refused);
/* panic - broken invariant: log and abort(). */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
