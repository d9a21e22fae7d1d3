/* track_priv - the tracker's state, shared by its two halves and by no one
 * else: track.c follows boxes (association, track lifetimes), track_decide.c
 * turns looks into a settled mask state and the events that report it,
 * track_config.c fills and clamps the settings.
 * Users include track.h only. */
#ifndef GW_TRACK_PRIV_H
#define GW_TRACK_PRIV_H

#include "track.h"

#define TRACK_GAPS 8 /* frame gaps kept for the interval estimate */

struct track {
	int used;
	/* what track_info() tells: id, confirmed, box (the last matched),
	 * first_us/last_us (first and last match), frames (matched), looks,
	 * skipped, mask (the settled one) and settled_us (when it last
	 * changed), best_us, decided (the gate decision was made), timed_out
	 * (it was the timeout's), prompted (TRACK_PROMPT sent); stable is
	 * computed when asked */
	struct track_info info;
	double vx, vy;              /* centre velocity, pixels per second */
	uint64_t unseen_mark;       /* the tracker's unseen_us at the last match */
	uint64_t renewed_from;      /* the track whose place it took (new_on_change), 0 = none */
	int extra;                  /* its last box came from track_update_more: a face no
	                             * person box took, found again only when searched */
	uint64_t back_us;           /* the last match after an absence (track_match: missing
	                             * longer than missing_frames of the camera's frames);
	                             * 0 = never away */
	int back_gone;              /* that absence was longer than a tentative track is kept
	                             * (track_gap_away 2): time to leave and be replaced */
	uint64_t decided_us;        /* when its gate decision was made; 0 = not yet */
	uint64_t head_of;           /* a person box started over the head box of face-only
	                             * track head_of (the containment pass), tentative until
	                             * its first look at a face says whose body it is: head_of's
	                             * own (merged into it) or someone else's; 0 = none */
	uint64_t merged_from;       /* the tentative track whose box and look it took (its own
	                             * body, head_of); 0 = none */

	/* consensus: the last qualifying votes, oldest first */
	uint8_t votes[TRACK_WINDOW_MAX];
	float vote_score[TRACK_WINDOW_MAX];
	uint64_t vote_us[TRACK_WINDOW_MAX];
	unsigned nvotes;
	uint64_t agree_since_us;    /* votes agree with info.mask since then */
	int settle_unsent;          /* settled while tentative: CHANGED owed at confirm */
	enum track_prompt last_prompt; /* what the last look lacked */

	/* re-check bookkeeping */
	int looked;
	uint64_t look_us;
	struct track_box look_box;  /* the box at the last look */

	/* best snapshot */
	int has_best;
	double best_metric;

	/* indoor alerts */
	int bad;                    /* settled mask state is non-compliant */
	uint64_t bad_since_us;      /* ...since then */
	int alerted_episode;        /* alerted since bad_since_us */
	int has_alerted;
	uint64_t alert_us;
};

struct tracker {
	struct track_config c;
	struct track tracks[TRACK_MAX];
	uint64_t next_id;
	uint64_t now_us;            /* latest time seen; time never goes back */
	uint64_t last_frame_us;     /* last track_update with boxes; 0 = none yet */
	uint64_t gaps[TRACK_GAPS];  /* ring of recent frame gaps */
	unsigned ngaps, gap_next;
	unsigned skipped;           /* the camera's frames since last_frame_us nobody analysed */
	uint64_t first_gap;         /* during a track_update: this frame's gap while no interval is known */
	/* the camera's frame numbers (track_camera_frame): the last analysed
	 * frame's and the coming one's, 0 = not known */
	uint64_t seq_last, unlooked_last, seq_next, unlooked_next;
	int gap_noted;              /* during a track_update: the gap is in gaps[] already */
	uint64_t unseen_us;         /* the time of frames nobody looked at, summed since start */
	int cam_has_alerted;
	uint64_t cam_alert_us;
	struct track_stats st;
	struct track_event *ev;     /* owned; queue ev[ev_head..ev_len) */
	size_t ev_head, ev_len, ev_cap;
	int ev_lost;                /* an event could not be queued (ENOMEM) */
};

/* track_config.c */

/* track_config_clamp - bring out-of-range settings into range (see
 * track_new). */
void track_config_clamp(struct track_config *c);

/* track.c */

/* track_match - d is tr's box at now: move it, smoothing the velocity;
 * back_us if it was away (someone else may stand there now). */
void track_match(const struct tracker *t, struct track *tr, const struct track_box *d, uint64_t now);

/* track_contain_score - how well box d matches track tr (its box moved
 * to now: p) in the containment pass (a head box at the top middle of a
 * body box, one inside the other), higher is better; 0: no match. */
