/* msg - every message the four programs exchange, in one header.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET (listening sockets under DIR/run/, and
 * the dispatcher<->worker socketpair). One datagram = one message: a fixed
 * header followed by exactly one struct of the type's size. Decoding checks
 * magic, version and the exact size for the type; anything else is
 * -EPROTO and the receiver drops that connection (never the process).
 * A connecting side sends MSG_HELLO first (both ends of the dispatcher<->
 * worker pair do; a listening socket answers none, see common/link.c, the
 * one implementation of these links); MSG_VERSION is bumped on every
 * change to this file, so a stale binary is refused at hello, not misread
 * later.
 *
 * Frame bytes never cross a socket: the spool holds them, messages carry
 * (camera, frame id). Messages are hints, the spool is the truth.
 *
 * Flows:
 *   ingest     -> dispatcher  FRAME_READY            (run/dispatcher.sock)
 *   ingest     -> dispatcher  FRAME_EMPTY            (a frame ingest found nobody in: not
 *                                                     spooled; a hint, routed to the camera's
 *                                                     worker in frame id order with its frames)
 *   dispatcher -> worker      FRAME_EMPTY            (the same: the worker's tracker moves on
 *                                                     to that frame's time, ending who left)
 *   dispatcher -> worker      FRAME                  (socketpair; EOF = exit)
 *   worker     -> dispatcher  FRAME_DONE
 *   worker     -> notifier    RESULT                 (run/notifier.sock)
 *   notifier   -> worker      RESULT_ACK             (after the SQLite commit)
 *                             A RESULT carries the frame's analysis (for the
 *                             live view) and the track events it caused; the
 *                             database is written only for events. A RESULT
 *                             with MSG_RESULT_NOFRAME carries events that
 *                             time alone caused (a track ended while no frame
 *                             came): its frame id is a fresh frameid_next()
 *                             of the worker, acked the same way.
 *   worker     -> notifier    TAKEOVER               (once, after its hello: "give me my
 *                                                     camera's open people")
 *   notifier   -> worker      TRACK_STATE x N        (the answer: one per open track of the
 *                                                     camera, then one with track_id 0 = end)
 *   ingest     -> notifier    CAMERA_STATS           (once a second per camera)
 *   notifier   -> ingest      VERDICT                (gate messages for the camera's
 *                                                     connections: a person appeared, left,
 *                                                     is prompted, or got a verdict)
 *   ingest     -> notifier    GATE_SYNC              (a camera connection said hello, or
 *                                                     ingest's link came up: "what is open")
 *   notifier   -> ingest      VERDICT x N            (the answer: the camera's open people
 *                                                     again, replay=1, for that connection)
 *   dispatcher -> notifier    QUEUE_STATUS           (on change, and once a second)
 */
#ifndef GW_MSG_H
#define GW_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "frameid.h"
#include "histo.h"
#include "util.h"

#define MSG_MAGIC 0x31574d47u /* "GMW1" little-endian */
#define MSG_VERSION 8
#define MSG_SIZE_MAX 8192     /* header + largest body; receive buffers use this */

enum msg_type {
	MSG_HELLO = 1,
	MSG_FRAME_READY,
	MSG_FRAME,
	MSG_FRAME_DONE,
	MSG_RESULT,
	MSG_RESULT_ACK,
	MSG_VERDICT,
	MSG_CAMERA_STATS,
	MSG_QUEUE_STATUS,
	MSG_TAKEOVER,
	MSG_TRACK_STATE,
	MSG_GATE_SYNC,
	MSG_FRAME_EMPTY,
	MSG_TYPE_MAX
};

enum msg_role {
	MSG_ROLE_INGEST = 1,
	MSG_ROLE_DISPATCHER,
	MSG_ROLE_WORKER,
	MSG_ROLE_NOTIFIER,
	MSG_ROLE_CLI
};

struct msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len;      /* body bytes, must equal msg_body_size(type) */
	uint32_t reserved; /* 0 */
};

struct msg_hello {
	uint32_t role;                 /* enum msg_role */
	int32_t pid;
	char camera[CAMERA_ID_SIZE];   /* worker: its camera; others "" */
};

/* (camera, frame id): FRAME_READY, FRAME, RESULT_ACK */
struct msg_frame_ref {
	char camera[CAMERA_ID_SIZE];
	char frame_id[FRAMEID_SIZE];
};

