/* spool_priv - what spool.c (single frames) shares with spool_scan.c
 * (listing, recovery); users include spool.h only. */
#ifndef GW_SPOOL_PRIV_H
#define GW_SPOOL_PRIV_H

#include <stddef.h>

#include "spool.h"

/* the directory names of enum spool_state */
extern const char *const spool_state_dirs[];

/* spool_fmt - format into out; -ENAMETOOLONG rather than a silently cut path. */
int spool_fmt(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* spool_name_parse - 1 if name is "<frameid>.jpg" or "<frameid>.png"; the
 * frame id is copied into id (FRAMEID_SIZE bytes). */
int spool_name_parse(const char *name, char *id);

/* spool_dir - the directory of one camera in one state; 0 or -errno. */
int spool_dir(const struct spool *sp, enum spool_state st, const char *camera, char *out, size_t outlen);

/* spool_mkcamdir - make a camera's directory under queue/, active/ or
 * failed/. A new one is made durable (fsync of its parent) before any frame
 * is renamed into it. 0 or -errno. */
int spool_mkcamdir(const char *dir);

#endif
