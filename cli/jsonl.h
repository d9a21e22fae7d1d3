/* jsonl - the JSON-lines files `gatewatch eval` writes (--details, --misses,
 * --false): one compact object a line. A line that cannot be made or
 * written is an error for the caller to report, never a line silently left
 * out (the file would then disagree with the report's counts). */
#ifndef GW_JSONL_H
#define GW_JSONL_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* jsonl_put - o (stolen; NULL: it could not be made) as one line of f,
 * its reals with flags' precision (JSON_REAL_PRECISION(n), or 0). Returns
 * 0, -ENOMEM (o is NULL) or -EIO. */
int jsonl_put(FILE *f, json_t *o, size_t flags);

/* jsonl_close - close f (NULL is fine). Returns 0, or -EIO when a write
 * to it failed or closing did. */
int jsonl_close(FILE *f);

#endif