/* FRAME: the dispatcher hands its worker a frame. skipped: the camera's
 * frames since the previous FRAME that nobody will analyse (a gate
 * camera's stale frames, dispatcher.gate_latest), so the worker's tracker
 * knows the camera's own frame interval: a missing look, not a gap. */
struct msg_frame {
	struct msg_frame_ref ref;
	uint32_t skipped;
	uint32_t reserved;             /* 0 */
};

/* FRAME_EMPTY: ingest looked at frame ref (received received_us, wall
 * clock) and found nobody, so it is not spooled; checked_us is when ingest
 * had decided (the time a spooled frame's commit stands for). The
 * camera's worker, if one runs, takes it as the frames' clock at
 * received_us with nobody in view: a person who left ends on time, not
 * when the next person's frame comes (docs/TRACKING.md). The dispatcher
 * hands it over in frame id order with the camera's frames and keeps only
 * the newest one waiting; with no worker it is dropped. */
struct msg_frame_empty {
	struct msg_frame_ref ref;
	int64_t received_us;
	int64_t checked_us;
};

struct msg_frame_done {
	struct msg_frame_ref ref;
	int32_t status;                /* 0 done (result committed), or -errno */
	char reason[96];               /* "" or why it failed (damaged image, ...) */
};

enum msg_mask {
	MSG_MASK_UNKNOWN = 0,          /* no face found, or not classified */
	MSG_MASK_ON,                   /* "mask_on" */
	MSG_MASK_OFF,                  /* "mask_off" */
	MSG_MASK_CHIN                  /* "mask_chin": worn below the nose */
};

enum msg_verdict_kind {
	MSG_VERDICT_NONE = 0,          /* nothing decided (no face visible) */
	MSG_VERDICT_PASS,
	MSG_VERDICT_DENY
};

enum msg_reason {
	MSG_REASON_NONE = 0,
	MSG_REASON_NO_MASK,
	MSG_REASON_MASK_CHIN,
	MSG_REASON_TEMPERATURE,
	MSG_REASON_NO_FACE,
	MSG_REASON_FACE_NOT_VISIBLE,   /* no usable face for gate.face_timeout_ms (or a prompt's reason) */
	MSG_REASON_FACE_TOO_SMALL,     /* a prompt's reason: the face is too small to judge */
	MSG_REASON_OVERRIDE,           /* a supervisor decided (override) */
	MSG_REASONS
};

/* Boxes are in pixels of the frame as sent; score 0 means "absent". */
struct msg_box {
	float x, y, w, h;
	float score;
};

#define MSG_PERSONS_MAX 16

struct msg_person {
	struct msg_box body;           /* from ingest's person detector; score 0 for a face-only photo */
	struct msg_box face;           /* score 0 if no face found */
	uint32_t mask;                 /* enum msg_mask */
	float mask_score;              /* probability of that class */
	float mask_probs[4];           /* indexed by enum msg_mask; [0] unused */
	int64_t track_id;              /* 0: not (yet) a confirmed track */
	uint32_t verdict;              /* enum msg_verdict_kind */
	uint32_t reason;               /* enum msg_reason */
};

enum msg_track_kind {
	MSG_TRACK_NEW = 1,             /* confirmed: seen in track.min_hits frames */
	MSG_TRACK_CHANGED,             /* settled verdict changed (the first settle too) */
	MSG_TRACK_ENDED,               /* missing for track.max_missing_ms, or worker exit */
	MSG_TRACK_ALERT,               /* indoor: non-compliant for alert.after_ms */
	MSG_TRACK_PROMPT,              /* gate: no usable face for gate.face_prompt_ms (prompt says why) */
	MSG_TRACK_OVERRIDE             /* a supervisor's verdict (notifier only, never from a worker) */
};

/* Event numbers from MSG_SEQ_NOTIFIER up are the notifier's own (overrides),
 * so they never collide with the worker's 1, 2, ... of the same track. */
#define MSG_SEQ_NOTIFIER 0x40000000u

/* One thing that changed about one person. (camera, track_id, seq) is the
 * idempotency key: a RESULT replayed after a crash stores nothing twice. */
