/* track - follow one camera's people across frames, settle one mask state per
 * person from several looks, and say when a person needs looking at again.
 *
 * Pure and deterministic: no I/O, no logging, no clock. The caller (the
 * worker, one tracker per camera) passes the time in microseconds with every
 * call and the tracker only ever compares those times. Not thread-safe: one
 * tracker is used by one thread.
 *
 * The frame loop of a worker, in order:
 *   track_update(t, now, boxes, n, assign)      person boxes of this frame
 *   for each box i with assign[i].classify:      run face + mask nets on it
 *       flags = track_classify(t, assign[i].id, now, &look)
 *       if (flags & TRACK_LOOK_BEST) save the face crop as the snapshot
 *   while (track_next_event(t, &ev)) send ev to the notifier
 * and on an idle timer (no frame for a while) track_update(t, now, NULL, 0),
 * so that people who left are ended; track_end_all() before exiting.
 * docs/TRACKING.md explains the rules and the configuration keys. */
#ifndef GW_TRACK_H
#define GW_TRACK_H

#include <stddef.h>
#include <stdint.h>

#define TRACK_MAX 64      /* live tracks per camera; more boxes get id 0 */
#define TRACK_WINDOW_MAX 16

struct tracker; /* opaque: one per camera */

/* What a look at a person's face said. Only MASK_ON is compliant. */
enum track_mask {
	TRACK_MASK_UNKNOWN = 0, /* no face found, or not settled yet */
	TRACK_MASK_ON,
	TRACK_MASK_OFF,
	TRACK_MASK_CHIN,   /* mask below the nose */
	TRACK_MASKS
};

/* A box in frame pixels, top-left corner plus size. */
struct track_box {
	float x, y, w, h;
};

struct track_config {
	unsigned min_hits;          /* matched frames before a track is confirmed (2); a
	                             * track with a vote (a confident look) is confirmed at once */
	uint64_t max_missing_us;    /* end a confirmed track missing this long (3 s)... */
	uint64_t tentative_missing_us; /* drop a tentative track missing this long (1 s)... */
	double missing_frames;      /* ...or this many of the camera's frame intervals, if
	                             * longer (2.5): slow cameras forget by frames, not ms */
	double iou_match;           /* IoU with the predicted box to match (0.3) */
	double center_match;        /* fallback: centre distance / track size (0.75) */
	unsigned consensus_n;       /* votes for the winning class to settle (2) */
	double decide_score;        /* first settle from one vote this confident (0.97; >1 = never) */
	uint64_t vote_max_age_us;   /* votes older than this do not count (10 s) */
	unsigned consensus_window;  /* last qualifying votes considered (5, >= n) */
	double consensus_min_score; /* a look votes only with score >= this (0.6) */
	double consensus_majority;  /* winner's share of the window (0.6) */
	uint64_t stable_us;         /* votes agreed this long -> stop classifying (3 s) */
	uint64_t recheck_us;        /* ...but look again after this long (5 s) */
	double recheck_box_change;  /* ...or when the box moved/resized this much (0.5) */
	double best_improve;        /* new best snapshot when better by this share (0.1) */
	uint64_t alert_after_us;    /* indoor: non-compliant this long -> alert; 0 = never (10 s) */
	uint64_t alert_cooldown_us; /* per track, between alerts (60 s) */
	uint64_t camera_cooldown_us; /* per camera, between alerts (10 s) */
	uint64_t prompt_us;         /* gate: no vote this long after first seen -> TRACK_PROMPT (0 = off) */
	uint64_t timeout_us;        /* gate: nothing settled this long -> TRACK_TIMEOUT, and a
	                             * person who leaves undecided is decided (0 = off) */
	double face_min_px;         /* a found face narrower than this is "too small" (prompt reason) */
	int timeout_settles;        /* gate: a person the timeout decided (no face) needs no look until
	                             * the re-look or a box change, as one decided on a mask state
	                             * (1 unless gate.face_timeout_verdict is none: keep waiting) */
	int timeout_pass;           /* gate: the timeout's verdict (timeout_settles) is a PASS
	                             * (gate.face_timeout_verdict PASS), else a DENY */
	int new_on_change;          /* gate: a decided person whose looks settle on a mask state with
	                             * the other verdict (a timeout's decision: the timeout's verdict)
	                             * is a new person (ENDED, NEW, its own decision), not a CHANGED
	                             * the gate never shows */
	uint64_t id_base;           /* ids are id_base+1, id_base+2, ... (0); pass the
	                             * start time so ids stay unique across restarts */
};

/* Per box of a track_update() call. */
struct track_assign {
	uint64_t id;      /* the track this box belongs to; 0 if no room (TRACK_MAX) */
	int confirmed;    /* the track has been seen min_hits times */
	int classify;     /* run the face and mask nets on this box now */
	int reason;       /* why classify: enum track_reason */
};

