// lib.mjs - what gatewatch's browser tests share: starting the real
// programs on loopback in a temp dir, feeding the notifier results (via
// test/e2e/gwmsg.py: node has no SOCK_SEQPACKET), a fake camera made from
// real photos, headless Chromium, screenshots, and "ok - / not ok -" lines.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = process.env.GW_ROOT || path.resolve(here, "..", "..");
const BINDIR = path.resolve(ROOT, process.env.BIN || "bin");
export const MODELS = path.resolve(ROOT, process.env.MODELS || "models/out");
export const ARTIFACTS = process.env.GW_TEST_ARTIFACTS || path.join(ROOT, "test", "artifacts");
export const PHOTOS = ["/usr/share/darknet/data/person.jpg", "/usr/share/darknet/data/horses.jpg"];
const require = createRequire(import.meta.url);

export function bin(name) { return path.join(BINDIR, name); }

/* ---- reporting ---- */
let failures = 0;
export function check(cond, what, why = "") {
	if (cond) console.log(`ok - ${what}`);
	else { failures++; console.log(`not ok - ${what}: ${why}`); }
	return cond;
}
export function eq(got, want, what) {
	const g = JSON.stringify(got), w = JSON.stringify(want);
	return check(g === w, what, `got ${g}, want ${w}`);
}
export function failed() { return failures; }

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* waitFor - poll fn until it returns a truthy value; bounded in time (it
 * returns as soon as fn does: the bound only matters on a failure, and is
 * generous for a loaded machine, where 10 s was missed). */
export async function waitFor(fn, timeoutMs = 30000, stepMs = 100) {
	const end = Date.now() + timeoutMs;
	let last;
	while (Date.now() < end) {
		try { last = await fn(); if (last) return last; } catch (e) { last = undefined; }
		await sleep(stepMs);
	}
	return last;
}

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on("error", reject);
		s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
	});
}

/* closedPort - a port kept from other programs (freePort()'s pick may be
 * taken before a test that wants it closed connects): a listener that
 * drops every connection at once, so nothing there ever answers.
 * Returns { port, close }. */
export function closedPort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer((c) => c.destroy());
		s.on("error", reject);
		s.listen(0, "127.0.0.1", () => resolve({ port: s.address().port, close: () => s.close() }));
	});
}

/* ---- the programs ---- */
const children = new Set();
let lastEnv = null;   // the env launch() logs in to by default

