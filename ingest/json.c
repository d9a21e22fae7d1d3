/* json - read one flat JSON object from a camera, escape strings for
 * answers. A recursive-descent reader over a bounded buffer: every
 * malformed input is a -1 with a reason, never a read past len. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_DEPTH_MAX 16

struct json_reader {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
};

static int
json_fail(struct json_reader *r, const char *what)
{
	snprintf(r->err, r->errlen, "%s at byte %zu", what, r->pos);
	return -1;
}

static void
json_ws(struct json_reader *r)
{
	while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
	    r->s[r->pos] == '\n' || r->s[r->pos] == '\r'))
		r->pos++;
}

static int
json_peek(struct json_reader *r)
{
	json_ws(r);
	return r->pos < r->len ? (unsigned char)r->s[r->pos] : -1;
}

static int
json_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* json_string - read a string at r->pos (the opening quote); out may be
 * NULL to skip. Returns 0 or -1. */
static int
json_string(struct json_reader *r, char *out, size_t outlen)
{
	size_t n = 0;

	r->pos++; /* '"' */
	while (r->pos < r->len) {
		unsigned c = (unsigned char)r->s[r->pos++];
		char tmp[4];
		size_t tn = 0, i;

		if (c == '"') {
			if (out)
				out[n] = '\0';
			return 0;
		}
		if (c < 0x20)
			return json_fail(r, "control character in string");
		if (c != '\\') {
			tmp[tn++] = (char)c;
		} else {
			if (r->pos >= r->len)
				break;
			c = (unsigned char)r->s[r->pos++];
			switch (c) {
			case '"': case '\\': case '/': tmp[tn++] = (char)c; break;
			case 'b': tmp[tn++] = '\b'; break;
			case 'f': tmp[tn++] = '\f'; break;
			case 'n': tmp[tn++] = '\n'; break;
			case 'r': tmp[tn++] = '\r'; break;
			case 't': tmp[tn++] = '\t'; break;
			case 'u': {
				unsigned u = 0;
				int k, h;

				if (r->pos + 4 > r->len)
					return json_fail(r, "short \\u escape");
				for (k = 0; k < 4; k++) {
					if ((h = json_hex(r->s[r->pos + k])) < 0)
						return json_fail(r, "bad \\u escape");
					u = u << 4 | (unsigned)h;
				}
				r->pos += 4;
				/* a C string ends at NUL: "gate1\u0000x" would read as "gate1" */
				if (u == 0)
					return json_fail(r, "\\u0000 (NUL) in string");
				if (u < 0x80)
					tmp[tn++] = (char)u;
				else if (u < 0x800) {
					tmp[tn++] = (char)(0xc0 | u >> 6);
					tmp[tn++] = (char)(0x80 | (u & 0x3f));
				} else {
					tmp[tn++] = (char)(0xe0 | u >> 12);
					tmp[tn++] = (char)(0x80 | ((u >> 6) & 0x3f));
					tmp[tn++] = (char)(0x80 | (u & 0x3f));
				}
				break;
			}
			default:
				return json_fail(r, "bad escape in string");
			}
		}
		if (out) {
			if (n + tn >= outlen)
				return json_fail(r, "string too long");
			for (i = 0; i < tn; i++)
				out[n++] = tmp[i];
		}
	}
	return json_fail(r, "unterminated string");
}

static int
json_number(struct json_reader *r, double *out)
{
	char buf[64], *end;
	size_t n = 0;

	while (r->pos < r->len && n < sizeof(buf) - 1 &&
	    (isdigit((unsigned char)r->s[r->pos]) || strchr("+-.eE", r->s[r->pos])))
		buf[n++] = r->s[r->pos++];
	buf[n] = '\0';
	if (n == 0 || !(isdigit((unsigned char)buf[0]) || buf[0] == '-'))
		return json_fail(r, "bad number");
	*out = strtod(buf, &end);
	if (*end != '\0' || !isfinite(*out))
		return json_fail(r, "bad number");
	return 0;
}

