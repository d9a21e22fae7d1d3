/* camsg - the camera protocol's text messages, both ways, as JSON
 * (jansson): what a camera sends (hello, meta) parsed into a struct, and
 * what ingest sends back (welcome, answer, error and the gate messages:
 * person, prompt, verdict) built as JSON objects. No sockets here: ws.c
 * moves the bytes. Schema: docs/ARCHITECTURE.md, "Gate messages".
 *
 * Text from a camera is untrusted: JSON that is not UTF-8 (or holds
 * \u0000) is refused by the parser, and every string echoed back goes
 * through utf8_json, so no answer carries bytes that are not UTF-8. */
#ifndef GW_INGEST_CAMSG_H
#define GW_INGEST_CAMSG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "firstpass.h"
#include "msg.h"
#include "nn.h"

#define CAMSG_STR_SIZE 256          /* camera id or token as sent, at most 255 bytes */

enum camsg_type { CAMSG_HELLO, CAMSG_META };

struct camsg {
	enum camsg_type type;
	/* hello: "" when absent or not a string (has_* says which) */
	int has_camera, has_token;
	char camera[CAMSG_STR_SIZE], token[CAMSG_STR_SIZE];
	/* meta: degrees C, NAN for null or absent */
	float temperature;
};

/* camsg_parse - one text message s[0..len) from a camera. Returns 0;
 * -EBADMSG when it is not one JSON object (not JSON, not UTF-8, a string
 * with \u0000, camera or token over 255 bytes); -EINVAL for an object that
 * is no message we know (no "type", an unknown type, a meta temperature
 * that is not a number of degrees C). Either error leaves a reason in err
 * that is safe to log and to echo (UTF-8, no control characters). */
int camsg_parse(const char *s, size_t len, struct camsg *m, char *err, size_t errlen);

/* The builders return a new object (the caller decrefs), NULL only when
 * out of memory. Strings from outside are repaired, never echoed raw. */

/* camsg_error - {"type":"error","error":error,"reason":reason}. */
json_t *camsg_error(const char *error, const char *reason);

/* camsg_welcome - the answer to a good hello. */
json_t *camsg_welcome(const struct config *cfg, const char *camera, enum config_mode mode);

/* camsg_real - v rounded to 1/scale (10: 0.1), or null when it is not
 * finite (an answer must go out whatever the detector gave). */
json_t *camsg_real(double v, double scale);

/* camsg_faces - the close-up run's faces (firstpass.h) as the spool
 * trailer's "faces" (worker/meta.h): {"input":360,"threshold":T,"boxes":
 * [[x,y,w,h,score],...]}, each value the float exactly (written with 10
 * significant digits, a float's round trip), so the worker's whole-frame
 * search gets exactly what its own run would give. NULL on ENOMEM. */
json_t *camsg_faces(const struct firstpass_faces *f);

/* camsg_boxes - [{"x","y","w","h","score"},...] in pixels, each with
 * "by":by too unless by is NULL. */
json_t *camsg_boxes(const struct nn_box *p, int n, const char *by);

/* camsg_answer - the answer to binary message seq: frame is NULL before
 * a frame id was given; ms since the message arrived. */
json_t *camsg_answer(uint32_t seq, const char *frame, const char *status, const char *reason,
                     const struct nn_box *p, int np, double ms);

/* camsg_gate - a gate message (person, prompt or verdict) for v; a
 * verdict carries the person's snapshot from dir as a data: URL when it
 * is small enough; "replay":true when v was said before (v->replay).
 * NULL also for a kind we do not know. */
json_t *camsg_gate(const struct msg_verdict *v, const char *dir);

/* camsg_dump - o as compact JSON into a new buffer with pre bytes of
 * headroom before it (lws needs LWS_PRE); *len gets the JSON's length.
 * Returns NULL when out of memory. */
unsigned char *camsg_dump(const json_t *o, size_t pre, size_t *len);

#endif
