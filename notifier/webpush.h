/* webpush - alerts to supervisors' browsers and phones by Web Push
 * (RFC 8030), signed with VAPID (RFC 8292), payload encrypted with
 * aes128gcm (RFC 8291), all with OpenSSL; delivered by libcurl from a
 * thread of its own. The notifier keeps its VAPID key pair in
 * DIR/webpush-vapid.pem (0600, made at first start) and the subscriptions
 * and an outbox in SQLite: each alert becomes one outbox row per matching
 * subscription in the alert's own transaction, retried with backoff (the
 * webhook's settings) until the push service accepts it (2xx); a
 * subscription the push service reports gone (404, 410) is dropped with
 * its pending rows. */
#ifndef GW_WEBPUSH_H
#define GW_WEBPUSH_H

#include <sqlite3.h>
#include <stdint.h>

#include "config.h"
#include "jbuf.h"

/* webpush_open - load or make the VAPID key, create the tables, start the
 * delivery thread. Returns 0, or -1 with err set (the notifier exits 2). */
int webpush_open(const struct config *c, char *err, size_t errlen);
void webpush_close(void);

/* webpush_public_key - the VAPID public key, base64url (uncompressed P-256
 * point), for the browser's applicationServerKey; "" when not open. */
const char *webpush_public_key(void);

/* webpush_subscribe - store (or refresh) a subscription of user from the
 * browser's PushSubscription JSON: {"endpoint","keys":{"p256dh","auth"},
 * "cameras":[...],"reasons":[...]} (empty or absent lists: all). Returns
 * the subscription id (> 0), or -1 with why in err (bad input). */
int64_t webpush_subscribe(const char *user, const char *json, size_t len, char *err, size_t errlen);

/* webpush_unsubscribe - drop the subscription with this endpoint ({"endpoint"}).
 * Returns 1 dropped, 0 none, -1 bad input. */
int webpush_unsubscribe(const char *json, size_t len);

/* webpush_alert - inside the caller's transaction: queue the alert's
 * notification {"title":"gatewatch: <camera name>","body":"<reason>",
 * "tag":"alert-<id>","alert_id","camera","reason","url":"/"} for each
 * subscription that wants camera and reason. Returns the rows queued (0
 * when Web Push is off) or -1. Call webpush_kick after COMMIT. */
int webpush_alert(int64_t alert_id, const char *camera, const char *camera_name, const char *reason);
void webpush_kick(void);

/* webpush_counts - for /metrics: delivered and failed attempts since
 * start, subscriptions dropped as gone. */
void webpush_counts(unsigned long long *ok, unsigned long long *failed, unsigned long long *gone);

#endif
