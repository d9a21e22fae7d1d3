/* fuzz_http - libFuzzer: what a browser sends the notifier, past its HTTP
 * parser (libwebsockets): the URL path checks of web.c (static files under
 * www.dir, /snapshots/<camera>/<id>.jpg) and POST bodies to the API
 * (api_post: alert acks, overrides), against an in-memory database.
 * Input: the path, a newline, the body. web.c and api.c are included to
 * reach their static helpers; the rest of the notifier is linked. */
#include "../../notifier/web.c"
#include "../../notifier/api.c"

#include "db.h"
#include "live.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	static int ready;
	char path[512], snap[CONFIG_PATH_SIZE + 128], err[256];
	const char *nl;
	size_t plen;
	struct jbuf out;

	if (!ready) {
		config_defaults(&c);
		util_strlcpy(c.dir, "/nonexistent", sizeof(c.dir));
		cfg = &c;   /* web.c's */
		api_init(&c);
		live_init(16);
		log_init("fuzz", LOG_LEVEL_ERROR);
		if (db_open(":memory:", err, sizeof(err)) != 0)
			abort();
		ready = 1;
	}
	nl = memchr(data, '\n', size);
	plen = nl ? (size_t)(nl - (const char *)data) : size;
	if (plen >= sizeof(path))
		plen = sizeof(path) - 1;
	memcpy(path, data, plen);
	path[plen] = '\0';
	if (strlen(path) != plen)   /* lws hands us C strings */
		return 0;
	(void)web_type(path);
	if (web_static_path_ok(path))
		(void)web_type(path);
	if (strncmp(path, "/snapshots/", 11) == 0)
		(void)web_snapshot_path(path, snap, sizeof(snap));
	(void)web_track_id_valid(path);
	if (strncmp(path, "/api/", 5) == 0) {
		const char *body = nl ? nl + 1 : "";
		size_t blen = nl ? size - plen - 1 : 0;

		jbuf_init(&out, 0);
		(void)api_post(path, body, blen, &out);
		jbuf_free(&out);
	}
	return 0;
}
