/* gatesync - the gate messages that bring a camera connection up to date
 * with its open people (gatesync.h). The database is the truth: the open
 * tracks of the camera (ended_us NULL), as a worker taking over gets them
 * (db_open_tracks). Loop thread only. */
#include <errno.h>
#include <string.h>

#include "cams.h"
#include "db.h"
#include "frameid.h"
#include "gatesync.h"
#include "util.h"

/* gatesync_one - a gate message of kind about open person s. */
static void
gatesync_one(struct msg_verdict *v, const struct msg_track_state *s, unsigned kind, uint64_t conn)
{
	memset(v, 0, sizeof(*v));
	util_strlcpy(v->ref.camera, s->camera, sizeof(v->ref.camera));
	frameid_next(v->ref.frame_id);   /* no frame caused it */
	v->track_id = s->track_id;
	v->kind = kind;
	v->verdict = s->verdict;
	v->reason = s->reason;
	v->temperature = s->temperature;
	v->override = kind == MSG_GATE_VERDICT && s->reason == MSG_REASON_OVERRIDE;
	util_strlcpy(v->snapshot, s->snapshot, sizeof(v->snapshot));
	v->replay = 1;
	v->conn = conn;
}

int
gatesync_messages(const char *camera, uint64_t conn, struct msg_verdict *out)
{
	static struct msg_track_state s[GATESYNC_PEOPLE_MAX]; /* loop thread only */
	int n, i, k = 0;

	if (cams_is_indoor(camera))
		return 0;
	if ((n = db_open_tracks(camera, s, GATESYNC_PEOPLE_MAX)) < 0)
		return -EIO;
	for (i = 0; i < n; i++) {
		int decided = s[i].decided && (s[i].verdict == MSG_VERDICT_PASS || s[i].verdict == MSG_VERDICT_DENY);

		gatesync_one(&out[k++], &s[i], MSG_GATE_APPEARED, conn);
		if (decided)
			gatesync_one(&out[k++], &s[i], MSG_GATE_VERDICT, conn);
		else if (s[i].prompted) {
			gatesync_one(&out[k], &s[i], MSG_GATE_PROMPT, conn);
			if (out[k].reason != MSG_REASON_FACE_TOO_SMALL)
				out[k].reason = MSG_REASON_FACE_NOT_VISIBLE;
			k++;
		}
	}
	return k;
}
