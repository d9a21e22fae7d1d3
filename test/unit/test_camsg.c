/* test_camsg - ingest/camsg.c: a camera's hello and meta parsed, bad text
 * refused with a reason that is itself UTF-8, and ingest's messages
 * never carrying bytes that are not UTF-8. */
#include <math.h>
#include <string.h>

#include "camsg.h"
#include "check.h"
#include "utf8.h"

/* test_camsg_dump - o as ingest sends it (camsg_dump), NUL-terminated. */
static char *
test_camsg_dump(json_t *o)
{
	size_t len = 0;
	unsigned char *buf = o ? camsg_dump(o, 0, &len) : NULL;
	char *s;

	json_decref(o);
	if (buf == NULL || (s = malloc(len + 1)) == NULL) {
		free(buf);
		return NULL;
	}
	memcpy(s, buf, len);
	s[len] = '\0';
	free(buf);
	return s;
}

CASE(hello_and_meta)
{
	struct camsg m;
	char err[256] = "";
	const char *hello = "{\"type\":\"hello\",\"camera\":\"gate1\",\"token\":\"tok\",\"extra\":[1]}";
	const char *meta = "{\"type\":\"meta\",\"temperature\":36.5}";

	CHECK_INT(camsg_parse(hello, strlen(hello), &m, err, sizeof(err)), 0, "a hello parses");
	CHECK(m.type == CAMSG_HELLO && m.has_camera && m.has_token, "as a hello with camera and token");
	CHECK_STR(m.camera, "gate1", "its camera");
	CHECK_INT(camsg_parse(meta, strlen(meta), &m, err, sizeof(err)), 0, "a meta parses");
	CHECK(m.type == CAMSG_META && fabsf(m.temperature - 36.5f) < 1e-4f, "with its temperature");
}

CASE(refused)
{
	static const char *const bad[][3] = {
		{ "{\"type\":\"hello\",\"camera\":\"gate1\xff\xfe\",\"token\":\"t\"}", "-74", "UTF-8" },
		{ "{\"type\":\"hello\",\"camera\":\"gate1\\u0000x\",\"token\":\"t\"}", "-74", "bad JSON" },
		{ "{\"type\":\"hello\",\"camera\":\"a\",\"camera\":\"b\"}", "-74", "duplicate" },
		{ "[1]", "-74", "object" },
		{ "{\"type\":\"dance\"}", "-22", "dance" },
		{ "{\"kind\":\"hello\"}", "-22", "type" },
		{ "{\"type\":\"meta\",\"temperature\":\"hot\"}", "-22", "degrees" },
	};
	struct camsg m;
	char err[256], what[160];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = camsg_parse(bad[i][0], strlen(bad[i][0]), &m, err, sizeof(err));

		snprintf(what, sizeof(what), "case %zu refused (%s) naming \"%s\"", i, bad[i][1], bad[i][2]);
		CHECK(rc == atoi(bad[i][1]) && strstr(err, bad[i][2]) != NULL, what);
		CHECK(utf8_valid(err, strlen(err)), "its reason is UTF-8");
	}
}

CASE(answers_are_utf8)
{
	struct nn_box b = { 1.25f, 2, 3, 4, 0.12345f };
	char *s;

	s = test_camsg_dump(camsg_error("bad_message", "caf\xe9 \xff"));
	CHECK(s != NULL && utf8_valid(s, strlen(s)), "an error quoting bytes that are not UTF-8 is UTF-8");
	CHECK(s != NULL && strstr(s, "\xef\xbf\xbd") != NULL, "the bad bytes are replaced");
	free(s);
	s = test_camsg_dump(camsg_answer(7, NULL, "accepted", "1 person found", &b, 1, 12.34));
	CHECK_STR(s, "{\"type\":\"answer\",\"seq\":7,\"frame\":null,\"status\":\"accepted\",\"reason\":\"1 person found\","
	    "\"persons\":[{\"x\":1.3,\"y\":2.0,\"w\":3.0,\"h\":4.0,\"score\":0.123}],\"ms\":12.3}",
	    "an answer: boxes to 0.1 px, score to 0.001");
	free(s);
}

/* A gate message said again for a camera's (re)connection carries
 * "replay":true; a live one has no such member. */
CASE(gate_replay)
{
	struct msg_verdict v;
	char *s;

	memset(&v, 0, sizeof(v));
	strcpy(v.ref.camera, "gate1");
	strcpy(v.ref.frame_id, "f1");
	v.track_id = 1732490000000007;
	v.kind = MSG_GATE_APPEARED;
	s = test_camsg_dump(camsg_gate(&v, "."));
	CHECK_STR(s, "{\"type\":\"person\",\"track\":\"1732490000000007\",\"event\":\"appeared\"}",
	    "a live person message has no replay");
	free(s);
	v.replay = 1;
	s = test_camsg_dump(camsg_gate(&v, "."));
	CHECK_STR(s, "{\"type\":\"person\",\"track\":\"1732490000000007\",\"event\":\"appeared\",\"replay\":true}",
	    "a replayed person message says replay:true");
	free(s);
	v.kind = MSG_GATE_VERDICT;
	v.verdict = MSG_VERDICT_PASS;
	v.temperature = NAN;
	s = test_camsg_dump(camsg_gate(&v, "."));
	CHECK_INT(s != NULL && strstr(s, "\"verdict\":\"PASS\"") != NULL && strstr(s, ",\"replay\":true}") != NULL, 1,
	    "a replayed verdict says replay:true");
	free(s);
}

CHECK_MAIN()
