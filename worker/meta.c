/* meta - the one JSON object ingest writes into a frame's trailer, read
 * with jansson. The spool is a folder on disk, so the trailer is outside
 * input: every value the worker uses is type- and range-checked before it
 * is converted (a double outside an int's or a float's range converted is
 * undefined behaviour); values the worker does not use are ignored. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "meta.h"
#include "utf8.h"

#define META_BOX_MAX 1e7   /* a box coordinate beyond this is no pixel of any frame */

/* meta_box_value - a box field: NULL, or why it is unusable. */
static const char *
meta_box_value(json_t *v, float *slot)
{
	double d;

	if (!json_is_number(v))
		return "a box value is not a number";
	d = json_number_value(v);
	if (!(fabs(d) <= META_BOX_MAX))
		return "a box value is out of range";
	*slot = (float)d;
	return NULL;
}

/* meta_box - a person as {"x","y","w"|"width","h"|"height","score"} or
 * [x,y,w,h,score]. Returns NULL or why not. */
static const char *
meta_box(json_t *p, struct nn_box *b)
{
	static const char *const keys[][2] = {
		{ "x", NULL }, { "y", NULL }, { "w", "width" }, { "h", "height" }, { "score", NULL }
	};
	float *slots[5] = { &b->x, &b->y, &b->w, &b->h, &b->score };
	const char *why = NULL;
	json_t *v;
	int i;

	memset(b, 0, sizeof(*b));
	b->score = 1;
	if (!json_is_object(p) && !json_is_array(p))
		return "a person must be an object or array";
	for (i = 0; i < 5 && why == NULL; i++) {
		if (json_is_array(p))
			v = json_array_get(p, (size_t)i);
		else if ((v = json_object_get(p, keys[i][0])) == NULL && keys[i][1] != NULL)
			v = json_object_get(p, keys[i][1]);
		if (v != NULL)
			why = meta_box_value(v, slots[i]);
	}
	return why;
}

static const char *
meta_persons(json_t *a, struct meta *m)
{
	struct nn_box b;
	const char *why;
	json_t *p;
	size_t i;

	if (!json_is_array(a))
		return "persons must be an array";
	json_array_foreach(a, i, p) {
		if ((why = meta_box(p, &b)) != NULL)
			return why;
		/* An empty or inverted box says nothing about where to look. */
		if (b.w >= 1 && b.h >= 1 && m->npersons < MSG_PERSONS_MAX)
			m->persons[m->npersons++] = b;
	}
	return NULL;
}

/* meta_face - one close-up face [x,y,w,h,score] into f: NULL or why not. */
static const char *
meta_face(json_t *v, float threshold, const struct nn_box *prev, struct nn_box *f)
{
	float *slots[5] = { &f->x, &f->y, &f->w, &f->h, &f->score };
	const char *why;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) != 5)
		return "a face must be [x,y,w,h,score]";
	for (i = 0; i < 5; i++)
		if ((why = meta_box_value(json_array_get(v, i), slots[i])) != NULL)
			return why;
	if (!(f->w > 0 && f->h > 0))
		return "a face must have a width and a height";
	if (!(f->score > threshold && f->score <= 1))
		return "a face's score must be over the faces' threshold and at most 1";
	if (prev != NULL && f->score > prev->score)
		return "faces must come best first";
	return NULL;
}

