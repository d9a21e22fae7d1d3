/* dashboard.js - the live dashboard. Listens on WS /live (protocol
 * "gatewatch-live"): "hello" carries today's figures and the cameras,
 * then "result" (a camera's latest analysed frame: the tile), "track" (a
 * person confirmed, decided, changed, gone: the feed and the people
 * list), "alert" / "alert_ack" (the alerts panel), "camera" and "today"
 * messages keep the page current. After every (re)connect it also
 * re-fetches /api/stats/today, the open alerts (/api/alerts) and the
 * people (/api/tracks), so nothing missed while away stays missing. */
"use strict";
(function () {
	const { el, timeText, agoText, reasonText, Backoff } = window.gw;
	const FEED_MAX = 50;
	const cams = new Map();      // id -> { info, result, tile: {...} }
	const alerts = new Map();    // alert id -> <li>
	let chart = null, lastToday = null, oldestId = 0;
	const backoff = new Backoff();

	/* ---- connection ---- */
	function setConn(text, cls) {
		const c = document.getElementById("conn");
		c.textContent = text;
		c.className = "badge conn " + cls;
	}

	/* ---- who is logged in, and where the API's collections are ---- */
	let me = null;   // GET /api/session: { user, role, kind, expires }
	let links = {};  // GET /api: the collections this role may use (HAL _links)

	/* href - a collection's URL as /api links it (the path as fallback). */
	function href(rel, fallback) {
		return links[rel] && links[rel].href ? links[rel].href : fallback;
	}

	/* action - an item's link for an action its _links offer this user
	 * (items pushed over /live carry none: then the usual path, if the
	 * role allows it at all). */
	function action(item, rel, fallback) {
		if (item && item._links) return item._links[rel] ? item._links[rel].href : null;
		return canAct() ? fallback : null;
	}

	function canAct() {
		return !!me && (me.role === "supervisor" || me.role === "admin");
	}

	function toLogin() {
		location.replace("/login.html?next=" + encodeURIComponent(location.pathname + location.search));
	}

	/* whoami - the session, or to the login page when there is none. */
	async function whoami() {
		const r = await fetch("/api/session", { cache: "no-store" });
		if (!r.ok) throw new Error("error " + r.status);
		const s = await r.json();
		if (!s.user) { toLogin(); return null; }
		return s;
	}

	function showMe() {
		const box = document.getElementById("me");
		if (!box || !me) return;
		const out = el("button", { type: "button", class: "secondary", id: "logout", text: "Log out" });
		out.onclick = async () => {
			out.disabled = true;
			await fetch("/api/session", { method: "DELETE" }).catch(() => {});
			location.replace("/login.html");
		};
		box.replaceChildren(el("span", { class: "dim", text: me.user + " (" + me.role + ") " }), out);
		document.body.setAttribute("data-role", me.role);
	}

	async function start() {
		try {
			me = await whoami();
		} catch (e) {
			setConn("cannot reach the server", "bad");
			setTimeout(start, backoff.next());
			return;
		}
		if (!me) return;
		try {
			const r = await fetch("/api", { cache: "no-store" });
			if (r.ok) links = (await r.json())._links || {};
		} catch (e) { /* the fallbacks below are the same paths */ }
		showMe();
		connect();
	}

	function connect() {
		const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/live";
		let ws;
		try {
			ws = new WebSocket(url, "gatewatch-live");
		} catch (e) {
			setConn("cannot connect", "bad");
			setTimeout(connect, backoff.next());
			return;
		}
		setConn("connecting…", "warn");
		ws.onopen = () => { backoff.reset(); setConn("live", "ok"); refetch(); };
		ws.onmessage = (ev) => {
			let m;
			try { m = JSON.parse(ev.data); } catch (e) { return; }
			onMessage(m);
		};
		ws.onclose = async () => {
			// A session that ended (logout elsewhere, expiry) is why /live
			// refuses: go to the login page rather than retry forever.
			try { if (!(await whoami())) return; } catch (e) { /* offline: retry below */ }
			const d = backoff.next();
			setConn("offline, retrying in " + Math.round(d / 1000) + " s", "bad");
			setTimeout(connect, d);
		};
	}

	function onMessage(m) {
		switch (m.type) {
		case "hello":
			for (const c of m.cameras || []) upsertCamera(c);
			if (m.today) showToday(m.today);
			break;
		case "result":
			onResult(m);
			break;
		case "camera":
			upsertCamera(m);
			break;
		case "today":
			showToday(m.today);
			break;
		case "track":
			onTrack(m);
			break;
		case "alert":
			showAlert(m.alert, true);
			break;
		case "alert_ack":
			removeAlert(m.alert);
			break;
		}
	}

	async function refetch() {
		try {
			const r = await fetch(href("stats", "/api/stats/today"), { cache: "no-store" });
			if (r.ok) showToday(await r.json());
		} catch (e) { /* the socket's close handler reports the outage */ }
		loadAlerts();
		loadHistory(false);
	}

	/* ---- camera tiles ---- */
	function makeTile(id) {
		const t = {};
		t.root = el("div", { class: "tile", "data-camera": id });
		t.name = el("strong");
		t.mode = el("span", { class: "dim" });
		t.verdict = el("span", { class: "badge none", text: "–" });
		t.canvas = el("canvas", { width: 640, height: 480 });
		const dl = el("dl");
		const row = (label) => { const dd = el("dd", { text: "–" }); dl.append(el("dt", { text: label }), dd); return dd; };
		t.fps = row("fps in / analysed");
		t.queue = row("queue");
		t.worker = row("worker");
		t.seen = row("last seen");
		t.root.append(el("div", { class: "title" }, el("span", {}, t.name, " ", t.mode), t.verdict), t.canvas, dl);
		const tiles = document.getElementById("tiles");
		tiles.querySelector(".empty")?.remove();
		tiles.append(t.root);
		const sel = document.querySelector("#filters select[name=camera]");
		sel.append(el("option", { value: id, text: id }));
		return t;
	}

	function camera(id) {
		let c = cams.get(id);
		if (!c) {
			// ended: the tracks of the last result that have since left
			c = { info: { id, name: id, mode: "" }, result: null, ended: new Set(), tile: makeTile(id) };
			cams.set(id, c);
		}
		return c;
	}

	function upsertCamera(info) {
		if (info.removed) {  // an admin removed it: its tile goes
			const gone = cams.get(info.id);
			if (gone) { gone.tile.root.remove(); cams.delete(info.id); }
			return;
		}
		const c = camera(info.id);
		const last = info.last_result;
		c.info = Object.assign({}, c.info, info);
		delete c.info.type;
		renderCamera(c);
		if (last && (!c.result || last.frame > c.result.frame)) {
			c.result = last;
			renderResult(c);
		}
	}

	function renderCamera(c) {
		const i = c.info, t = c.tile;
		t.name.textContent = i.name || i.id;
		t.mode.textContent = i.mode ? "(" + i.mode + ")" : "";
		// both over the same seconds (notifier/cams.c): stats.fps_in is ingest's last second only
		const rate = (v) => (typeof v === "number" ? v.toFixed(1) : "–");
		t.fps.textContent = rate(i.stats ? i.fps_in : null) + " / " + rate(i.fps_analysed);
		t.queue.textContent = i.queue ? i.queue.depth + " frames" : "–";
		const running = (i.queue && i.queue.worker_pid > 0) || i.workers > 0;
		t.worker.textContent = running ? "running" : "idle";
		const seen = Math.max(i.last_seen_ms || 0, c.result ? c.result.analysed_ms || 0 : 0);
		t.seen.textContent = agoText(seen) + (i.stats && i.stats.connected ? " · connected" : "");
	}

	/* renderResult - the tile's badge and picture: the last analysed frame,
	 * its people counted only while they are tracked (a person who left
	 * after it, and nobody came since, is not there any more). */
	function renderResult(c) {
		const r = c.result, t = c.tile;
		const n = (r.persons || []).filter((p) => !c.ended.has(String(p.track))).length;
		t.verdict.textContent = n === 0 ? "nobody" : r.verdict === "none" ? (n === 1 ? "1 person" : n + " people") : r.verdict;
		t.verdict.className = "badge " + (n ? r.verdict : "");
		drawResult(t, r);
	}

	/* drawResult - snapshot (if any) with body and face boxes and labels. */
	function drawResult(t, r) {
		const cv = t.canvas;
		const draw = (img) => {
			cv.width = r.width || 640;
			cv.height = r.height || 480;
			const g = cv.getContext("2d");
			g.fillStyle = "#05080b";
			g.fillRect(0, 0, cv.width, cv.height);
			if (img) g.drawImage(img, 0, 0, cv.width, cv.height);
			else {
				g.fillStyle = "#8b98a5";
				g.font = Math.round(cv.width / 30) + "px system-ui, sans-serif";
				g.textAlign = "center";
				g.fillText("latest frame: boxes only (frames are not kept)", cv.width / 2, cv.height / 2);
				g.textAlign = "start";
			}
			const lw = Math.max(2, cv.width / 240);
			g.font = "bold " + Math.round(cv.width / 28) + "px system-ui, sans-serif";
			g.textBaseline = "bottom";
			for (const p of r.persons || []) {
				if (p.body) {
					g.strokeStyle = "rgba(56,139,253,.9)";
					g.lineWidth = lw;
					g.strokeRect(p.body[0], p.body[1], p.body[2], p.body[3]);
				}
				const box = p.face || p.body;
				if (!box) continue;
				const col = p.verdict === "PASS" ? "#2ea043" : p.verdict === "DENY" ? "#da3633" : "#d29922";
				if (p.face) {
					g.strokeStyle = col;
					g.lineWidth = lw * 1.5;
					g.strokeRect(p.face[0], p.face[1], p.face[2], p.face[3]);
				}
				let label = (p.track ? "#" + String(p.track).slice(-4) + " " : "") + (p.verdict === "none" ? "?" : p.verdict);
				const why = reasonText(p.reason, r.temperature);
				if (why) label += " · " + why;
				else if (p.mask && p.mask !== "unknown") label += " · " + p.mask.replace("_", " ");
				const w = g.measureText(label).width + 8, h = Math.round(cv.width / 24);
				const y = Math.max(h, box[1]);
				g.fillStyle = col;
				g.fillRect(box[0], y - h, w, h);
				g.fillStyle = "#fff";
				g.fillText(label, box[0] + 4, y - 2);
			}
		};
		if (!r.snapshot) { draw(null); return; }
		const img = new Image();
		img.onload = () => { if (t.drawn === r) draw(img); };
		img.onerror = () => { if (t.drawn === r) draw(null); };
		t.drawn = r;
		img.src = r.snapshot;
	}

	/* ---- frames: tiles ---- */
	function onResult(r) {
		delete r.type;
		const c = camera(r.camera);
		if (!c.result || r.frame >= c.result.frame) {
			c.result = r;
			const ids = new Set((r.persons || []).map((p) => String(p.track)));
			c.ended = new Set([...c.ended].filter((id) => ids.has(id)));
			renderResult(c);
		}
		c.info.last_seen_ms = Date.now();
		renderCamera(c);
	}

	/* ---- people: feed and list ---- */
	const KIND_TEXT = { new: "new person", changed: "verdict", ended: "left", alert: "ALERT", prompt: "prompt" };

	function shortTrack(id) { return "#" + String(id).slice(-4); }

	function camName(id) { return (cams.get(id)?.info.name) || id; }

	function onTrack(e) {
		addFeed(e);
		upsertPerson(e);
		const c = cams.get(e.camera);
		if (e.kind === "ended" && c && c.result) {
			c.ended.add(String(e.track));
			renderResult(c);
		}
	}

	function addFeed(e) {
		const feed = document.getElementById("feed");
		feed.querySelector(".empty")?.remove();
		let badge;
		if (e.kind === "alert") badge = el("span", { class: "badge bad", text: "ALERT" });
		else if (e.kind === "changed" || e.kind === "override" || (e.kind === "ended" && e.verdict !== "none"))
			badge = el("span", { class: "badge " + e.verdict, text: e.verdict === "none" ? "?" : e.verdict });
		else badge = el("span", { class: "badge", text: KIND_TEXT[e.kind] || e.kind });
		const what = e.kind === "changed" ? (e.decision ? "gate decision" : "verdict changed")
			: e.kind === "ended" ? "left" : e.kind === "new" ? "new person"
			: e.kind === "override" ? "supervisor override"
			: e.kind === "prompt" ? "asked to look at the camera" : "still without a mask";
		const li = el("li", { "data-kind": e.kind, "data-track": String(e.track) },
			el("span", { class: "dim", text: timeText(e.at_ms) }),
			el("strong", { text: camName(e.camera) }),
			el("span", { class: "dim", text: shortTrack(e.track) }),
			badge,
			el("span", { text: e.verdict === "DENY" ? reasonText(e.reason, e.temperature) : "" }),
			el("span", { class: "dim", text: what }));
		feed.prepend(li);
		while (feed.children.length > FEED_MAX) feed.lastChild.remove();
	}

	/* upsertPerson - a live track event updates its row in the people list,
	 * or adds it on top when it matches the filters. */
	function upsertPerson(e) {
		if (liveDuring) liveDuring.push(e);
		const key = e.camera + ":" + e.track;
		const tb = document.querySelector("#history tbody");
		const old = tb.querySelector(`tr[data-key="${key}"]`);
		const prev = old ? old.gwItem : null;
		const item = Object.assign({}, prev || {}, {
			camera: e.camera, track: e.track,
			first_seen_ms: prev && prev.first_seen_ms ? Math.min(prev.first_seen_ms, e.first_seen_ms || Infinity) : e.first_seen_ms,
			last_seen_ms: Math.max(e.last_seen_ms || 0, prev ? prev.last_seen_ms || 0 : 0),
			verdict: e.verdict, reason: e.reason, mask: e.mask,
			temperature: typeof e.temperature === "number" ? e.temperature : (prev ? prev.temperature : null),
			snapshot: e.snapshot || (prev ? prev.snapshot : null),
			ended_ms: e.kind === "ended" ? e.at_ms : (prev ? prev.ended_ms : null),
			// the pushed event has no who and note: the POST's answer (or the
			// next fetch of the list) has them, and is kept when it came first
			override: e.kind !== "override" ? (prev ? prev.override : null)
				: prev && prev.override && prev.override.verdict === e.verdict ? prev.override
				: { verdict: e.verdict, by: null, at_ms: e.at_ms, note: "" },
			id: prev ? prev.id : 0
		});
		// an override stays the person's verdict whatever the worker says later
		if (item.override) { item.verdict = item.override.verdict; item.reason = "override"; }
		if (old) { old.replaceWith(historyRow(item)); return; }
		if (!matchesFilters(item)) return;
		tb.prepend(historyRow(item));
		document.getElementById("history-msg").textContent = "";
	}

	/* ---- today ---- */
	/* ---- the range shown in the figures panel ---- */
	function ymd(d) {
		const p = (n) => String(n).padStart(2, "0");
		return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate());
	}

	/* rangeDays - [from, to] (local dates, both included) of the picker's choice. */
	function rangeDays(v) {
		const now = new Date(), d = (k) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + k);
		if (v === "yesterday") return [d(-1), d(-1)];
		if (v === "7d") return [d(-6), d(0)];
		if (v === "month") return [new Date(now.getFullYear(), now.getMonth(), 1), d(0)];
		return [d(0), d(0)];
	}

	function rangeLinks(v) {
		const [from, to] = rangeDays(v);
		const by = v === "today" || v === "yesterday" ? "hour" : "day";
		const until = new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1);
		document.getElementById("csv-figures").href = href("stats_csv", "/api/stats.csv") +
			"?from=" + ymd(from) + "&to=" + ymd(to) + "&by=" + by;
		document.getElementById("csv-people").href = href("tracks_csv", "/api/tracks.csv") +
			"?since=" + from.getTime() + "&until=" + until.getTime();
		return { from: ymd(from), to: ymd(to), by };
	}

	function showCounts(total, cameras) {
		for (const k of ["people", "passed", "denied", "alerts"])
			document.getElementById("t-" + k).textContent = total[k];
		const tb = document.querySelector("#today-cams tbody");
		tb.replaceChildren();
		const ids = new Set([...cams.keys(), ...Object.keys(cameras || {})]);
		for (const id of ids) {
			const v = (cameras || {})[id] || { people: 0, passed: 0, denied: 0, alerts: 0 };
			tb.append(el("tr", { "data-camera": id }, el("td", { text: camName(id) }),
				el("td", { text: v.people }), el("td", { text: v.passed }),
				el("td", { text: v.denied }), el("td", { text: v.alerts })));
		}
	}

	/* showRange - the picker's choice: today is live (showToday); other
	 * ranges come from /api/stats, without the hourly chart. */
	async function showRange() {
		const v = document.getElementById("range").value;
		const q = rangeLinks(v);
		document.getElementById("chart").hidden = v !== "today";
		if (v === "today") {
			document.getElementById("range-title").textContent = "Today";
			if (lastToday) showToday(lastToday);
			return;
		}
		document.getElementById("range-title").textContent = document.getElementById("range").selectedOptions[0].text;
		document.getElementById("today-date").textContent = q.from === q.to ? q.from : q.from + " – " + q.to;
		try {
			const r = await fetch("/api/stats?from=" + q.from + "&to=" + q.to + "&by=" + q.by, { cache: "no-store" });
			if (r.status === 401) return toLogin();
			const s = await r.json();
			if (r.ok && document.getElementById("range").value === v) showCounts(s.total, s.cameras);
		} catch (e) { /* offline: the connection badge says so */ }
	}

	function showToday(s) {
		if (!s || !s.total) return;
		lastToday = s;
		if (document.getElementById("range").value !== "today") return;  // another range is shown
		document.getElementById("today-date").textContent = s.date;
		showCounts(s.total, s.cameras);
		drawChart(s.hours || []);
	}

	function drawChart(hours) {
		const box = document.getElementById("chart");
		const x = hours.map((h) => h.hour);
		const data = [x, hours.map((h) => h.people), hours.map((h) => h.passed), hours.map((h) => h.denied)];
		if (!window.uPlot) {
			box.textContent = "Chart unavailable (uPlot not found: run make).";
			return;
		}
		const width = Math.max(260, box.clientWidth || 400);
		if (chart) {
			chart.setData(data);
			if (Math.abs(chart.width - width) > 4) chart.setSize({ width, height: 220 });
			return;
		}
		const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
		chart = new uPlot({
			width, height: 220,
			legend: { live: false },
			scales: { x: { time: false, range: [-0.5, 23.5] } },
			axes: [
				{ stroke: "#8b98a5", grid: { stroke: "#2a3542" }, incrs: [1, 2, 3, 4, 6, 12], values: (u, v) => v.map((h) => h + "h") },
				{ stroke: "#8b98a5", grid: { stroke: "#2a3542" } }
			],
			series: [
				{ label: "hour" },
				{ label: "people", stroke: "#388bfd", fill: "rgba(56,139,253,.35)", paths: bars, points: { show: false } },
				{ label: "passed", stroke: "#2ea043", width: 2, points: { show: false } },
				{ label: "denied", stroke: "#da3633", width: 2, points: { show: false } }
			]
		}, data, box);
	}

	/* ---- alerts: the open ones, each with an Acknowledge button ---- */
	function alertCount() {
		const n = alerts.size, b = document.getElementById("alert-count");
		b.textContent = String(n);
		b.className = "badge" + (n ? " open" : "");
		const box = document.getElementById("alerts");
		if (n === 0 && !box.querySelector(".empty")) box.append(el("li", { class: "empty", text: "No open alerts." }));
	}

	function showAlert(a, fresh) {
		if (!a || a.acked_ms || alerts.has(a.id)) return;
		const box = document.getElementById("alerts");
		box.querySelector(".empty")?.remove();
		// Only a supervisor or an admin may acknowledge (the server checks too).
		const ackHref = action(a, "ack", "/api/alerts/" + a.id + "/ack");
		const btn = ackHref ? el("button", { type: "button", class: "ack", text: "Acknowledge" }) : null;
		const thumb = a.snapshot ? el("img", { class: "thumb", src: a.snapshot, alt: "person " + shortTrack(a.track) }) : null;
		if (thumb) thumb.onerror = () => thumb.remove();
		const li = el("li", { "data-alert": String(a.id) }, thumb,
			el("span", { class: "what" }, el("span", { class: "badge bad", text: "ALERT" }), " ",
				el("strong", { text: a.camera_name || camName(a.camera) }), " ",
				el("span", { text: reasonText(a.reason) || a.reason }), " ",
				// a camera's own alert (camera_offline, spool_low, ...) is about no person: track 0
				el("span", { class: "dim", text: (Number(a.track) ? shortTrack(a.track) + " · " : "") + timeText(a.raised_ms) })),
			btn);
		if (btn) btn.onclick = () => ackAlert(ackHref, btn);
		alerts.set(a.id, li);
		box.prepend(li);
		alertCount();
		if (fresh && document.hidden === false) li.scrollIntoView({ block: "nearest" });
	}

	function removeAlert(a) {
		const li = a && alerts.get(a.id);
		if (!li) return;
		li.remove();
		alerts.delete(a.id);
		alertCount();
	}

	async function ackAlert(url, btn) {
		btn.disabled = true;
		btn.textContent = "…";
		try {
			const r = await fetch(url, {
				method: "POST", headers: { "Content-Type": "application/json" },
				body: "{}"  // the server records who is logged in
			});
			if (r.status === 401) return toLogin();
			const body = await r.json().catch(() => ({}));
			if (!r.ok) throw new Error(body.error || "error " + r.status);
			removeAlert(body);
		} catch (e) {
			btn.disabled = false;
			btn.textContent = "Retry acknowledge";
			btn.title = String(e.message || e);
		}
	}

	async function loadAlerts() {
		try {
			const r = await fetch(href("alerts", "/api/alerts") + "?state=open", { cache: "no-store" });
			if (!r.ok) return;
			const list = await r.json();
			const open = new Set(list.map((a) => a.id));
			for (const [id, li] of alerts) if (!open.has(id)) { li.remove(); alerts.delete(id); }
			for (const a of list.slice().reverse()) showAlert(a, false);
			alertCount();
		} catch (e) { /* offline: the connection badge says so */ }
	}

	/* ---- history ---- */
	function historyQuery(older) {
		const f = document.getElementById("filters");
		const q = new URLSearchParams();
		const cam = f.camera.value, verdict = f.verdict.value;
		if (cam) q.set("camera", cam);
		if (verdict) q.set("verdict", verdict);
		if (f.since.value) q.set("since", String(new Date(f.since.value).getTime()));
		if (f.until.value) q.set("until", String(new Date(f.until.value).getTime()));
		q.set("limit", "25");
		if (older && oldestId) q.set("before", String(oldestId));
		return q;
	}

	function historyRow(p) {
		const thumb = p.snapshot ? el("img", { class: "thumb", src: p.snapshot, alt: "person " + shortTrack(p.track), loading: "lazy" }) : el("span", { class: "dim", text: "–" });
		// A pruned snapshot (notifier.snapshot_keep_days) answers 404.
		if (p.snapshot) thumb.onerror = () => thumb.replaceWith(el("span", { class: "dim", text: "expired" }));
		const tr = el("tr", { "data-key": p.camera + ":" + p.track, "data-id": String(p.id || 0) }, el("td", {}, thumb),
			el("td", { text: new Date(p.first_seen_ms).toLocaleString() }),
			el("td", { text: p.ended_ms ? timeText(p.last_seen_ms) : "present" }),
			el("td", { text: camName(p.camera) + " " }, el("span", { class: "dim", text: shortTrack(p.track) })),
			el("td", {}, el("span", { class: "badge " + p.verdict, text: p.verdict === "none" ? "undecided" : p.verdict }), " ",
				el("span", { class: "dim", text: p.verdict === "DENY" ? reasonText(p.reason, p.temperature) : "" })),
			el("td", { text: typeof p.temperature === "number" ? p.temperature.toFixed(1) + " °C" : "–" }),
			overrideCell(p));
		tr.gwItem = p;
		return tr;
	}

	/* overrideCell - PASS / DENY buttons: a supervisor's verdict for the
	 * person, with a note; it goes to the gate and is stored with who and
	 * when. Who: the logged-in user; only supervisors and admins see them. */
	function overrideCell(p) {
		const td = el("td", { class: "override" });
		if (p.override) td.append(el("span", { class: "dim", text: "by " + (p.override.by || "supervisor") +
			(p.override.note ? ": " + p.override.note : "") + " " }));
		for (const v of action(p, "override", "x") ? ["PASS", "DENY"] : []) {
			const b = el("button", { type: "button", class: "secondary", text: v, title: "Override: " + v });
			b.setAttribute("data-override", v);
			b.onclick = () => overridePerson(p, v, b, td);
			td.append(b, " ");
		}
		return td;
	}

	async function overridePerson(p, verdict, btn, td) {
		const note = window.prompt("Override " + shortTrack(p.track) + " to " + verdict + ": note (optional)", "");
		if (note === null) return;
		btn.disabled = true;
		try {
			const url = action(p, "override", "/api/tracks/" + encodeURIComponent(p.camera) + "/" + p.track + "/override");
			if (!url) throw new Error("not allowed");
			const r = await fetch(url, {
				method: "POST", headers: { "Content-Type": "application/json" },
				body: JSON.stringify({ verdict, note: note.replace(/["\\\u0000-\u001f]/g, " ").slice(0, 200) })
			});
			if (r.status === 401) return toLogin();
			const body = await r.json().catch(() => ({}));
			if (!r.ok || !Array.isArray(body) || !body[0]) throw new Error(body.error || "error " + r.status);
			// the live push may have redrawn the row meanwhile: find it again
			const row = document.querySelector(`#history tbody tr[data-key="${p.camera}:${p.track}"]`);
			if (row) row.replaceWith(historyRow(body[0]));
		} catch (e) {
			btn.disabled = false;
			btn.title = "Override failed: " + String(e.message || e);
			td.append(el("span", { class: "dim", text: " failed" }));
		}
	}

	/* matchesFilters - whether a live person belongs at the top of the
	 * list as it is filtered now ("until" in the past excludes it). */
	function matchesFilters(p) {
		const f = document.getElementById("filters");
		if (f.camera.value && f.camera.value !== p.camera) return false;
		if (f.verdict.value && f.verdict.value !== p.verdict) return false;
		if (f.since.value && p.last_seen_ms < new Date(f.since.value).getTime()) return false;
		if (f.until.value && p.first_seen_ms >= new Date(f.until.value).getTime()) return false;
		return true;
	}

	/* the live track events that came while a fresh load of the list was
	 * in flight: its answer may predate them (a person added or changed
	 * meanwhile), so they are applied again on top of it (an event the
	 * answer already holds changes nothing) */
	let liveDuring = null;

	async function loadHistory(older) {
		const msg = document.getElementById("history-msg");
		const more = document.getElementById("more");
		const mine = older ? null : (liveDuring = []);
		let items;
		try {
			const r = await fetch(href("tracks", "/api/tracks") + "?" + historyQuery(older), { cache: "no-store" });
			const body = await r.json();
			if (!r.ok) { msg.textContent = body.error || ("error " + r.status); if (mine === liveDuring) liveDuring = null; return; }
			items = body;
		} catch (e) {
			msg.textContent = "cannot load history";
			if (mine === liveDuring) liveDuring = null;
			return;
		}
		const tb = document.querySelector("#history tbody");
		if (!older) tb.replaceChildren();
		for (const p of items) {
			const old = tb.querySelector(`tr[data-key="${p.camera}:${p.track}"]`);
			if (old) old.replaceWith(historyRow(p));
			else tb.append(historyRow(p));
		}
		if (mine && mine === liveDuring) {
			liveDuring = null;
			for (const e of mine) upsertPerson(e);
		}
		if (items.length) oldestId = items[items.length - 1].id;
		more.disabled = items.length < 25;
		msg.textContent = tb.children.length ? "" : "Nobody yet.";
	}

	document.getElementById("filters").addEventListener("submit", (e) => {
		e.preventDefault();
		oldestId = 0;
		loadHistory(false);
	});
	document.getElementById("more").addEventListener("click", () => loadHistory(true));
	document.getElementById("range").addEventListener("change", showRange);
	rangeLinks("today");
	setInterval(() => { for (const c of cams.values()) renderCamera(c); }, 1000);
	window.addEventListener("resize", () => { if (lastToday) drawChart(lastToday.hours || []); });
	start();
})();
