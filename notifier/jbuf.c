/* jbuf - a growing text buffer for building JSON, with optional headroom
 * in front so a finished message can be handed to lws_write() as is. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"

void
jbuf_init(struct jbuf *b, size_t pre)
{
	memset(b, 0, sizeof(*b));
	b->pre = pre;
	b->cap = pre + 256;
	if ((b->s = malloc(b->cap)) == NULL) {
		b->failed = 1;
		b->cap = 0;
		return;
	}
	b->s[pre] = '\0';
}

void
jbuf_free(struct jbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

int
jbuf_failed(const struct jbuf *b)
{
	return b->failed;
}

char *
jbuf_text(const struct jbuf *b)
{
	return b->s ? b->s + b->pre : NULL;
}

static int
jbuf_room(struct jbuf *b, size_t n)
{
	size_t need, cap;
	char *s;

	if (b->failed)
		return -1;
	need = b->pre + b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if ((s = realloc(b->s, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

void
jbuf_mem(struct jbuf *b, const char *p, size_t n)
{
	if (jbuf_room(b, n) != 0)
		return;
	memcpy(b->s + b->pre + b->len, p, n);
	b->len += n;
	b->s[b->pre + b->len] = '\0';
}

void
jbuf_add(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || jbuf_room(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->pre + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* jbuf_utf8_len - length of a valid UTF-8 sequence at p, 0 if invalid. */
static size_t
jbuf_utf8_len(const unsigned char *p)
{
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0 && p[0] >= 0xc2)
		n = 2;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((p[0] & 0xf8) == 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void
jbuf_str(struct jbuf *b, const char *s)
{
	const unsigned char *p;
	size_t n;

	if (s == NULL) {
		jbuf_mem(b, "null", 4);
		return;
	}
	jbuf_mem(b, "\"", 1);
	for (p = (const unsigned char *)s; *p; p += n) {
		n = 1;
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p };
			jbuf_mem(b, e, 2);
		} else if (*p < 0x20 || *p == 0x7f)
			jbuf_add(b, "\\u%04x", *p);
		else if ((n = jbuf_utf8_len(p)) == 0) {
			jbuf_mem(b, "\\ufffd", 6);
			n = 1;
		} else
			jbuf_mem(b, (const char *)p, n);
	}
	jbuf_mem(b, "\"", 1);
}

void
jbuf_num(struct jbuf *b, double v)
{
	if (!isfinite(v))
		jbuf_mem(b, "null", 4);
	else if (v == (double)(long long)v && fabs(v) < 1e15)
		jbuf_add(b, "%lld", (long long)v);
	else
		jbuf_add(b, "%.6g", v);
}

void
jbuf_truncate(struct jbuf *b, size_t len)
{
	if (b->s == NULL || len > b->len)
		return;
	b->len = len;
	b->s[b->pre + len] = '\0';
}
