// test_apidocs - the API docs page (www/apidocs.html: Swagger UI from the
// pinned swagger-ui-dist, copied into www/vendor/ by the build) against a
// real notifier: a stranger is sent to the login page; the dashboard links
// to it; logged in, it renders every path of /api/openapi.json, and the
// browser asks no other host for anything.
import * as gw from "./lib.mjs";

await gw.run(async () => {
	const env = await gw.makeEnv();
	await gw.startNotifier(env);
	const doc = await (await env.fetch("/api/openapi.json")).json();
	const paths = Object.keys(doc.paths || {});
	gw.check(paths.length > 20, "the document has its paths", String(paths.length));

	const stranger = await gw.launch({ login: null });
	try {
		const page = await stranger.context.newPage();
		await page.goto(env.url("/apidocs.html"));
		gw.check(await gw.waitFor(async () => /\/login\.html\?next=/.test(page.url()), 30000),
			"a stranger opening the API docs lands on the login page", page.url());
	} finally {
		await stranger.close();
	}

	const browser = await gw.launch();
	const page = await browser.context.newPage();
	const errors = gw.watch(page);
	const elsewhere = [];
	page.on("request", (r) => { if (!r.url().startsWith(env.url("/")) && !r.url().startsWith("data:")) elsewhere.push(r.url()); });
	try {
		await page.goto(env.url("/"));
		const href = await page.getAttribute("nav a[href='/apidocs.html']", "href");
		gw.eq(href, "/apidocs.html", "the dashboard links to the API docs");
		await page.click("nav a[href='/apidocs.html']");
		const shown = async () => page.$$eval(".opblock-summary-path", (els) =>
			els.map((e) => (e.getAttribute("data-path") || e.textContent || "").replace(/\u200b/g, "").trim()));
		gw.check(await gw.waitFor(async () => (await shown()).length >= paths.length, 30000),
			"Swagger UI renders the operations", String((await shown()).length));
		const rendered = new Set(await shown());
		const missing = paths.filter((p) => !rendered.has(p));
		gw.eq(missing, [], `every path of the document is rendered (${paths.length})`);
		gw.check(((await page.textContent(".info .title")) || "").includes(doc.info.title),
			"the document's title is shown", await page.textContent(".info .title"));
		// Open one operation: its parameters come from the document too.
		await page.click(".opblock-summary-path[data-path='/api/stats']");
		gw.check(await gw.waitFor(async () => (await page.$$(".opblock.is-open .parameters tr[data-param-name='by']")).length > 0, 30000),
			"an operation opens with its documented parameters");
		await gw.screenshot(page, "apidocs", { fullPage: false });
		gw.eq(elsewhere, [], "no request went to another host (no CDN, no validator)");
		gw.eq(errors, [], "no console errors");
	} finally {
		await browser.close();
	}
});
