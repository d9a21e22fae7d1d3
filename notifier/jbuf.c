/* jbuf - a growing text buffer for building JSON, with optional headroom
 * in front so a finished message can be handed to lws_write() as is. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jbuf.h"
#include "utf8.h"

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

int
jbuf_json(struct jbuf *b, json_t *v)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6);
	size_t n;

	if (v == NULL)
		return -1;
	n = json_dumpb(v, NULL, 0, flags);
	if (n == 0 || jbuf_room(b, n) != 0 || json_dumpb(v, b->s + b->pre + b->len, n, flags) != n) {
		json_decref(v);
		b->failed = 1;
		return -1;
	}
	b->len += n;
	b->s[b->pre + b->len] = '\0';
	json_decref(v);
	return 0;
}

void
jbuf_str(struct jbuf *b, const char *s)
{
	if (jbuf_json(b, utf8_json(s)) != 0)
		b->failed = 1;
}

json_t *
jbuf_number(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == (double)(long long)v && fabs(v) < 1e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

json_t *
jbuf_time(int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(s);
}

void
jbuf_truncate(struct jbuf *b, size_t len)
{
	if (b->s == NULL || len > b->len)
		return;
	b->len = len;
	b->s[b->pre + len] = '\0';
}
