/* camsg - a camera's text messages read, ingest's messages written, all
 * through jansson; strings from outside repaired (utf8.h) before they go
 * back out or into a log line. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "camsg.h"
#include "utf8.h"

#define CAMSG_FACE_MAX (128 * 1024)  /* a snapshot larger than this is not sent */
#define CAMSG_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(10))

/* camsg_fail - rc, with why (repaired: it may quote the sender's bytes) in err. */
static int
camsg_fail(char *err, size_t errlen, int rc, const char *why)
{
	if (err != NULL && errlen > 0)
		utf8_repair(err, errlen, why);
	return rc;
}

/* camsg_copy - a hello string field into out: 0, 1 when absent or not a
 * string (out stays ""), -EBADMSG when too long. */
static int
camsg_copy(json_t *o, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return 1;
	if (json_string_length(v) >= size)
		return -EBADMSG;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
camsg_hello(json_t *o, struct camsg *m, char *err, size_t errlen)
{
	int rc;

	m->type = CAMSG_HELLO;
	if ((rc = camsg_copy(o, "camera", m->camera, sizeof(m->camera))) < 0)
		return camsg_fail(err, errlen, rc, "bad JSON: camera id over 255 bytes");
	m->has_camera = rc == 0;
	if ((rc = camsg_copy(o, "token", m->token, sizeof(m->token))) < 0)
		return camsg_fail(err, errlen, rc, "bad JSON: token over 255 bytes");
	m->has_token = rc == 0;
	return 0;
}

static int
camsg_meta(json_t *o, struct camsg *m, char *err, size_t errlen)
{
	json_t *t = json_object_get(o, "temperature");
	double d;

	m->type = CAMSG_META;
	if (t == NULL || json_is_null(t))
		return 0;
	d = json_is_number(t) ? json_number_value(t) : NAN;
	if (!(d > -100 && d < 200))
		return camsg_fail(err, errlen, -EINVAL, "meta: temperature must be a number of degrees C or null");
	m->temperature = (float)d;
	return 0;
}

int
camsg_parse(const char *s, size_t len, struct camsg *m, char *err, size_t errlen)
{
	char why[256];
	json_error_t je;
	json_t *o, *type;
	const char *name;
	int rc;

	memset(m, 0, sizeof(*m));
	m->temperature = NAN;
	/* two "camera" keys would leave it open which one was checked */
	o = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL || !json_is_object(o)) {
		if (o == NULL && json_error_code(&je) == json_error_invalid_utf8)
			snprintf(why, sizeof(why), "bad JSON: text is not UTF-8 (%s at byte %d)", je.text, je.position);
		else if (o == NULL)
			snprintf(why, sizeof(why), "bad JSON: %s at byte %d", je.text, je.position);
		else
			snprintf(why, sizeof(why), "bad JSON: expected a JSON object");
		json_decref(o);
		return camsg_fail(err, errlen, -EBADMSG, why);
	}
	type = json_object_get(o, "type");
	name = json_string_value(type);
	if (name == NULL)
		rc = camsg_fail(err, errlen, -EINVAL, "message has no \"type\" string");
	else if (strcmp(name, "hello") == 0)
		rc = camsg_hello(o, m, err, errlen);
	else if (strcmp(name, "meta") == 0)
		rc = camsg_meta(o, m, err, errlen);
	else {
		snprintf(why, sizeof(why), "unknown message type \"%.64s\"", name);
		rc = camsg_fail(err, errlen, -EINVAL, why);
	}
	json_decref(o);
	return rc;
}

json_t *
camsg_real(double v, double scale)
{
	return isfinite(v) ? json_real(round(v * scale) / scale) : json_null();
}

json_t *
camsg_error(const char *error, const char *reason)
{
	return json_pack("{s:s, s:s, s:o}", "type", "error", "error", error, "reason", utf8_json(reason));
}

json_t *
camsg_welcome(const struct config *cfg, const char *camera, enum config_mode mode)
{
	return json_pack("{s:s, s:o, s:s, s:I, s:i}", "type", "welcome", "camera", utf8_json(camera),
	    "mode", mode == CONFIG_MODE_INDOOR ? "indoor" : "gate",
	    "max_bytes", (json_int_t)cfg->ingest_max_bytes, "max_inflight", cfg->ingest_max_inflight);
}

