/* cmd - the subcommands of bin/gatewatch, one file each; main.c picks one
 * by name. Each takes argv with argv[0] = the subcommand name and returns
 * the process exit status (0 ok, 1 failure, 2 usage or config error). */
#ifndef GW_CLI_CMD_H
#define GW_CLI_CMD_H

#include <stddef.h>

int cmd_up(int argc, char **argv);      /* up.c: start and supervise the daemons */
int cmd_replay(int argc, char **argv);  /* replay.c: one stage over image files */
int cmd_events(int argc, char **argv);  /* events.c: stored track events as JSON lines */
int cmd_push(int argc, char **argv);    /* push.c: send image files as a camera */
int cmd_eval(int argc, char **argv);    /* eval.c: score the vision path on annotated photos */
int cmd_user(int argc, char **argv);    /* account.c: people's accounts */
int cmd_token(int argc, char **argv);   /* account.c: API tokens */

/* cmd_bin_path - "<compiled-in program folder>/<name>" (paths.h) into out, the way
 * sibling programs (gatewatch-ingest, ...) are found. Returns 0 or -1. */
int cmd_bin_path(const char *name, char *out, size_t outlen);

#endif
