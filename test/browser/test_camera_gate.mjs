// test_camera_gate - the camera page follows the people the server tracks,
// in Chromium with a fake camera, against slow answers.
//
// The page is served by the real notifier, but its camera WebSocket talks
// to a scripted peer of the camera protocol in this test (ws package),
// because the subject is timing: answers that take 2.5 s each, and person,
// prompt and verdict messages at moments the test picks. The real ingest
// cannot be made slow on purpose, and the real pipeline decides when a
// person appears; the whole system is tested by test_pipeline.mjs and
// test_camera_page.mjs (real ingest and notifier).
//
// Checked, with every text the big status showed recorded by a
// MutationObserver (not sampled):
// - "Checking…" as soon as a person appears, never "Nobody" while they are
//   tracked, however slow the answers and whatever they say;
// - a prompt shows big until that person is decided;
// - the verdict (with the face crop) stays until the person leaves, longer
//   than the old 8 s limit; "Nobody" once they leave;
// - the next person gets their own verdict (track as a number too); a late
//   verdict for someone who left is not shown; a supervisor's override is;
// - two people in view get a line each; the big status is the worst;
// - a server that sends no person messages gets the answer-based page;
// - a lost connection says so and shows no stale verdict; close code 4029
//   is explained; the page keeps to the welcome's max_inflight;
// - after a reconnect, the person and verdict the server sends again
//   ("replay":true, after the welcome) show.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as gw from "./lib.mjs";

const require = createRequire(import.meta.url);
const { WebSocketServer } = require("ws");
const DELAY_MS = 2500;

/* startPeer - a camera-protocol server answering each frame DELAY_MS after
 * the previous answer (one frame at a time), "accepted" while present. */
function startPeer() {
	// conns: per connection, the most frames it ever had unanswered
	// replay: the gate messages sent again after each welcome (ingest's gate sync)
	const peer = { socket: null, present: false, frames: 0, hellos: 0, welcome: {}, conns: [], replay: [] };
	const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
	peer.wss = wss;
	peer.ready = new Promise((resolve) => wss.on("listening", () => { peer.port = wss.address().port; resolve(); }));
	wss.on("connection", (sock) => {
		peer.socket = sock;
		const conn = { inflight: 0, max: 0 };
		peer.conns.push(conn);
		let seq = 0, busyUntil = 0;
		sock.on("message", (data, isBinary) => {
			if (!isBinary) {
				let m;
				try { m = JSON.parse(String(data)); } catch (e) { return; }
				if (m.type === "hello") {
					peer.hellos++;
					sock.send(JSON.stringify({ type: "welcome", camera: m.camera, ...peer.welcome }));
					for (const r of peer.replay) sock.send(JSON.stringify(r));   // who is tracked now
				}
				return;
			}
			const s = ++seq;
			peer.frames++;
			conn.max = Math.max(conn.max, ++conn.inflight);
			busyUntil = Math.max(Date.now(), busyUntil) + DELAY_MS;
			setTimeout(() => {
				conn.inflight--;
				if (sock.readyState === 1)
					sock.send(JSON.stringify({ type: "answer", seq: s, status: peer.present ? "accepted" : "no_person",
						reason: peer.present ? "1 person found" : "no person found", ms: DELAY_MS }));
			}, busyUntil - Date.now());
		});
	});
	peer.send = (m) => peer.socket.send(typeof m === "string" ? m : JSON.stringify(m));
	return peer;
}

/* a small real face-sized JPEG as a data URL */
function faceDataUrl() {
	const r = spawnSync("ffmpeg", ["-loglevel", "error", "-i", gw.PHOTOS[0], "-vf", "crop=120:160:180:90,scale=96:128",
		"-frames:v", "1", "-f", "mjpeg", "-"], { timeout: 60000, maxBuffer: 1 << 20 });
	if (r.status !== 0 || !r.stdout.length) throw new Error("ffmpeg face crop: " + r.stderr);
	return "data:image/jpeg;base64," + r.stdout.toString("base64");
}

