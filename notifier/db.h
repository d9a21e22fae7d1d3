/* db - the notifier's SQLite database (DIR/gatewatch.db): schema,
 * migrations and every write (the API's reads are query.c's). The only
 * writer is the notifier's loop thread. Every function here is called on
 * that thread and returns 0 (or a count) / a negative value on error;
 * SQLite errors are logged by the caller from db_errmsg(). The database
 * is written only when something about a person changes (a track event),
 * never once per frame. */
#ifndef GW_DB_H
#define GW_DB_H

#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

#include "msg.h"

#include "dbschema.h"

/* db_open - open or create the database, WAL + synchronous=NORMAL, and
 * create or migrate the schema to DB_SCHEMA_VERSION (plus the webhook
 * outbox). Returns 0, or -1 with err set (a database newer than this
 * program is an error). */
int db_open(const char *path, char *err, size_t errlen);
void db_close(void);
const char *db_errmsg(void);

/* db_handle - the connection, for webhook_enqueue inside a transaction. */
sqlite3 *db_handle(void);

/* db_begin, db_commit, db_rollback - one write transaction (BEGIN
 * IMMEDIATE). 0 or -1. db_rollback is harmless without a transaction. */
int db_begin(void);
int db_commit(void);
void db_rollback(void);

/* db_event_insert - inside a transaction: store event e of camera, seen
 * at at_us in frame_id ("" for none), with json (its item, see result.c);
 * when it is new, also bring the camera's track row up to date. Returns 1
 * when stored now, 0 when (camera, track, seq) was already stored (nothing
 * changed), -1 on a database error. */
int db_event_insert(const char *camera, const struct msg_track_event *e, int64_t at_us,
    const char *frame_id, const char *json);

/* db_tracks_stale - the camera's open tracks (ended_us NULL) whose id is
 * below before_id and at least DB_TRACK_ID_TIMED (the id holds a time),
 * last seen before seen_before_us: as ENDED events (e[i]) carrying the
 * track row's state and its next seq, oldest id first, at most max.
 * Returns the count or -1. */
#define DB_TRACK_ID_TIMED 978307200000000LL /* 2001-01-01 in unix microseconds */
int db_tracks_stale(const char *camera, int64_t before_id, int64_t seen_before_us,
    struct msg_track_event *e, int max);

/* db_open_tracks - the camera's open people (ended_us NULL) as a new
 * worker takes them over: state, last boxes (from the last worker event),
 * last worker seq, decision made, prompted, last alert. At most max.
 * Returns the count or -1. */
int db_open_tracks(const char *camera, struct msg_track_state *s, int max);

/* db_override - inside a transaction: a supervisor's verdict for a person.
 * The decision it replaces gets decision = 2; the track row keeps the
 * override (verdict, by, when, note) over later worker events. e gets the
 * override event to store with db_event_insert (kind override, seq from
 * MSG_SEQ_NOTIFIER, decision 1). Returns 0, -2 for an unknown track, -1
 * on a database error. */
int db_override(const char *camera, int64_t track_id, unsigned verdict, const char *by, const char *note,
    int64_t now_us, struct msg_track_event *e);

/* db_track_overridden - 1 if a supervisor overrode the camera's person
 * track_id, 0 if not (or unknown), -1 on a database error. */
int db_track_overridden(const char *camera, int64_t track_id);

/* db_alert_insert - inside a transaction: store an open alert. json is an
 * object with its details (see db.c). Returns the alert id (> 0) or -1. */
int64_t db_alert_insert(const char *camera, int64_t track_id, int64_t raised_us, const char *reason,
    const char *json);

/* db_alert_ack - acknowledge alert id by by (may be ""), now. Returns 1
 * when acked now, 0 when it already was (nothing changed), -2 for an
 * unknown id, -1 on a database error. */
int db_alert_ack(int64_t id, const char *by, int64_t now_us);

/* db_health - 0 if a trivial query works. */
int db_health(void);

#endif
