/* signals - the one way a gatewatch subcommand hears "stop": SIGINT and
 * SIGTERM call the handler (which sets a flag), SIGPIPE is ignored so a
 * closed pipe or socket is an error return, not death. */
#ifndef GW_CLI_SIGNALS_H
#define GW_CLI_SIGNALS_H

/* signals_on_stop - install handler for SIGINT and SIGTERM (no SA_RESTART:
 * a blocking call returns EINTR), ignore SIGPIPE. */
void signals_on_stop(void (*handler)(int));

#endif
