/* mqtt - publish gatewatch to an MQTT broker (libmosquitto), with Home
 * Assistant discovery. Off unless mqtt.url is set. Topics (P =
 * mqtt.topic_prefix, "gatewatch/" by default; docs/MQTT.md):
 *   P status                      "online" / "offline", retained; the last
 *                                 will says "offline" if the notifier dies
 *   P camera/<id>/state           retained JSON: online, people_now,
 *                                 people_today, passed, denied, alerts_open,
 *                                 fps_in
 *   P camera/<id>/online          retained "ON" / "OFF"
 *   P camera/<id>/event           a person event (new, changed, ended, ...)
 *   P camera/<id>/decision        a gate decision (PASS / DENY)
 *   P camera/<id>/alert           an alert raised; P camera/<id>/alert_cleared
 *   <mqtt.discovery_prefix>/sensor|binary_sensor/gatewatch_<id>_<what>/config
 * libmosquitto runs its own network thread: publishing only queues, so the
 * notifier's loop never waits for the broker; while the broker is away
 * events are dropped (QoS 0, counted), the retained state is sent again on
 * reconnect, and reconnects back off from 1 s to 60 s. */
#ifndef GW_MQTT_H
#define GW_MQTT_H

#include <uv.h>

#include "config.h"
#include "commit.h"
#include "msg.h"

/* mqtt_start - check the settings and start connecting. Returns 0 (also
 * when off), or -1 with err set for a bad mqtt.url (the notifier exits 2). */
int mqtt_start(uv_loop_t *loop, const struct config *c, char *err, size_t errlen);
/* mqtt_stop - publish "offline", disconnect, join the network thread. */
void mqtt_stop(void);

/* mqtt_tick - once a second on the loop thread: (re)publish what changed. */
void mqtt_tick(void);

/* mqtt_result - r was committed: its new events, decisions and alerts. */
void mqtt_result(const struct msg_result *r, const struct commit_out *out);

/* mqtt_alert - an operational alert (health.c): raised or cleared. */
void mqtt_alert(const char *camera, const char *reason, long long alert_id, int cleared);

/* mqtt_counts - for /metrics: published, dropped (not connected or a
 * queue error), connects. */
void mqtt_counts(unsigned long long *published, unsigned long long *dropped, unsigned long long *connects);

/* mqtt_connected - for /metrics: 1 connected to the broker, 0 not (yet),
 * -1 MQTT is off. */
int mqtt_connected(void);

#endif
