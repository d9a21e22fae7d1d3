/* json - the little JSON ingest needs: read one flat object sent by a
 * camera ({"type":"hello","camera":"gate1",...}), and append escaped
 * strings to the answers it writes. Not a general parser: nested values
 * are validated and skipped. */
#ifndef GW_INGEST_JSON_H
#define GW_INGEST_JSON_H

#include <stddef.h>

#define JSON_FIELDS_MAX 16
#define JSON_KEY_SIZE 32
#define JSON_STR_SIZE 256

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_NESTED };

struct json_field {
	char key[JSON_KEY_SIZE];
	enum json_type type;
	char str[JSON_STR_SIZE];   /* JSON_STRING: decoded UTF-8 (\u escapes of BMP only) */
	double num;                /* JSON_NUMBER; JSON_BOOL: 0 or 1 */
};

/* json_object_parse - parse s[0..len) as one JSON object. Fields beyond
 * max are ignored; keys or strings longer than the fixed sizes are an
 * error. Returns the number of fields stored, or -1 with a short human
 * reason in err. */
int json_object_parse(const char *s, size_t len, struct json_field *f, int max, char *err, size_t errlen);

/* json_find - the field named key, or NULL. */
const struct json_field *json_find(const struct json_field *f, int n, const char *key);

/* json_escape - write s as a quoted JSON string into out (always
 * NUL-terminated, truncated to fit). Returns the length written. */
size_t json_escape(char *out, size_t outlen, const char *s);

#endif
