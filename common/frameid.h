/* frameid - names for frames: 20 characters, sortable in arrival order,
 * unique within one ingest process and across its restarts.
 * Format: 16 decimal digits of microseconds since the epoch, '-', 3 digits
 * of a per-process sequence (wraps); e.g. "1764026596123456-007".
 * A frame is identified system-wide by (camera id, frame id). */
#ifndef GW_FRAMEID_H
#define GW_FRAMEID_H

#include <stddef.h>
#include <stdint.h>

#define FRAMEID_LEN 20
#define FRAMEID_SIZE 24 /* with NUL and room */

/* frameid_next - write the next id into out (FRAMEID_SIZE bytes).
 * Strictly increasing within a process even if the clock steps back.
 * Thread-safe. */
void frameid_next(char out[FRAMEID_SIZE]);

/* frameid_valid - 1 if s has exactly the format above, else 0. */
int frameid_valid(const char *s);

/* frameid_time_us - the microsecond timestamp inside a valid id, 0 if invalid. */
uint64_t frameid_time_us(const char *s);

#endif