enum track_reason {
	TRACK_REASON_NONE = 0,   /* not classified: stable */
	TRACK_REASON_UNSETTLED,  /* no settled mask state yet, or votes disagree lately */
	TRACK_REASON_RECHECK,    /* stable, but recheck_us passed since the last look */
	TRACK_REASON_BOX,        /* stable, but the box changed a lot since the last look */
	TRACK_REASON_BACK,       /* stable, but back after an absence: maybe someone else */
};

/* One look at a person, fed with track_classify(). */
struct track_look {
	enum track_mask mask;    /* UNKNOWN if no face was found */
	float score;                /* the mask classifier's score for mask */
	int has_face;
	struct track_box face;      /* in frame pixels, when has_face */
	float face_quality;         /* 0..1, how frontal/sharp (e.g. detector score) */
};

/* Why a person is prompted (TRACK_PROMPT's prompt). */
enum track_prompt {
	TRACK_PROMPT_NONE = 0,
	TRACK_PROMPT_FACE_NOT_VISIBLE, /* no face found in the last look */
	TRACK_PROMPT_FACE_TOO_SMALL,   /* a face, narrower than face_min_px, and no vote */
};

#define TRACK_LOOK_BEST 1 /* track_classify: this look is the new best snapshot */
#define TRACK_LOOK_RENEWED 2 /* track_classify: this look made a new person of the track
                              * (new_on_change), or went to the face-only person whose own
                              * body the track's box was (dropped, never confirmed):
                              * track_renewed() names the track it went to; BEST is theirs */

enum track_event_type {
	TRACK_NEW = 1,  /* a track was confirmed */
	TRACK_CHANGED,  /* its settled mask state changed; first_settle on the first one */
	TRACK_ENDED,    /* it left (missing too long) or track_end_all() */
	TRACK_ALERT,    /* indoor: non-compliant for alert_after_us */
	TRACK_PROMPT,   /* gate: no usable face for prompt_us (once per track) */
	TRACK_TIMEOUT,  /* gate: nothing settled for timeout_us, or the person left
	                 * undecided (before its ENDED): the caller decides (once) */
};

struct track_event {
	enum track_event_type type;
	uint64_t id;
	uint64_t at_us;              /* the time of the call that produced it */
	enum track_mask mask;     /* settled mask state now (UNKNOWN if none) */
	enum track_mask previous; /* CHANGED: the one before */
	int first_settle;            /* CHANGED: this is the gate decision (once per track) */
	float score;                 /* mean score of the winning votes in the window */
	struct track_box box;        /* last matched box */
	uint64_t first_us, last_us;  /* first and last time the track was matched */
	uint64_t best_us;            /* time of the best snapshot's look; 0 = none yet */
	uint64_t bad_since_us;       /* ALERT: non-compliant since */
	uint32_t frames;             /* frames the track was matched in */
	uint32_t looks;              /* looks fed (classifications run) */
	uint32_t skipped;            /* frames not classified because stable */
	enum track_prompt prompt;    /* PROMPT: why */
	uint64_t renewed_from;       /* NEW: the track whose place this person took (new_on_change,
	                              * that track's ENDED follows this person's decision); 0 = none */
};

/* A person taken over from an earlier tracker of the camera (a worker that
 * crashed or exited): track_adopt() makes it a confirmed track with its
 * id, decision and alert state, so it is neither counted nor decided again. */
struct track_adopt {
	uint64_t id;
	struct track_box box;        /* last box */
	uint64_t first_us, last_us;
	enum track_mask mask;     /* settled, UNKNOWN if none */
	float score;
	int decided;                 /* the gate decision was made (or timed out) */
	int prompted;
	uint64_t alert_us;           /* last alert raised, 0 = none */
	uint32_t frames, looks, skipped;
};

/* Totals for the camera since track_new(). */
struct track_stats {
	uint64_t frames;          /* track_update calls with n > 0 */
	uint64_t boxes;
	uint64_t classify_asked;  /* boxes with classify = 1 */
	uint64_t classify_skipped;/* boxes with classify = 0 (stable, or no room) */
	uint64_t looks;           /* track_classify calls accepted */
	uint64_t created, confirmed, ended, alerts;
	uint64_t no_room;         /* boxes dropped because TRACK_MAX tracks were live */
	unsigned live;            /* tracks now, tentative included */
	uint64_t now_us;          /* the tracker's time: the latest it was given, 0 = none yet */
};

/* A copy of one track's state, for tests and status pages. */
struct track_info {
	uint64_t id;
	int confirmed;
	int stable;
	enum track_mask mask;
	struct track_box box;
	uint64_t first_us, last_us, settled_us, best_us;
	uint32_t frames, looks, skipped;
	int decided, timed_out, prompted;
};

struct config;

/* track_config_default - fill c with the defaults above: those of the
 * configuration keys (config_defaults) for an indoor camera. */