/* Env - one temp state dir and one set of ports shared by the programs. */
export async function makeEnv(cameras = [["gate1", "Front gate", "gate"], ["hall", "Hall", "indoor"]], { tls = false } = {}) {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gw-browser-"));
	const env = {
		tmp, dir: path.join(tmp, "var"), httpPort: await freePort(), ingestPort: await freePort(), cameras,
		tokens: {}
	};
	env.sock = path.join(env.dir, "run", "notifier.sock");
	env.args = ["--dir", env.dir, "--set", `http.port=${env.httpPort}`, "--set", `ingest.port=${env.ingestPort}`,
		"--set", `www.dir=${path.join(ROOT, "www")}`,
		// no listener on the default 127.0.0.1:9469 (a developer's `make run` may hold it)
		"--set", "metrics.listen=",
		// Nothing edits what a test fed behind its back: feed()'s workers leave at
		// once, and the notifier ends their open people 13 s later (track.max_missing_ms
		// + dispatcher.worker_backoff_max_ms; a loaded machine is past that mid-test);
		// the first frame starts camera.offline_after_ms (a camera_offline alert after 60 s);
		// a disk with less than twice spool.min_free_mb free (400 MB) raises spool_low
		"--set", "dispatcher.worker_backoff_max_ms=3600000", "--set", "camera.offline_after_ms=0",
		"--set", "spool.min_free_mb=0"];
	// Models: the build's default (<bin>/../models/out) unless MODELS names another folder.
	if (process.env.MODELS) env.args.push("--set", `models.dir=${path.resolve(ROOT, process.env.MODELS)}`);
	cameras.forEach(([id, name, mode], i) => {
		env.tokens[id] = `token-${id}-${i}-secret`;
		env.args.push("--set", `camera.${id}.token=${env.tokens[id]}`, "--set", `camera.${id}.name=${name}`,
			"--set", `camera.${id}.mode=${mode}`);
	});
	// tls: a throwaway self-signed certificate, as the README's LAN setup
	// makes one; node's fetch then accepts it (NODE_TLS_REJECT_UNAUTHORIZED).
	if (tls) {
		const key = path.join(tmp, "key.pem"), cert = path.join(tmp, "cert.pem");
		const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
			"-days", "1", "-subj", "/CN=localhost"], { encoding: "utf8", timeout: 60000 });
		if (r.status !== 0) throw new Error(`openssl req: ${r.stderr}`);
		env.args.push("--set", `tls.cert=${cert}`, "--set", `tls.key=${key}`);
		process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
	}
	env.url = (p) => `${tls ? "https" : "http"}://127.0.0.1:${env.httpPort}${p}`;
	// Every page but the login page needs an account: startNotifier makes
	// this admin; launch() logs its browser in; env.fetch asks as the admin.
	env.admin = { user: "admin", password: "pw-" + Math.random().toString(36).slice(2) + Date.now().toString(36) };
	env.cookies = {};
	env.addUser = (name, role, password = "pw-" + Math.random().toString(36).slice(2, 12) + "x") => {
		const r = spawnSync(bin("gatewatch"), ["user", "add", name, "--role", role, "--dir", env.dir],
			{ input: password + "\n", encoding: "utf8", timeout: 60000 });
		if (r.status !== 0) throw new Error(`gatewatch user add ${name}: ${r.stderr}`);
		return password;
	};
	/* env.login - a session cookie value for user (cached), via POST /api/session. */
	env.login = async (user = env.admin.user, password = env.admin.password) => {
		if (env.cookies[user]) return env.cookies[user];
		let r;
		// undici may reuse a keep-alive connection the server has just
		// closed ("fetch failed"): a fresh one answers.
		for (let i = 0; ; i++) {
			try {
				r = await fetch(env.url("/api/session"), {
					method: "POST", headers: { "Content-Type": "application/json", Origin: env.url("") },
					body: JSON.stringify({ user, password })
				});
				break;
			} catch (e) {
				if (i >= 2) throw e;
				await sleep(200);
			}
		}
		const m = /gw_session=([^;]+)/.exec(r.headers.get("set-cookie") || "");
		if (r.status !== 201 || !m) throw new Error(`login as ${user}: ${r.status}`);
		return (env.cookies[user] = m[1]);
	};
	/* env.fetch - fetch(env.url(p)) as the admin (cookie and this server's Origin). */
	env.fetch = async (p, opts = {}) => fetch(env.url(p), Object.assign({}, opts, {
		headers: Object.assign({ Cookie: `gw_session=${await env.login()}`, Origin: env.url("") }, opts.headers || {})
	}));
	lastEnv = env;
	return env;
}

/* start - run a program in its own process group, output to tmp/<name>.log. */
export function start(env, name, extra = []) {
	const log = fs.openSync(path.join(env.tmp, `${name}.log`), "a");
	const p = spawn(bin(name), [...env.args, ...extra], { stdio: ["ignore", log, log], detached: true });
	p.on("exit", (code) => { p.gwExit = code; p.exited = true; });
	p.logPath = path.join(env.tmp, `${name}.log`);
	children.add(p);
	return p;
}

/* stop - SIGTERM the group, wait (bounded), SIGKILL if needed; exit code or null. */
export async function stop(p, timeoutMs = 10000) {
	if (!p || p.exited) { children.delete(p); return p ? p.gwExit : null; }
	try { process.kill(-p.pid, "SIGTERM"); } catch (e) { /* gone */ }
	if (!(await waitFor(() => p.exited, timeoutMs, 50))) {
		try { process.kill(-p.pid, "SIGKILL"); } catch (e) { /* gone */ }
		await waitFor(() => p.exited, 5000, 50);
	}
	children.delete(p);
	return p.gwExit;
}

export async function stopAll() {
	for (const p of [...children]) await stop(p);
}

export function logText(p) {
	try { return fs.readFileSync(p.logPath, "utf8"); } catch (e) { return ""; }
}

