// test_dashboard - the dashboard (www/index.html) against a real notifier
// fed with results and track events the way workers send them: camera
// tiles with the latest frame and boxes, the live feed of people, today's
// figures (people, passed, denied, alerts) and chart, the alerts panel and
// its Acknowledge button, the people list with filters and best snapshots,
// a supervisor's override (PASS/DENY buttons with a note: stored, counted,
// shown), and reconnecting after the notifier restarts.
import fs from "node:fs";
import * as gw from "./lib.mjs";

await gw.run(async () => {
	const env = await gw.makeEnv();
	let notifier = await gw.startNotifier(env);
	const browser = await gw.launch();
	const page = await browser.context.newPage();
	const errors = gw.watch(page);
	try {
		await page.goto(env.url("/"));
		gw.check(await gw.waitFor(async () => (await page.textContent("#conn")) === "live"),
			"dashboard connects to /live", await page.textContent("#conn"));
		// "live" is shown when /live opens; the tiles come with its first
		// message ("hello"), a moment later: wait for them to be drawn.
		const tileIds = () => page.$$eval(".tile", (ts) => ts.map((t) => t.dataset.camera));
		await gw.waitFor(async () => (await tileIds()).length >= 2);
		gw.eq(await tileIds(), ["gate1", "hall"], "one tile per configured camera");
		gw.check(await gw.waitFor(async () => (await page.textContent('.tile[data-camera="gate1"] strong')) === "Front gate"),
			"tile shows the camera's name", await page.textContent('.tile[data-camera="gate1"] strong'));

		// Four people: one passes the gate, one is denied at the gate (temperature),
		// one more passes, and one in the hall is denied and raises an alert.
		const now = Date.now();
		const T1 = (now - 4000) * 1000 + 1, T2 = (now - 3000) * 1000 + 2, T3 = (now - 2000) * 1000 + 3,
			T4 = (now - 2000) * 1000 + 4, T5 = now * 1000 + 5;
		const f1 = gw.frameId(now - 3000), f2 = gw.frameId(now - 2000), f3 = gw.frameId(now - 1000);
		const snap = (cam, track, photo = gw.PHOTOS[0]) => {
			const d = `${env.dir}/snapshots/${cam}`;
			fs.mkdirSync(d, { recursive: true });
			fs.copyFileSync(photo, `${d}/${track}.jpg`);
			return `snapshots/${cam}/${track}.jpg`;
		};
		const decided = (track, verdict, reason, mask, extra = {}) => [
			{ track, kind: "new", seq: 1, first_seen_us: track - 1, last_seen_us: track + 500000 },
			Object.assign({ track, kind: "changed", seq: 2, verdict, reason, mask, mask_score: 0.93, decision: true,
				first_seen_us: track - 1, last_seen_us: track + 900000 }, extra)];
		const fed = gw.feed(env, [
			{ camera: "gate1", frame: f1, temperature: 36.5,
				events: decided(T1, "PASS", "", "mask_on", { temperature: 36.5, snapshot: snap("gate1", T1) }),
				persons: [{ verdict: "PASS", mask: "mask_on", mask_score: 0.96, body: [20, 20, 280, 440, 0.9], face: [110, 40, 90, 100, 0.9], track: T1 }] },
			{ camera: "hall", frame: f2,
				events: [...decided(T2, "DENY", "no_mask", "mask_off", { snapshot: snap("hall", T2, gw.PHOTOS[1]) }),
					{ track: T2, kind: "alert", seq: 3, verdict: "DENY", reason: "no_mask", mask: "mask_off", snapshot: `snapshots/hall/${T2}.jpg` }],
				persons: [{ verdict: "DENY", reason: "no_mask", mask: "mask_off", mask_score: 0.93, body: [300, 60, 200, 300, 0.8], face: [340, 80, 60, 70, 0.8], track: T2 }] },
			{ camera: "gate1", frame: f3, snapshot: gw.snapshot(env, "gate1", f3), temperature: 38.4,
				events: [...decided(T4, "PASS", "", "mask_on"), ...decided(T3, "DENY", "temperature", "mask_on", { temperature: 38.4 })],
				persons: [{ verdict: "DENY", reason: "temperature", mask: "mask_on", mask_score: 0.9, body: [200, 60, 240, 400, 0.85], face: [250, 90, 80, 95, 0.85], track: T3 },
					{ verdict: "PASS", mask: "mask_on", mask_score: 0.8, body: [10, 40, 150, 380, 0.7], face: [40, 60, 60, 70, 0.7], track: T4 }] }
		]);
		gw.eq(fed, { acked: 3, sent: 3 }, "notifier acked the three results");

		gw.check(await gw.waitFor(async () => (await page.$$("#feed li[data-kind]")).length === 9),
			"live feed shows the nine track events (new person, gate decision, alert)", String((await page.$$("#feed li[data-kind]")).length));
		const firstFeed = await page.textContent("#feed li:first-child");
		gw.check(firstFeed.includes("Front gate") && firstFeed.includes("DENY") && firstFeed.includes("Temperature 38.4"),
			"newest feed line is the gate's DENY with its temperature", firstFeed);
		gw.check((await page.$$('#feed li[data-kind="alert"]')).length === 1, "the alert is in the feed");
		gw.check(await gw.waitFor(async () => (await page.textContent('.tile[data-camera="gate1"] .badge')) === "DENY"),
			"gate tile shows its last frame's verdict", await page.textContent('.tile[data-camera="gate1"] .badge'));
		gw.check(await gw.waitFor(async () => (await page.textContent("#t-people")) === "4"),
			"today's people figure counts people, live", await page.textContent("#t-people"));
		gw.eq([await page.textContent("#t-passed"), await page.textContent("#t-denied"), await page.textContent("#t-alerts")],
			["2", "2", "1"], "today's passed / denied / alerts");
		const hallRow = await page.$$eval('#today-cams tr[data-camera="hall"] td', (tds) => tds.map((td) => td.textContent));
		gw.eq(hallRow, ["Hall", "1", "0", "1", "1"], "per-camera figures for the hall");
		gw.check(await page.$("#chart .uplot canvas") !== null, "per-hour chart is drawn with uPlot");

		// Snapshot with boxes: the tile canvas is not blank and has the frame's size.
		const canvas = await gw.waitFor(() => page.$eval('.tile[data-camera="gate1"] canvas', (c) => {
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			let lit = 0;
			for (let i = 0; i < d.length; i += 4 * 97) if (d[i] + d[i + 1] + d[i + 2] > 60) lit++;
			return lit > 100 ? { w: c.width, h: c.height, lit } : null;
		}));
		gw.check(canvas && canvas.w === 640 && canvas.h === 480, "gate tile draws the latest frame at frame size", JSON.stringify(canvas));

		// Alerts panel: the open alert with an Acknowledge button that works.
		gw.check(await gw.waitFor(async () => (await page.$$("#alerts li[data-alert]")).length === 1),
			"the alerts panel lists the open alert", String((await page.$$("#alerts li[data-alert]")).length));
		const alertText = await page.textContent("#alerts li[data-alert]");
		gw.check(alertText.includes("Hall") && alertText.includes("No mask") && alertText.includes("#" + String(T2).slice(-4)),
			"the alert names the camera, the reason and the person", alertText);
		await gw.screenshot(page, "dashboard-alert", { fullPage: true });
		await page.click("#alerts li[data-alert] button.ack");
		gw.check(await gw.waitFor(async () => (await page.$$("#alerts li[data-alert]")).length === 0),
			"Acknowledge removes the alert from the panel");
		const all = await (await env.fetch("/api/alerts?state=all")).json();
		gw.check(all.length === 1 && all[0].acked_ms > 0 && all[0].acked_by === env.admin.user,
			"the notifier has the alert acknowledged by the logged-in user", JSON.stringify(all));
		gw.eq(await (await env.fetch("/api/alerts")).json(), [], "no open alert left");

		// People: all four, then only DENY, with best-snapshot thumbnails.
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 4),
			"people list has the four people", String((await page.$$("#history tbody tr")).length));
		await page.selectOption('#filters select[name="verdict"]', "DENY");
		await page.click('#filters button[type="submit"]');
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 2),
			"people filter by verdict", String((await page.$$("#history tbody tr")).length));
		await page.selectOption('#filters select[name="camera"]', "hall");
		await page.click('#filters button[type="submit"]');
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 1),
			"people filter by camera and verdict", String((await page.$$("#history tbody tr")).length));
		const thumbOk = await gw.waitFor(() => page.$eval("#history tbody img.thumb", (i) => i.complete && i.naturalWidth > 0));
		gw.check(thumbOk, "a person's best snapshot loads from /snapshots/<camera>/<track>.jpg");
		await page.selectOption('#filters select[name="camera"]', "");
		await page.selectOption('#filters select[name="verdict"]', "");
		await page.click('#filters button[type="submit"]');
		await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 4);
		// A supervisor overrides T3 (denied for temperature) to PASS with a note.
		const passedBefore = Number(await page.textContent("#t-passed"));
		page.once("dialog", (d) => d.accept("checked by hand"));
		await page.click(`#history tr[data-key="gate1:${T3}"] button[data-override="PASS"]`);
		gw.check(await gw.waitFor(async () => {
			const t = await page.textContent(`#history tr[data-key="gate1:${T3}"]`).catch(() => "");
			return t.includes("PASS") && t.includes("checked by hand");
		}), "the override button turns the person's row into PASS with the note",
			await page.textContent(`#history tr[data-key="gate1:${T3}"]`).catch((e) => String(e)));
		const api = await (await env.fetch("/api/tracks?camera=gate1")).json();
		const o = api.find((x) => x.track === T3);
		gw.check(o && o.verdict === "PASS" && o.override && o.override.note === "checked by hand" && o.override.at_ms > 0,
			"the override is stored with who, when and the note", JSON.stringify(o));
		gw.check(await gw.waitFor(async () => Number(await page.textContent("#t-passed")) === passedBefore + 1),
			"the override counts in today's figures", await page.textContent("#t-passed"));
		await gw.sleep(300);
		await gw.screenshot(page, "dashboard", { fullPage: true });

		// Everyone at the gate leaves (their tracks end, no newer frame):
		// the tile no longer shows their DENY.
		gw.feed(env, [{ camera: "gate1", frame: f1, events: [T1, T3, T4].map((track) =>
			({ track, kind: "ended", seq: 9, verdict: "PASS", reason: "", mask: "mask_on" })) }]);
		gw.check(await gw.waitFor(async () => (await page.textContent('.tile[data-camera="gate1"] .badge')) === "nobody"),
			"once the gate's people have left its tile says nobody", await page.textContent('.tile[data-camera="gate1"] .badge'));

		// Restart the notifier: the page says offline, reconnects by itself,
		// and what was committed while it was away shows up.
		gw.eq(await gw.stop(notifier), 0, "notifier stops cleanly");
		gw.check(await gw.waitFor(async () => (await page.textContent("#conn")).startsWith("offline")),
			"dashboard shows it is offline", await page.textContent("#conn"));
		notifier = await gw.startNotifier(env);
		const f4 = gw.frameId();
		gw.feed(env, [{ camera: "hall", frame: f4, events: [{ track: T5, kind: "new", seq: 1 }],
			persons: [{ verdict: "none", track: T5 }] }]);
		gw.check(await gw.waitFor(async () => (await page.textContent("#conn")) === "live", 30000),
			"dashboard reconnects after the restart", await page.textContent("#conn"));
		gw.check(await gw.waitFor(async () => (await page.textContent("#t-people")) === "5"),
			"figures are re-fetched after reconnecting", await page.textContent("#t-people"));
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 5),
			"people are re-fetched after reconnecting", String((await page.$$("#history tbody tr")).length));

		// A person who arrives while the list is being re-fetched keeps their
		// row (71036d7), and one decided meanwhile keeps the decision: the
		// list's answer, read before both, is held here until the live rows
		// are drawn, then given to the page.
		const T6 = Date.now() * 1000 + 6;
		let wasRead = false, release;
		const held = new Promise((r) => { release = r; });
		await page.route((u) => u.pathname === "/api/tracks", async (route) => {
			const answer = await route.fetch(); // read now, before T6 is stored
			wasRead = true;
			await held;
			await route.fulfill({ response: answer });
		}, { times: 1 });
		await page.$$eval("#history tbody tr", (rows) => rows.forEach((r) => { r.dataset.before = "1"; }));
		await page.click('#filters button[type="submit"]');
		gw.check(await gw.waitFor(() => wasRead), "the list's re-fetch is read (and held)");
		gw.feed(env, [{ camera: "hall", frame: gw.frameId(), events: [{ track: T6, kind: "new", seq: 1 },
			{ track: T5, kind: "changed", seq: 2, verdict: "DENY", reason: "no_mask", mask: "mask_off", mask_score: 0.9,
				decision: true, first_seen_us: T5 - 1, last_seen_us: T5 + 900000 }],
			persons: [{ verdict: "none", track: T6 }, { verdict: "DENY", reason: "no_mask", mask: "mask_off", track: T5 }] }]);
		gw.check(await gw.waitFor(async () => (await page.$(`#history tr[data-key="hall:${T6}"]`)) !== null &&
			(await page.textContent(`#history tr[data-key="hall:${T5}"]`)).includes("DENY")),
			"the newcomer's row and the other's decision are drawn live while the re-fetch is held");
		release();
		// the answer redraws every row: none drawn before it is left
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr[data-before]")).length === 0),
			"the held answer is drawn", String((await page.$$("#history tbody tr[data-before]")).length));
		gw.check((await page.$(`#history tr[data-key="hall:${T6}"]`)) !== null && (await page.$$("#history tbody tr")).length === 6,
			"a person added live during the re-fetch keeps their row (the answer predates them)",
			String((await page.$$("#history tbody tr")).length));
		const t5row = await page.textContent(`#history tr[data-key="hall:${T5}"]`).catch((e) => String(e));
		gw.check(t5row.includes("DENY") && !t5row.includes("undecided"),
			"a person decided live during the re-fetch keeps the decision (the answer said undecided)", t5row);

		// Phone-sized screen: still one readable column.
		await page.setViewportSize({ width: 390, height: 844 });
		await gw.sleep(300);
		await gw.screenshot(page, "dashboard-phone", { fullPage: true });
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		gw.check(overflow <= 1, "no sideways scrolling on a phone-sized screen", `overflow ${overflow}px`);
		// While the notifier was down on purpose, Chromium logs each refused
		// reconnect attempt to /live, and each check of the session
		// (/api/session) before it, as a console error: those are expected.
		const unexpected = errors.filter((e) => !/\/live' failed: .*ERR_CONNECTION_REFUSED/.test(e) &&
			e !== "Failed to load resource: net::ERR_CONNECTION_REFUSED");
		gw.eq(unexpected, [], "no console errors or page exceptions (but the refused reconnects during the restart)");
	} finally {
		await browser.close();
	}
});