struct msg_track_event {
	int64_t track_id;              /* unique per camera: the worker's start time in us + its local id */
	uint32_t kind;                 /* enum msg_track_kind */
	uint32_t seq;                  /* per track, from 1 */
	uint32_t verdict;              /* settled enum msg_verdict_kind after this event */
	uint32_t reason;               /* enum msg_reason */
	uint32_t mask;                 /* settled enum msg_mask */
	uint32_t decision;             /* 1: this is the track's gate decision (its first settle) */
	float mask_score;
	float temperature;             /* NAN if none */
	int64_t first_seen_us, last_seen_us;
	struct msg_box body, face;     /* latest */
	uint32_t looks, skipped;       /* classifications run / skipped on this track so far */
	uint32_t prompt;               /* PROMPT: enum msg_reason FACE_NOT_VISIBLE|FACE_TOO_SMALL */
	uint32_t frames;               /* frames the person was matched in so far */
	char snapshot[96];             /* best snapshot so far, relative to dir; "" if none */
};

#define MSG_EVENTS_MAX 16
#define MSG_RESULT_NOFRAME 1u      /* flags: events only, no frame behind it */

struct msg_result {
	struct msg_frame_ref ref;
	uint32_t flags;                /* MSG_RESULT_* */
	uint32_t nevents;
	struct msg_track_event events[MSG_EVENTS_MAX];
	int64_t received_us;           /* when ingest received the frame (frame id time) */
	int64_t analysed_us;           /* when the worker finished */
	uint32_t width, height;
	float temperature;             /* degrees C from the gate device; NAN if none */
	float analyse_ms;              /* worker time for this frame, inference included */
	char snapshot[96];             /* path relative to DIR, "" if none kept */
	uint32_t npersons;
	struct msg_person persons[MSG_PERSONS_MAX];
	/* this frame's network runs, one observation per run (histo_fast_s),
	 * for /metrics: the face detector (head regions, person boxes, the
	 * whole frame) and the mask classifier (one per face classified) */
	struct histo face_time, mask_time;
};

enum msg_gate_kind {
	MSG_GATE_VERDICT = 0,          /* the person's verdict (once; again only by override) */
	MSG_GATE_APPEARED,             /* a person is tracked, no verdict yet */
	MSG_GATE_LEFT,                 /* that person is gone */
	MSG_GATE_PROMPT                /* ask the person to show their face (reason says why) */
};

/* A gate message for the camera's connections (ingest turns it into JSON,
 * docs/ARCHITECTURE.md "Gate messages"). ref.frame_id is the frame that
 * caused it, or a fresh id for one that time or a supervisor caused. */
struct msg_verdict {
	struct msg_frame_ref ref;
	int64_t track_id;
	uint32_t verdict;              /* enum msg_verdict_kind */
	uint32_t reason;               /* enum msg_reason (a prompt's reason too) */
	float temperature;             /* NAN if none */
	uint32_t person;               /* index into the frame's persons */
	uint32_t kind;                 /* enum msg_gate_kind */
	uint32_t override;             /* 1: a supervisor's verdict */
	char by[64];                   /* override: who ("" otherwise) */
	char snapshot[96];             /* the person's best snapshot, relative to dir; "" if none */
	uint32_t replay;               /* 1: said before, sent again for GATE_SYNC (do not act twice) */
	uint32_t reserved;             /* 0 */
	uint64_t conn;                 /* ingest's connection that asked (GATE_SYNC), 0 = every one */
};

/* GATE_SYNC: ingest asks for the camera's open people, as gate messages
 * with replay=1 (a person appeared, then their prompt or verdict if any),
 * for connection conn (0: every connection of the camera). */
struct msg_gate_sync {
	char camera[CAMERA_ID_SIZE];
	uint64_t conn;
};

/* TAKEOVER: a worker asks for its camera's open people (body: its camera). */
struct msg_takeover {
	char camera[CAMERA_ID_SIZE];
};

/* TRACK_STATE: one open person of the camera as the database knows it, so
 * a new worker goes on where the last one stopped: same id, next seq, the
 * decision and alerts already made. track_id 0 ends the list. */
struct msg_track_state {
	char camera[CAMERA_ID_SIZE];
	int64_t track_id;              /* 0: end of the list */
	uint32_t seq;                  /* last event number the worker side used */
	uint32_t verdict, reason, mask;
	uint32_t decided;              /* the gate decision was made */
	uint32_t prompted;             /* a prompt was sent */
	uint32_t frames, looks, skipped;
	float mask_score, temperature; /* NAN if none */
	int64_t first_seen_us, last_seen_us;
	int64_t alert_us;              /* last alert raised, 0 = none */
	struct msg_box body, face;
	char snapshot[96];
};

