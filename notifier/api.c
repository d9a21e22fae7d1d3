/* api - JSON answers for /api/...; see api.h for the list. Every answer is
 * built whole in memory (bounded: at most 500 results) and handed to web
 * for writing. */
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cams.h"
#include "db.h"
#include "live.h"
#include "log.h"
#include "util.h"

static const struct config *cfg;

void
api_init(const struct config *c)
{
	cfg = c;
}

static int
api_error(struct jbuf *out, int status, const char *msg)
{
	jbuf_truncate(out, 0);
	jbuf_add(out, "{\"error\":");
	jbuf_str(out, msg);
	jbuf_add(out, "}");
	return status;
}

/* api_arg - the value of name (without '='), or NULL if absent or empty. */
static const char *
api_arg(struct lws *wsi, const char *name, char *buf, int len)
{
	char key[32];
	const char *v;

	snprintf(key, sizeof(key), "%s=", name);
	v = lws_get_urlarg_by_name(wsi, key, buf, len);
	return v && *v ? v : NULL;
}

/* api_int - parse a decimal integer in [min, max]; -1 if malformed. */
static int
api_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
api_results(struct lws *wsi, struct jbuf *out)
{
	char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64];
	const char *v;
	struct db_query q;
	long long n;

	memset(&q, 0, sizeof(q));
	q.limit = 50;
	if ((v = api_arg(wsi, "camera", b1, sizeof(b1))) != NULL) {
		if (!util_camera_id_valid(v))
			return api_error(out, 400, "camera: not a camera id");
		q.camera = v;
	}
	if ((v = api_arg(wsi, "verdict", b2, sizeof(b2))) != NULL) {
		if (strcmp(v, "PASS") != 0 && strcmp(v, "DENY") != 0)
			return api_error(out, 400, "verdict: PASS or DENY");
		q.verdict = v;
	}
	if ((v = api_arg(wsi, "since", b3, sizeof(b3))) != NULL) {
		if (api_int(v, 1, 100000000000000LL, &n) != 0)
			return api_error(out, 400, "since: unix milliseconds");
		q.since_ms = n;
	}
	if ((v = api_arg(wsi, "until", b4, sizeof(b4))) != NULL) {
		if (api_int(v, 1, 100000000000000LL, &n) != 0)
			return api_error(out, 400, "until: unix milliseconds");
		q.until_ms = n;
	}
	if ((v = api_arg(wsi, "limit", b5, sizeof(b5))) != NULL) {
		if (api_int(v, 1, 500, &n) != 0)
			return api_error(out, 400, "limit: 1..500");
		q.limit = (int)n;
	}
	if ((v = api_arg(wsi, "before_id", b6, sizeof(b6))) != NULL) {
		if (api_int(v, 1, 1LL << 62, &n) != 0)
			return api_error(out, 400, "before_id: a positive result id");
		q.before_id = n;
	}
	if (db_results_json(out, &q) < 0) {
		log_warnx(NULL, "api results: %s", db_errmsg());
		return api_error(out, 500, "database error");
	}
	return 200;
}

int
api_handle(struct lws *wsi, const char *path, struct jbuf *out)
{
	if (strcmp(path, "/api/health") == 0) {
		int ok = db_health() == 0;

		jbuf_add(out, "{\"ok\":%s,\"db\":\"%s\",\"live_clients\":%d}", ok ? "true" : "false",
		    ok ? "ok" : "error", live_count());
		return ok ? 200 : 503;
	}
	if (strcmp(path, "/api/config") == 0) {
		jbuf_add(out, "{\"ingest_port\":%d,\"tls\":%s}", cfg->ingest_port,
		    cfg->tls_cert[0] ? "true" : "false");
		return 200;
	}
	if (strcmp(path, "/api/cameras") == 0) {
		cams_list_json(out);
		return 200;
	}
	if (strcmp(path, "/api/stats/today") == 0) {
		if (db_stats_today(out) < 0) {
			log_warnx(NULL, "api stats: %s", db_errmsg());
			return api_error(out, 500, "database error");
		}
		return 200;
	}
	if (strcmp(path, "/api/results") == 0)
		return api_results(wsi, out);
	return api_error(out, 404, "no such API");
}
