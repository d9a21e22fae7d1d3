/* config - the one configuration file all four programs read, and the
 * flags that override it. One table below names every key, its type,
 * range, default and meaning: config_defaults, config_set, config_dump and
 * docs/CONFIG.md all follow it, so a key cannot exist in one place and not
 * the others. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_priv.h"
#include "log.h"
#include "nn.h"
#include "paths.h"

#define F(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)

static const struct config_key config_keys[] = {
	{ "dir", CT_STR, F(dir), 0, 0, paths_state_dir, "state root: spool/, gatewatch.db, run/, log/, snapshots/" },
	{ "run.dir", CT_STR, F(run_dir), 0, 0, "", "sockets (notifier.sock, dispatcher.sock); empty = DIR/run" },
	{ "models.dir", CT_STR, F(models_dir), 0, 0, paths_models_dir, "folder with face/person/mask .cfg and .weights" },
	{ "nn.kernels", CT_STR, F(nn_kernels), 0, 0, "auto", "network forward: auto = gatewatch's kernels at the CPU's best (AMX bf16 tiles for the convolutions where the CPU and kernel allow, else AVX-512, else AVX2+FMA, else darknet's), amx = the same but says in the ready line why AMX was refused, avx512 = gatewatch's fp32 AVX-512 kernels, avx2 = gatewatch's AVX2 kernels even on an AVX-512 CPU, stock = darknet's own" },
	{ "www.dir", CT_STR, F(www_dir), 0, 0, paths_www_dir, "static files the notifier serves" },
	{ "log.level", CT_LEVEL, F(log_level), 0, 0, "info", "lowest level logged: debug, info, warn, error" },
	{ "listen.address", CT_STR, F(listen_address), 0, 0, "127.0.0.1", "address ingest and the notifier listen on, exactly (IPv4 or IPv6 literal, host name, or * for all)" },
	{ "ingest.port", CT_INT, F(ingest_port), 1, 65535, "8080", "ingest WebSocket port (cameras connect here)" },
	{ "http.port", CT_INT, F(http_port), 1, 65535, "8081", "notifier HTTP and WebSocket port (dashboards, API)" },
	{ "tls.cert", CT_STR, F(tls_cert), 0, 0, "", "PEM certificate; empty = plain ws/http; set with tls.key (then http:// to http.port gets a 301 to the same path over https://; ws:// is refused)" },
	{ "tls.key", CT_STR, F(tls_key), 0, 0, "", "PEM private key for tls.cert" },
	{ "ingest.max_bytes", CT_BYTES, F(ingest_max_bytes), 1024, 1073741824.0, "4194304", "largest frame message accepted, bytes (k/M/G suffix allowed)" },
	{ "ingest.max_pixels", CT_LONG, F(ingest_max_pixels), 1, 268435456.0, "16777216", "largest width*height accepted" },
	{ "ingest.threads", CT_INT, F(ingest_threads), 1, 64, "2", "decode and person-detector threads" },
	{ "ingest.max_inflight", CT_INT, F(ingest_max_inflight), 1, 1024, "4", "frames per connection being analysed; more are answered busy" },
	{ "ingest.hello_timeout_ms", CT_INT, F(ingest_hello_timeout_ms), 100, 600000, "5000", "a camera connection that has not said hello this long is closed" },
	{ "ingest.prehello_max", CT_INT, F(ingest_prehello_max), 1, 100000, "64", "connections without hello, all addresses together; more are closed" },
	{ "ingest.prehello_per_address", CT_INT, F(ingest_prehello_per_address), 1, 100000, "8", "connections without hello from one address; more are closed" },
	{ "ingest.motion_threshold", CT_DOUBLE, F(motion_threshold), 0, 1, "0.01", "fraction of changed cells that counts as motion (0 = always run the detector)" },
	{ "ingest.motion_recheck_ms", CT_INT, F(motion_recheck_ms), 0, 3600000, "2000", "run the person detector at least this often even without motion (until then a frame without motion keeps the last run's outcome: nobody, or the same person boxes)" },
	{ "ingest.person_input", CT_INT, F(person_input), 128, 1024, "416", "person detector input size (multiple of 32)" },
	{ "ingest.person_threshold", CT_DOUBLE, F(person_threshold), 0, 1, "0.35", "person detector score threshold" },
	{ "ingest.closeup_threshold", CT_DOUBLE, F(closeup_threshold), 0, 1, "0.6", "face detector score threshold of the close-up fallback (a frame where the person detector finds nobody: its faces become person boxes); chosen with gatewatch eval on the train split (docs/MODELS.md, round 9)" },
	{ "spool.max_frames", CT_INT, F(spool_max_frames), 1, 1000000, "300", "per camera queue cap, frames (queued + active); newest refused as busy" },
	{ "spool.max_bytes", CT_BYTES, F(spool_max_bytes), 1024, 1099511627776.0, "268435456", "per camera queue cap, bytes (k/M/G suffix allowed)" },
	{ "spool.min_free_mb", CT_LONG, F(spool_min_free_mb), 0, 1048576, "200", "free disk floor, MiB; below it ingest refuses frames" },
	{ "dispatcher.worker_idle_ms", CT_INT, F(worker_idle_ms), 0, 86400000, "30000", "a worker with nothing to do this long is told to exit" },
	{ "dispatcher.worker_backoff_ms", CT_INT, F(worker_backoff_ms), 0, 600000, "250", "first restart delay after a worker dies" },
	{ "dispatcher.worker_backoff_max_ms", CT_INT, F(worker_backoff_max_ms), 0, 3600000, "10000", "restart delay cap (the delay doubles per death)" },
	{ "dispatcher.gate_latest", CT_INT, F(gate_latest), 0, 1, "1", "1: a gate camera's worker gets the newest waiting frame and the older ones are skipped (removed unanalysed, counted), so the gate never runs behind the camera; 0: every frame in order" },
	{ "dispatcher.max_crashes", CT_INT, F(worker_max_crashes), 1, 100, "2", "worker deaths on one frame before it is moved to failed/" },
	{ "worker.face_input", CT_INT, F(face_input), 128, 1024, "360", "face detector input size for whole frames (multiple of 8; 360: the size it was trained at)" },
	{ "worker.frame_search", CT_INT, F(frame_search), 0, 1, "1", "1: beside each person box, search the whole frame once (worker.face_input) for faces in no person box; 0: person boxes only (docs/MODELS.md)" },
	{ "worker.frame_search_ms", CT_INT, F(frame_search_ms), 0, 3600000, "1000", "with worker.frame_search 1: while nobody in view needs a look (every person's mask state settled, no re-look due), the whole frame is still searched this often for faces in no person box; 0: every frame (docs/MODELS.md)" },
	{ "worker.frame_only_px", CT_INT, F(frame_only_px), 0, 4096, "0", "0: every person box is searched; N (with worker.frame_search 1): a person box is not searched when a face of the whole-frame search fills its head region, or that region is at least N px wide and high in the whole-frame search's input (4096: the first rule only); faster, finds fewer faces (docs/MODELS.md)" },
	{ "worker.tile_px", CT_INT, F(tile_px), 0, 4096, "120", "0: each person box's head region is searched on its own run (worker.body_input); N: head regions (and whole boxes) at most N px wide and high in the frame are searched four to a run, each in a quarter of the input: fewer runs (docs/MODELS.md)" },
	{ "worker.tile_pair", CT_INT, F(tile_pair), 0, 1, "1", "1 (with worker.tile_px): one or two head regions waiting are searched side by side in a half-height input (worker.body_input x worker.body_input / 2: half a run) instead of a quarter each of a square one (docs/MODELS.md)" },
	{ "worker.tile_large", CT_INT, F(tile_large), 0, 4096, "0", "0: a head region larger than worker.tile_px is searched alone (worker.body_input); N (with worker.tile_px): one of at most N px wide and high is searched first scaled down into a tile like the small ones, and alone only when the tile shows no face there or misses one the whole-frame search holds: 12-15% fewer detector runs, the same faces, but the mask call changes on a few faces (box from a smaller scale; docs/MODELS.md, round 8)" },
	{ "worker.box_hint", CT_INT, F(box_hint), 0, 1, "1", "1: a person box whose head region shows no face is searched whole only when the whole-frame search (run first, worker.frame_search) holds a face there at score 0.3 or more, and keeps of that search's faces only those the whole frame scores 0.6 or more; 0: always, every face kept (docs/MODELS.md, round 8, \"Where the false faces are\")" },
	{ "worker.face_verify", CT_INT, F(face_verify), 0, 1, "0", "1: every found face is checked by the face verifier (models.dir's verify.cfg/.weights/.threshold, a small head on the mask classifier's own features of the face) and dropped when it does not take it for a face, before faces are given to people; 0: every face the detector finds is kept (docs/MODELS.md, round 10, \"A check that a found face is a face\")" },
	{ "worker.frame_skip", CT_INT, F(frame_skip), 0, 1, "0", "1 (with worker.frame_search 1, worker.frame_only_px 0): the whole-frame search runs after the person-box searches and is left out when every box searched found a face (the worker's timed search, worker.frame_search_ms, still runs); off: it loses the faces in no person box (docs/MODELS.md)" },
	{ "worker.body_input", CT_INT, F(body_input), 128, 1024, "360", "face detector input size for each person box's head region (multiple of 8); smaller is faster but splits large faces in two (docs/MODELS.md)" },
	{ "worker.face_threshold", CT_DOUBLE, F(face_threshold), 0, 1, "0.7", "face detector score threshold of the worker's face search; chosen with gatewatch eval on the train split (models/trained/vision.fit, docs/MODELS.md)" },
	{ "worker.mask_threshold", CT_DOUBLE, F(mask_threshold), 0, 1, "0", "extra floor on the mask class probability, on top of the model's per-class thresholds (mask.thresholds): below it the mask state is unknown" },
	{ "worker.temp_limit", CT_DOUBLE, F(temp_limit), 30, 45, "37.8", "body temperature, degrees C, at or above which a person is denied" },
	{ "notifier.client_queue", CT_INT, F(client_queue), 1, 1000000, "256", "messages queued per WebSocket client before it is dropped" },
	{ "camera.offline_after_ms", CT_INT, F(camera_offline_after_ms), 0, 86400000, "60000", "a camera that streamed and then sent nothing this long raises a camera_offline alert, cleared when it returns (0 = never)" },
	{ "worker.failing_count", CT_INT, F(worker_failing_count), 0, 1000, "3", "this many worker failures of one camera (a worker crash, or a frame moved to failed/) within worker.failing_window_ms raise a worker_failing alert (0 = never)" },
	{ "worker.failing_window_ms", CT_INT, F(worker_failing_window_ms), 1000, 86400000, "600000", "the window of worker.failing_count; the alert closes once the camera's worker analysed a frame and nothing failed for this long" },
	{ "metrics.listen", CT_STR, F(metrics_listen), 0, 0, "127.0.0.1:9469", "ADDRESS:PORT of the notifier's Prometheus /metrics listener; empty = off" },
	{ "mqtt.url", CT_STR, F(mqtt_url), 0, 0, "", "MQTT broker, mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; empty = no MQTT" },
	{ "mqtt.user", CT_STR, F(mqtt_user), 0, 0, "", "MQTT user name; empty = anonymous" },
	{ "mqtt.password", CT_STR, F(mqtt_password), 0, 0, "", "MQTT password for mqtt.user" },
	{ "mqtt.topic_prefix", CT_STR, F(mqtt_topic_prefix), 0, 0, "gatewatch/", "prefix of every gatewatch topic (docs/MQTT.md)" },
	{ "mqtt.discovery_prefix", CT_STR, F(mqtt_discovery_prefix), 0, 0, "homeassistant", "Home Assistant discovery prefix; empty = no discovery" },
	{ "mqtt.ca_file", CT_STR, F(mqtt_ca_file), 0, 0, "", "PEM bundle trusted for mqtts://; empty = system CAs" },
	{ "webpush.subject", CT_STR, F(webpush_subject), 0, 0, "mailto:gatewatch@localhost", "VAPID contact (mailto: or https: URL) push services see; empty = no Web Push" },
	{ "retention.days", CT_INT, F(retention_days), 0, 36500, "90", "people, their events, acknowledged alerts older than this many days are deleted (0 = keep everything)" },
	{ "log.max_bytes", CT_BYTES, F(log_max_bytes), 0, 1099511627776.0, "10485760", "gatewatch up: a program's log file is rotated when it grows past this (0 = never)" },
	{ "log.keep", CT_INT, F(log_keep), 1, 100, "5", "gatewatch up: rotated log files kept per program (<program>.log.1 is the newest)" },
	{ "session.idle_s", CT_INT, F(session_idle_s), 2, 31536000, "28800", "a login session unused this long ends (each use renews it)" },
	{ "session.max_s", CT_INT, F(session_max_s), 2, 31536000, "604800", "a login session ends this long after the login, however used" },
	{ "notifier.snapshot_keep_days", CT_INT, F(snapshot_keep_days), 0, 3650, "7", "days snapshot images are kept (0 = no snapshots)" },
	{ "track.min_hits", CT_INT, F(track_min_hits), 1, 100, "2", "frames a person must be matched in before it counts (a track is confirmed)" },
	{ "track.max_missing_ms", CT_INT, F(track_max_missing_ms), 1, 3600000, "3000", "a confirmed person not seen this long has left (track ended)" },
	{ "track.tentative_missing_ms", CT_INT, F(track_tentative_missing_ms), 1, 3600000, "1000", "an unconfirmed track not seen this long is dropped silently" },
	{ "track.iou_match", CT_DOUBLE, F(track_iou_match), 0, 1, "0.3", "overlap (IoU) with a track's predicted box that matches a box to it" },
	{ "track.center_match", CT_DOUBLE, F(track_center_match), 0, 100, "0.75", "fallback match: centre distance / track size at most this" },
	{ "track.consensus_n", CT_INT, F(track_consensus_n), 1, 16, "2", "votes for one mask state before a person's mask state settles" },
	{ "track.consensus_window", CT_INT, F(track_consensus_window), 1, 16, "5", "last votes considered for the consensus (>= track.consensus_n)" },
	{ "track.consensus_min_score", CT_DOUBLE, F(track_consensus_min_score), 0, 1, "0.6", "a look votes only with a mask score at least this" },
	{ "track.consensus_majority", CT_DOUBLE, F(track_consensus_majority), 0, 1, "0.6", "the winning state's share of the window needed to settle or flip" },
	{ "track.stable_ms", CT_INT, F(track_stable_ms), 0, 3600000, "3000", "mask state agreed this long -> stop running the face and mask nets on the person" },
	{ "track.recheck_ms", CT_INT, F(track_recheck_ms), 0, 3600000, "5000", "a stable person is looked at again after this long" },
	{ "track.recheck_box_change", CT_DOUBLE, F(track_recheck_box_change), 0, 100, "0.5", "...or when its box moved or resized by this share of its size" },
	{ "track.best_improve", CT_DOUBLE, F(track_best_improve), 0, 100, "0.1", "a new best snapshot must beat the old one by this share" },
	{ "track.missing_frames", CT_DOUBLE, F(track_missing_frames), 0, 100, "2.5", "...or after this many of the camera's frame intervals, when that is longer (slow cameras)" },
	{ "track.decide_score", CT_DOUBLE, F(track_decide_score), 0, 2, "0.97", "one look at least this sure decides a person (above 1: never; then track.consensus_n looks)" },
	{ "track.vote_max_age_ms", CT_INT, F(track_vote_max_age_ms), 1, 3600000, "10000", "looks older than this no longer count for the consensus" },
	{ "gate.face_prompt_ms", CT_INT, F(gate_face_prompt_ms), 0, 3600000, "1500", "gate: a person without a usable face this long after arriving is asked to look at the camera (0 = never)" },
	{ "gate.face_timeout_ms", CT_INT, F(gate_face_timeout_ms), 0, 3600000, "6000", "gate: still undecided this long after arriving, or gone undecided sooner -> gate.face_timeout_verdict (0 = wait for ever)" },
	{ "gate.face_timeout_verdict", CT_STR, F(gate_face_timeout_verdict), 0, 0, "DENY", "gate: the verdict after gate.face_timeout_ms: DENY, PASS (reason face_not_visible) or none" },
	{ "gate.face_min_px", CT_INT, F(gate_face_min_px), 0, 4096, "40", "gate: a face narrower than this (pixels) is too small to judge (the prompt says so)" },
	{ "alert.after_ms", CT_INT, F(alert_after_ms), 1, 86400000, "10000", "indoor cameras: a person non-compliant this long raises an alert" },
	{ "alert.track_cooldown_ms", CT_INT, F(alert_track_cooldown_ms), 0, 86400000, "60000", "at least this long between two alerts for one person" },
	{ "alert.camera_cooldown_ms", CT_INT, F(alert_camera_cooldown_ms), 0, 86400000, "10000", "at least this long between two alerts of one camera (later ones wait)" },
	{ "webhook.url", CT_STR, F(webhook_url), 0, 0, "", "alerts are POSTed here as JSON (http:// or https://); empty = no webhook" },
	{ "webhook.secret", CT_STR, F(webhook_secret), 0, 0, "", "HMAC-SHA256 key for the X-Gatewatch-Signature header; empty = unsigned" },
	{ "webhook.ca_file", CT_STR, F(webhook_ca_file), 0, 0, "", "PEM bundle trusted for https webhooks; empty = system CAs" },
	{ "webhook.backoff_min_ms", CT_INT, F(webhook_backoff_min_ms), 1, 3600000, "1000", "first retry delay after a failed delivery (doubles per failure)" },
	{ "webhook.backoff_max_ms", CT_INT, F(webhook_backoff_max_ms), 1, 86400000, "60000", "retry delay cap; delivery never gives up" },
	{ "webhook.timeout_ms", CT_INT, F(webhook_timeout_ms), 100, 600000, "10000", "connect timeout; the whole request gets three times it" },
	{ "webhook.keep_days", CT_INT, F(webhook_keep_days), 0, 3650, "7", "days delivered webhook rows are kept (0 = keep)" },
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

void
config_defaults(struct config *c)
{
	char err[256];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_keys[i];

		/* a default its own key refuses is a bug in the table: every
		 * program and test stops here, before any side effect */
		if (k->def[0] != '\0' && config_set(c, k->key, k->def, err, sizeof(err)) != 0)
			abort();
	}
}