double track_contain_score(const struct tracker *t, const struct track *tr, const struct track_box *p,
    const struct track_box *d);

/* track_head.c */

/* track_head_of - the face-only track, unmatched this frame (matched[],
 * their boxes moved to now: pred[]), whose head box person box d holds
 * best as the containment pass would take it; 0 if none. */
uint64_t track_head_of(const struct tracker *t, const int *matched, const struct track_box *pred,
    const struct track_box *d);

/* track_head_merge - tr (head_of set) got a look at a face at now: when
 * that face is the face-only person's (head_of, not matched this frame:
 * their face was no face left over by the box's search), the box is
 * their body, and they take it and the look: tr is dropped (it was never
 * confirmed) and head_of's track is returned. Otherwise tr is someone
 * else, a person of their own from now (NULL). */
struct track *track_head_merge(struct tracker *t, struct track *tr, uint64_t now, const struct track_look *look);

/* track_head_keep - face-only tr is missing too long while a tentative
 * track naming it (head_of), seen since, has had no look at a face (a
 * body whose face is turned away): that is their body, as the
 * containment pass would have taken it; tr takes it (1), or 0 if none. */
int track_head_keep(struct tracker *t, struct track *tr);

/* track_slot - a free slot, zeroed and marked used; NULL when TRACK_MAX
 * tracks are live. */
struct track *track_slot(struct tracker *t);

/* track_find - the live track id, or NULL (also for id 0). */
struct track *track_find(struct tracker *t, uint64_t id);

/* track_clock - now_us, or the latest time seen if that is later; the
 * tracker's time becomes the result. */
uint64_t track_clock(struct tracker *t, uint64_t now_us);

/* track_gap.c */

/* track_gap_begin - a frame of n boxes at now (n = 0: an idle tick, which
 * changes nothing here), before the tracks missing too long are ended:
 * when frame numbers say what the gap since the last frame spans, its
 * interval is noted and the time of its frames nobody looked at added to
 * unseen_us; otherwise, while no interval is known, first_gap is set. */
void track_gap_begin(struct tracker *t, uint64_t now, size_t n);

/* track_gap_end - after the end check: the frame is the last one now (its
 * gap noted if track_gap_begin did not), counted in the statistics. */
void track_gap_end(struct tracker *t, uint64_t now, size_t n);

/* track_gap_missing_us - how long tr has been missing at now, less the
 * time of the camera's frames nobody looked at since its last match. */
uint64_t track_gap_missing_us(const struct tracker *t, const struct track *tr, uint64_t now);

/* track_gap_away - tr, matched again at now, was away: missing (as
 * track_gap_missing_us counts it: frames looked at without them, not
 * frames nobody looked at) longer than missing_frames of the camera's
 * frame intervals, so more than a detector's missed frame or two (1), and
 * also longer than a tentative track is kept (tentative_missing_us, or
 * missing_frames intervals when longer: 1 s at 5 fps), the time in which
 * the tracker takes a person it saw as gone (2); 0 if not away. */
int track_gap_away(const struct tracker *t, const struct track *tr, uint64_t now);

/* track_decide.c */

/* track_decide_emit - queue an event about tr at the tracker's time; on
 * ENOMEM the event is lost and t->ev_lost is set. */
void track_decide_emit(struct tracker *t, enum track_event_type type, const struct track *tr,
    enum track_mask previous, int first_settle);

/* track_decide_lost - -ENOMEM once if an event was lost since the last
 * call, else 0. */
int track_decide_lost(struct tracker *t);

/* track_decide_confirm - tr is a person now: TRACK_NEW, and the CHANGED
 * owed by a settle while it was tentative. */
void track_decide_confirm(struct tracker *t, struct track *tr);

/* track_decide_stable - tr's looks have agreed with its settled mask state
 * for stable_us: it need not be classified. */
int track_decide_stable(const struct tracker *t, const struct track *tr, uint64_t now);

/* track_decide_due - raise what falls due with time alone for tr: the
 * indoor alert, the gate's prompt and timeout. */
void track_decide_due(struct tracker *t, struct track *tr, uint64_t now);

/* track_decide_left - gate: tr has left without a decision (missing too
 * long): decided now, before its TRACK_ENDED (see track_decide_timeout),
 * so every confirmed person gets one. Nothing when timeout_us is 0 (the
 * gate waits for a face for ever) or tr was decided. */
void track_decide_left(struct tracker *t, struct track *tr, uint64_t now);

/* track_decide_noncompliant - v is not a mask worn properly. */
int track_decide_noncompliant(enum track_mask v);

#endif
