/* result - what a worker's MSG_RESULT means for people: the frame's
 * verdict, and its JSON shape (the one /api/results, /live and the
 * database's json column share). */
#ifndef GW_RESULT_H
#define GW_RESULT_H

#include "jbuf.h"
#include "msg.h"

/* result_frame_verdict - the frame's verdict: DENY if any person is
 * denied, PASS if any passed and none denied, else NONE. *reason gets the
 * first denied person's reason (MSG_REASON_NONE otherwise). */
unsigned result_frame_verdict(const struct msg_result *r, unsigned *reason);

/* result_valid - 1 if the ids are well formed and npersons is in range
 * (what the notifier checks before committing). */
int result_valid(const struct msg_result *r);

/* result_json - append the item as a complete object without its "id"
 * member ({"camera":..,"frame":..,...,"persons":[..]}); this is what the
 * database stores, and readers put the id in front with
 * result_json_with_id. */
void result_json(struct jbuf *b, const struct msg_result *r);

/* result_json_with_id - append {"id":id, + the members of stored (an
 * object produced by result_json). */
void result_json_with_id(struct jbuf *b, long long id, const char *stored);

#endif