void track_config_default(struct track_config *c);

/* track_config_from - fill tc from the configuration's track.*, gate.*
 * and alert.* keys: a gate camera prompts and times out (prompt_us,
 * timeout_us), an indoor camera alerts (alert_after_us). */
void track_config_from(struct track_config *tc, const struct config *c, int gate, uint64_t id_base);

/* track_new - a tracker for one camera; the config is copied, out-of-range
 * values are clamped (consensus_window to [consensus_n, TRACK_WINDOW_MAX],
 * min_hits >= 1). NULL config = defaults. Returns NULL only on ENOMEM. */
struct tracker *track_new(const struct track_config *c);

/* track_free - release t (NULL is fine); pending events are dropped. */
void track_free(struct tracker *t);

/* track_update - one frame's person boxes at now_us. Ends tracks missing too
 * long, matches boxes to tracks (greedy on IoU with each track's box moved by
 * its velocity, then on centre distance), starts tentative tracks for the
 * rest, confirms tracks after min_hits, raises due alerts. assign[i] is
 * filled for boxes[i] (assign may be NULL when n is 0). A time earlier than
 * the last call is taken as the last call's time. Returns 0, or -ENOMEM
 * (events could not be queued; the tracks are updated anyway). */
int track_update(struct tracker *t, uint64_t now_us, const struct track_box *boxes,
    size_t n, struct track_assign *assign);

/* track_classify - feed one look at track id. Returns TRACK_LOOK_BEST or 0,
 * or -ENOENT if no live track has that id, -EINVAL if look is bad. A look
 * with a known mask state and score >= consensus_min_score is a vote; the
 * settled mask state changes only when the consensus over the last votes says
 * so, never on one odd look. */
int track_classify(struct tracker *t, uint64_t id, uint64_t now_us, const struct track_look *look);

/* track_update_more - more boxes of the frame of the last track_update:
 * people the face search found in no person box (the worker searches after
 * track_update said whose box needs a look). They are matched only to the
 * tracks that frame left unmatched, the rest start tentative tracks; the
 * frame is not counted again. assign as for track_update. Returns 0 or
 * -ENOMEM. */
int track_update_more(struct tracker *t, const struct track_box *boxes, size_t n,
    struct track_assign *assign);

/* track_renewed - the live track that took the place of track id at a
 * look, or took its box as its own body (TRACK_LOOK_RENEWED), or 0. */
uint64_t track_renewed(const struct tracker *t, uint64_t id);

/* track_adopt - add a person taken over (see struct track_adopt). Returns
 * 0, -EEXIST if the id is live, -ENOSPC when TRACK_MAX tracks are live,
 * -EINVAL for id 0. Emits nothing. */
int track_adopt(struct tracker *t, const struct track_adopt *a);

/* track_skipped - the camera sent n frames since the last update that
 * nobody will analyse (a gate camera's stale frames): the next frame's gap
 * spans n + 1 of its frame intervals. A skipped frame is a missing look,
 * never a reason to keep a person who left. */
void track_skipped(struct tracker *t, unsigned n);

/* track_camera_frame - the next frame's number at ingest (seq, 1 or more:
 * frames received from the camera since ingest started) and how many of
 * those frames ingest never looked at (unlooked: answered busy or
 * rejected), from the spool metadata; call before that frame's
 * track_update. The frames between two analysed frames that nobody looked
 * at (these, and track_skipped's) do not count as a person missing; those
 * ingest looked at and found empty do. A frame without a number (seq 0,
 * or lower than the last: ingest restarted) judges its gap as before. */
void track_camera_frame(struct tracker *t, uint64_t seq, uint64_t unlooked);

/* track_frame_interval_us - the camera's typical frame interval lately
 * (lower median of the last gaps between frames, gaps over 10 s ignored), 0 if
 * not known yet. */
uint64_t track_frame_interval_us(const struct tracker *t);

/* track_next_event - pop the oldest pending event into ev; returns 1, or 0
 * when there is none. */
int track_next_event(struct tracker *t, struct track_event *ev);

/* track_end_all - end every track now (worker exiting), queuing TRACK_ENDED
 * for the confirmed ones. Returns 0 or -ENOMEM. */
int track_end_all(struct tracker *t, uint64_t now_us);

/* track_info - copy the live track id into out; 0, or -ENOENT. */
int track_info(const struct tracker *t, uint64_t id, struct track_info *out);

/* track_stats - copy the camera's totals into out. */
void track_stats(const struct tracker *t, struct track_stats *out);

/* track_mask_name - "unknown", "mask_on", "mask_off", "mask_chin". */
const char *track_mask_name(enum track_mask v);

/* track_mask_parse - the inverse; returns -1 for an unknown name. */
int track_mask_parse(const char *s);

/* track_event_name - "new", "changed", "ended", "alert", "prompt", "timeout". */
const char *track_event_name(enum track_event_type e);

#endif
