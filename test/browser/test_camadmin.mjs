// test_camadmin - the dashboard's camera panel (www/camadmin.js) against a
// real notifier: an admin adds a camera (its token shown once, a camera
// token), renames a configured one and sets its mode, gives it a new token
// and removes the added one, each checked through the API, the added
// camera's tile coming and going over /live; a viewer has no panel.
import * as gw from "./lib.mjs";

await gw.run(async () => {
	const env = await gw.makeEnv();
	await gw.startNotifier(env);
	const viewerPw = env.addUser("vic", "viewer");
	const get = async (p) => { const r = await env.fetch(p); return [r.status, r.status === 200 ? await r.json() : null]; };

	const browser = await gw.launch();
	const page = await browser.context.newPage();
	const errors = gw.watch(page);
	page.on("dialog", (d) => d.accept());
	try {
		await page.goto(env.url("/"));
		gw.check(await gw.waitFor(async () => page.isVisible("#camadmin"), 30000), "an admin sees the camera panel");
		gw.check(await gw.waitFor(async () => (await page.$$("#camadmin-table tr[data-camera]")).length === 2, 30000),
			"it lists the configured cameras");

		// Add: the token is shown once.
		await page.fill("#camadmin-add input[name=id]", "door2");
		await page.fill("#camadmin-add input[name=name]", "Back door");
		await page.selectOption("#camadmin-add select[name=mode]", "indoor");
		await page.click("#camadmin-add button[type=submit]");
		gw.check(await gw.waitFor(async () => /gwc_\S{40,}/.test((await page.textContent("#camadmin-token")) || ""), 30000),
			"adding a camera shows its token", await page.textContent("#camadmin-token"));
		const tok1 = /gwc_\S+/.exec(await page.textContent("#camadmin-token"))[0];
		let [st, cam] = await get("/api/cameras/door2");
		gw.check(st === 200 && cam.name === "Back door" && cam.mode === "indoor", "the API has the added camera",
			JSON.stringify([st, cam && cam.name, cam && cam.mode]));
		gw.check(await gw.waitFor(async () => (await page.$$("#camadmin-table tr[data-camera=door2]")).length === 1),
			"the panel lists it");
		gw.check(await gw.waitFor(async () => (await page.$$("#tiles .tile[data-camera=door2]")).length === 1, 30000),
			"the dashboard gets its tile (over /live)");

		// Rename and mode of a configured camera.
		await page.fill("#camadmin-table tr[data-camera=hall] input[data-field=name]", "Main hall");
		await page.selectOption("#camadmin-table tr[data-camera=hall] select[data-field=mode]", "gate");
		await page.click("#camadmin-table tr[data-camera=hall] button[data-act=save]");
		gw.check(await gw.waitFor(async () => { const [s, c] = await get("/api/cameras/hall");
			return s === 200 && c.name === "Main hall" && c.mode === "gate"; }, 30000),
			"Save renames the camera and sets its mode (through If-Match)", await page.textContent("#camadmin-msg"));

		// Another admin renames gate1 after the panel showed it: a change
		// from the panel is not made over theirs, the panel shows theirs.
		const [, g0] = await get("/api/cameras/gate1");
		const other = await env.fetch("/api/cameras/gate1", { method: "PATCH",
			headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "Renamed elsewhere" }) });
		await page.selectOption("#camadmin-table tr[data-camera=gate1] select[data-field=mode]",
			g0.mode === "indoor" ? "gate" : "indoor");
		await page.click("#camadmin-table tr[data-camera=gate1] button[data-act=save]");
		gw.check(other.status === 200 && await gw.waitFor(async () =>
			/changed by someone else/.test((await page.textContent("#camadmin-msg")) || "") &&
			(await page.inputValue("#camadmin-table tr[data-camera=gate1] input[data-field=name]")) === "Renamed elsewhere",
		30000), "a camera changed since the panel showed it is not overwritten: the panel says so and shows it afresh",
			await page.textContent("#camadmin-msg"));
		const [, g1] = await get("/api/cameras/gate1");
		gw.check(g1.name === "Renamed elsewhere" && g1.mode === g0.mode, "the other admin's change stands, the mode is as it was",
			JSON.stringify([g0, g1]).slice(0, 300));

		// A new token for gate1: shown once, different.
		await page.click("#camadmin-table tr[data-camera=gate1] button[data-act=rotate]");
		gw.check(await gw.waitFor(async () => { const t = await page.textContent("#camadmin-token");
			return t.includes("gate1") && /gwc_\S{40,}/.test(t) && !t.includes(tok1); }, 30000),
			"New token shows gate1's new token", await page.textContent("#camadmin-token"));
		const audit = await (await env.fetch("/api/audit?action=camera_token")).json();
		gw.check(audit.items.some((a) => a.target === "gate1" && a.who === env.admin.user),
			"the new token is in the audit trail, by the admin", JSON.stringify(audit.items).slice(0, 300));

		// Remove the added one.
		await page.click("#camadmin-table tr[data-camera=door2] button[data-act=remove]");
		gw.check(await gw.waitFor(async () => (await get("/api/cameras/door2"))[0] === 404, 30000),
			"Remove removes the camera (404 after)");
		gw.check(await gw.waitFor(async () => (await page.$$("#camadmin-table tr[data-camera=door2]")).length === 0),
			"the panel drops it");
		gw.check(await gw.waitFor(async () => (await page.$$("#tiles .tile[data-camera=door2]")).length === 0, 30000),
			"and the dashboard its tile");
		await gw.screenshot(page, "camadmin", { fullPage: true });
		gw.eq(errors, [], "no console errors");
	} finally {
		await browser.close();
	}

	const vb = await gw.launch({ login: { user: "vic", password: viewerPw } });
	try {
		const vp = await vb.context.newPage();
		await vp.goto(env.url("/"));
		await gw.waitFor(async () => (await vp.textContent("#conn")) === "live", 30000);
		await gw.sleep(500);
		gw.check(!(await vp.isVisible("#camadmin")), "a viewer has no camera panel");
	} finally {
		await vb.close();
	}
});
