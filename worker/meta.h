/* meta - read the metadata JSON that ingest appends to a spooled frame
 * (see spool.h): what the worker needs from it, nothing more.
 *
 * Accepted shape (unknown keys are skipped, any order):
 *   {"width":640,"height":480,"received_us":1764026596123456,
 *    "seq":1234,"unlooked":5,"temperature":36.6 | null,
 *    "persons":[{"x":..,"y":..,"w":..,"h":..,"score":..}, ...]}
 * A person may also be written as an array [x,y,w,h,score], and the list
 * may be named "boxes". Boxes are pixels of the frame as sent. Every key
 * is optional (frames spooled before a key existed lack it): "seq" and
 * "unlooked" (since round 6) are the camera's frame number at ingest
 * (frames received from it since ingest started, this one included) and
 * how many of those ingest answered busy or rejected, unlooked at; the
 * tracker tells frames nobody looked at from frames found empty by them.
 * "faces" (since round 10): the close-up run's faces on the whole frame
 * when ingest ran it on this frame (firstpass.h, struct firstpass_faces):
 *   {"input":360,"threshold":0.3,"boxes":[[x,y,w,h,score],...]}
 * input 128..1024, threshold 0..1, at most FIRSTPASS_FACES_MAX boxes, each
 * w, h > 0, score over threshold and at most 1, best first; the worker's
 * whole-frame search takes them (analyse_given) where they hold its
 * answer. Anything else in it is a bad trailer (the frame is analysed
 * without ingest's boxes, as for any bad key). */
#ifndef GW_WORKER_META_H
#define GW_WORKER_META_H

#include <stddef.h>
#include <stdint.h>
#include "firstpass.h"
#include "msg.h"
#include "nn.h"

struct meta {
	int width, height;            /* 0 if absent */
	int64_t received_us;          /* 0 if absent */
	int64_t seq, unlooked;        /* 0 if absent (seq is 1 or more when present) */
	float temperature;            /* NAN if absent or null */
	int npersons;                 /* at most MSG_PERSONS_MAX kept */
	struct nn_box persons[MSG_PERSONS_MAX];
	struct firstpass_faces faces; /* input 0 if absent */
};

/* meta_parse - parse json (NUL-terminated; "" or NULL = no metadata, which
 * is valid and gives no persons) with jansson. Returns 0, or -EBADMSG with
 * the reason in err (safe to log: text that is not UTF-8 is repaired); m
 * is filled with defaults either way. */
int meta_parse(const char *json, struct meta *m, char *err, size_t errlen);

#endif
