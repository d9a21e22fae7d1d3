/* fuzz_http - libFuzzer: what a browser sends the notifier, past its HTTP
 * parser (libwebsockets): the URL path checks of webpath.c (static files
 * under www.dir, /snapshots/<camera>/<id>.jpg) and POST bodies to the API
 * (api_post: alert acks, overrides), against an in-memory database;
 * the Location of http:// on the TLS port and of the login redirect
 * (the path, the body as Host and query). Input: the path, a newline,
 * the body. The notifier's objects but main are linked, what this
 * reaches instrumented (mk/fuzz.mk). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "db.h"
#include "live.h"
#include "log.h"
#include "util.h"
#include "webpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	static int ready;
	char path[512], snap[CONFIG_PATH_SIZE + 128], err[256], host[512], loc[512];
	const char *nl, *body;
	size_t plen, blen;
	struct jbuf out;

	if (!ready) {
		config_defaults(&c);
		util_strlcpy(c.dir, "/nonexistent", sizeof(c.dir));
		api_init(&c);
		live_init(16);
		log_init("fuzz", LOG_LEVEL_ERROR);
		if (db_open(":memory:", err, sizeof(err)) != 0)
			abort();
		ready = 1;
	}
	nl = memchr(data, '\n', size);
	plen = nl ? (size_t)(nl - (const char *)data) : size;
	body = nl ? nl + 1 : "";   /* what follows the newline (not plen: it is cut below) */
	blen = nl ? size - (size_t)(nl - (const char *)data) - 1 : 0;
	if (plen >= sizeof(path))
		plen = sizeof(path) - 1;
	memcpy(path, data, plen);
	path[plen] = '\0';
	if (strlen(path) != plen)   /* lws hands us C strings */
		return 0;
	(void)webpath_type(path);
	if (webpath_static_ok(path))
		(void)webpath_type(path);
	if (strncmp(path, "/snapshots/", 11) == 0)
		(void)webpath_snapshot(c.dir, path, snap, sizeof(snap));
	(void)webpath_public(path);
	if (blen < sizeof(host)) {
		memcpy(host, body, blen);
		host[blen] = '\0';
		if (webpath_https_location(host, path, host, loc, sizeof(loc)) == 0 && strpbrk(loc, "\r\n "))
			abort();   /* a Location must never carry a line end or a space */
		if (strpbrk(webpath_login_location(path, loc, sizeof(loc)), "\r\n "))
			abort();
	}
	if (strncmp(path, "/api/", 5) == 0) {
		jbuf_init(&out, 0);
		(void)api_post(path, body, blen, &out);
		jbuf_free(&out);
	}
	return 0;
}