int
config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	const struct config_key *k = NULL;
	char *p;
	double v;
	size_t i;
	int rc;

	if (strncmp(key, "camera.", 7) == 0 && strchr(key + 7, '.') != NULL)
		return config_check_camera(c, key, value, err, errlen);
	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].key, key) == 0)
			k = &config_keys[i];
	if (k == NULL) {
		util_errf(err, errlen, "unknown key \"%s\"", key);
		return -EINVAL;
	}
	p = (char *)c + k->off;
	switch (k->type) {
	case CT_LEVEL:
		if (log_level_parse(value) < 0) {
			util_errf(err, errlen, "%s: \"%s\" is not debug, info, warn or error", key, value);
			return -EINVAL;
		}
		/* FALLTHROUGH */
	case CT_STR:
		if (strlen(value) >= k->size) {
			util_errf(err, errlen, "%s: longer than %zu characters", key, k->size - 1);
			return -EINVAL;
		}
		if (!config_check_printable(value)) {
			util_errf(err, errlen, "%s: control characters are not allowed", key);
			return -EINVAL;
		}
		util_strlcpy(p, value, k->size);
		return 0;
	default:
		break;
	}
	if ((rc = config_check_number(k, value, &v)) != 0) {
		if (rc == -ERANGE)
			util_errf(err, errlen, "%s: %s is out of range %g..%g", key, value, k->min, k->max);
		else
			util_errf(err, errlen, "%s: \"%s\" is not a %s", key, value,
			    k->type == CT_DOUBLE ? "number" : "whole number");
		return -EINVAL;
	}
	switch (k->type) {
	case CT_INT:
		*(int *)(void *)p = (int)v;
		break;
	case CT_LONG:
	case CT_BYTES:
		*(long *)(void *)p = (long)v;
		break;
	default:
		*(double *)(void *)p = v;
		break;
	}
	return 0;
}

