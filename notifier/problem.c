/* problem - RFC 9457 problem details (see problem.h). */
#include <string.h>

#include "problem.h"

const char *
problem_title(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

int
problem_json(struct jbuf *out, int status, const char *detail)
{
	jbuf_truncate(out, 0);
	/* detail may quote what a client sent: jbuf_str replaces what is not UTF-8 */
	jbuf_add(out, "{\"type\":\"about:blank\",\"title\":");
	jbuf_str(out, problem_title(status));
	jbuf_add(out, ",\"status\":%d,\"detail\":", status);
	jbuf_str(out, detail);
	jbuf_add(out, ",\"error\":");
	jbuf_str(out, detail);
	jbuf_add(out, "}");
	return status;
}

/* problem_status_line - lws 4.1 knows the reason phrase of only some statuses
 * and writes "HTTP/1.1 201 \r\n" for the others (201, 204, 422, 429...),
 * and names 301 and 302 "Redirect": put problem_title's in. start: where
 * lws began the status line (HTTP/1 only: HTTP/2 has no phrase); *p: the
 * end of what lws wrote. 0, or 1 when out of room. */
int
problem_status_line(int status, unsigned char *start, unsigned char **p, unsigned char *end)
{
	const char *why = problem_title(status);
	size_t n = strlen(why), had;
	unsigned char *eol, *phrase = start + 13;   /* "HTTP/1.1 NNN " */

	if (*p - start < 14 || memcmp(start, "HTTP/1.", 7) != 0 || start[12] != ' ' ||
	    (eol = memchr(start, '\r', (size_t)(*p - start))) == NULL || eol < phrase)
		return 0;
	if ((had = (size_t)(eol - phrase)) > 0 && status / 100 != 3)
		return 0;   /* lws's own phrase, right for all but the 3xx */
	if (n > had && (size_t)(end - *p) <= n - had)
		return 1;
	memmove(phrase + n, eol, (size_t)(*p - eol));
	memcpy(phrase, why, n);
	*p = *p - had + n;
	return 0;
}
