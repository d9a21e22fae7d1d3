/* gatesync - a camera connection's view of its open people again: the
 * gate messages that tell a camera that (re)connected to ingest who is
 * tracked now and what was decided (MSG_GATE_SYNC, msg.h). */
#ifndef GW_NOTIFIER_GATESYNC_H
#define GW_NOTIFIER_GATESYNC_H

#include <stdint.h>

#include "msg.h"

#define GATESYNC_PEOPLE_MAX 64   /* open people of one camera (the worker's TRACK_MAX) */
#define GATESYNC_MSGS_MAX (2 * GATESYNC_PEOPLE_MAX)

/* gatesync_messages - the gate messages for camera's open people, for
 * ingest connection conn (0: all of the camera's), each with replay=1:
 * per person, oldest first, APPEARED, then their VERDICT if decided, or
 * their PROMPT if prompted and undecided. None for an indoor camera.
 * Fills out (GATESYNC_MSGS_MAX entries); returns the count, or a negative
 * errno when the database cannot say (-EIO). */
int gatesync_messages(const char *camera, uint64_t conn, struct msg_verdict *out);

#endif
