/* gatesync - the gate messages that bring a camera connection up to date
 * with its open people (gatesync.h). The database is the truth: the open
 * tracks of the camera (ended_us NULL), as a worker taking over gets them
 * (db_open_tracks), and what the gate was told beside them: who overrode
 * (tracks.override_by) and why the person was last prompted (the prompt
 * event's JSON). Loop thread only. */
#include <errno.h>
#include <sqlite3.h>
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

/* gatesync_told - who overrode person s ("" if nobody) and the reason of
 * their last prompt (MSG_REASON_FACE_NOT_VISIBLE if none is stored). */
static void
gatesync_told(const struct msg_track_state *s, char by[64], unsigned *prompt)
{
	sqlite3_stmt *st;
	int r;

	by[0] = '\0';
	*prompt = MSG_REASON_FACE_NOT_VISIBLE;
	if (sqlite3_prepare_v2(db_handle(),
	    "SELECT t.override_by, (SELECT json_extract(v.json, '$.prompt') FROM track_events v"
	    "  WHERE v.camera = t.camera AND v.track_id = t.track_id AND v.kind = 'prompt' ORDER BY v.seq DESC LIMIT 1)"
	    " FROM tracks t WHERE t.camera = ?1 AND t.track_id = ?2", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, s->camera, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, s->track_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_text(st, 0) != NULL)
			util_strlcpy(by, (const char *)sqlite3_column_text(st, 0), 64);
		if (sqlite3_column_text(st, 1) != NULL &&
		    (r = msg_reason_parse((const char *)sqlite3_column_text(st, 1))) > 0)
			*prompt = (unsigned)r;
	}
	sqlite3_finalize(st);
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
		unsigned prompt;
		char by[64];

		gatesync_one(&out[k++], &s[i], MSG_GATE_APPEARED, conn);
		if (!decided && !s[i].prompted)
			continue;
		gatesync_told(&s[i], by, &prompt);
		if (decided) {
			gatesync_one(&out[k], &s[i], MSG_GATE_VERDICT, conn);
			if (out[k].override)
				util_strlcpy(out[k].by, by, sizeof(out[k].by));
			k++;
		} else {
			gatesync_one(&out[k], &s[i], MSG_GATE_PROMPT, conn);
			out[k++].reason = prompt;
		}
	}
	return k;
}
