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

#endif
