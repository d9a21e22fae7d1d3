/* test_utf8 - common/utf8.c: what counts as UTF-8, and text that is not
 * UTF-8 repaired (never passed through) on its way into a log line or JSON. */
#include <string.h>

#include "check.h"
#include "utf8.h"

CASE(valid)
{
	const char *mixed = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";

	CHECK(utf8_valid("gate1", 5), "ASCII is UTF-8");
	CHECK(utf8_valid(mixed, strlen(mixed)), "2-, 3- and 4-byte sequences are UTF-8");
	CHECK(!utf8_valid("caf\xe9", 4), "a Latin-1 byte is not");
	CHECK(!utf8_valid("\xc3", 1), "a sequence cut short is not");
	CHECK(!utf8_valid("\xc0\xaf", 2), "an overlong '/' is not");
	CHECK(!utf8_valid("\xed\xa0\x80", 3), "a surrogate is not");
	CHECK(!utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF is not");
	CHECK(!utf8_valid("\xff\xfe", 2), "0xff 0xfe is not");
}

CASE(repair)
{
	char out[64];

	CHECK_INT(utf8_repair(out, sizeof(out), "gate1"), 0, "UTF-8 text needs no repair");
	CHECK_STR(out, "gate1", "and is copied as it is");
	CHECK_INT(utf8_repair(out, sizeof(out), "ab\xff" "c"), 1, "one bad byte is one repair");
	CHECK_STR(out, "ab\xef\xbf\xbd" "c", "the bad byte becomes U+FFFD");
	CHECK_INT(utf8_repair(out, sizeof(out), "a\nb\x7f"), 2, "control characters are repaired too");
	CHECK_STR(out, "a?b?", "as '?', so a log line stays one line");
	utf8_repair(out, 5, "ab\xc3\xa9\xc3\xa9");
	CHECK_STR(out, "ab\xc3\xa9", "truncation keeps whole characters");
	CHECK(utf8_valid(out, strlen(out)), "and the result is UTF-8");
}

CASE(json)
{
	json_t *j = utf8_json("x\xff\xfey\n");
	char *text;

	CHECK(j != NULL && json_is_string(j), "text that is not UTF-8 still becomes a JSON string");
	text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	CHECK_STR(text, "\"x\xef\xbf\xbd\xef\xbf\xbdy\\n\"", "bad bytes replaced, the newline escaped by JSON");
	free(text);
	json_decref(j);
	j = utf8_json(NULL);
	CHECK(json_is_null(j), "NULL is JSON null");
	json_decref(j);
	j = utf8_json("\xc3\xa9t\xc3\xa9");
	CHECK_STR(j ? json_string_value(j) : NULL, "\xc3\xa9t\xc3\xa9", "UTF-8 text is kept as it is");
	json_decref(j);
}

CHECK_MAIN()
