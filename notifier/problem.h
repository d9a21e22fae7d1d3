/* problem - error answers as RFC 9457 problem details:
 *   {"type":"about:blank","title":"Forbidden","status":403,
 *    "detail":"...","error":"..."}
 * ("error" repeats the detail for clients written before this format).
 * web.c sends them as application/problem+json. */
#ifndef GW_PROBLEM_H
#define GW_PROBLEM_H

#include "jbuf.h"

/* problem_json - replace out's text with a problem for status; returns
 * status, so handlers can `return problem_json(out, 404, "no such user")`. */
int problem_json(struct jbuf *out, int status, const char *detail);

/* problem_title - the reason phrase for an HTTP status (also the status
 * line's: web.c puts it where lws 4.1 has none). */
const char *problem_title(int status);

/* problem_status_line - put the reason phrase into the HTTP/1 status line
 * lws wrote from start to *p when it has none of its own ("HTTP/1.1 201 ",
 * lws 4.1) or calls a 3xx "Redirect". 0, or 1 when end leaves no room. */
int problem_status_line(int status, unsigned char *start, unsigned char **p, unsigned char *end);

#endif
