/* fanout - the messages the notifier pushes. To /live clients:
 *   {"type":"result", <result item, see result.c>}
 *   {"type":"camera", <camera object, see cams.c, without last_result>}
 *   {"type":"today","today":<db_stats_today>}    (at most once a second,
 *                                                 and <= 5% of the loop)
 * To ingest peers: one MSG_VERDICT per person with PASS or DENY. Camera
 * state is pushed from the 1 s tick, so a chatty ingest or dispatcher
 * costs dashboards at most one message per camera per second. */
#include <string.h>

#include "cams.h"
#include "db.h"
#include "fanout.h"
#include "jbuf.h"
#include "live.h"
#include "log.h"
#include "peer.h"
#include "result.h"
#include "util.h"

static int today_dirty;
static uint64_t today_last_us, today_cost_us; /* monotonic; cost of the last computation */

void
fanout_result(const struct msg_result *r, int64_t id)
{
	struct jbuf b, item;
	unsigned i, reason, verdict;
	int sent = 0;

	verdict = result_frame_verdict(r, &reason);
	for (i = 0; i < r->npersons && i < MSG_PERSONS_MAX; i++) {
		const struct msg_person *p = &r->persons[i];
		struct msg_verdict v;

		if (p->verdict != MSG_VERDICT_PASS && p->verdict != MSG_VERDICT_DENY)
			continue;
		memset(&v, 0, sizeof(v));
		v.ref = r->ref;
		v.track_id = p->track_id;
		v.verdict = p->verdict;
		v.reason = p->reason;
		v.temperature = r->temperature;
		v.person = i;
		sent += peer_send_ingest(MSG_VERDICT, &v, sizeof(v));
	}
	log_info(r->ref.frame_id, "%s: committed as %lld: %u persons, %s%s%s, %d verdict messages",
	    r->ref.camera, (long long)id, r->npersons, msg_verdict_name(verdict),
	    reason ? " " : "", msg_reason_name(reason), sent);
	cams_result(r->ref.camera);
	today_dirty = 1;
	if (live_count() == 0)
		return;
	jbuf_init(&item, 0);
	result_json(&item, r);
	jbuf_init(&b, 0);
	jbuf_add(&b, "{\"type\":\"result\",\"id\":%lld,", (long long)id);
	if (item.len > 1)
		jbuf_mem(&b, jbuf_text(&item) + 1, item.len - 1);
	if (!jbuf_failed(&b) && !jbuf_failed(&item))
		live_broadcast(jbuf_text(&b), b.len);
	jbuf_free(&item);
	jbuf_free(&b);
}

static void
fanout_camera(int idx)
{
	struct jbuf b, cam;

	if (live_count() == 0)
		return;
	jbuf_init(&cam, 0);
	cams_json(&cam, idx, 0);
	jbuf_init(&b, 0);
	jbuf_add(&b, "{\"type\":\"camera\",");
	if (cam.len > 1)
		jbuf_mem(&b, jbuf_text(&cam) + 1, cam.len - 1);
	if (!jbuf_failed(&b) && !jbuf_failed(&cam))
		live_broadcast(jbuf_text(&b), b.len);
	jbuf_free(&cam);
	jbuf_free(&b);
}

void
fanout_tick(void)
{
	struct jbuf b;
	int rc;

	uint64_t now = util_mono_us();

	cams_tick(fanout_camera);
	if (!today_dirty || live_count() == 0)
		return;
	/* The figures are a query over the whole day: at most 5% of the loop's
	 * time goes to them, however busy the day gets. */
	if (now - today_last_us < 20 * today_cost_us)
		return;
	today_dirty = 0;
	jbuf_init(&b, 0);
	jbuf_add(&b, "{\"type\":\"today\",\"today\":");
	rc = db_stats_today(&b);
	today_last_us = util_mono_us();
	today_cost_us = today_last_us - now;
	if (rc < 0) {
		log_warnx(NULL, "today's figures: %s", db_errmsg());
		jbuf_free(&b);
		return;
	}
	jbuf_add(&b, "}");
	if (!jbuf_failed(&b))
		live_broadcast(jbuf_text(&b), b.len);
	jbuf_free(&b);
}
