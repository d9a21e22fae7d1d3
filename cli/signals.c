/* signals - SIGINT/SIGTERM to a flag, SIGPIPE ignored, for the subcommands
 * (events, push, up) that run until told to stop. */
#include <signal.h>
#include <string.h>

#include "signals.h"

void
signals_on_stop(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
