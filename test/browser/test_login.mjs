// test_login - people log in through www/login.html against a real
// notifier: the dashboard sends a stranger to the login page; a wrong
// password says so; a viewer sees the alerts but no Acknowledge or
// override buttons; a supervisor acknowledges (recorded as by them);
// Log out returns to the login page and the dashboard asks for a login
// again. The session cookie is HttpOnly (not visible to page scripts).
import * as gw from "./lib.mjs";

await gw.run(async () => {
	const env = await gw.makeEnv();
	const notifier = await gw.startNotifier(env);
	// lib.mjs turns metrics.listen off: no test tries the default port a developer's `make run` may hold
	gw.check(await gw.waitFor(() => gw.logText(notifier).includes("metrics.listen is empty"), 30000),
		"a test notifier has no metrics listener unless its test sets one", gw.logText(notifier).slice(-600));
	const viewerPw = env.addUser("vic", "viewer");
	const supPw = env.addUser("sue", "supervisor");
	const now = Date.now(), T = (now - 2000) * 1000 + 7;
	gw.eq(gw.feed(env, [{ camera: "hall", frame: gw.frameId(now - 2000),
		events: [{ track: T, kind: "new", seq: 1, first_seen_us: T, last_seen_us: T },
			{ track: T, kind: "changed", seq: 2, verdict: "DENY", reason: "no_mask", mask: "mask_off", mask_score: 0.9,
				decision: true, first_seen_us: T, last_seen_us: T + 5000 },
			{ track: T, kind: "alert", seq: 3, verdict: "DENY", reason: "no_mask", mask: "mask_off" }],
		persons: [{ verdict: "DENY", reason: "no_mask", mask: "mask_off", track: T }] }]),
	{ acked: 1, sent: 1 }, "the notifier took a person with an alert");

	const browser = await gw.launch({ login: null });
	const page = await browser.context.newPage();
	const errors = gw.watch(page);
	async function logIn(user, password) {
		await page.goto(env.url("/"));
		await gw.waitFor(async () => /\/login\.html/.test(page.url()), 30000);
		await page.fill("#user", user);
		await page.fill("#password", password);
		await page.click("#submit");
		return gw.waitFor(async () => /\/$/.test(page.url()) && (await page.textContent("#conn")) === "live", 30000);
	}
	try {
		await page.goto(env.url("/"));
		gw.check(await gw.waitFor(async () => /\/login\.html\?next=/.test(page.url()), 30000),
			"a stranger opening the dashboard lands on the login page", page.url());
		await page.fill("#user", "vic");
		await page.fill("#password", "not-the-password");
		await page.click("#submit");
		gw.check(await gw.waitFor(async () => (await page.textContent("#msg")).includes("Wrong user or password"), 30000),
			"a wrong password is said so", await page.textContent("#msg"));
		await gw.screenshot(page, "login-wrong-password");
		// Chromium logs the refused login (401) as a console error: expected.
		errors.length = 0;

		// A viewer: sees the alert, no Acknowledge, no override buttons.
		gw.check(await logIn("vic", viewerPw), "a viewer logs in and the dashboard goes live", page.url());
		gw.check(((await page.textContent("#me")) || "").includes("vic (viewer)"), "the header says who is logged in",
			await page.textContent("#me"));
		gw.check(await gw.waitFor(async () => (await page.$$("#alerts li[data-alert]")).length === 1),
			"the viewer sees the open alert");
		gw.eq((await page.$$("#alerts li[data-alert] button.ack")).length, 0, "a viewer has no Acknowledge button");
		await gw.waitFor(async () => (await page.$$("#history tbody tr")).length === 1);
		gw.eq((await page.$$("#history button[data-override]")).length, 0, "a viewer has no override buttons");
		gw.eq(await page.evaluate(() => document.cookie), "", "the session cookie is HttpOnly (page scripts cannot read it)");
		await gw.screenshot(page, "login-viewer-dashboard", { fullPage: true });

		// Log out: back to the login page; the dashboard asks again.
		await page.click("#logout");
		gw.check(await gw.waitFor(async () => /\/login\.html/.test(page.url()), 30000),
			"Log out returns to the login page", page.url());
		await page.goto(env.url("/"));
		gw.check(await gw.waitFor(async () => /\/login\.html/.test(page.url()), 30000),
			"after logging out the dashboard asks for a login again", page.url());

		// A supervisor acknowledges.
		gw.check(await logIn("sue", supPw), "a supervisor logs in", page.url());
		gw.check(await gw.waitFor(async () => (await page.$$("#alerts li[data-alert] button.ack")).length === 1),
			"a supervisor has the Acknowledge button");
		// The history table is fetched apart from the alerts: wait for its row to be drawn.
		gw.check(await gw.waitFor(async () => (await page.$$("#history button[data-override]")).length === 2),
			"and the override buttons", String((await page.$$("#history button[data-override]")).length));
		await page.click("#alerts li[data-alert] button.ack");
		gw.check(await gw.waitFor(async () => (await page.$$("#alerts li[data-alert]")).length === 0),
			"Acknowledge removes the alert");
		const all = await (await env.fetch("/api/alerts?state=all")).json();
		gw.check(all.length === 1 && all[0].acked_by === "sue", "the alert is acknowledged by sue", JSON.stringify(all));
		// The figures panel: another range from /api/stats, CSV downloads.
		await page.selectOption("#range", "7d");
		gw.check(await gw.waitFor(async () => (await page.textContent("#range-title")) === "last 7 days" &&
			(await page.textContent("#t-people")) === "1" && (await page.textContent("#t-denied")) === "1", 30000),
		"last 7 days shows the week's figures", await page.textContent("#today-cams"));
		const csvHref = await page.getAttribute("#csv-figures", "href");
		gw.check(/^\/api\/stats\.csv\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d&by=day$/.test(csvHref),
			"the figures CSV link follows the range", csvHref);
		const csv = await (await env.fetch(csvHref)).text();
		gw.check(csv.startsWith("bucket,camera,people") && csv.includes('"hall",1,0,1,1'), "and downloads its CSV", csv);
		const people = await (await env.fetch(await page.getAttribute("#csv-people", "href"))).text();
		gw.check(people.split("\r\n").filter((l) => l).length === 2, "the people CSV has the person", people);
		await page.selectOption("#range", "today");
		gw.check(await gw.waitFor(async () => (await page.textContent("#range-title")) === "Today"), "back to today");
		gw.eq(errors, [], "no console errors or page exceptions");
	} finally {
		await browser.close();
	}
});
