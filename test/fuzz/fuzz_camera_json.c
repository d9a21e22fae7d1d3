/* fuzz_camera_json - libFuzzer: a camera's text message through ingest's
 * parser (ingest/camsg.c: jansson, then the hello/meta fields), and what
 * it yields back out the way ingest echoes it: an error message with the
 * parser's reason, the camera id repaired through utf8_repair. Every
 * output must be UTF-8 (jansson refuses anything else). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camsg.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_dump - o must dump to UTF-8 JSON (o taken over). */
static void
fuzz_dump(json_t *o)
{
	unsigned char *buf;
	size_t len;

	if (o == NULL)
		abort();   /* no builder fails but for memory */
	if ((buf = camsg_dump(o, 16, &len)) != NULL) {
		if (!utf8_valid((const char *)buf + 16, len))
			abort();
		free(buf);
	}
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct camsg m;
	char err[256], safe[64];
	char *raw;
	int rc;

	rc = camsg_parse((const char *)data, size, &m, err, sizeof(err));
	if (rc != 0) {
		if (!utf8_valid(err, strlen(err)))
			abort();
		fuzz_dump(camsg_error("bad_message", err));
		return 0;
	}
	if (m.type == CAMSG_HELLO) {
		utf8_repair(safe, sizeof(safe), m.camera);
		fuzz_dump(camsg_error("auth", safe));
	}
	/* the raw bytes as a reason: repaired, never refused */
	if ((raw = malloc(size + 1)) != NULL) {
		for (size_t i = 0; i < size; i++)
			raw[i] = data[i] ? (char)data[i] : ' ';
		raw[size] = '\0';
		fuzz_dump(camsg_error("bad_message", raw));
		free(raw);
	}
	return 0;
}
