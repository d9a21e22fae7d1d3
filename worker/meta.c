/* meta - a small recursive-descent reader for the one JSON object ingest
 * writes into a frame's trailer. Strict JSON syntax, bounded nesting;
 * values the worker does not use are skipped, not interpreted. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"

#define META_DEPTH_MAX 16

struct meta_cur {
	const char *s;      /* whole text */
	size_t i;           /* current offset */
	const char *why;    /* first error, static text */
};

static int
meta_fail(struct meta_cur *c, const char *why)
{
	if (c->why == NULL)
		c->why = why;
	return -1;
}

static void
meta_ws(struct meta_cur *c)
{
	while (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r')
		c->i++;
}

static int
meta_lit(struct meta_cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(c->s + c->i, lit, n) != 0)
		return meta_fail(c, "bad literal");
	c->i += n;
	return 0;
}

/* meta_string - parse a string; copies up to size-1 bytes into out (may be
 * NULL). Escapes other than \uXXXX are decoded; \u becomes '?'. */
static int
meta_string(struct meta_cur *c, char *out, size_t size)
{
	size_t n = 0;

	if (c->s[c->i] != '"')
		return meta_fail(c, "expected a string");
	c->i++;
	for (;;) {
		char ch = c->s[c->i];

		if (ch == '\0')
			return meta_fail(c, "unterminated string");
		if ((unsigned char)ch < 0x20)
			return meta_fail(c, "control character in string");
		c->i++;
		if (ch == '"')
			break;
		if (ch == '\\') {
			char e = c->s[c->i++];

			switch (e) {
			case '"': case '\\': case '/': break;
			case 'b': e = '\b'; break;
			case 'f': e = '\f'; break;
			case 'n': e = '\n'; break;
			case 'r': e = '\r'; break;
			case 't': e = '\t'; break;
			case 'u':
				for (int k = 0; k < 4; k++, c->i++)
					if (c->s[c->i] == '\0' || !strchr("0123456789abcdefABCDEF", c->s[c->i]))
						return meta_fail(c, "bad \\u escape");
				e = '?';
				break;
			default:
				return meta_fail(c, "bad escape");
			}
			ch = e;
		}
		if (out != NULL && n + 1 < size)
			out[n++] = ch;
	}
	if (out != NULL && size > 0)
		out[n] = '\0';
	return 0;
}

static int
meta_number(struct meta_cur *c, double *out)
{
	const char *p = c->s + c->i;
	char *end;
	double v;

	if (!(*p == '-' || (*p >= '0' && *p <= '9')))
		return meta_fail(c, "expected a number");
	v = strtod(p, &end);
	if (end == p || !isfinite(v))
		return meta_fail(c, "bad number");
	c->i += (size_t)(end - p);
	*out = v;
	return 0;
}

static int meta_skip(struct meta_cur *c, int depth);

/* meta_list - iterate an array ('[') or object ('{'); calls each per
 * element with the key (objects) or NULL (arrays). */
typedef int (*meta_each_fn)(struct meta_cur *c, const char *key, int index, int depth, void *arg);

