/* config_check - the configuration's values checked: a number against its
 * key's range, strings for control characters, the camera.<id>.* keys,
 * and the checks across keys once every value is set. The key table and
 * the file and flag parsers are config.c's. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"
#include "nn.h"

int
config_check_number(const struct config_key *k, const char *value, double *out)
{
	char *end;
	double v;

	errno = 0;
	if (k->type == CT_DOUBLE) {
		v = strtod(value, &end);
		if (errno || end == value || *end != '\0' || !isfinite(v))
			return -EINVAL;
	} else {
		long long ll = strtoll(value, &end, 10);

		if (errno || end == value)
			return -EINVAL;
		v = (double)ll;
		if (k->type == CT_BYTES && *end != '\0') {
			if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0)
				v *= 1024.0;
			else if (strcmp(end, "M") == 0)
				v *= 1024.0 * 1024.0;
			else if (strcmp(end, "G") == 0)
				v *= 1024.0 * 1024.0 * 1024.0;
			else
				return -EINVAL;
		} else if (*end != '\0')
			return -EINVAL;
	}
	if (v < k->min || v > k->max)
		return -ERANGE;
	*out = v;
	return 0;
}

static struct config_camera *
config_check_camera_get(struct config *c, const char *id, int create)
{
	int i;

	for (i = 0; i < c->ncameras; i++)
		if (strcmp(c->cameras[i].id, id) == 0)
			return &c->cameras[i];
	if (!create || c->ncameras >= CONFIG_CAMERAS_MAX)
		return NULL;
	struct config_camera *cam = &c->cameras[c->ncameras++];

	memset(cam, 0, sizeof(*cam));
	util_strlcpy(cam->id, id, sizeof(cam->id));
	util_strlcpy(cam->name, id, sizeof(cam->name));
	cam->mode = CONFIG_MODE_GATE;
	return cam;
}

int
config_check_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
config_check_camera(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	const char *id = key + strlen("camera."), *dot = strrchr(key, '.');
	char idbuf[CAMERA_ID_SIZE];
	struct config_camera *cam;
	size_t idlen;

	if (dot <= id || (idlen = (size_t)(dot - id)) >= sizeof(idbuf)) {
		util_errf(err, errlen, "bad camera key \"%s\" (camera.<id>.token|name|mode)", key);
		return -EINVAL;
	}
	memcpy(idbuf, id, idlen);
	idbuf[idlen] = '\0';
	if (!util_camera_id_valid(idbuf)) {
		util_errf(err, errlen, "%s: camera id must be 1..31 of [A-Za-z0-9_-]", key);
		return -EINVAL;
	}
	if (strcmp(dot, ".token") != 0 && strcmp(dot, ".name") != 0 && strcmp(dot, ".mode") != 0) {
		util_errf(err, errlen, "unknown key \"%s\" (camera.<id>.token|name|mode)", key);
		return -EINVAL;
	}
	if (!config_check_printable(value)) {
		util_errf(err, errlen, "%s: control characters are not allowed", key);
		return -EINVAL;
	}
	if ((cam = config_check_camera_get(c, idbuf, 1)) == NULL) {
		util_errf(err, errlen, "%s: more than %d cameras", key, CONFIG_CAMERAS_MAX);
		return -EINVAL;
	}
	if (strcmp(dot, ".token") == 0) {
		if (strlen(value) < 8 || strlen(value) >= sizeof(cam->token)) {
			util_errf(err, errlen, "%s: a token is 8..%zu characters", key, sizeof(cam->token) - 1);
			return -EINVAL;
		}
		util_strlcpy(cam->token, value, sizeof(cam->token));
	} else if (strcmp(dot, ".name") == 0) {
		if (*value == '\0' || strlen(value) >= sizeof(cam->name)) {
			util_errf(err, errlen, "%s: a name is 1..%zu characters", key, sizeof(cam->name) - 1);
			return -EINVAL;
		}
		util_strlcpy(cam->name, value, sizeof(cam->name));
	} else {
		if (strcmp(value, "gate") == 0)
			cam->mode = CONFIG_MODE_GATE;
		else if (strcmp(value, "indoor") == 0)
			cam->mode = CONFIG_MODE_INDOOR;
		else {
			util_errf(err, errlen, "%s: \"%s\" is not gate or indoor", key, value);
			return -EINVAL;
		}
	}
	return 0;
}

static int
config_check_input_ok(int n)
{
	return n % 32 == 0;
}

/* config_url_check - an optional URL key: empty, or SCHEME://HOST... with
 * one of the two schemes, a host, and no space or control character. The
 * program's client checks the rest; this catches at startup, before any
 * file is created, what a user mistypes. Returns 0 or -EINVAL with err. */
