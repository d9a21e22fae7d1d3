/* jbuf - a growing text buffer for building JSON on the loop thread.
 * An allocation failure is sticky: later appends do nothing and
 * jbuf_failed() says so, so callers check once at the end. */
#ifndef GW_JBUF_H
#define GW_JBUF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct jbuf {
	char *s;        /* owned; NUL-terminated; freed by jbuf_free */
	size_t len, cap;
	size_t pre;     /* bytes reserved in front of s (LWS_PRE), set at init */
	int failed;
};

/* jbuf_init - empty buffer with pre bytes of headroom before the text. */
void jbuf_init(struct jbuf *b, size_t pre);
void jbuf_free(struct jbuf *b);
int jbuf_failed(const struct jbuf *b);

/* jbuf_add - append printf-formatted text as is. */
void jbuf_add(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* jbuf_mem - append raw bytes. */
void jbuf_mem(struct jbuf *b, const char *p, size_t n);
/* jbuf_json - append v as compact JSON (jansson's encoder, reals to 6
 * significant digits) and drop the reference. Returns 0, or -1 (and
 * appends nothing) when v is NULL, as a failed query returns, or out of
 * memory. The one way JSON text is written in the notifier. */
int jbuf_json(struct jbuf *b, json_t *v);
/* jbuf_str - append s as a JSON string (NULL -> null): utf8_json, so
 * bytes that are not UTF-8 become U+FFFD and none is echoed as is. */
void jbuf_str(struct jbuf *b, const char *s);
/* jbuf_number - v as a JSON number (an integer when it is whole), NaN
 * and Inf as null: how every measured value is written. */
json_t *jbuf_number(double v);
/* jbuf_time - unix microseconds as a UTC ISO 8601 string ("...Z"). */
json_t *jbuf_time(int64_t us);
/* jbuf_truncate - drop everything after the first len bytes. */
void jbuf_truncate(struct jbuf *b, size_t len);
/* jbuf_text - the text (after the headroom). */
char *jbuf_text(const struct jbuf *b);

#endif