/* meta_faces - "faces": the close-up run's faces (meta.h). NULL or why not. */
static const char *
meta_faces(json_t *o, struct meta *m)
{
	struct firstpass_faces *f = &m->faces;
	json_t *in = json_object_get(o, "input"), *th = json_object_get(o, "threshold"), *a, *v;
	const char *why;
	double d;
	size_t i;

	if (!json_is_object(o) || !json_is_number(in) || !json_is_number(th) ||
	    !json_is_array(a = json_object_get(o, "boxes")))
		return "faces must be {\"input\":N,\"threshold\":T,\"boxes\":[...]}";
	d = json_number_value(in);
	if (!(d >= 128 && d <= 1024) || d != floor(d))
		return "faces' input must be a whole number from 128 to 1024";
	f->input = (int)d;
	d = json_number_value(th);
	if (!(d >= 0 && d <= 1))
		return "faces' threshold must be from 0 to 1";
	f->threshold = (float)d;
	if (json_array_size(a) > FIRSTPASS_FACES_MAX)
		return "more faces than FIRSTPASS_FACES_MAX";
	json_array_foreach(a, i, v) {
		if ((why = meta_face(v, f->threshold, i ? &f->f[i - 1] : NULL, &f->f[i])) != NULL)
			return why;
		f->n = (int)i + 1;
	}
	return NULL;
}

/* meta_scalar - width, height, received_us, seq, unlooked or temperature
 * (null leaves the default). Returns NULL or why not. */
static const char *
meta_scalar(const char *key, json_t *v, struct meta *m)
{
	double d;

	if (json_is_null(v))
		return NULL;
	if (!json_is_number(v))
		return "expected a number";
	d = json_number_value(v);
	if (key[0] == 'w' || key[0] == 'h') {
		if (!(d >= 0 && d <= 1e6))
			return "width/height out of range (0..1000000)";
		*(key[0] == 'w' ? &m->width : &m->height) = (int)d;
	} else if (key[0] == 'r') {
		if (!(d >= 0 && d <= 9e15))   /* microseconds: until the year 2255 */
			return "received_us out of range";
		m->received_us = (int64_t)d;
	} else if (key[0] == 's' || key[0] == 'u') {
		if (!(d >= 0 && d <= 9e15) || d != floor(d))
			return "seq/unlooked must be a whole number from 0 to 9e15";
		*(key[0] == 's' ? &m->seq : &m->unlooked) = (int64_t)d;
	} else {
		if (!(d > -1000 && d < 1000))
			return "temperature out of range";
		m->temperature = (float)d;
	}
	return NULL;
}

static const char *
meta_top(json_t *o, struct meta *m)
{
	const char *key, *why = NULL;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (strcmp(key, "persons") == 0 || strcmp(key, "boxes") == 0)
			why = meta_persons(v, m);
		else if (strcmp(key, "faces") == 0)
			why = meta_faces(v, m);
		else if (strcmp(key, "width") == 0 || strcmp(key, "height") == 0 ||
		    strcmp(key, "received_us") == 0 || strcmp(key, "temperature") == 0 ||
		    strcmp(key, "seq") == 0 || strcmp(key, "unlooked") == 0)
			why = meta_scalar(key, v, m);
		if (why != NULL)
			return why;
	}
	return NULL;
}

int
meta_parse(const char *json, struct meta *m, char *err, size_t errlen)
{
	char why[256];
	json_error_t je;
	json_t *o;
	const char *bad = NULL;

	memset(m, 0, sizeof(*m));
	m->temperature = NAN;
	if (json == NULL || json[strspn(json, " \t\r\n")] == '\0')
		return 0;
	/* integers as doubles: every number is range-checked as one */
	o = json_loads(json, JSON_DECODE_INT_AS_REAL, &je);
	if (o == NULL)
		snprintf(why, sizeof(why), "metadata JSON: %s%s at byte %d",
		    json_error_code(&je) == json_error_invalid_utf8 ? "not UTF-8: " : "", je.text, je.position);
	else if (!json_is_object(o))
		bad = "metadata is not a JSON object";
	else
		bad = meta_top(o, m);
	json_decref(o);
	if (o != NULL && bad == NULL)
		return 0;
	if (bad != NULL)
		snprintf(why, sizeof(why), "metadata JSON: %s", bad);
	if (err != NULL && errlen > 0)
		utf8_repair(err, errlen, why);
	m->npersons = 0;
	memset(&m->faces, 0, sizeof(m->faces));
	return -EBADMSG;
}
