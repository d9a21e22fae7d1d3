/* today - the day's figures (query_stats_day), kept in memory for the
 * loop thread: a /live hello, the "today" push to /live and MQTT's camera
 * state read them here, never the database on the loop thread (the query
 * is ~0.7 s at 200000 events). Read once at start, before anyone is
 * served; then, from the 1 s tick, again in the thread pool (webjob.h)
 * when something changed them or the local day turned and someone
 * listens (a /live client, the MQTT broker): one read at a time, at most
 * 5% of a pool thread's time however busy the day gets. With nobody
 * listening a read due waits: the first /live client's hello may carry
 * older figures, and its "today" push follows at once (today_tick from
 * live_open). Loop thread only. */
#ifndef GW_TODAY_H
#define GW_TODAY_H

#include <jansson.h>
#include <sqlite3.h>

/* today_fresh_fn - new figures arrived (borrowed; not NULL). */
typedef void (*today_fresh_fn)(json_t *figures);

/* today_init - read the figures now from db (the loop's connection, at
 * start); fresh is told of each later read. */
void today_init(sqlite3 *db, today_fresh_fn fresh);

/* today_changed - an event or alert was stored: read them again soon. */
void today_changed(void);

/* today_tick - once a second (and when a /live client comes): start a
 * read in the pool if one is due and listening is set (someone reads the
 * figures: a /live client, MQTT connected). */
void today_tick(int listening);

/* today_counts - for /metrics: reads in the pool since start, their time
 * in seconds, and the ticks that held a due read back (nobody listening). */
void today_counts(unsigned long long *reads, double *seconds, unsigned long long *held);

/* today_figures - the last figures read (borrowed), or NULL when none
 * could be read yet. They may be one read behind: a read due is on its
 * way, and fresh tells of it. */
json_t *today_figures(void);

#endif
