/* health - operational alerts: a camera that was streaming and then sent
 * nothing for camera.offline_after_ms raises one camera_offline alert
 * (stored like any alert: the dashboard's open alerts, the webhook); when
 * its frames come back the alert is closed (acknowledged by "gatewatch")
 * and the webhook gets an alert_cleared message. Likewise spool_low: the
 * spool's disk below twice spool.min_free_mb (ingest refuses frames below
 * it), closed when the space is back above 2.5 times. And worker_failing:
 * worker.failing_count worker crashes or failed frames of one camera within
 * worker.failing_window_ms, closed once its worker runs clean that long. */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include "config.h"
#include "webhook.h"

#define HEALTH_REASON_OFFLINE "camera_offline"
#define HEALTH_REASON_SPOOL "spool_low"
#define HEALTH_REASON_WORKER "worker_failing"

/* health_init - after db_open and cams_init; hook may be NULL (no
 * webhook). Takes over the camera_offline alerts still open in the
 * database, so a restart neither repeats nor forgets them. */
void health_init(const struct config *c, struct webhook *hook);

/* health_tick - once a second, on the loop thread. */
void health_tick(void);

/* health_alerts_raised - camera_offline alerts raised since the start
 * (for /metrics). */
unsigned long health_alerts_raised(void);

/* health_held - for /metrics and the tests that a rule held an alert back
 * (they wait for it, not for a fixed time): how many checks found an
 * alert's condition met and left it as it was since the start. SPOOL_OPEN:
 * the disk low, its spool_low alert open (raised, or taken over at the
 * start); WORKER_OPEN: a camera failing worker.failing_count times within
 * the window, its episode's worker_failing alert raised (or taken over);
 * WORKER_NO_FRAME: no failure for the window, the alert kept open because
 * the worker analysed no frame since. */
enum { HEALTH_HELD_SPOOL_OPEN, HEALTH_HELD_WORKER_OPEN, HEALTH_HELD_WORKER_NO_FRAME, HEALTH_HELD_N };
void health_held(unsigned long long held[HEALTH_HELD_N]);

#endif