static int
json_literal(struct json_reader *r, const char *lit)
{
	size_t n = strlen(lit);

	if (r->len - r->pos < n || memcmp(r->s + r->pos, lit, n) != 0)
		return json_fail(r, "unexpected token");
	r->pos += n;
	return 0;
}

/* json_value - read any value; f may be NULL to skip it. */
static int
json_value(struct json_reader *r, struct json_field *f, int depth)
{
	int c = json_peek(r);
	double d;

	if (depth > JSON_DEPTH_MAX)
		return json_fail(r, "nested too deep");
	switch (c) {
	case '"':
		if (f)
			f->type = JSON_STRING;
		return json_string(r, f ? f->str : NULL, JSON_STR_SIZE);
	case 't': case 'f':
		if (json_literal(r, c == 't' ? "true" : "false") != 0)
			return -1;
		if (f) {
			f->type = JSON_BOOL;
			f->num = c == 't';
		}
		return 0;
	case 'n':
		if (f)
			f->type = JSON_NULL;
		return json_literal(r, "null");
	case '{': case '[': {
		int close = c == '{' ? '}' : ']', first = 1;

		if (f)
			f->type = JSON_NESTED;
		r->pos++;
		for (;;) {
			c = json_peek(r);
			if (c == close && first) {
				r->pos++;
				return 0;
			}
			if (close == '}') {
				if (c != '"')
					return json_fail(r, "expected a key");
				if (json_string(r, NULL, 0) != 0)
					return -1;
				if (json_peek(r) != ':')
					return json_fail(r, "expected ':'");
				r->pos++;
			}
			if (json_value(r, NULL, depth + 1) != 0)
				return -1;
			first = 0;
			c = json_peek(r);
			r->pos++;
			if (c == close)
				return 0;
			if (c != ',')
				return json_fail(r, "expected ',' or end");
		}
	}
	case -1:
		return json_fail(r, "unexpected end");
	default:
		if (json_number(r, &d) != 0)
			return -1;
		if (f) {
			f->type = JSON_NUMBER;
			f->num = d;
		}
		return 0;
	}
}

int
json_object_parse(const char *s, size_t len, struct json_field *f, int max, char *err, size_t errlen)
{
	struct json_reader r = { s, len, 0, err, errlen };
	struct json_field scratch;
	int n = 0, c;

	if (json_peek(&r) != '{')
		return json_fail(&r, "expected a JSON object");
	r.pos++;
	if (json_peek(&r) == '}') {
		r.pos++;
		goto end;
	}
	for (;;) {
		struct json_field *cur = n < max ? &f[n] : &scratch;

		memset(cur, 0, sizeof(*cur));
		if (json_peek(&r) != '"')
			return json_fail(&r, "expected a key");
		if (json_string(&r, cur->key, sizeof(cur->key)) != 0)
			return -1;
		if (json_peek(&r) != ':')
			return json_fail(&r, "expected ':'");
		r.pos++;
		if (json_value(&r, cur, 0) != 0)
			return -1;
		if (n < max)
			n++;
		c = json_peek(&r);
		r.pos++;
		if (c == '}')
			break;
		if (c != ',')
			return json_fail(&r, "expected ',' or '}'");
	}
end:
	if (json_peek(&r) != -1)
		return json_fail(&r, "trailing bytes after the object");
	return n;
}

const struct json_field *
json_find(const struct json_field *f, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].key, key) == 0)
			return &f[i];
	return NULL;
}

size_t
json_escape(char *out, size_t outlen, const char *s)
{
	size_t n = 0;

	if (outlen < 3) {
		if (outlen)
			out[0] = '\0';
		return 0;
	}
	out[n++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		size_t el;

		if (c == '"' || c == '\\')
			el = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20)
			el = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
		else {
			esc[0] = (char)c;
			el = 1;
		}
		if (n + el + 2 > outlen)
			break;
		memcpy(out + n, esc, el);
		n += el;
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}