/* startUp - `gatewatch up` (all four programs, the real models) in its own
 * process group on env's ports, its config this tree's models.dir and
 * www.dir then the lines conf; resolves once it is ready. env.up is the
 * process (.logPath: its output). */
export async function startUp(env, conf) {
	const file = path.join(env.tmp, "test.conf");
	// metrics.listen off unless conf sets it (the default port may be a developer's `make run`'s)
	fs.writeFileSync(file, [`models.dir = "${MODELS}"`, `www.dir = "${path.join(ROOT, "www")}"`, `metrics.listen = ""`,
		...conf, ""].join("\n"));
	const out = path.join(env.tmp, "up.out");
	const fd = fs.openSync(out, "a");
	const p = spawn(bin("gatewatch"), ["up", "--dir", env.dir, "-c", file,
		"--http-port", String(env.httpPort), "--ingest-port", String(env.ingestPort), "--listen", "127.0.0.1"],
	{ stdio: ["ignore", fd, fd], detached: true });
	p.on("exit", (code) => { p.exited = true; p.gwExit = code; });
	p.logPath = out;
	env.up = p;
	const ready = await waitFor(() => {
		if (p.exited) throw new Error("gatewatch up exited: " + fs.readFileSync(out, "utf8").slice(-1500));
		return fs.readFileSync(out, "utf8").includes("gatewatch up: ready");
	}, 120000, 200);
	if (!ready) throw new Error("gatewatch up not ready: " + fs.readFileSync(out, "utf8").slice(-1500));
}

/* stopUp - SIGTERM to `gatewatch up` (it stops its programs; bounded
 * wait), then SIGKILL to whatever is left of its group. */
export async function stopUp(env) {
	if (!env.up || env.up.exited) return;
	try { process.kill(env.up.pid, "SIGTERM"); } catch (e) { /* gone */ }
	if (!(await waitFor(() => env.up.exited, 15000, 100)))
		try { process.kill(-env.up.pid, "SIGKILL"); } catch (e) { /* gone */ }
	try { process.kill(-env.up.pid, "SIGKILL"); } catch (e) { /* the group is gone */ }
}

/* startNotifier - make the admin account (first time), start, and wait
 * until the HTTP server answers (401 to /api/health without a login). */
export async function startNotifier(env) {
	if (!fs.existsSync(path.join(env.dir, "gatewatch.db"))) env.addUser(env.admin.user, "admin", env.admin.password);
	const p = start(env, "gatewatch-notifier");
	const ok = await waitFor(async () => {
		if (p.exited) throw new Error("notifier exited");
		const r = await fetch(env.url("/api/health"));
		return r.status === 401 && fs.existsSync(env.sock);
	}, 60000);
	if (!ok) throw new Error("notifier did not start: " + logText(p).slice(-1500));
	return p;
}

/* startIngest - start the real ingest if it is built; resolves to the process
 * once its port accepts connections, or null when it is absent or does not
 * come up (the log says why). */
export async function startIngest(env, timeoutMs = 60000) {
	if (!fs.existsSync(bin("gatewatch-ingest"))) return null;
	const p = start(env, "gatewatch-ingest");
	const up = await waitFor(() => new Promise((resolve) => {
		if (p.exited) { resolve(false); return; }
		const s = net.connect(env.ingestPort, "127.0.0.1", () => { s.destroy(); resolve(true); });
		s.on("error", () => resolve(false));
	}), timeoutMs, 200);
	if (!up) { await stop(p); return null; }
	return p;
}

/* feed - send results to the notifier as workers would; items are dicts
 * for gwmsg.feed (camera, frame, persons, temperature, snapshot). */
export function feed(env, items) {
	const r = spawnSync("/usr/bin/python3", [path.join(ROOT, "test", "e2e", "gwmsg.py"), "feed", env.sock],
		{ input: JSON.stringify(items), encoding: "utf8", timeout: 30000 });
	if (r.status !== 0) throw new Error("feed failed: " + r.stdout + r.stderr);
	return JSON.parse(r.stdout);
}

/* frameId - a valid frame id at time ms (+ a per-call sequence). */
let seq = 0;
export function frameId(ms = Date.now()) {
	seq = (seq + 1) % 1000;
	return String(ms * 1000 + seq).padStart(16, "0") + "-" + String(seq).padStart(3, "0");
}

