/* httppost - one HTTP(S) POST with libcurl, for the delivery threads
 * (webhook.c, webpush.c): the library does the URL, proxies (http_proxy,
 * https_proxy, no_proxy), IPv4/IPv6, TLS with peer verification and the
 * timeouts. Blocking: call it from a thread of its own, never the loop. */
#ifndef GW_HTTPPOST_H
#define GW_HTTPPOST_H

#include <stdatomic.h>
#include <stddef.h>
#include <curl/curl.h>

struct httppost {
	const char *url;
	struct curl_slist *headers;  /* the request's own, or NULL */
	const void *body;
	size_t len;
	long timeout_ms;             /* to connect; the whole request gets 3x */
	const char *ca_file;         /* PEM bundle to trust; NULL = system CAs */
	atomic_int *stop;            /* nonzero aborts the request (checked at least once a second); or NULL */
};

/* httppost_send - POST p->body to p->url. Returns the answer's status, or
 * 0 with err set to "net: ..." (the transfer failed: "net: connect: ..."
 * when the connection did, "net: tls: certificate: ..." when the peer's
 * certificate was refused, "net: interrupted by shutdown" on *stop). The
 * answer's body is read and dropped. Any thread; curl_global_init first. */
long httppost_send(const struct httppost *p, char *err, size_t errlen);

#endif
