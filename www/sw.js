/* sw.js - the dashboard's service worker: shows the notification of each
 * Web Push message the notifier sends for an alert (webpush.h: {"title",
 * "body","tag","alert_id","camera","reason","url"}), and opens or focuses
 * the dashboard when it is clicked. Nothing is cached. */
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (ev) => ev.waitUntil(self.clients.claim()));

self.addEventListener("push", (ev) => {
	let msg = {};
	try {
		msg = ev.data ? ev.data.json() : {};
	} catch (e) {
		msg = { title: "gatewatch", body: ev.data ? ev.data.text() : "" };
	}
	const title = msg.title || "gatewatch alert";
	ev.waitUntil(self.registration.showNotification(title, {
		body: msg.body || "",
		tag: msg.tag || "gatewatch",
		icon: "/favicon.svg",
		requireInteraction: true,
		data: { url: msg.url || "/", alert_id: msg.alert_id, camera: msg.camera, reason: msg.reason },
	}));
});

self.addEventListener("notificationclick", (ev) => {
	ev.notification.close();
	const url = (ev.notification.data && ev.notification.data.url) || "/";
	ev.waitUntil((async () => {
		const wins = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
		for (const w of wins) if (new URL(w.url).pathname === url && "focus" in w) return w.focus();
		return self.clients.openWindow(url);
	})());
});
