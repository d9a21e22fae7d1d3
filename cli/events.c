/* events - `gatewatch events`: the stored track events in DIR/gatewatch.db
 * (table track_events) as JSON lines, oldest first, read-only (the
 * notifier owns the database). Each line is
 *   {"id":N,"camera":"gate1","track_id":1732490000000007,"seq":1,
 *    "kind":"new|changed|ended|alert","verdict":"PASS|DENY|none",
 *    "reason":"..","decision":false,"at_us":..,"at":"<UTC ISO, ms>",
 *    "frame":"<frame id>"|null,"event":{..}}
 * where "event" is the item the notifier stored in the json column (what
 * /live pushed), or null with "damaged":true if that column is not an
 * object. --follow polls for new rows every EVENTS_POLL_MS until SIGINT or
 * SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "args.h"
#include "cmd.h"
#include "config.h"
#include "signals.h"
#include "utf8.h"

#define EVENTS_POLL_MS 500

static volatile sig_atomic_t events_stop;

static void
events_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch events [--dir DIR | -c FILE] [--set KEY=VALUE]... [--follow]\n"
	    "                        [--camera ID] [--limit N]\n"
	    "Prints the stored track events from DIR/gatewatch.db as JSON lines, oldest first.\n"
	    "  --limit N   only the newest N, still oldest first (default: all)\n"
	    "  --camera ID only this camera's events\n"
	    "  --follow    keep printing new events until interrupted (SIGINT, SIGTERM)\n");
}

static void
events_signal(int sig)
{
	(void)sig;
	events_stop = 1;
}

/* events_text - column i as a JSON string (repaired if the database holds
 * text that is not UTF-8), or null. */
static json_t *
events_text(sqlite3_stmt *st, int i)
{
	return utf8_json((const char *)sqlite3_column_text(st, i));
}

/* events_line - one track_events row (id, camera, track_id, seq, kind,
 * verdict, reason, decision, at_us, frame_id, json) as a JSON line. */
static void
events_line(sqlite3_stmt *st)
{
	const char *frame = (const char *)sqlite3_column_text(st, 9);
	const char *text = (const char *)sqlite3_column_text(st, 10);
	long long at = sqlite3_column_int64(st, 8);
	time_t t = (time_t)(at / 1000000);
	char iso[32], when[48];
	json_t *o, *event;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when, sizeof(when), "%s.%03dZ", iso, (int)((at / 1000) % 1000));
	o = json_pack("{s:I, s:o, s:I, s:I, s:o, s:o, s:o, s:b, s:I, s:s, s:o}",
	    "id", (json_int_t)sqlite3_column_int64(st, 0), "camera", events_text(st, 1),
	    "track_id", (json_int_t)sqlite3_column_int64(st, 2), "seq", (json_int_t)sqlite3_column_int64(st, 3),
	    "kind", events_text(st, 4), "verdict", events_text(st, 5), "reason", events_text(st, 6),
	    "decision", sqlite3_column_int(st, 7) != 0, "at_us", (json_int_t)at, "at", when,
	    "frame", frame && frame[0] ? utf8_json(frame) : json_null());
	if (o == NULL) {
		fprintf(stderr, "gatewatch events: out of memory\n");
		return;
	}
	event = text ? json_loads(text, 0, NULL) : NULL;
	if (json_is_object(event))
		json_object_set_new(o, "event", event);
	else {
		json_decref(event);
		json_object_set_new(o, "event", json_null());
		json_object_set_new(o, "damaged", json_true());
	}
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
}

/* events_print - print the rows with id > *last (only the newest limit of
 * them if limit >= 0), oldest first; advances *last. Returns the number
 * printed, or -1 on a database error (a busy database is tried again at
 * the next poll). */
static int
events_print(sqlite3 *db, const char *camera, long long limit, long long *last)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	rc = sqlite3_prepare_v2(db,
	    "SELECT * FROM (SELECT id, camera, track_id, seq, kind, verdict, reason, decision, at_us,"
	    " frame_id, json FROM track_events"
	    " WHERE id > ?1 AND (?2 IS NULL OR camera = ?2) ORDER BY id DESC LIMIT ?3)"
	    " ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "gatewatch events: %s\n", sqlite3_errmsg(db));
		return rc == SQLITE_BUSY ? 0 : -1;
	}
	sqlite3_bind_int64(st, 1, *last);
	if (camera)
		sqlite3_bind_text(st, 2, camera, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		events_line(st);
		*last = sqlite3_column_int64(st, 0);
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_BUSY) {
		fprintf(stderr, "gatewatch events: %s\n", sqlite3_errmsg(db));
		n = -1;
	}
	sqlite3_finalize(st);
	fflush(stdout);
	return n;
}

enum { EVENTS_KEY_CAMERA = ARGS_KEY_OWN, EVENTS_KEY_LIMIT };

static const struct args_flag events_flags[] = {
	{ "follow", 0, 'f' }, { "camera", 1, EVENTS_KEY_CAMERA }, { "limit", 1, EVENTS_KEY_LIMIT },
	{ NULL, 0, 0 },
};

struct events_opts {
	const char *camera;
	long long limit;
	int follow;
};

/* events_flag - args_parse's handler for events' own flags. */
static int
events_flag(void *ctx, int key, const char *arg)
{
	struct events_opts *o = ctx;
	char *end;

	if (key == 'f')
		o->follow = 1;
	else if (key == EVENTS_KEY_CAMERA)
		o->camera = arg;
	else {
		o->limit = strtoll(arg, &end, 10);
		if (*end != '\0' || o->limit < 0) {
			fprintf(stderr, "gatewatch events: --limit %s: not a count\n", arg);
			return -1;
		}
	}
	return 0;
}

int
cmd_events(int argc, char **argv)
{
	struct config c;
	struct args_config ac;
	struct events_opts o = { NULL, -1, 0 };
	char path[CONFIG_PATH_SIZE + 32];
	long long last = 0;
	int rc;
	sqlite3 *db = NULL;

	if (args_config_start(&ac, 2 * argc, argv) != 0)
		return 1;
	if ((rc = args_parse_flags("events", argc, argv, events_flags, &ac, events_flag, &o, events_usage)) != -1)
		return rc;
	if (args_config_finish(&ac, "events", &c) != 0)
		return 2;
	if (config_path(&c, "gatewatch.db", path, sizeof(path)) != 0 || access(path, R_OK) != 0) {
		fprintf(stderr, "gatewatch events: no database at %s (has the notifier run there?)\n", path);
		return 1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "gatewatch events: %s: %s\n", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return 1;
	}
	sqlite3_busy_timeout(db, 2000);
	signals_on_stop(events_signal);

	/* nothing printed is said, so a mistyped --camera is not mistaken for a quiet one */
	if ((rc = events_print(db, o.camera, o.limit, &last)) == 0 && !o.follow)
		fprintf(stderr, "gatewatch events: no events%s%s in %s\n", o.camera ? " of camera " : "",
		    o.camera ? o.camera : "", path);
	rc = rc < 0 ? 1 : 0;
	while (o.follow && rc == 0 && !events_stop) {
		struct timespec ts = { 0, EVENTS_POLL_MS * 1000000L };

		nanosleep(&ts, NULL);
		if (events_print(db, o.camera, -1, &last) < 0)
			rc = 1;
		if (ferror(stdout))
			break;
	}
	sqlite3_close(db);
	return rc;
}
