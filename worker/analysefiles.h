/* analysefiles - `gatewatch-worker --replay FILE...`: the worker's analysis on
 * image files (spooled frames with their trailer, or plain photos), no
 * sockets, no spool changes. One JSON line per file on stdout. */
#ifndef GW_WORKER_ANALYSEFILES_H
#define GW_WORKER_ANALYSEFILES_H

#include "config.h"

/* analysefiles_run - analyse every file; returns the exit status: 0 all
 * analysed, 1 if any file could not be (its line carries "error"),
 * 2 if the models could not be loaded. with_mask 0: faces only. */
int analysefiles_run(const struct config *c, int with_mask, char **files, int nfiles);

#endif