json_t *
camsg_boxes(const struct nn_box *p, int n, const char *by)
{
	json_t *a = json_array(), *b;
	int i;

	for (i = 0; a != NULL && i < n; i++) {
		b = json_pack("{s:o, s:o, s:o, s:o, s:o}", "x", camsg_real(p[i].x, 10), "y", camsg_real(p[i].y, 10),
		    "w", camsg_real(p[i].w, 10), "h", camsg_real(p[i].h, 10), "score", camsg_real(p[i].score, 1000));
		if (b != NULL && by != NULL)
			json_object_set_new(b, "by", json_string(by));
		if (json_array_append_new(a, b) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *
camsg_faces(const struct firstpass_faces *f)
{
	json_t *a = json_array(), *o;
	int i;

	for (i = 0; a != NULL && i < f->n; i++)
		if (json_array_append_new(a, json_pack("[f,f,f,f,f]", (double)f->f[i].x, (double)f->f[i].y,
		    (double)f->f[i].w, (double)f->f[i].h, (double)f->f[i].score)) != 0) {
			json_decref(a);
			return NULL;
		}
	if (a == NULL || (o = json_pack("{s:i, s:f, s:o}", "input", f->input, "threshold", (double)f->threshold,
	    "boxes", a)) == NULL)
		return NULL;
	return o;
}

json_t *
camsg_answer(uint32_t seq, const char *frame, const char *status, const char *reason,
             const struct nn_box *p, int np, double ms)
{
	return json_pack("{s:s, s:I, s:o, s:s, s:o, s:o, s:o}", "type", "answer", "seq", (json_int_t)seq,
	    "frame", utf8_json(frame), "status", status, "reason", utf8_json(reason),
	    "persons", camsg_boxes(p, np, NULL), "ms", camsg_real(ms, 10));
}

/* camsg_face - the snapshot rel (under dir) as a data: URL, or NULL when
 * there is none or it is too large. The file is small and local (the
 * worker wrote it moments ago). */
static json_t *
camsg_face(const char *dir, const char *rel)
{
	static const char pre[] = "data:image/jpeg;base64,";
	char path[CONFIG_PATH_SIZE + 128];
	unsigned char *img = NULL;
	char *url = NULL;
	json_t *j = NULL;
	size_t n = 0, cap;
	int b64;
	FILE *f;

	if (rel[0] == '\0' || strstr(rel, "..") != NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if ((img = malloc(CAMSG_FACE_MAX)) != NULL)
		n = fread(img, 1, CAMSG_FACE_MAX, f);
	fclose(f);
	cap = sizeof(pre) + CAMSG_FACE_MAX * 4 / 3 + 8;
	if (img != NULL && n > 0 && n < CAMSG_FACE_MAX && (url = malloc(cap)) != NULL) {
		memcpy(url, pre, sizeof(pre) - 1);
		b64 = lws_b64_encode_string((const char *)img, (int)n, url + sizeof(pre) - 1,
		    (int)(cap - sizeof(pre)));
		if (b64 > 0)
			j = json_stringn(url, sizeof(pre) - 1 + (size_t)b64);
	}
	free(img);
	free(url);
	return j;
}

static json_t *
camsg_verdict(const struct msg_verdict *v, const char *dir)
{
	char track[32];
	json_t *o, *face;

	snprintf(track, sizeof(track), "%" PRId64, v->track_id);
	o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:o, s:I, s:b, s:o}", "type", "verdict",
	    "frame", utf8_json(v->ref.frame_id), "track", track, "verdict", msg_verdict_name(v->verdict),
	    "reason", msg_reason_name(v->reason),
	    "temperature", isnan(v->temperature) ? json_null() : camsg_real(v->temperature, 100),
	    "person", (json_int_t)v->person, "override", v->override ? 1 : 0,
	    "by", v->override && v->by[0] ? utf8_json(v->by) : json_null());
	if (o != NULL && (face = camsg_face(dir, v->snapshot)) != NULL)
		json_object_set_new(o, "face", face);
	return o;
}

/* camsg_gate_new - the gate message v as JSON, without "replay". */
static json_t *
camsg_gate_new(const struct msg_verdict *v, const char *dir)
{
	char track[32];
	int small = v->reason == MSG_REASON_FACE_TOO_SMALL;

	/* the track id is a decimal string of the 64-bit id */
	snprintf(track, sizeof(track), "%" PRId64, v->track_id);
	switch (v->kind) {
	case MSG_GATE_APPEARED:
	case MSG_GATE_LEFT:
		return json_pack("{s:s, s:s, s:s}", "type", "person", "track", track,
		    "event", v->kind == MSG_GATE_APPEARED ? "appeared" : "left");
	case MSG_GATE_PROMPT:
		return json_pack("{s:s, s:s, s:s, s:s}", "type", "prompt", "track", track,
		    "reason", small ? "face_too_small" : "face_not_visible",
		    "text", small ? "Please come closer to the camera" : "Please look at the camera");
	case MSG_GATE_VERDICT:
		return camsg_verdict(v, dir);
	default:
		return NULL;
	}
}

json_t *
camsg_gate(const struct msg_verdict *v, const char *dir)
{
	json_t *o = camsg_gate_new(v, dir);

	/* said before (a connection's sync): a gate controller must not act twice */
	if (o != NULL && v->replay && json_object_set_new(o, "replay", json_true()) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

unsigned char *
camsg_dump(const json_t *o, size_t pre, size_t *len)
{
	size_t n = json_dumpb(o, NULL, 0, CAMSG_DUMP_FLAGS);
	unsigned char *buf;

	if (n == 0 || (buf = malloc(pre + n)) == NULL)
		return NULL;
	if (json_dumpb(o, (char *)buf + pre, n, CAMSG_DUMP_FLAGS) != n) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