static int
config_url_check(const char *key, const char *url, const char *s1, const char *s2, char *err, size_t errlen)
{
	size_t n1 = strlen(s1), n2 = strlen(s2), i;
	const char *host;

	if (url[0] == '\0')
		return 0;
	if (strncmp(url, s1, n1) == 0 && strncmp(url + n1, "://", 3) == 0)
		host = url + n1 + 3;
	else if (strncmp(url, s2, n2) == 0 && strncmp(url + n2, "://", 3) == 0)
		host = url + n2 + 3;
	else {
		util_errf(err, errlen, "%s: \"%s\" is not a %s:// or %s:// URL", key, url, s1, s2);
		return -EINVAL;
	}
	for (i = 0; url[i]; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f) {
			util_errf(err, errlen, "%s: spaces or control characters in \"%s\"", key, url);
			return -EINVAL;
		}
	if (*host == '\0' || *host == '/' || *host == ':' || *host == '?' || *host == '#') {
		util_errf(err, errlen, "%s: no host in \"%s\"", key, url);
		return -EINVAL;
	}
	return 0;
}

int
config_check(const struct config *c, char *err, size_t errlen)
{
	int i, j;

	if (c->dir[0] == '\0') {
		util_errf(err, errlen, "dir: must not be empty");
		return -EINVAL;
	}
	if (c->listen_address[0] == '\0') {
		util_errf(err, errlen, "listen.address: must not be empty");
		return -EINVAL;
	}
	if (c->ingest_port == c->http_port) {
		util_errf(err, errlen, "ingest.port and http.port are both %d", c->http_port);
		return -EINVAL;
	}
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		util_errf(err, errlen, "tls.cert and tls.key: set both or neither");
		return -EINVAL;
	}
	if (c->worker_backoff_ms > c->worker_backoff_max_ms) {
		util_errf(err, errlen, "dispatcher.worker_backoff_ms (%d) is above dispatcher.worker_backoff_max_ms (%d)",
		    c->worker_backoff_ms, c->worker_backoff_max_ms);
		return -EINVAL;
	}
	if (nn_kernels_valid(c->nn_kernels) < 0) {
		util_errf(err, errlen, "nn.kernels: \"%s\" is not auto, avx512, avx2, amx or stock", c->nn_kernels);
		return -EINVAL;
	}
	if (c->face_input % 8 != 0) {
		util_errf(err, errlen, "worker.face_input: %d is not a multiple of 8", c->face_input);
		return -EINVAL;
	}
	if (c->body_input % 8 != 0) {
		util_errf(err, errlen, "worker.body_input: %d is not a multiple of 8", c->body_input);
		return -1;
	}
	if (!config_check_input_ok(c->person_input)) {
		util_errf(err, errlen, "ingest.person_input: %d is not a multiple of 32", c->person_input);
		return -EINVAL;
	}
	if (c->track_consensus_window < c->track_consensus_n) {
		util_errf(err, errlen, "track.consensus_window (%d) is below track.consensus_n (%d)",
		    c->track_consensus_window, c->track_consensus_n);
		return -EINVAL;
	}
	if (strcmp(c->gate_face_timeout_verdict, "DENY") != 0 && strcmp(c->gate_face_timeout_verdict, "PASS") != 0 &&
	    strcmp(c->gate_face_timeout_verdict, "none") != 0) {
		util_errf(err, errlen, "gate.face_timeout_verdict: \"%s\" is not DENY, PASS or none",
		    c->gate_face_timeout_verdict);
		return -EINVAL;
	}
	if (c->webhook_backoff_min_ms > c->webhook_backoff_max_ms) {
		util_errf(err, errlen, "webhook.backoff_min_ms (%d) is above webhook.backoff_max_ms (%d)",
		    c->webhook_backoff_min_ms, c->webhook_backoff_max_ms);
		return -EINVAL;
	}
	if (config_url_check("webhook.url", c->webhook_url, "http", "https", err, errlen) != 0 ||
	    config_url_check("mqtt.url", c->mqtt_url, "mqtt", "mqtts", err, errlen) != 0)
		return -EINVAL;
	for (i = 0; i < c->ncameras; i++) {
		if (c->cameras[i].token[0] == '\0') {
			util_errf(err, errlen, "camera.%s.token is not set", c->cameras[i].id);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (strcmp(c->cameras[i].token, c->cameras[j].token) == 0) {
				util_errf(err, errlen, "camera.%s.token and camera.%s.token are the same",
				    c->cameras[j].id, c->cameras[i].id);
				return -EINVAL;
			}
	}
	return 0;
}

const struct config_camera *
config_camera(const struct config *c, const char *id)
{
	int i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < c->ncameras; i++)
		if (strcmp(c->cameras[i].id, id) == 0 && c->cameras[i].token[0] != '\0')
			return &c->cameras[i];
	return NULL;
}

