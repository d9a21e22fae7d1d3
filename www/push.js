/* push.js - the dashboard's "Notify me" button: registers the service
 * worker (sw.js), asks for permission, subscribes with the notifier's VAPID
 * key (GET /api/push/key) and sends the subscription to
 * POST /api/push/subscriptions (supervisors: alerts of every camera and
 * reason); pressed again, it unsubscribes. Hidden where the browser has no
 * Push API (not HTTPS or localhost) or the server has Web Push off. */
"use strict";
(function () {
	const btn = document.getElementById("notify");
	if (!btn || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;

	function keyBytes(b64) {
		const s = atob((b64 + "=".repeat((4 - b64.length % 4) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
		return Uint8Array.from(s, (c) => c.charCodeAt(0));
	}

	async function post(path, body) {
		const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
			body: JSON.stringify(body), credentials: "same-origin" });
		if (!r.ok) throw new Error(path + ": " + r.status + " " + ((await r.json().catch(() => ({}))).detail || ""));
		return r.json();
	}

	let reg = null, key = null;

	async function show() {
		const sub = reg && await reg.pushManager.getSubscription();
		btn.textContent = sub ? "Notifications on" : "Notify me";
		btn.title = sub ? "Alerts reach this browser; press to stop" : "Get alerts on this device";
		btn.classList.toggle("on", !!sub);
		btn.hidden = false;
	}

	async function toggle() {
		btn.disabled = true;
		try {
			const sub = await reg.pushManager.getSubscription();
			if (sub) {
				await post("/api/push/unsubscribe", { endpoint: sub.endpoint }).catch(() => null);
				await sub.unsubscribe();
			} else {
				if (await Notification.requestPermission() !== "granted") throw new Error("notifications are blocked");
				const s = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
				await post("/api/push/subscriptions", s.toJSON());
			}
		} catch (e) {
			btn.title = String(e.message || e);
			console.warn("push:", e);
		}
		btn.disabled = false;
		show();
	}

	(async () => {
		const r = await fetch("/api/push/key", { cache: "no-store", credentials: "same-origin" }).catch(() => null);
		if (!r || !r.ok) return;
		key = (await r.json()).public_key;
		reg = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
		btn.onclick = toggle;
		show();
	})().catch((e) => console.warn("push:", e));
})();