static int
meta_list(struct meta_cur *c, int depth, meta_each_fn each, void *arg)
{
	char open = c->s[c->i], close = open == '{' ? '}' : ']';
	char key[64];
	int index = 0;

	if (depth > META_DEPTH_MAX)
		return meta_fail(c, "nested too deep");
	if (open != '{' && open != '[')
		return meta_fail(c, "expected an object or array");
	c->i++;
	meta_ws(c);
	if (c->s[c->i] == close) {
		c->i++;
		return 0;
	}
	for (;;) {
		meta_ws(c);
		if (open == '{') {
			if (meta_string(c, key, sizeof(key)) != 0)
				return -1;
			meta_ws(c);
			if (c->s[c->i] != ':')
				return meta_fail(c, "expected ':'");
			c->i++;
			meta_ws(c);
		}
		if (each(c, open == '{' ? key : NULL, index++, depth + 1, arg) != 0)
			return -1;
		meta_ws(c);
		if (c->s[c->i] == ',') {
			c->i++;
			continue;
		}
		if (c->s[c->i] == close) {
			c->i++;
			return 0;
		}
		return meta_fail(c, open == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int
meta_skip_each(struct meta_cur *c, const char *key, int index, int depth, void *arg)
{
	(void)key; (void)index; (void)arg;
	return meta_skip(c, depth);
}

/* meta_skip - parse and discard any value. */
static int
meta_skip(struct meta_cur *c, int depth)
{
	double d;

	switch (c->s[c->i]) {
	case '{':
	case '[':
		return meta_list(c, depth, meta_skip_each, NULL);
	case '"':
		return meta_string(c, NULL, 0);
	case 't':
		return meta_lit(c, "true");
	case 'f':
		return meta_lit(c, "false");
	case 'n':
		return meta_lit(c, "null");
	default:
		return meta_number(c, &d);
	}
}

/* A box as an object {"x","y","w","h","score"} or an array [x,y,w,h,score]. */
static int
meta_box_each(struct meta_cur *c, const char *key, int index, int depth, void *arg)
{
	struct nn_box *b = arg;
	float *slot = NULL;
	double v;

	if (key == NULL) {
		float *slots[5] = { &b->x, &b->y, &b->w, &b->h, &b->score };

		if (index < 5)
			slot = slots[index];
	} else if (strcmp(key, "x") == 0)
		slot = &b->x;
	else if (strcmp(key, "y") == 0)
		slot = &b->y;
	else if (strcmp(key, "w") == 0 || strcmp(key, "width") == 0)
		slot = &b->w;
	else if (strcmp(key, "h") == 0 || strcmp(key, "height") == 0)
		slot = &b->h;
	else if (strcmp(key, "score") == 0)
		slot = &b->score;
	if (slot == NULL)
		return meta_skip(c, depth);
	if (meta_number(c, &v) != 0)
		return -1;
	*slot = (float)v;
	return 0;
}

static int
meta_persons_each(struct meta_cur *c, const char *key, int index, int depth, void *arg)
{
	struct meta *m = arg;
	struct nn_box b;

	(void)key; (void)index;
	memset(&b, 0, sizeof(b));
	b.score = 1;
	if (c->s[c->i] != '{' && c->s[c->i] != '[')
		return meta_fail(c, "a person must be an object or array");
	if (meta_list(c, depth, meta_box_each, &b) != 0)
		return -1;
	/* An empty or inverted box says nothing about where to look. */
	if (b.w >= 1 && b.h >= 1 && m->npersons < MSG_PERSONS_MAX)
		m->persons[m->npersons++] = b;
	return 0;
}

static int
meta_top_each(struct meta_cur *c, const char *key, int index, int depth, void *arg)
{
	struct meta *m = arg;
	double v;

	(void)index;
	if (strcmp(key, "persons") == 0 || strcmp(key, "boxes") == 0) {
		if (c->s[c->i] != '[')
			return meta_fail(c, "persons must be an array");
		return meta_list(c, depth, meta_persons_each, m);
	}
	if (strcmp(key, "width") == 0 || strcmp(key, "height") == 0 ||
	    strcmp(key, "received_us") == 0 || strcmp(key, "temperature") == 0) {
		if (c->s[c->i] == 'n')
			return meta_lit(c, "null");
		if (meta_number(c, &v) != 0)
			return -1;
		/* A double outside the target's range converted to an integer is
		 * undefined behaviour: the trailer is outside input (issue 11). */
		if (key[0] == 'w' || key[0] == 'h') {
			if (!(v >= 0 && v <= 1e6))
				return meta_fail(c, "width/height out of range (0..1000000)");
			if (key[0] == 'w')
				m->width = (int)v;
			else
				m->height = (int)v;
		} else if (key[0] == 'r') {
			if (!(v >= 0 && v <= 9e15))   /* microseconds: until the year 2255 */
				return meta_fail(c, "received_us out of range");
			m->received_us = (int64_t)v;
		} else {
			if (!(v > -1000 && v < 1000))
				return meta_fail(c, "temperature out of range");
			m->temperature = (float)v;
		}
		return 0;
	}
	return meta_skip(c, depth);
}

int
meta_parse(const char *json, struct meta *m, char *err, size_t errlen)
{
	struct meta_cur c = { json, 0, NULL };

	memset(m, 0, sizeof(*m));
	m->temperature = NAN;
	if (json == NULL)
		return 0;
	meta_ws(&c);
	if (json[c.i] == '\0')
		return 0;
	if (json[c.i] != '{')
		meta_fail(&c, "metadata is not a JSON object");
	else if (meta_list(&c, 0, meta_top_each, m) == 0) {
		meta_ws(&c);
		if (json[c.i] != '\0')
			meta_fail(&c, "trailing bytes after the object");
	}
	if (c.why == NULL)
		return 0;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "metadata JSON: %s at byte %zu", c.why, c.i);
	m->npersons = 0;
	return -EBADMSG;
}