const text = (page, sel) => page.textContent(sel);
const big = (page) => text(page, "#status");

/* statusLog - every text #status shows from now on, in order. */
async function watchStatus(page) {
	await page.evaluate(() => {
		const s = document.getElementById("status");
		window.gwStatusLog = [s.textContent];
		new MutationObserver(() => {
			const t = s.textContent;
			if (window.gwStatusLog[window.gwStatusLog.length - 1] !== t) window.gwStatusLog.push(t);
		}).observe(s, { childList: true, characterData: true, subtree: true });
	});
}
const statusLog = (page) => page.evaluate(() => window.gwStatusLog.slice());
const markLog = (page) => page.evaluate(() => window.gwStatusLog.length);

await gw.run(async () => {
	const env = await gw.makeEnv();
	await gw.startNotifier(env);
	const peer = startPeer();
	await peer.ready;
	const face = faceDataUrl();
	const browser = await gw.launch({ video: gw.fakeVideo() });
	try {
		const page = await browser.context.newPage();
		const errors = gw.watch(page);
		await page.goto(env.url("/camera.html"));
		await page.fill("#camera-id", "gate1");
		await page.fill("#token", "scripted-peer-token");
		await page.fill("#server", `ws://127.0.0.1:${peer.port}`);
		await page.fill("#fps", "5");
		await page.fill("#inflight", "2");
		await page.click("#start");
		gw.check(await gw.waitFor(async () => (await text(page, "#state")) === "streaming", 30000),
			"the page streams to the scripted peer", await text(page, "#state"));
		gw.check(await gw.waitFor(async () => Number(await text(page, "#answered")) >= 1, 30000),
			"slow answers arrive", await text(page, "#answered"));
		gw.eq(await big(page), "Nobody", "nobody tracked: Nobody");
		await watchStatus(page);

		// --- person 1 appears; answers are slow and then say nobody (the
		// detector missed them): the page keeps following the server
		peer.present = true;
		peer.send({ type: "person", track: "101", event: "appeared" });
		gw.check(await gw.waitFor(async () => (await big(page)) === "Checking…", 30000),
			"a person appears: Checking…", await big(page));
		await gw.sleep(3 * DELAY_MS);
		peer.present = false;
		await gw.sleep(2 * DELAY_MS);
		peer.send({ type: "prompt", track: "101", reason: "face_not_visible", text: "Please look at the camera" });
		gw.check(await gw.waitFor(async () => (await page.isVisible("#prompt")) &&
			(await text(page, "#prompt")) === "Please look at the camera", 30000),
		"the prompt shows big", await text(page, "#prompt"));
		gw.eq(await big(page), "Checking…", "still Checking… under the prompt");
		const a1 = Number(await text(page, "#answered"));
		gw.check(a1 >= 3, "several slow answers came while the person was tracked", `answered ${a1}`);

		peer.send({ type: "verdict", track: "101", verdict: "DENY", reason: "no_mask", temperature: null,
			override: false, by: null, face, frame: "ignored-field", extra: { unknown: true } });
		gw.check(await gw.waitFor(async () => (await big(page)) === "DENY", 30000), "the verdict shows big", await big(page));
		gw.eq(await text(page, "#reason"), "No mask", "with its reason");
		gw.check(await page.isVisible("#face") && (await page.getAttribute("#face", "src")) === face,
			"with the person's face crop", String(await page.getAttribute("#face", "src")).slice(0, 40));
		gw.check(!(await page.isVisible("#prompt")), "the prompt goes once the person is decided");
		await gw.screenshot(page, "camera-gate-deny");
		peer.send({ type: "hologram", track: "101", colour: "green" });
		peer.send("this is not JSON");
		await gw.sleep(10000);   // past the old page's 8 s limit, answers saying nobody
		gw.eq(await big(page), "DENY", "the verdict stays while the person is tracked (10 s, answers say nobody)");
		const log1 = await statusLog(page);
		gw.eq(log1, ["Nobody", "Checking…", "DENY"], "from appearing to the verdict the status never showed Nobody");

		peer.send({ type: "person", track: "101", event: "left" });
		gw.check(await gw.waitFor(async () => (await big(page)) === "Nobody", 30000), "the person leaves: Nobody", await big(page));
		gw.check(!(await page.isVisible("#face")), "and their face goes");

		// --- the next person (a server sending the id as a number)
		let mark = await markLog(page);
		peer.present = true;
		peer.send({ type: "person", track: 102, event: "appeared" });
		gw.check(await gw.waitFor(async () => (await big(page)) === "Checking…", 30000), "the next person: Checking…", await big(page));
		peer.send({ type: "verdict", track: 102, verdict: "PASS", reason: "", temperature: 36.6, override: false, by: null });
		gw.check(await gw.waitFor(async () => (await big(page)) === "PASS", 30000), "the next person gets their own verdict", await big(page));
		gw.eq(await text(page, "#reason"), "36.6 °C", "with their temperature");
		gw.check(!(await page.isVisible("#face")), "no face shown when none was sent");
		peer.send({ type: "verdict", track: "101", verdict: "DENY", reason: "no_mask", temperature: null, override: false, by: null });
		await gw.sleep(1000);
		gw.eq(await big(page), "PASS", "a late verdict for someone who left is not shown");

		// --- two people in view
		peer.send({ type: "person", track: "103", event: "appeared" });
		gw.check(await gw.waitFor(async () => (await page.locator("#people li").count()) === 2, 30000),
			"two people in view: a line each", String(await page.locator("#people li").count()));
		gw.eq(await page.locator("#people li").evaluateAll((ls) => ls.map((l) => [l.dataset.track, l.className, l.querySelector(".word").textContent])),
			[["102", "PASS", "PASS"], ["103", "checking", "Checking…"]], "the lines: 102 PASS, 103 Checking…");
		gw.eq([await big(page), await text(page, "#reason")], ["Checking…", "2 people in view"], "big status: somebody is still being checked");
		peer.send({ type: "verdict", track: "103", verdict: "DENY", reason: "mask_chin", temperature: null, override: false, by: null, face });
		gw.check(await gw.waitFor(async () => (await big(page)) === "DENY", 30000), "big status: the worst verdict in view", await big(page));
		gw.eq(await page.locator("#people li").evaluateAll((ls) => ls.map((l) => [l.className, l.querySelector(".why").textContent, !!l.querySelector("img.face")])),
			[["PASS", "36.6 °C", false], ["DENY", "Mask below the nose", true]], "each line has its own verdict, reason and face");
		await gw.screenshot(page, "camera-gate-two-people");
		peer.send({ type: "verdict", track: "103", verdict: "PASS", reason: "", temperature: null, override: true, by: "alice" });
		gw.check(await gw.waitFor(async () => (await big(page)) === "PASS", 30000), "a supervisor's override replaces the verdict", await big(page));
		gw.check((await page.locator("#people li").nth(1).textContent()).includes("decided by alice"), "and says who decided",
			await page.locator("#people li").nth(1).textContent());
		peer.send({ type: "person", track: "102", event: "left" });
		gw.check(await gw.waitFor(async () => (await big(page)) === "PASS" && (await page.isVisible("#face")), 30000),
			"one leaves: the other's verdict and face show big", await big(page));
		gw.check(!(await page.isVisible("#people")), "one person: no separate lines");
		peer.present = false;
		peer.send({ type: "person", track: "103", event: "left" });
		gw.check(await gw.waitFor(async () => (await big(page)) === "Nobody", 30000), "both gone: Nobody", await big(page));
		peer.send({ type: "verdict", track: "102", verdict: "DENY", reason: "", temperature: null, override: true, by: "bob" });
		await gw.sleep(1000);
		gw.eq(await big(page), "Nobody", "an override for someone who already left does not bring them back");
		const log2 = (await statusLog(page)).slice(mark);
		gw.check(!log2.slice(0, -1).includes("Nobody"), "Nobody only once the last person left", JSON.stringify(log2));

		// --- a lost connection
		mark = await markLog(page);
		peer.present = true;
		peer.send({ type: "person", track: "104", event: "appeared" });
		peer.send({ type: "verdict", track: "104", verdict: "DENY", reason: "no_mask", temperature: null, override: false, by: null });
		gw.check(await gw.waitFor(async () => (await big(page)) === "DENY", 30000), "a verdict before the connection drops", await big(page));
		gw.eq(peer.conns[0].max, 2, "2 frames in flight, as set");
		const hellos = peer.hellos;
		peer.welcome = { mode: "gate", max_inflight: 1 };   // the next server analyses one at a time
		peer.socket.terminate();
		gw.check(await gw.waitFor(async () => (await text(page, "#message")).includes("Connection lost"), 30000),
			"a lost connection is said", await text(page, "#message"));
		gw.check((await big(page)) !== "DENY", "no stale verdict while disconnected", await big(page));
		gw.check(await gw.waitFor(async () => peer.hellos > hellos && (await text(page, "#state")) === "streaming", 30000),
			"the page reconnects", await text(page, "#state"));

		// --- a server that sends no person messages: the answers decide
		peer.present = true;
		gw.check(await gw.waitFor(async () => (await big(page)) === "Checking…", 30000),
			"older server: an accepted answer shows Checking…", await big(page));
		peer.send({ type: "verdict", track: 555, verdict: "DENY", reason: "temperature", temperature: 38.2 });
		gw.check(await gw.waitFor(async () => (await big(page)) === "DENY", 30000), "older server: the verdict shows", await big(page));
		gw.eq(await text(page, "#reason"), "Temperature 38.2 °C", "with its reason");
		peer.present = false;
		gw.check(await gw.waitFor(async () => (await big(page)) === "Nobody", 30000),
			"older server: the verdict gives way to Nobody once the answers say nobody", await big(page));

		gw.eq([peer.conns.length, peer.conns[1] && peer.conns[1].max], [2, 1],
			"after the welcome said max_inflight 1, never more than 1 frame in flight");

		// --- a server turning away connections from this address
		const hellos2 = peer.hellos;
		peer.socket.close(4029, "too many connections waiting for their hello");
		gw.check(await gw.waitFor(async () => (await text(page, "#message")).includes("turns away new cameras"), 30000),
			"close code 4029 is explained", await text(page, "#message"));
		gw.check(await gw.waitFor(async () => peer.hellos > hellos2 && (await text(page, "#state")) === "streaming", 30000),
			"and the page comes back", await text(page, "#state"));

		// --- a reconnect while a decided person is still tracked: the server
		// says again who is there ("replay":true), the page shows their verdict
		peer.present = true;
		peer.replay = [{ type: "person", track: "106", event: "appeared", replay: true },
			{ type: "verdict", track: "106", verdict: "PASS", reason: "", temperature: null, override: false, by: null,
				face, replay: true }];
		const hellos3 = peer.hellos;
		peer.socket.terminate();
		gw.check(await gw.waitFor(async () => peer.hellos > hellos3 && (await big(page)) === "PASS", 30000),
			"after a reconnect the replayed person and verdict show, not Nobody", await big(page));
		await gw.sleep(3000);
		gw.eq(await big(page), "PASS", "and stay while the person is tracked");
		peer.replay = [];

		gw.eq(errors.filter((e) => !e.includes("WebSocket")), [], "no console errors or page exceptions");
		await page.click("#stop");
		gw.eq(await big(page), "Stopped", "Stop stops");
	} finally {
		await browser.close();
		peer.wss.close();
	}
});
