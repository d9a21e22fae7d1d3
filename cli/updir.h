/* updir - what `gatewatch up` keeps in its state directory (updir.c). */
#ifndef GW_CLI_UPDIR_H
#define GW_CLI_UPDIR_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* updir_demo_token - the demo camera's token: the one the configuration
 * file conf already has, else a new random one. Returns 0 or -1. */
int updir_demo_token(const char *conf, char *tok, size_t toklen);

/* updir_write_conf - the effective configuration c into path, atomically,
 * mode 0600 (camera tokens and secrets). Returns 0, or -1 with errno. */
int updir_write_conf(const struct config *c, const char *path);

/* updir_lock - hold path (DIR/run/up.lock) for the life of this process
 * and write our pid in it. Returns the descriptor, or -1 with *other set to
 * the holder's pid (0 if unknown) when another `up` holds it, -2 with errno
 * on another error. */
int updir_lock(const char *path, pid_t *other);

/* updir_running - pid of a live `gatewatch up` recorded in path (a pid
 * file), or 0. */
pid_t updir_running(const char *path);

#endif
