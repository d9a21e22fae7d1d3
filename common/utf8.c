/* utf8 - checking and repairing outside text before it is echoed in JSON
 * or a log line: a decoder of one sequence at a time, strict as RFC 3629. */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* utf8_seq - the length of the well-formed sequence at s (len bytes
 * left), or 0 if the byte at s does not start one. */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;          /* overlong */
		else if (c == 0xed)
			hi = 0x9f;          /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;          /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;          /* above U+10FFFF */
	} else
		return 0;
	if (len < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* utf8_copy - utf8_repair's loop; ctl: also replace control characters. */
static size_t
utf8_copy(char *dst, size_t size, const char *src, int ctl)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *p = (const unsigned char *)src;
	size_t len = strlen(src), i = 0, o = 0, n, bad = 0;

	if (size == 0)
		return 0;
	while (i < len) {
		const char *piece = (const char *)p + i;

		if ((n = utf8_seq(p + i, len - i)) == 0) {
			piece = fffd;
			n = 3;
			bad++;
			i++;
		} else if (ctl && n == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			piece = "?";
			bad++;
			i++;
		} else
			i += n;
		if (o + n >= size)
			break;
		memcpy(dst + o, piece, n);
		o += n;
	}
	dst[o] = '\0';
	return bad;
}

size_t
utf8_repair(char *dst, size_t size, const char *src)
{
	return utf8_copy(dst, size, src, 1);
}

json_t *
utf8_json(const char *s)
{
	size_t len, size;
	json_t *j;
	char *fixed;

	if (s == NULL)
		return json_null();
	len = strlen(s);
	if (utf8_valid(s, len))
		return json_stringn(s, len);
	size = len * 3 + 1;              /* every byte may become U+FFFD */
	if ((fixed = malloc(size)) == NULL)
		return NULL;
	utf8_copy(fixed, size, s, 0);
	j = json_string(fixed);
	free(fixed);
	return j;
}