/* snapshot - copy a photo into DIR/snapshots/<camera>/latest.jpg, the
 * file the worker overwrites per frame for the live view; returns the
 * relative path for the result. */
export function snapshot(env, camera, frame, photo = PHOTOS[0]) {
	const d = path.join(env.dir, "snapshots", camera);
	fs.mkdirSync(d, { recursive: true });
	fs.copyFileSync(photo, path.join(d, "latest.jpg"));
	return `snapshots/${camera}/latest.jpg`;
}

/* ---- the browser ---- */
/* fakeVideo - an MJPEG file Chromium plays as the camera, made with ffmpeg
 * from real photos (cached under the artifacts folder). */
export function fakeVideo(photos = PHOTOS, name = "fake-camera.mjpeg") {
	const out = path.join(ARTIFACTS, name);
	if (fs.existsSync(out) && fs.statSync(out).size > 0) return out;
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	const list = path.join(os.tmpdir(), `gw-fake-${process.pid}.txt`);
	fs.writeFileSync(list, photos.map((p) => `file '${p}'\nduration 1\n`).join("") + `file '${photos[photos.length - 1]}'\n`);
	const r = spawnSync("ffmpeg", ["-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list,
		"-vf", "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=10",
		"-pix_fmt", "yuvj420p", "-q:v", "5", "-f", "mjpeg", out], { encoding: "utf8", timeout: 60000 });
	fs.rmSync(list, { force: true });
	if (r.status !== 0) throw new Error("ffmpeg: " + r.stderr);
	return out;
}

/* loginContext - put user's session cookie (see env.login) into a browser context. */
export async function loginContext(context, env, user = env.admin.user, password = env.admin.password) {
	const value = await env.login(user, password);
	await context.addCookies([{ name: "gw_session", value, url: env.url("/"), httpOnly: true, sameSite: "Strict" }]);
}

/* launch - a fresh headless Chromium profile; returns { context, close }.
 * login: the user whose session the browser starts with (default: the
 * admin of the last makeEnv, once its notifier runs; null: nobody). */
export async function launch({ video = null, extraArgs = [], allowCamera = true, login = "admin", env = lastEnv,
	ignoreHTTPSErrors = false } = {}) {
	const { chromium } = require("playwright-core");
	const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-chromium-"));
	const args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--use-fake-device-for-media-stream", ...extraArgs];
	// Without the fake UI the permission prompt cannot be answered: denied.
	if (allowCamera) args.push("--use-fake-ui-for-media-stream");
	if (video) args.push(`--use-file-for-fake-video-capture=${video}`);
	const context = await chromium.launchPersistentContext(userDataDir, {
		executablePath: "/usr/bin/chromium", headless: true, args, viewport: { width: 1280, height: 900 }, ignoreHTTPSErrors
	});
	if (login && env && fs.existsSync(path.join(env.dir, "gatewatch.db"))) {
		if (login === "admin") await loginContext(context, env);
		else await loginContext(context, env, login.user, login.password);
	}
	return {
		context,
		async close() {
			await context.close().catch(() => {});
			fs.rmSync(userDataDir, { recursive: true, force: true });
		}
	};
}

/* watch - collect a page's console errors and uncaught exceptions. */
export function watch(page) {
	const errors = [];
	page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
	page.on("pageerror", (e) => errors.push(String(e)));
	return errors;
}

export async function screenshot(page, name, opts = {}) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	const file = path.join(ARTIFACTS, `${name}.png`);
	await page.screenshot({ path: file, ...opts });
	console.log(`# screenshot ${file}`);
	return file;
}

/* run - run a test body, always clean up, exit 1 on any failure. */
export async function run(body, guardMs = 240000) {
	let code = 0;
	const guard = setTimeout(() => { console.log(`not ok - test finished in time: ${guardMs / 1000} s guard`); process.exit(1); }, guardMs);
	try {
		await body();
	} catch (e) {
		check(false, "test ran to the end", (e && e.stack) || String(e));
	} finally {
		await stopAll();
		clearTimeout(guard);
		if (failures) code = 1;
	}
	process.exit(code);
}
