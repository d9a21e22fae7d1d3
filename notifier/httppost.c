/* httppost - one HTTP(S) POST with libcurl's easy interface; see
 * httppost.h. */
#include <stdio.h>

#include "httppost.h"

static size_t
httppost_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* httppost_abort - curl's progress callback: nonzero aborts the transfer */
static int
httppost_abort(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	atomic_int *stop = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return stop != NULL && atomic_load(stop);
}

/* httppost_why - err for a failed transfer, naming the connection or the
 * certificate where that failed */
static void
httppost_why(CURLcode cc, const char *detail, char *err, size_t errlen)
{
	const char *what = detail[0] ? detail : curl_easy_strerror(cc);

	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		snprintf(err, errlen, "net: connect: %s", what);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(err, errlen, "net: tls: certificate: %s", what);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		snprintf(err, errlen, "net: interrupted by shutdown");
		break;
	default:
		snprintf(err, errlen, "net: %s", what);
	}
}

long
httppost_send(const struct httppost *p, char *err, size_t errlen)
{
	char detail[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode cc;
	CURL *c;

	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "net: out of memory");
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, p->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gatewatch-notifier");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)p->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, p->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3 * p->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, httppost_discard);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, httppost_abort);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, p->stop);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (p->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
	if ((cc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		httppost_why(cc, detail, err, errlen);
	curl_easy_cleanup(c);
	return status;
}
