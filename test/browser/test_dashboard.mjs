// test_dashboard - the dashboard (www/index.html) against a real notifier
// fed with results the way workers send them: camera tiles with the
// snapshot and boxes, the live feed, today's figures and chart, history
// filters, and reconnecting after the notifier restarts.
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
		const tiles = await page.$$eval(".tile", (ts) => ts.map((t) => t.dataset.camera));
		gw.eq(tiles, ["gate1", "hall"], "one tile per configured camera");
		gw.check((await page.textContent('.tile[data-camera="gate1"] strong')) === "Front gate", "tile shows the camera's name");

		// Two frames at the gate (one person passing, then one denied), one in the hall.
		const f1 = gw.frameId(Date.now() - 3000), f2 = gw.frameId(Date.now() - 2000), f3 = gw.frameId(Date.now() - 1000);
		const fed = gw.feed(env, [
			{ camera: "gate1", frame: f1, snapshot: gw.snapshot(env, "gate1", f1), temperature: 36.5,
				persons: [{ verdict: "PASS", mask: "mask_on", mask_score: 0.96, body: [20, 20, 280, 440, 0.9], face: [110, 40, 90, 100, 0.9], track: 1 }] },
			{ camera: "hall", frame: f2, snapshot: gw.snapshot(env, "hall", f2, gw.PHOTOS[1]),
				persons: [{ verdict: "DENY", reason: "no_mask", mask: "mask_off", mask_score: 0.93, body: [300, 60, 200, 300, 0.8], face: [340, 80, 60, 70, 0.8], track: 2 }] },
			{ camera: "gate1", frame: f3, snapshot: gw.snapshot(env, "gate1", f3), temperature: 38.4,
				persons: [{ verdict: "DENY", reason: "temperature", mask: "mask_on", mask_score: 0.9, body: [200, 60, 240, 400, 0.85], face: [250, 90, 80, 95, 0.85], track: 3 },
					{ verdict: "PASS", mask: "mask_on", mask_score: 0.8, body: [10, 40, 150, 380, 0.7], face: [40, 60, 60, 70, 0.7], track: 4 }] }
		]);
		gw.eq(fed, { acked: 3, sent: 3 }, "notifier acked the three results");

		gw.check(await gw.waitFor(async () => (await page.$$("#feed li[data-id]")).length === 3),
			"live feed shows the three results", String((await page.$$("#feed li[data-id]")).length));
		const firstFeed = await page.textContent("#feed li:first-child");
		gw.check(firstFeed.includes("gate1") && firstFeed.includes("DENY") && firstFeed.includes("Temperature 38.4"),
			"newest feed line is the gate's DENY with its temperature", firstFeed);
		gw.check(await gw.waitFor(async () => (await page.textContent('.tile[data-camera="gate1"] .badge')) === "DENY"),
			"gate tile shows its last verdict", await page.textContent('.tile[data-camera="gate1"] .badge'));
		gw.check(await gw.waitFor(async () => (await page.textContent("#t-people")) === "4"),
			"today's people figure updates live", await page.textContent("#t-people"));
		gw.eq([await page.textContent("#t-passed"), await page.textContent("#t-denied"), await page.textContent("#t-frames")],
			["2", "2", "3"], "today's passed / denied / frames");
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
		gw.check(canvas && canvas.w === 640 && canvas.h === 480, "gate tile draws the snapshot at frame size", JSON.stringify(canvas));

		// History: all three, then only DENY, with snapshot thumbnails.
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 3),
			"history lists the three results", String((await page.$$("#history tbody tr")).length));
		await page.selectOption('#filters select[name="verdict"]', "DENY");
		await page.click('#filters button[type="submit"]');
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 2),
			"history filter by verdict", String((await page.$$("#history tbody tr")).length));
		await page.selectOption('#filters select[name="camera"]', "hall");
		await page.click('#filters button[type="submit"]');
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 1),
			"history filter by camera and verdict", String((await page.$$("#history tbody tr")).length));
		const thumbOk = await gw.waitFor(() => page.$eval("#history tbody img.thumb", (i) => i.complete && i.naturalWidth > 0));
		gw.check(thumbOk, "history thumbnail loads from /snapshots");
		await page.selectOption('#filters select[name="camera"]', "");
		await page.selectOption('#filters select[name="verdict"]', "");
		await page.click('#filters button[type="submit"]');
		await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 3);
		await gw.sleep(300);
		await gw.screenshot(page, "dashboard", { fullPage: true });

		// Restart the notifier: the page says offline, reconnects by itself,
		// and what was committed while it was away shows up.
		gw.eq(await gw.stop(notifier), 0, "notifier stops cleanly");
		gw.check(await gw.waitFor(async () => (await page.textContent("#conn")).startsWith("offline")),
			"dashboard shows it is offline", await page.textContent("#conn"));
		notifier = await gw.startNotifier(env);
		const f4 = gw.frameId();
		gw.feed(env, [{ camera: "hall", frame: f4, persons: [{ verdict: "PASS", mask: "mask_on", mask_score: 0.9, track: 5 }] }]);
		gw.check(await gw.waitFor(async () => (await page.textContent("#conn")) === "live", 20000),
			"dashboard reconnects after the restart", await page.textContent("#conn"));
		gw.check(await gw.waitFor(async () => (await page.textContent("#t-people")) === "5"),
			"figures are re-fetched after reconnecting", await page.textContent("#t-people"));
		gw.check(await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 4),
			"history is re-fetched after reconnecting", String((await page.$$("#history tbody tr")).length));

		// Phone-sized screen: still one readable column.
		await page.setViewportSize({ width: 390, height: 844 });
		await gw.sleep(300);
		await gw.screenshot(page, "dashboard-phone", { fullPage: true });
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		gw.check(overflow <= 1, "no sideways scrolling on a phone-sized screen", `overflow ${overflow}px`);
		gw.eq(errors, [], "no console errors or page exceptions");
	} finally {
		await browser.close();
	}
});
