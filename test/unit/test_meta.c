/* test_meta - worker/meta.c: the trailer ingest writes is read back; what
 * is not UTF-8, not an object or out of range is refused with a reason,
 * and nothing is converted out of range. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "meta.h"

CASE(ingest_trailer)
{
	struct meta m;
	char err[256] = "";

	CHECK_INT(meta_parse("{\"camera\":\"gate1\",\"frame\":\"1-000\",\"received_us\":1764026596123456,\"seq\":9007199254740,"
	    "\"unlooked\":5,\"width\":640,\"height\":480,\"temperature\":36.6,\"persons\":[{\"x\":10.5,\"y\":20,\"w\":30,"
	    "\"h\":40,\"score\":0.5}]}", &m, err, sizeof(err)), 0, "what ingest writes is read");
	CHECK_INT(m.width, 640, "width");
	CHECK_INT(m.received_us, 1764026596123456LL, "received_us exactly");
	CHECK_INT(m.seq, 9007199254740LL, "the camera's frame number exactly");
	CHECK_INT(m.unlooked, 5, "its frames nobody looked at");
	CHECK(fabsf(m.temperature - 36.6f) < 1e-4f, "temperature");
	CHECK_INT(m.npersons, 1, "one person");
	CHECK(m.persons[0].x == 10.5f && m.persons[0].h == 40 && m.persons[0].score == 0.5f, "its box");
}

CASE(shapes)
{
	struct meta m;

	CHECK_INT(meta_parse("", &m, NULL, 0), 0, "no metadata is valid");
	CHECK(isnan(m.temperature) && m.npersons == 0 && m.seq == 0 && m.unlooked == 0, "and gives defaults");
	CHECK_INT(meta_parse("{\"boxes\":[[1,2,30,40,0.9],[0,0,0,0]],\"temperature\":null,\"x\":{\"y\":[1]}}",
	    &m, NULL, 0), 0, "boxes as arrays, unknown keys skipped");
	CHECK_INT(m.npersons, 1, "an empty box is dropped");
	CHECK(m.persons[0].w == 30 && m.persons[0].score == 0.9f, "the array's order is x,y,w,h,score");
}

CASE(refused)
{
	static const char *const bad[][2] = {
		{ "{\"camera\":\"g\xff\"}", "not UTF-8" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"width\":1e300}", "out of range" },
		{ "{\"received_us\":-1}", "out of range" },
		{ "{\"seq\":-1}", "whole number" },
		{ "{\"unlooked\":2.5}", "whole number" },
		{ "{\"seq\":1e300}", "whole number" },
		{ "{\"persons\":[{\"x\":1e300,\"w\":5,\"h\":5}]}", "out of range" },
		{ "{\"persons\":{}}", "must be an array" },
		{ "{\"persons\":[\"x\"]}", "object or array" },
		{ "{\"width\":640", "metadata JSON" },
	};
	struct meta m;
	char err[256], what[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		snprintf(what, sizeof(what), "refused, naming \"%s\" (case %zu)", bad[i][1], i);
		CHECK(meta_parse(bad[i][0], &m, err, sizeof(err)) == -EBADMSG && strstr(err, bad[i][1]) != NULL, what);
		CHECK(m.npersons == 0, "and no persons kept");
	}
}

CHECK_MAIN()
