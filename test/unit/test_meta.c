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

/* "faces": ingest's close-up run (round 10), read back to the float; an
 * older trailer has none. */
CASE(closeup_faces)
{
	struct meta m;
	char err[256] = "";

	CHECK_INT(meta_parse("{\"persons\":[[140.8,73.8,74.7,129.7,0.683]],\"faces\":{\"input\":360,"
	    "\"threshold\":0.3000000119,\"boxes\":[[159.511261,87.74469757,37.33401489,46.33414459,0.6833558679],"
	    "[10,20,30,40,0.31]]}}", &m, err, sizeof(err)), 0, "the faces ingest writes are read");
	CHECK_INT(m.faces.input, 360, "their input size");
	CHECK(m.faces.threshold == 0.3f, "their threshold, the float exactly");
	CHECK_INT(m.faces.n, 2, "two faces");
	CHECK(m.faces.f[0].x == 159.511261f && m.faces.f[0].h == 46.33414459f && m.faces.f[0].score == 0.6833558679f,
	    "the first, each value the float exactly");
	CHECK(m.faces.f[1].w == 30 && m.faces.f[1].score == 0.31f, "the second");
	CHECK_INT(m.npersons, 1, "the person box beside them");
	CHECK_INT(meta_parse("{\"persons\":[[1,2,30,40,0.9]]}", &m, NULL, 0), 0, "an older trailer");
	CHECK(m.faces.input == 0 && m.faces.n == 0, "has no faces");
	CHECK_INT(meta_parse("{\"faces\":{\"input\":360,\"threshold\":0.3,\"boxes\":[]}}", &m, NULL, 0), 0,
	    "a close-up run that found nobody above 0.3");
	CHECK(m.faces.input == 360 && m.faces.n == 0, "is a run with no faces");
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
		{ "{\"faces\":[]}", "faces must be" },
		{ "{\"faces\":{\"input\":360,\"boxes\":[]}}", "faces must be" },
		{ "{\"faces\":{\"input\":36.5,\"threshold\":0.3,\"boxes\":[]}}", "whole number" },
		{ "{\"faces\":{\"input\":4096,\"threshold\":0.3,\"boxes\":[]}}", "whole number" },
		{ "{\"faces\":{\"input\":360,\"threshold\":1.5,\"boxes\":[]}}", "threshold" },
		{ "{\"faces\":{\"input\":360,\"threshold\":0.3,\"boxes\":[[1,2,3,4]]}}", "[x,y,w,h,score]" },
		{ "{\"faces\":{\"input\":360,\"threshold\":0.3,\"boxes\":[[1,2,0,4,0.5]]}}", "width and a height" },
		{ "{\"faces\":{\"input\":360,\"threshold\":0.3,\"boxes\":[[1,2,3,4,0.2]]}}", "over the faces' threshold" },
		{ "{\"faces\":{\"input\":360,\"threshold\":0.3,\"boxes\":[[1,2,3,4,1.5]]}}", "at most 1" },
		{ "{\"faces\":{\"input\":360,\"threshold\":0.3,\"boxes\":[[1,2,3,4,0.5],[1,2,3,4,0.6]]}}", "best first" },
		{ "{\"faces\":{\"input\":360,\"threshold\":0.3,\"boxes\":[[1e300,2,3,4,0.5]]}}", "out of range" },
		{ "{\"faces\":{\"input\":360,\"threshold\":0.3,\"boxes\":[[\"x\",2,3,4,0.5]]}}", "not a number" },
	};
	struct meta m;
	char err[256], what[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		snprintf(what, sizeof(what), "refused, naming \"%s\" (case %zu)", bad[i][1], i);
		CHECK(meta_parse(bad[i][0], &m, err, sizeof(err)) == -EBADMSG && strstr(err, bad[i][1]) != NULL, what);
		CHECK(m.npersons == 0 && m.faces.input == 0 && m.faces.n == 0, "and no persons or faces kept");
	}
}

CHECK_MAIN()
