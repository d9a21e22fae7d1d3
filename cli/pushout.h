/* pushout - `gatewatch push`'s output for a gate controller: one JSON
 * line on stdout per message. The write blocks when stdout is a full
 * pipe: a gate script must read every line, or nothing more is sent (push's
 * loop waits in it). A timer says so once on stderr when a line waits
 * longer than a second, so a stalled push is not a mystery (SA_RESTART:
 * the write goes on). */
#ifndef GW_CLI_PUSHOUT_H
#define GW_CLI_PUSHOUT_H

#include <jansson.h>

/* pushout_print - o as one compact JSON line on stdout, flushed: 0, or
 * -errno when stdout cannot be written. */
int pushout_print(json_t *o);

#endif
