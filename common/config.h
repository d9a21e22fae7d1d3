/* config - the one configuration file all four programs read.
 *
 * Format: "key = value" lines; '#' starts a comment; blank lines ignored;
 * values may be "double quoted". Every key has a default (config_defaults),
 * so an empty or absent file is a working embedded setup. Unknown keys and
 * bad values are errors naming the file, line and key. Command-line flags
 * override the file through config_set(). docs/CONFIG.md lists every key;
 * config_dump() prints them all with their current values.
 *
 * State under dir: spool/ (see spool.h), gatewatch.db, run/dispatcher.sock,
 * run/notifier.sock, snapshots/<camera>/<track id>.jpg (best look per person)
 * and snapshots/<camera>/latest.jpg (the latest frame), log/<program>.log.
 *
 * Cameras are keys too: camera.<id>.token, camera.<id>.mode (gate|indoor),
 * camera.<id>.name. A camera exists once its token is set. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdio.h>
#include "util.h"

#define CONFIG_CAMERAS_MAX 64
#define CONFIG_PATH_SIZE 512
#define CONFIG_TOKEN_SIZE 128

enum config_mode { CONFIG_MODE_GATE, CONFIG_MODE_INDOOR };

struct config_camera {
	char id[CAMERA_ID_SIZE];
	char name[64];
	char token[CONFIG_TOKEN_SIZE];
	enum config_mode mode;
};

struct config {
	/* general */
	char dir[CONFIG_PATH_SIZE];        /* dir: state root (spool/, gatewatch.db, run/, log/, snapshots/) */
	char run_dir[CONFIG_PATH_SIZE];    /* run.dir: sockets; empty = DIR/run */
	char models_dir[CONFIG_PATH_SIZE]; /* models.dir: default compiled in (paths.h) */
	char nn_kernels[8];                /* nn.kernels: auto | stock (nn_set_kernels) */
	char www_dir[CONFIG_PATH_SIZE];    /* www.dir: default compiled in (paths.h) */
	char log_level[16];                /* log.level */

	/* network */
	char listen_address[64];           /* listen.address (ingest WS and notifier HTTP) */
	int ingest_port;                   /* ingest.port */
	int http_port;                     /* http.port */
	char tls_cert[CONFIG_PATH_SIZE];   /* tls.cert: PEM; empty = plain ws/http */
	char tls_key[CONFIG_PATH_SIZE];    /* tls.key */

	/* ingest */
	long ingest_max_bytes;             /* ingest.max_bytes: largest frame message */
	long ingest_max_pixels;            /* ingest.max_pixels: width*height limit */
	int ingest_threads;                /* ingest.threads: decode+detect pool */
	int ingest_max_inflight;           /* ingest.max_inflight: per connection; more -> busy */
	int ingest_hello_timeout_ms;       /* ingest.hello_timeout_ms: close a connection silent this long */
	int ingest_prehello_max;           /* ingest.prehello_max: connections without hello, in all */
	int ingest_prehello_per_address;   /* ingest.prehello_per_address: the same, per peer address */
	double motion_threshold;           /* ingest.motion_threshold: fraction of changed cells */
	int motion_recheck_ms;             /* ingest.motion_recheck_ms: run the detector at least this often */
	int person_input;                  /* ingest.person_input: NanoDet input size */
	double person_threshold;           /* ingest.person_threshold */
	double closeup_threshold;          /* ingest.closeup_threshold: the close-up fallback's faces */

	/* spool */
	int spool_max_frames;              /* spool.max_frames: per camera queue cap */
	long spool_max_bytes;              /* spool.max_bytes: per camera queue cap */
	long spool_min_free_mb;            /* spool.min_free_mb: disk floor */

	/* dispatcher */
	int worker_idle_ms;                /* dispatcher.worker_idle_ms */
	int worker_backoff_ms;             /* dispatcher.worker_backoff_ms: first restart delay */
	int worker_backoff_max_ms;         /* dispatcher.worker_backoff_max_ms */
	int worker_max_crashes;            /* dispatcher.max_crashes: per frame before it is moved aside */
	int gate_latest;                   /* dispatcher.gate_latest: a gate camera's worker gets the newest frame */

	/* worker */
	int face_input;                    /* worker.face_input: 320|416|608 */
	int body_input;                    /* worker.body_input: face search in person boxes */
	int frame_search;                  /* worker.frame_search: also search the whole frame */
	int frame_only_px;                 /* worker.frame_only_px: 0, or the head size the frame search suffices for */
	int tile_px;                       /* worker.tile_px: 0, or the head size searched four to a run */
	int tile_pair;                     /* worker.tile_pair: one or two tiles in a half-height run */
	int tile_large;                    /* worker.tile_large: 0, or the largest head region first tried in a tile */
	int box_hint;                      /* worker.box_hint: whole-box search only where the frame has a face */
	int face_verify;                   /* worker.face_verify: found faces checked by the face verifier */
	int frame_skip;                    /* worker.frame_skip: no whole-frame search when every box found a face */
	int frame_search_ms;               /* worker.frame_search_ms: whole-frame search when nobody needs a look */
	double face_threshold;             /* worker.face_threshold */
	double mask_threshold;             /* worker.mask_threshold: below -> "unsure" */
	double temp_limit;                 /* worker.temp_limit: degrees C, >= denies */

	/* notifier */
	int session_idle_s;                /* session.idle_s: an unused login session ends */
	int session_max_s;                 /* session.max_s: a login session ends whatever */
	int client_queue;                  /* notifier.client_queue: messages per WS client before drop */
	int snapshot_keep_days;            /* notifier.snapshot_keep_days */
	char metrics_listen[80];           /* metrics.listen: ADDRESS:PORT of /metrics; "" = off */
	char mqtt_url[CONFIG_PATH_SIZE];   /* mqtt.url: mqtt[s]://HOST[:PORT]; "" = off */
	char mqtt_user[CONFIG_TOKEN_SIZE]; /* mqtt.user */
	char mqtt_password[CONFIG_TOKEN_SIZE]; /* mqtt.password */
	char mqtt_topic_prefix[96];        /* mqtt.topic_prefix: "gatewatch/" */
	char mqtt_discovery_prefix[64];    /* mqtt.discovery_prefix: "homeassistant"; "" = none */
	char mqtt_ca_file[CONFIG_PATH_SIZE]; /* mqtt.ca_file */
	char webpush_subject[128];         /* webpush.subject: VAPID contact; "" = no Web Push */
	int camera_offline_after_ms;       /* camera.offline_after_ms: 0 = no offline alert */
	int worker_failing_count;          /* worker.failing_count: 0 = no worker_failing alert */
	int worker_failing_window_ms;      /* worker.failing_window_ms */
	int retention_days;                /* retention.days: database rows; 0 = keep */
	long log_max_bytes;                /* log.max_bytes: gatewatch up rotates past this */
	int log_keep;                      /* log.keep: rotated files per program */

	/* tracking (worker; docs/TRACKING.md) */
	int track_min_hits;                /* track.min_hits: matched frames before a person counts */
	int track_max_missing_ms;          /* track.max_missing_ms: end a person missing this long */
	int track_tentative_missing_ms;    /* track.tentative_missing_ms: drop an unconfirmed one */
	double track_iou_match;            /* track.iou_match */
	double track_center_match;         /* track.center_match */
	int track_consensus_n;             /* track.consensus_n */
	int track_consensus_window;        /* track.consensus_window: >= consensus_n, <= 16 */
	double track_consensus_min_score;  /* track.consensus_min_score */
	double track_consensus_majority;   /* track.consensus_majority */
	int track_stable_ms;               /* track.stable_ms: agreed this long -> stop classifying */
	int track_recheck_ms;              /* track.recheck_ms */
	double track_recheck_box_change;   /* track.recheck_box_change */
	double track_best_improve;         /* track.best_improve */
	double track_missing_frames;       /* track.missing_frames: forget after this many frame intervals, if longer */
	double track_decide_score;         /* track.decide_score: one look this sure decides */
	int track_vote_max_age_ms;         /* track.vote_max_age_ms: older votes do not count */

	/* gate cameras: people without a usable face (worker; docs/TRACKING.md) */
	int gate_face_prompt_ms;           /* gate.face_prompt_ms: prompt after this long (0 = never) */
	int gate_face_timeout_ms;          /* gate.face_timeout_ms: decide after this long (0 = never) */
	char gate_face_timeout_verdict[8]; /* gate.face_timeout_verdict: DENY, PASS or none */
	int gate_face_min_px;              /* gate.face_min_px: narrower faces are "too small" */

	/* indoor alerts (worker raises, notifier stores and delivers) */
	int alert_after_ms;                /* alert.after_ms: non-compliant this long -> alert */
	int alert_track_cooldown_ms;       /* alert.track_cooldown_ms */
	int alert_camera_cooldown_ms;      /* alert.camera_cooldown_ms */

	/* webhook (notifier; docs/TRACKING.md) */
	char webhook_url[CONFIG_PATH_SIZE];     /* webhook.url: http[s]://...; empty = off */
	char webhook_secret[CONFIG_TOKEN_SIZE]; /* webhook.secret: HMAC key; empty = unsigned */
	char webhook_ca_file[CONFIG_PATH_SIZE]; /* webhook.ca_file: empty = system CAs */
	int webhook_backoff_min_ms;        /* webhook.backoff_min_ms */
	int webhook_backoff_max_ms;        /* webhook.backoff_max_ms */
	int webhook_timeout_ms;            /* webhook.timeout_ms */
	int webhook_keep_days;             /* webhook.keep_days: 0 = keep delivered rows */

	int ncameras;
	struct config_camera cameras[CONFIG_CAMERAS_MAX];
};