/* config_line - split one line into key and value in place. Returns 1 for
 * a key, 0 for a blank/comment line, -1 with err for a malformed line. */
static int
config_line(char *line, char **key, char **value, char *err, size_t errlen)
{
	char *p = line, *eq, *e, *v;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (*p == '\0' || *p == '#')
		return 0;
	if ((eq = strchr(p, '=')) == NULL) {
		util_errf(err, errlen, "expected \"key = value\"");
		return -EINVAL;
	}
	e = eq;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	if (*p == '\0') {
		util_errf(err, errlen, "missing key before '='");
		return -EINVAL;
	}
	v = eq + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '"') {
		char *q = strrchr(v + 1, '"'), *t;

		if (q == NULL) {
			util_errf(err, errlen, "%s: unterminated quoted value", p);
			return -EINVAL;
		}
		for (t = q + 1; *t == ' ' || *t == '\t'; t++)
			;
		if (*t != '\0' && *t != '#') {
			util_errf(err, errlen, "%s: text after the quoted value", p);
			return -EINVAL;
		}
		*q = '\0';
		v++;
	} else {
		char *hash = strchr(v, '#');

		if (hash)
			*hash = '\0';
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
	}
	*key = p;
	*value = v;
	return 1;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	char line[4096], msg[512];
	int lineno = 0, rc;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		rc = -errno;
		util_errf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *key, *value;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			util_errf(err, errlen, "%s:%d: line too long", path, lineno);
			fclose(f);
			return -EINVAL;
		}
		rc = config_line(line, &key, &value, msg, sizeof(msg));
		if (rc == 1)
			rc = config_set(c, key, value, msg, sizeof(msg));
		if (rc < 0) {
			util_errf(err, errlen, "%s:%d: %s", path, lineno, msg);
			fclose(f);
			return -EINVAL;
		}
	}
	if (ferror(f)) {
		util_errf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

void
config_dump(const struct config *c, FILE *out)
{
	size_t i;
	int j;

	fprintf(out, "# gatewatch configuration: every key with its current value\n");
	for (i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_keys[i];
		const char *p = (const char *)c + k->off;

		fprintf(out, "\n# %s\n", k->doc);
		switch (k->type) {
		case CT_STR:
		case CT_LEVEL:
			fprintf(out, "%s = \"%s\"\n", k->key, p);
			break;
		case CT_INT:
			fprintf(out, "%s = %d\n", k->key, *(const int *)(const void *)p);
			break;
		case CT_LONG:
		case CT_BYTES:
			fprintf(out, "%s = %ld\n", k->key, *(const long *)(const void *)p);
			break;
		case CT_DOUBLE:
			fprintf(out, "%s = %.10g\n", k->key, *(const double *)(const void *)p);
			break;
		}
	}
	for (j = 0; j < c->ncameras; j++) {
		const struct config_camera *cam = &c->cameras[j];

		fprintf(out, "\ncamera.%s.token = \"%s\"\n", cam->id, cam->token);
		fprintf(out, "camera.%s.name = \"%s\"\n", cam->id, cam->name);
		fprintf(out, "camera.%s.mode = %s\n", cam->id,
		    cam->mode == CONFIG_MODE_INDOOR ? "indoor" : "gate");
	}
}

/* config_absolute - make a relative path absolute against the cwd. */
static int
config_absolute(char *path, size_t size, const char *key, char *err, size_t errlen)
{
	char cwd[PATH_MAX], buf[PATH_MAX * 2];
	const char *rel = path;

	if (path[0] == '/' || path[0] == '\0')
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		util_errf(err, errlen, "%s: cannot resolve against the current directory: %s", key, strerror(errno));
		return -errno;
	}
	if (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	else if (rel[0] == '.' && rel[1] == '\0')
		rel += 1;
	snprintf(buf, sizeof(buf), "%s%s%s", cwd, *rel ? "/" : "", rel);
	if (util_strlcpy(path, buf, size) >= size) {
		util_errf(err, errlen, "%s: path too long", key);
		return -ENAMETOOLONG;
	}
	return 0;
}

int
config_flag(struct config *c, const char *flag, const char *val, char *err, size_t errlen)
{
	char msg[512], kv[CONFIG_PATH_SIZE + 256];
	const char *eq;

	if (strcmp(flag, "config") == 0)
		return config_load(c, val, err, errlen);
	if (strcmp(flag, "dir") == 0) {
		if (config_set(c, "dir", val, msg, sizeof(msg)) != 0) {
			util_errf(err, errlen, "--dir: %s", msg);
			return -EINVAL;
		}
		return 0;
	}
	eq = strchr(val, '=');
	if (eq == NULL || eq == val) {
		util_errf(err, errlen, "--set %s: expected KEY=VALUE", val);
		return -EINVAL;
	}
	util_strlcpy(kv, val, sizeof(kv));
	kv[eq - val] = '\0';
	if (config_set(c, kv, kv + (eq - val) + 1, msg, sizeof(msg)) != 0) {
		util_errf(err, errlen, "--set: %s", msg);
		return -EINVAL;
	}
	return 0;
}

int
config_finish(struct config *c, char *err, size_t errlen)
{
	if (config_absolute(c->dir, sizeof(c->dir), "dir", err, errlen) != 0 ||
	    config_absolute(c->run_dir, sizeof(c->run_dir), "run.dir", err, errlen) != 0 ||
	    config_absolute(c->models_dir, sizeof(c->models_dir), "models.dir", err, errlen) != 0 ||
	    config_absolute(c->www_dir, sizeof(c->www_dir), "www.dir", err, errlen) != 0 ||
	    config_check(c, err, errlen) != 0)
		return -EINVAL;
	nn_set_kernels(c->nn_kernels);
	return 0;
}

int
config_args(struct config *c, int argc, char **argv, int *next, char *err, size_t errlen)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		const char *flag = a[1] == 'c' || strncmp(a, "--config", 8) == 0 ? "config" :
		    strncmp(a, "--dir", 5) == 0 ? "dir" : "set";

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 ||
		    strcmp(a, "--dir") == 0 || strcmp(a, "--set") == 0) {
			if (i + 1 >= argc) {
				util_errf(err, errlen, "%s: needs an argument", a);
				return -EINVAL;
			}
			val = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0 || strncmp(a, "--dir=", 6) == 0 ||
		    strncmp(a, "--set=", 6) == 0)
			val = strchr(a, '=') + 1;
		else
			break;
		if ((rc = config_flag(c, flag, val, err, errlen)) != 0)
			return rc;
	}
	if (next)
		*next = i;
	return config_finish(c, err, errlen);
}

int
config_path(const struct config *c, const char *rel, char *out, size_t outlen)
{
	int n;

	if (c->run_dir[0] != '\0' && strncmp(rel, "run", 3) == 0 && (rel[3] == '/' || rel[3] == '\0'))
		n = snprintf(out, outlen, "%s%s", c->run_dir, rel + 3);
	else
		n = snprintf(out, outlen, "%s/%s", c->dir, rel);

	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}
