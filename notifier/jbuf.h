/* jbuf - a growing text buffer for building JSON on the loop thread.
 * An allocation failure is sticky: later appends do nothing and
 * jbuf_failed() says so, so callers check once at the end. */
#ifndef GW_JBUF_H
#define GW_JBUF_H

#include <stddef.h>

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
/* jbuf_str - append s as a quoted JSON string (NULL -> null). Invalid
 * UTF-8 and control characters are escaped, so any input is safe. */
void jbuf_str(struct jbuf *b, const char *s);
/* jbuf_num - append a number; NaN/Inf -> null. */
void jbuf_num(struct jbuf *b, double v);
/* jbuf_truncate - drop everything after the first len bytes. */
void jbuf_truncate(struct jbuf *b, size_t len);
/* jbuf_text - the text (after the headroom). */
char *jbuf_text(const struct jbuf *b);

#endif
