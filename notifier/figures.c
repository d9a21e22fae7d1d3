/* figures - the API's figures over any range: GET /api/stats/day/DATE,
 * /api/stats and /api/stats.csv (rest.h lists them). The arguments are
 * read on the loop thread; the query and the answer run off it
 * (webjob.h), on a read-only connection. */
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "figures.h"
#include "problem.h"
#include "query.h"
#include "rest.h"
#include "util.h"

static int64_t figures_date(const char *date);

/* figures_day_read - a day's figures, off the loop (webjob.h); arg: the
 * day's midnight, unix microseconds */
static int
figures_day_read(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen)
{
	(void)link, (void)linklen;
	/* midday: inside the day whatever a DST change does to its length */
	if (jbuf_json(out, query_stats_day(db, (time_t)(*(int64_t *)arg / 1000000) + 12 * 3600)) < 0)
		return api_db_error(db, "api stats day", out);
	return 200;
}

int
figures_day(const char *date, struct jbuf *out, struct api_read *rd)
{
	int64_t t0 = figures_date(date);

	if (t0 < 0)
		return problem_json(out, 400, "date: YYYY-MM-DD");
	return api_defer(rd, figures_day_read, &t0, sizeof(t0), out);
}

/* figures_date - local midnight starting date (YYYY-MM-DD) as unix us; -1 if bad. */
static int64_t
figures_date(const char *date)
{
	struct tm tm;
	char *end;
	time_t t;
	int y, m, d;

	memset(&tm, 0, sizeof(tm));
	if (date == NULL || strlen(date) != 10 || (end = strptime(date, "%Y-%m-%d", &tm)) == NULL || *end ||
	    tm.tm_year < 70 || tm.tm_year > 1100)
		return -1;
	y = tm.tm_year;
	m = tm.tm_mon;
	d = tm.tm_mday;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1 || tm.tm_year != y || tm.tm_mon != m || tm.tm_mday != d)
		return -1;   /* mktime moved it: no such day (2020-02-30) */
	return (int64_t)t * 1000000;
}

static void
figures_rate(json_t *counts)
{
	json_int_t p = json_integer_value(json_object_get(counts, "passed"));
	json_int_t d = json_integer_value(json_object_get(counts, "denied"));

	json_object_set_new(counts, "pass_rate", p + d > 0 ?
	    json_real((double)(long long)((double)p / (double)(p + d) * 10000 + 0.5) / 10000) : json_null());
}

/* figures_range_csv - the buckets of figures j as CSV */
static void
figures_range_csv(struct jbuf *out, json_t *j)
{
	json_t *it;
	size_t i;

	jbuf_add(out, "bucket,camera,people,passed,denied,alerts,overrides,pass_rate\r\n");
	json_array_foreach(json_object_get(j, "buckets"), i, it) {
		json_t *c = json_object_get(it, "counts");

		rest_csv_value(out, json_object_get(it, "bucket"));
		jbuf_add(out, ",");
		rest_csv_value(out, json_object_get(it, "camera"));
		jbuf_add(out, ",%lld,%lld,%lld,%lld,%lld,",
		    (long long)json_integer_value(json_object_get(c, "people")),
		    (long long)json_integer_value(json_object_get(c, "passed")),
		    (long long)json_integer_value(json_object_get(c, "denied")),
		    (long long)json_integer_value(json_object_get(c, "alerts")),
		    (long long)json_integer_value(json_object_get(c, "overrides")));
		rest_csv_value(out, json_object_get(c, "pass_rate"));
		jbuf_add(out, "\r\n");
	}
}

/* What /api/stats asks for: parsed on the loop, answered off it. */
struct figures_range {
	int64_t t0, t1;
	int csv;
	char fmt[16], from[16], to[16], by[8], camera[CAMERA_ID_SIZE];
};

