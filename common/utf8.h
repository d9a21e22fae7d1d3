/* utf8 - text from outside (a camera, a file name, a peer) on its way
 * into JSON or a log line: checked, and where it is not UTF-8, repaired
 * instead of echoed byte for byte. jansson refuses to hold invalid UTF-8
 * (json_string returns NULL), so every string that did not come from
 * gatewatch itself goes into a JSON document through utf8_json. */
#ifndef GW_UTF8_H
#define GW_UTF8_H

#include <stddef.h>

#include <jansson.h>

/* utf8_valid - 1 if s[0..len) is well-formed UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF), else 0. */
int utf8_valid(const char *s, size_t len);

/* utf8_repair - copy the NUL-terminated src into dst (size bytes, always
 * NUL-terminated when size > 0), each byte that does not start a
 * well-formed sequence replaced by U+FFFD and control characters (below
 * 0x20, 0x7f) by '?', so the result is safe on one log line too. Truncates
 * at a character boundary. Returns the number of bytes replaced. */
size_t utf8_repair(char *dst, size_t size, const char *src);

/* utf8_json - a new JSON string holding s (NULL gives JSON null), repaired
 * as utf8_repair does where s is not UTF-8 (control characters are kept:
 * JSON escapes them). Returns NULL only when out of memory. */
json_t *utf8_json(const char *s);

#endif
