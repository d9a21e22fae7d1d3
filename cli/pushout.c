/* pushout - `gatewatch push`'s lines on stdout, for a gate controller
 * script; see pushout.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "pushout.h"

#define PUSHOUT_SLOW_S 1   /* a line not written after this long: say why on stderr */

static volatile sig_atomic_t pushout_stalled;

/* pushout_alarm - SIGALRM while a line waits for stdout's reader. */
static void
pushout_alarm(int sig)
{
	static const char m[] = "gatewatch push: stdout is full (nobody reads it?): waiting for the reader, and no "
	    "frame is sent meanwhile; read every line, or send stdout to /dev/null\n";
	ssize_t r;

	(void)sig;
	pushout_stalled = 1;
	r = write(STDERR_FILENO, m, sizeof(m) - 1);
	(void)r;
}

int
pushout_print(json_t *o)
{
	struct itimerval arm = { { 0, 0 }, { PUSHOUT_SLOW_S, 0 } }, off;
	struct sigaction sa;
	int timed = !pushout_stalled, rc = 0;

	if (timed) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = pushout_alarm;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		timed = sigaction(SIGALRM, &sa, NULL) == 0 && setitimer(ITIMER_REAL, &arm, NULL) == 0;
	}
	errno = 0;
	if (json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10)) != 0 || fputc('\n', stdout) == EOF ||
	    fflush(stdout) != 0)
		rc = errno ? -errno : -EIO;
	if (timed) {
		memset(&off, 0, sizeof(off));
		setitimer(ITIMER_REAL, &off, NULL);
	}
	return rc;
}
