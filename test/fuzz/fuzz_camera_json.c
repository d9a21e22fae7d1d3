/* fuzz_camera_json - libFuzzer: a camera's text message through ingest's
 * JSON reader (ingest/json.c), and every string it yields back out through
 * json_escape, as ingest answers do. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_field f[JSON_FIELDS_MAX];
	char err[160], out[JSON_STR_SIZE * 6 + 3];
	int n, i;

	n = json_object_parse((const char *)data, size, f, JSON_FIELDS_MAX, err, sizeof(err));
	for (i = 0; i < n; i++) {
		if (f[i].type == JSON_STRING)
			json_escape(out, sizeof(out), f[i].str);
		(void)json_find(f, n, f[i].key);
	}
	return 0;
}
