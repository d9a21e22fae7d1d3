/* track_config - the tracker's settings: read from the configuration's
 * track.*, gate.* and alert.* keys, whose defaults are the tracker's
 * defaults (one table, common/config.c, so the two cannot drift apart),
 * and clamped to what the tracker can do. */
#include <string.h>

#include "config.h"
#include "track_priv.h"

void
track_config_from(struct track_config *tc, const struct config *c, int gate, uint64_t id_base)
{
	memset(tc, 0, sizeof(*tc));
	tc->min_hits = (unsigned)c->track_min_hits;
	tc->max_missing_us = (uint64_t)c->track_max_missing_ms * 1000u;
	tc->tentative_missing_us = (uint64_t)c->track_tentative_missing_ms * 1000u;
	tc->iou_match = c->track_iou_match;
	tc->center_match = c->track_center_match;
	tc->consensus_n = (unsigned)c->track_consensus_n;
	tc->consensus_window = (unsigned)c->track_consensus_window;
	tc->consensus_min_score = c->track_consensus_min_score;
	tc->consensus_majority = c->track_consensus_majority;
	tc->stable_us = (uint64_t)c->track_stable_ms * 1000u;
	tc->recheck_us = (uint64_t)c->track_recheck_ms * 1000u;
	tc->recheck_box_change = c->track_recheck_box_change;
	tc->best_improve = c->track_best_improve;
	tc->missing_frames = c->track_missing_frames;
	tc->decide_score = c->track_decide_score;
	tc->vote_max_age_us = (uint64_t)c->track_vote_max_age_ms * 1000u;
	/* gate cameras decide and prompt; indoor ones alert */
	tc->prompt_us = gate ? (uint64_t)c->gate_face_prompt_ms * 1000u : 0;
	tc->timeout_us = gate ? (uint64_t)c->gate_face_timeout_ms * 1000u : 0;
	tc->face_min_px = c->gate_face_min_px;
	tc->timeout_settles = gate && (strcmp(c->gate_face_timeout_verdict, "PASS") == 0 ||
	    strcmp(c->gate_face_timeout_verdict, "DENY") == 0);
	tc->timeout_pass = strcmp(c->gate_face_timeout_verdict, "PASS") == 0;
	tc->new_on_change = gate;
	tc->alert_after_us = gate ? 0 : (uint64_t)c->alert_after_ms * 1000u;
	tc->alert_cooldown_us = (uint64_t)c->alert_track_cooldown_ms * 1000u;
	tc->camera_cooldown_us = (uint64_t)c->alert_camera_cooldown_ms * 1000u;
	tc->id_base = id_base;
}

void
track_config_default(struct track_config *tc)
{
	struct config c;

	config_defaults(&c);
	track_config_from(tc, &c, 0, 0);
}

/* track_config_unsigned - x, or lo/hi when it lies outside [lo, hi]. */
static unsigned
track_config_unsigned(unsigned x, unsigned lo, unsigned hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

void
track_config_clamp(struct track_config *c)
{
	if (c->min_hits < 1)
		c->min_hits = 1;
	c->consensus_n = track_config_unsigned(c->consensus_n, 1, TRACK_WINDOW_MAX);
	c->consensus_window = track_config_unsigned(c->consensus_window, c->consensus_n, TRACK_WINDOW_MAX);
	if (c->tentative_missing_us > c->max_missing_us)
		c->tentative_missing_us = c->max_missing_us;
}
