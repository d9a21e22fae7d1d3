// test_webpush - the dashboard's Web Push side in Chromium: the page
// links its web app manifest, its "Notify me" button appears once the
// notifier gives a VAPID key and the service worker (www/sw.js) is
// active, and a push message delivered to that service worker through
// Chromium's DevTools protocol (ServiceWorker.deliverPushMessage) is shown
// as a notification with the alert's title, text and tag. (Subscribing
// needs a real push service, which a loopback test has not; the server's
// half, RFC 8030/8291/8292, is test/e2e/test_webpush.py.)
import * as gw from "./lib.mjs";

await gw.run(async () => {
	const env = await gw.makeEnv();
	await gw.startNotifier(env);
	const browser = await gw.launch();
	const origin = env.url("");
	await browser.context.grantPermissions(["notifications"], { origin });
	const page = await browser.context.newPage();
	const errors = gw.watch(page);
	try {
		const cdp = await browser.context.newCDPSession(page);
		const regs = new Map();
		cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => {
			for (const r of e.registrations) if (!r.isDeleted) regs.set(r.scopeURL, r.registrationId);
		});
		const swErrors = [];
		cdp.on("ServiceWorker.workerErrorReported", (e) => swErrors.push(e.errorMessage));
		await cdp.send("ServiceWorker.enable");
		await page.goto(env.url("/"));
		const manifest = await page.$eval('link[rel="manifest"]', (l) => l.href).catch(() => "");
		const m = manifest ? await page.evaluate(async (u) => (await fetch(u)).json(), manifest) : {};
		gw.check(m.name === "gatewatch" && m.start_url === "/" && m.display === "standalone" && m.icons?.length,
			"the dashboard links a web app manifest (installable)", JSON.stringify(m));
		gw.check(await gw.waitFor(() => page.isVisible("#notify"), 30000), "the Notify me button appears");
		const active = await page.evaluate(async () => !!(await navigator.serviceWorker.ready).active);
		gw.check(active, "the service worker is active");
		const regId = await gw.waitFor(() => regs.get(env.url("/")), 30000);
		gw.check(regId, "DevTools sees the registration", JSON.stringify([...regs]));
		const msg = { title: "gatewatch: Hall", body: "No mask", tag: "alert-42", alert_id: 42, camera: "hall",
			reason: "no_mask", url: "/" };
		// A loaded machine may drop the first delivery while the worker
		// settles: deliver again (same tag: one notification), bounded.
		const notes = () => page.evaluate(async () =>
			(await (await navigator.serviceWorker.ready).getNotifications()).map((n) => [n.title, n.body, n.tag, n.data && n.data.alert_id]));
		let shown = [];
		for (let i = 0; i < 5 && !shown.length; i++) {
			await cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId: String(regId), data: JSON.stringify(msg) })
				.catch((e) => console.log(`# deliverPushMessage: ${e}`));
			shown = (await gw.waitFor(async () => { const n = await notes(); return n.length ? n : null; }, 5000)) || [];
		}
		gw.check(swErrors.length === 0, "the service worker reports no error", JSON.stringify(swErrors));
		gw.eq(shown, [["gatewatch: Hall", "No mask", "alert-42", 42]], "a push message is shown as the alert's notification");
		gw.check(errors.length === 0, "no page errors", errors.join(" | "));
	} finally {
		await browser.close();
	}
});
