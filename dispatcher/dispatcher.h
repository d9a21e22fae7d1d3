/* dispatcher - what the dispatcher's files share: the loop, the config, the
 * spool and the flags to pass on to workers. One process, one instance. */
#ifndef GW_DISPATCHER_H
#define GW_DISPATCHER_H

#include <limits.h>
#include <uv.h>

#include "config.h"
#include "daemon.h"
#include "spool.h"

struct dispatcher {
	struct daemon_loop dl;         /* the loop and the orderly stop (main.c) */
	uv_loop_t *loop;               /* &dl.loop */
	struct config cfg;
	struct spool spool;
	char worker_path[PATH_MAX];    /* <dir of our exe>/gatewatch-worker */
	char **cfg_argv;               /* the config flags we were given, passed to workers as is */
	int cfg_argc;
	int stopping;                  /* SIGTERM seen: no new work, no new workers */
	int workers_gone;              /* stopping, and every worker has exited */
};

extern struct dispatcher dsp;

#endif