struct msg_camera_stats {
	char camera[CAMERA_ID_SIZE];
	uint32_t connected;            /* open connections for this camera */
	uint32_t reserved;
	uint64_t frames_in, accepted, no_person, busy, rejected, motion_skipped;
	float fps_in;                  /* over the last few seconds */
	float detect_ms;               /* mean person-detector time, last second */
	/* every run since ingest started (histo_fast_s), for /metrics: the
	 * person detector, and the face detector of the close-up fallback */
	struct histo detect_time, face_time;
};

struct msg_queue_status {
	char camera[CAMERA_ID_SIZE];
	uint32_t depth;                /* frames queued, not counting the one in the worker */
	int32_t worker_pid;            /* 0 = no worker */
	uint64_t bytes;
	uint64_t done, failed;          /* frames analysed / moved to failed/ since the dispatcher started */
	uint64_t crashes;              /* worker exits of its own fault (a crash signal, a protocol
	                                * break, an exit status we did not ask for, a failed start) */
	uint64_t skipped;              /* frames removed unanalysed: a gate camera's stale frames
	                                * (dispatcher.gate_latest) */
};

/* A received message: header and the largest body, suitably aligned. */
struct msg {
	struct msg_hdr hdr;
	union {
		struct msg_hello hello;
		struct msg_frame_ref ref;
		struct msg_frame frame;
		struct msg_frame_empty empty;
		struct msg_frame_done done;
		struct msg_result result;
		struct msg_verdict verdict;
		struct msg_camera_stats camera_stats;
		struct msg_queue_status queue_status;
		struct msg_takeover takeover;
		struct msg_track_state track_state;
		struct msg_gate_sync gate_sync;
		unsigned char raw[MSG_SIZE_MAX - sizeof(struct msg_hdr)];
	} u;
};

/* msg_body_size - the exact body size for a type, 0 for an unknown type. */
size_t msg_body_size(unsigned type);

/* msg_type_name - "hello", "frame_ready", ...; "unknown" otherwise. */
const char *msg_type_name(unsigned type);

/* msg_header - fill h for a body of len bytes of type: magic, version,
 * type, length (the caller checks len against msg_body_size). */
void msg_header(struct msg_hdr *h, unsigned type, size_t len);

/* msg_send - send one message as one datagram, without blocking
 * (MSG_DONTWAIT|MSG_NOSIGNAL). len must equal msg_body_size(type).
 * Returns 0, -EAGAIN when the peer's buffer is full (caller retries later
 * or treats the hint as lost), or another -errno (connection gone). */
int msg_send(int fd, unsigned type, const void *body, size_t len);

/* msg_recv - receive one message into m. Returns 1 with m filled,
 * 0 on EOF, -EAGAIN if nothing is waiting (non-blocking fd), -EPROTO for a
 * bad magic, version, type or size (drop the connection), or -errno. */
int msg_recv(int fd, struct msg *m);

/* msg_listen - bind and listen on a SOCK_SEQPACKET path, replacing a stale
 * socket file; mode 0660. Returns the non-blocking fd or -errno. */
int msg_listen(const char *path);

/* msg_connect - connect to a listening path whose server runs as our user
 * or root (SO_PEERCRED). Returns the fd (blocking unless nonblock), -EPERM
 * for a server of another user, or -errno. */
int msg_connect(const char *path, int nonblock);

/* msg_peer_check - the process at the other end of a connected unix socket
 * (SO_PEERCRED): 0 with *pid set if it runs as our user or as root,
 * -EPERM (with *pid, *uid set) if not, -errno if the kernel cannot say.
 * pid or uid may be NULL. */
int msg_peer_check(int fd, int *pid, int *uid);

/* msg_hello - fill and send a hello. Returns as msg_send. */
int msg_hello(int fd, enum msg_role role, const char *camera);

/* Names used in JSON, the database and logs. */
const char *msg_mask_name(unsigned mask);       /* "unknown","mask_on","mask_off","mask_chin" */
const char *msg_verdict_name(unsigned verdict); /* "none","PASS","DENY" */
const char *msg_reason_name(unsigned reason);   /* "","no_mask","mask_chin","temperature","no_face",
                                                 * "face_not_visible","face_too_small","override" */
/* msg_reason_parse - the inverse; -1 for an unknown name. */
int msg_reason_parse(const char *s);

#endif
