/* meta - read the metadata JSON that ingest appends to a spooled frame
 * (see spool.h): what the worker needs from it, nothing more.
 *
 * Accepted shape (unknown keys are skipped, any order):
 *   {"width":640,"height":480,"received_us":1764026596123456,
 *    "temperature":36.6 | null,
 *    "persons":[{"x":..,"y":..,"w":..,"h":..,"score":..}, ...]}
 * A person may also be written as an array [x,y,w,h,score], and the list
 * may be named "boxes". Boxes are pixels of the frame as sent. */
#ifndef GW_WORKER_META_H
#define GW_WORKER_META_H

#include <stddef.h>
#include <stdint.h>
#include "msg.h"
#include "nn.h"

struct meta {
	int width, height;            /* 0 if absent */
	int64_t received_us;          /* 0 if absent */
	float temperature;            /* NAN if absent or null */
	int npersons;                 /* at most MSG_PERSONS_MAX kept */
	struct nn_box persons[MSG_PERSONS_MAX];
};

/* meta_parse - parse json (NUL-terminated; "" or NULL = no metadata, which
 * is valid and gives no persons) with jansson. Returns 0, or -EBADMSG with
 * the reason in err (safe to log: text that is not UTF-8 is repaired); m
 * is filled with defaults either way. */
int meta_parse(const char *json, struct meta *m, char *err, size_t errlen);

#endif
