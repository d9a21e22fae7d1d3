/* upbanner - what `gatewatch up` prints on stdout once its programs are
 * up: the URLs to open (a listen address of every interface shown as this
 * machine's), the demo camera's token, how to log in (the first admin's
 * generated password) or manage accounts, a warning when every interface
 * listens (and without TLS), the configuration file and each program's
 * log. */
#ifndef GW_CLI_UPBANNER_H
#define GW_CLI_UPBANNER_H

#include "config.h"

/* upbanner_print - for configuration c written to conf; admin_pw the
 * first admin's password ("" when accounts existed); progs the nprogs
 * programs (their logs are DIR/log/<prog>.log); demo_token or NULL. */
void upbanner_print(const struct config *c, const char *conf, const char *admin_pw, const char *const *progs,
    int nprogs, const char *demo_token);

#endif
