/* problem - RFC 9457 problem details (see problem.h). */
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
