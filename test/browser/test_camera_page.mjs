// test_camera_page - the gate's camera page (www/camera.html) in Chromium
// with a fake camera made from real photos: the ingest address it derives
// from /api/config, the wrong-token message against a real ingest (or the
// unreachable-server message when ingest is not built), settings kept
// across a reload, streaming with the right token, and the messages for
// an insecure page and a denied camera permission.
import * as gw from "./lib.mjs";

await gw.run(async () => {
	const env = await gw.makeEnv();
	await gw.startNotifier(env);
	const ingest = await gw.startIngest(env);
	console.log(`# ingest ${ingest ? "running" : "not available: testing the unreachable-server message"}`);
	const video = gw.fakeVideo();
	const browser = await gw.launch({ video, extraArgs: ["--host-resolver-rules=MAP gate.test 127.0.0.1"] });
	try {
		const page = await browser.context.newPage();
		const errors = gw.watch(page);
		await page.goto(env.url("/camera.html"));
		gw.check(await gw.waitFor(async () => (await page.getAttribute("#server", "placeholder")) === `ws://127.0.0.1:${env.ingestPort}`),
			"ingest address comes from /api/config", await page.getAttribute("#server", "placeholder"));
		gw.eq(await page.textContent("#message"), "", "no warning on a secure (loopback) page");

		await page.fill("#camera-id", "gate1");
		await page.fill("#token", "not-the-token");
		await page.fill("#fps", "4");
		await page.click("#start");
		if (ingest) {
			gw.check(await gw.waitFor(async () => (await page.textContent("#message")).includes("Wrong camera id or token"), 30000),
				"a wrong token is reported as such", await page.textContent("#message"));
			gw.eq(await page.textContent("#state"), "refused", "connection state says refused");
			gw.check(!(await page.isDisabled("#start")), "Start can be pressed again after a refusal");
			await gw.screenshot(page, "camera-wrong-token");
		} else {
			gw.check(await gw.waitFor(async () => (await page.textContent("#message")).includes("Server unreachable"), 30000),
				"an unreachable ingest is reported as such", await page.textContent("#message"));
			await gw.screenshot(page, "camera-unreachable");
			await page.click("#stop");
		}

		await page.reload();
		gw.eq(await page.inputValue("#camera-id"), "gate1", "camera id is remembered across a reload");
		gw.eq(await page.inputValue("#fps"), "4", "frame rate is remembered across a reload");

		if (ingest) {
			await page.fill("#token", env.tokens.gate1);
			await page.click("#start");
			gw.check(await gw.waitFor(async () => (await page.textContent("#state")) === "streaming", 30000),
				"with the right token the page streams", await page.textContent("#state"));
			gw.check(await gw.waitFor(async () => Number(await page.textContent("#answered")) >= 3, 30000),
				"frames are sent and answered", `sent ${await page.textContent("#sent")}, answered ${await page.textContent("#answered")}`);
			const big = await page.textContent("#status");
			gw.check(["Nobody", "Checking…", "PASS", "DENY"].includes(big), "big status shows a person-level state", big);
			gw.check((await page.textContent("#rtt")).endsWith(" ms"), "round trip time is shown", await page.textContent("#rtt"));
			await gw.screenshot(page, "camera-streaming");

			// A verdict for this camera (as a worker's result would cause)
			// travels notifier -> ingest -> this page.
			// (the person's gate decision: a track event with decision set).
			const f = gw.frameId(), track = Date.now() * 1000 + 7;
			const decision = [{ track, kind: "new", seq: 1 },
				{ track, kind: "changed", seq: 2, verdict: "DENY", reason: "temperature", mask: "mask_on",
					mask_score: 0.9, decision: true, temperature: 38.2 }];
			gw.feed(env, [{ camera: "gate1", frame: f, temperature: 38.2, events: decision,
				persons: [{ verdict: "DENY", reason: "temperature", mask: "mask_on", mask_score: 0.9, track }] }]);
			gw.check(await gw.waitFor(async () => (await page.textContent("#status")) === "DENY", 30000),
				"a DENY verdict shows in big letters", await page.textContent("#status"));
			gw.eq(await page.textContent("#reason"), "Temperature 38.2 °C", "with its reason and temperature");
			await gw.screenshot(page, "camera-deny");
			// The person's track ends: a server that sends person messages
			// says they left (Nobody); an older one lets the verdict fade after
			// a few seconds to what the camera sees (Checking… or Nobody).
			gw.feed(env, [{ camera: "gate1", frame: gw.frameId(), events: [{ track, kind: "ended", seq: 3 }], persons: [] }]);
			gw.check(await gw.waitFor(async () => ["Nobody", "Checking…"].includes(await page.textContent("#status")), 30000),
				"the verdict goes once the person has left", await page.textContent("#status"));
			// Once per person: the same decision replayed shows nothing again.
			gw.feed(env, [{ camera: "gate1", frame: gw.frameId(), events: decision, persons: [] }]);
			await gw.sleep(1500);
			gw.check((await page.textContent("#status")) !== "DENY", "a replayed decision is not shown again",
				await page.textContent("#status"));
			await page.click("#stop");
			gw.eq(await page.textContent("#status"), "Stopped", "Stop stops");
		}
		gw.eq(errors.filter((e) => !e.includes("WebSocket")), [], "no console errors or page exceptions");

		// Not https and not localhost: the page explains instead of failing silently.
		const insecure = await browser.context.newPage();
		await insecure.goto(`http://gate.test:${env.httpPort}/camera.html`);
		gw.check(await gw.waitFor(async () => (await insecure.textContent("#message")).includes("secure page")),
			"an insecure page says camera access needs https or localhost", await insecure.textContent("#message"));
		gw.check(await insecure.isDisabled("#start"), "Start is disabled on an insecure page");
		await gw.screenshot(insecure, "camera-insecure");
	} finally {
		await browser.close();
	}

	// A browser whose camera permission is denied.
	const denied = await gw.launch({ video, allowCamera: false });
	try {
		const page = await denied.context.newPage();
		await page.goto(env.url("/camera.html"));
		await page.fill("#camera-id", "gate1");
		await page.fill("#token", env.tokens.gate1);
		await page.click("#start");
		gw.check(await gw.waitFor(async () => /permission denied|No camera found/.test(await page.textContent("#message")), 30000),
			"a denied camera permission is explained", await page.textContent("#message"));
		await gw.screenshot(page, "camera-denied");
	} finally {
		await denied.close();
	}
});
