/* detectfiles - `gatewatch-ingest --replay FILE...`: run the first-pass check
 * (decode + person detector, face detector for close-ups; no motion gate,
 * no socket, no spool) on image files and print one JSON line per file on
 * stdout. */
#ifndef GW_INGEST_DETECTFILES_H
#define GW_INGEST_DETECTFILES_H

#include "config.h"

/* detectfiles_run - returns the exit status: 0 if every file was checked, 1 if
 * some file could not be read or decoded (its line says why). */
int detectfiles_run(const struct config *cfg, char **files, int nfiles);

#endif