/* figures_range_read - /api/stats and /api/stats.csv, off the loop */
static int
figures_range_read(sqlite3 *db, void *arg, struct jbuf *out, char *link, size_t linklen)
{
	const struct figures_range *r = arg;
	const char *cam = r->camera[0] ? r->camera : NULL, *key;
	char href[256];
	json_t *j, *it, *links, *v;
	size_t i;

	(void)link, (void)linklen;
	if ((j = query_stats_range(db, r->t0, r->t1, r->fmt, cam)) == NULL)
		return api_db_error(db, "api stats range", out);
	json_array_foreach(json_object_get(j, "buckets"), i, it)
		figures_rate(json_object_get(it, "counts"));
	figures_rate(json_object_get(j, "total"));
	json_object_foreach(json_object_get(j, "cameras"), key, v)
		figures_rate(v);
	if (r->csv) {
		figures_range_csv(out, j);
		json_decref(j);
		return 200;
	}
	json_object_set_new(j, "from", json_string(r->from));
	json_object_set_new(j, "to", json_string(r->to));
	json_object_set_new(j, "by", json_string(r->by));
	links = json_object();
	snprintf(href, sizeof(href), "/api/stats?from=%s&to=%s&by=%s%s%s", r->from, r->to, r->by,
	    cam ? "&camera=" : "", cam ? cam : "");
	json_object_set_new(links, "self", rest_link(href, NULL));
	snprintf(href, sizeof(href), "/api/stats.csv?from=%s&to=%s&by=%s%s%s", r->from, r->to, r->by,
	    cam ? "&camera=" : "", cam ? cam : "");
	json_object_set_new(links, "csv", rest_link(href, NULL));
	json_object_set_new(j, "_links", links);
	rest_put(out, j);
	json_decref(j);
	return 200;
}

/* figures_range - /api/stats and /api/stats.csv: the range asked for */
int
figures_range(struct lws *wsi, int csv, struct jbuf *out, struct api_read *rd)
{
	static const struct { const char *by, *fmt; int max_days; } bys[] = {
		{ "hour", "%Y-%m-%d %H:00", 31 }, { "day", "%Y-%m-%d", 3660 },
		{ "week", "%Y-W%W", 3660 }, { "month", "%Y-%m", 3660 },
	};
	char b1[16], b2[16], b3[16], b4[64], today[16];
	const char *from, *to, *by, *cam;
	struct figures_range r;
	time_t now = time(NULL), t;
	struct tm tm;
	size_t k;

	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	from = api_arg(wsi, "from", b1, sizeof(b1));
	to = api_arg(wsi, "to", b2, sizeof(b2));
	by = api_arg(wsi, "by", b3, sizeof(b3));
	cam = api_arg(wsi, "camera", b4, sizeof(b4));
	from = from ? from : today;
	to = to ? to : from;
	by = by ? by : "day";
	for (k = 0; k < sizeof(bys) / sizeof(bys[0]); k++)
		if (strcmp(by, bys[k].by) == 0)
			break;
	if (k == sizeof(bys) / sizeof(bys[0]))
		return problem_json(out, 400, "by: hour, day, week or month");
	memset(&r, 0, sizeof(r));
	if ((r.t0 = figures_date(from)) < 0 || (r.t1 = figures_date(to)) < 0)
		return problem_json(out, 400, "from, to: YYYY-MM-DD");
	if (cam && !util_camera_id_valid(cam))
		return problem_json(out, 400, "camera: not a camera id");
	/* the end: the midnight after "to" (36 h on, back to its midnight: DST) */
	t = (time_t)(r.t1 / 1000000) + 36 * 3600;
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	r.t1 = (int64_t)mktime(&tm) * 1000000;
	if (r.t1 <= r.t0)
		return problem_json(out, 400, "to is before from");
	if ((r.t1 - r.t0) / (86400 * 1000000LL) > bys[k].max_days)
		return problem_json(out, 400, k == 0 ? "by=hour: at most 31 days" : "at most 3660 days");
	r.csv = csv;
	util_strlcpy(r.fmt, bys[k].fmt, sizeof(r.fmt));
	util_strlcpy(r.from, from, sizeof(r.from));
	util_strlcpy(r.to, to, sizeof(r.to));
	util_strlcpy(r.by, by, sizeof(r.by));
	util_strlcpy(r.camera, cam ? cam : "", sizeof(r.camera));
	return api_defer(rd, figures_range_read, &r, sizeof(r), out);
}

/* rest_tracks_csv - /api/tracks.csv: people as CSV, with api.c's filters. */