/* config_defaults - fill every field with its default. */
void config_defaults(struct config *c);

/* config_load - read path over the current values. Returns 0, or a
 * negative errno (-ENOENT, -EACCES: the file; -EINVAL: its content) with a
 * message "file:line: ..." in err. A missing file is an error here; callers
 * that accept no file skip the call. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/* config_set - set one key from "key=value" text (the --set flag, and what
 * config_load calls per line). Returns 0, or -EINVAL with a message in err. */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);

/* config_check - cross-field checks after everything is set (ports in range,
 * tls.cert and tls.key both or neither, ...). Returns 0 or -EINVAL with err. */
int config_check(const struct config *c, char *err, size_t errlen);

/* config_camera - the camera with this id, or NULL. */
const struct config_camera *config_camera(const struct config *c, const char *id);

/* config_dump - write every key with its current value as a loadable file. */
void config_dump(const struct config *c, FILE *out);

/* config_args - the flags every gatewatch program accepts, applied in order
 * over the defaults:  -c FILE | --config FILE   (load a file)
 *                     --dir DIR                 (same as --set dir=DIR)
 *                     --set KEY=VALUE           (any key, repeatable)
 * Parsing stops at the first argument it does not know; *next gets its
 * index so the program can parse its own flags from there. Afterwards
 * relative dir/models.dir/www.dir are made absolute against the current
 * directory, config_check runs, and nn.kernels is applied to the networks
 * the program will load (nn_set_kernels). Returns 0, or a negative errno
 * with err set (the program prints it and exits 2 before any side effect).
 * The daemons parse through common/daemon.h instead (config_flag and
 * config_finish); the CLI's commands use this. */
int config_args(struct config *c, int argc, char **argv, int *next, char *err, size_t errlen);

/* config_flag - apply one config flag: flag "config" (load the file val),
 * "dir" (val is the state dir) or "set" (val is KEY=VALUE). Returns 0, or
 * -EINVAL with a message naming the flag or file:line in err. */
int config_flag(struct config *c, const char *flag, const char *val, char *err, size_t errlen);

/* config_finish - after the flags: relative dir, run.dir, models.dir and
 * www.dir made absolute against the cwd, config_check, nn.kernels applied
 * (nn_set_kernels). Returns 0, or -EINVAL with err set. */
int config_finish(struct config *c, char *err, size_t errlen);

/* config_path - build DIR/<rel> into out (e.g. "spool", "run/notifier.sock");
 * "run/..." goes under run.dir when that is set. Returns 0 or -ENAMETOOLONG. */
int config_path(const struct config *c, const char *rel, char *out, size_t outlen);

#endif
