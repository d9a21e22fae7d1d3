// test_pipeline - the whole system in a real browser: `gatewatch up` (all
// four programs, the real models), two gate PCs whose Chromium cameras
// play real photos (a person without a mask, a person wearing one), each
// running the camera page; then the dashboard. Asserts each camera page
// shows the verdict for its person and the dashboard's tiles, feed and
// today's counts show the results. Screenshots go to the artifacts folder.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as gw from "./lib.mjs";

const VAL = path.resolve(gw.ROOT, "..", "shared", "datasets", "mask-faces", "val");
const NO_MASK = path.join(VAL, "without_mask", "d99f9dab1e7bd286b447b2de7f89581ce32e37b2.jpg");
const MASK = path.join(VAL, "with_mask", "cbd00c0fe2c1389fa1132bbce2c66ec55ba147f9.jpg");
const CONF = (env) => [
	`camera.nomask.token = "${env.tokens.nomask}"`, `camera.nomask.name = "Gate A"`,
	`camera.mask.token = "${env.tokens.mask}"`, `camera.mask.name = "Gate B"`
];

/* gate - one gate PC: a browser whose camera plays photo, on the camera page. */
async function gate(env, camera, photo) {
	const video = gw.fakeVideo([photo], `fake-${path.basename(photo, ".jpg")}.mjpeg`);
	const browser = await gw.launch({ video });
	const page = await browser.context.newPage();
	const errors = gw.watch(page);
	await page.goto(env.url("/camera.html"));
	await page.fill("#camera-id", camera);
	await page.fill("#token", env.tokens[camera]);
	await page.fill("#fps", "3");
	await page.click("#start");
	return { browser, page, errors };
}

const env = { tmp: fs.mkdtempSync(path.join(os.tmpdir(), "gw-browser-pipeline-")) };
env.dir = path.join(env.tmp, "var");
env.httpPort = await gw.freePort();
env.ingestPort = await gw.freePort();
env.tokens = { nomask: "token-nomask-" + process.pid, mask: "token-mask-" + process.pid };
env.url = (p) => `http://127.0.0.1:${env.httpPort}${p}`;

await gw.run(async () => {
	for (const f of [NO_MASK, MASK, path.join(gw.MODELS, "mask.weights")])
		gw.check(fs.existsSync(f), `input exists: ${path.basename(f)}`, f);
	await gw.startUp(env, CONF(env));
	const gates = [];
	try {
		gates.push(await gate(env, "nomask", NO_MASK));
		gates.push(await gate(env, "mask", MASK));
		const [a, b] = gates;
		// A verdict shows for a few seconds once per person, then fades: watch
		// both pages at once and keep what each showed.
		const seen = [new Set(), new Set()];
		const shot = [false, false];
		const want = ["DENY", "PASS"];
		// Each frame costs the person detector and the worker's networks on a
		// 2-core machine shared by both gates: allow minutes, not seconds.
		await gw.waitFor(async () => {
			for (let i = 0; i < 2; i++) {
				const st = await gates[i].page.textContent("#status");
				seen[i].add(st + "|" + (await gates[i].page.textContent("#reason")));
				if (st === want[i] && !shot[i]) {
					shot[i] = true;
					await gw.screenshot(gates[i].page, i ? "pipeline-camera-mask" : "pipeline-camera-nomask");
				}
			}
			return shot[0] && shot[1];
		}, 240000, 200);
		gw.check(shot[0], "the camera page of a person without a mask shows DENY", [...seen[0]].join(", "));
		gw.check(seen[0].has("DENY|No mask"), "with the reason: no mask", [...seen[0]].join(", "));
		gw.check(shot[1], "the camera page of a person wearing a mask shows PASS", [...seen[1]].join(", "));
		// The cameras keep streaming while the supervisor looks: a camera
		// stopped first lets its person leave, and the tile then rightly
		// says "nobody" (a race the check below lost at times).
		// The supervisor's view.
		const page = await a.browser.context.newPage();
		const errors = gw.watch(page);
		const missing = [];
		page.on("response", (r) => { if (r.status() >= 400) missing.push(r.status() + " " + r.url()); });
		// Not logged in: the dashboard sends us to the login page, where the
		// first admin's password (printed by `gatewatch up`) lets us in.
		await page.goto(env.url("/"));
		// the dashboard's script sends a stranger on after asking /api/session: wait for it
		gw.check(await gw.waitFor(async () => /\/login\.html/.test(page.url())), "the dashboard asks for a login first", page.url());
		const banner = fs.readFileSync(path.join(env.tmp, "up.out"), "utf8");
		const pw = (/log in as +user=admin password=(\S+)/.exec(banner) || [])[1];
		gw.check(!!pw, "gatewatch up prints the first admin's password", banner.slice(-600));
		await page.fill("#user", "admin");
		await page.fill("#password", pw || "");
		await page.click("#submit");
		await gw.waitFor(async () => !/login\.html/.test(page.url()), 30000);
		gw.check(await gw.waitFor(async () => (await page.locator("#tiles .tile").count()) === 2, 30000),
			"the dashboard has a tile per camera", String(await page.locator("#tiles .tile").count()));
		gw.check(await gw.waitFor(async () => (await page.textContent("#tiles")).includes("DENY"), 30000),
			"a tile shows the latest DENY", await page.textContent("#tiles"));
		for (const g of gates) await g.page.click("#stop");
		gw.eq([...a.errors, ...b.errors].filter((e) => !e.includes("WebSocket")), [], "no console errors on the camera pages");
		gw.check(await gw.waitFor(async () => Number(await page.textContent("#t-denied")) >= 1 &&
			Number(await page.textContent("#t-passed")) >= 1, 30000),
		"today's counts show people passed and denied",
		`passed ${await page.textContent("#t-passed")}, denied ${await page.textContent("#t-denied")}`);
		gw.check(Number(await page.textContent("#t-people")) >= 2, "today's people count covers both gates",
			await page.textContent("#t-people"));
		gw.check(await gw.waitFor(async () => (await page.locator("#history tbody tr").count()) >= 2, 30000),
			"history lists the results with snapshots", String(await page.locator("#history tbody tr").count()));
		gw.check((await page.locator("#history img").count()) >= 1, "history rows carry snapshot images",
			String(await page.locator("#history img").count()));
		await gw.screenshot(page, "pipeline-dashboard", { fullPage: true });
		gw.eq(missing, [], "every resource the dashboard loads exists");
		gw.eq(errors, [], "no console errors on the dashboard");
	} finally {
		for (const g of gates) await g.browser.close();
		await gw.stopUp(env);
		if (gw.failed()) { // keep the programs' logs of a failed run
			const keep = path.join(gw.ARTIFACTS, "pipeline-logs");
			fs.mkdirSync(keep, { recursive: true });
			for (const f of fs.readdirSync(path.join(env.dir, "log")))
				fs.copyFileSync(path.join(env.dir, "log", f), path.join(keep, f));
			console.log(`# logs kept in ${keep}`);
		}
		fs.rmSync(env.tmp, { recursive: true, force: true });
	}
}, 540000);
