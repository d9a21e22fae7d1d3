/* camera.js - the gate's page: streams camera frames to ingest and shows
 * the verdict in big letters.
 *
 * Wire protocol (ingest): after connecting, send text
 *   {"type":"hello","camera":ID,"token":T}
 * the server replies {"type":"welcome",...} or {"type":"error","error":"auth"}
 * and closes with 4001. Then every binary message is one JPEG; each is
 * answered with {"type":"answer","seq":N,"status":"accepted"|"no_person"|
 * "busy"|"rejected","reason":..,"ms":..}, and verdicts arrive as
 * {"type":"verdict","verdict":"PASS"|"DENY","reason":..,"temperature":..}.
 * At most max_inflight frames are unanswered at once, so a slow server
 * slows this page down instead of queueing frames. */
"use strict";
(function () {
	const { reasonText, Backoff } = window.gw;
	const $ = (id) => document.getElementById(id);
	const KEYS = ["camera-id", "token", "server", "fps", "size", "inflight", "device"];
	const VERDICT_HOLD_MS = 3000;  // a verdict stays on screen at least this long
	const ANSWER_TIMEOUT_MS = 10000;

	let stream = null, ws = null, running = false, welcomed = false, everOpened = false;
	let timer = null, retryTimer = null, defaultServer = "";
	let sent = 0, answered = 0, inflight = [];   // send times of unanswered frames
	let verdictUntil = 0, verdictFrame = null, verdictShown = null;
	const backoff = new Backoff(1000, 15000);

	/* ---- settings, remembered in localStorage ---- */
	function loadSettings() {
		for (const k of KEYS) {
			const v = localStorage.getItem("gw.camera." + k);
			if (v !== null && $(k)) $(k).value = v;
		}
	}
	function saveSettings() {
		for (const k of KEYS) localStorage.setItem("gw.camera." + k, $(k).value);
	}

	async function loadConfig() {
		try {
			const r = await fetch("/api/config", { cache: "no-store" });
			const c = await r.json();
			defaultServer = (c.tls ? "wss://" : "ws://") + location.hostname + ":" + c.ingest_port;
		} catch (e) {
			defaultServer = (location.protocol === "https:" ? "wss://" : "ws://") + location.hostname + ":8080";
		}
		$("server").placeholder = defaultServer;
	}

	/* ---- display ---- */
	function message(text) { $("message").textContent = text || ""; }
	function state(text, cls) {
		$("state").textContent = text;
		$("conn").textContent = text;
		$("conn").className = "badge conn " + (cls || "");
	}
	function status(big, cls, reason) {
		$("status").textContent = big;
		$("status").className = "status-big " + (cls || "");
		$("reason").textContent = reason || "";
	}
	function counters() {
		$("sent").textContent = sent;
		$("answered").textContent = answered;
	}

	/* ---- camera ---- */
	async function listDevices() {
		if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
		const sel = $("device"), keep = sel.value || localStorage.getItem("gw.camera.device") || "";
		const devs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
		sel.replaceChildren(new Option("default camera", ""));
		devs.forEach((d, i) => sel.append(new Option(d.label || "camera " + (i + 1), d.deviceId)));
		sel.value = [...sel.options].some((o) => o.value === keep) ? keep : "";
	}

	function cameraError(e) {
		switch (e && e.name) {
		case "NotAllowedError":
		case "SecurityError":
			return "Camera permission denied: allow camera access for this page in the browser's site settings, then press Start.";
		case "NotFoundError":
		case "OverconstrainedError":
			return "No camera found: connect a camera (or pick another device) and press Start.";
		case "NotReadableError":
			return "The camera is in use by another program or could not be started.";
		default:
			return "Cannot open the camera: " + (e && e.message ? e.message : e);
		}
	}

	async function openCamera() {
		const [w, h] = $("size").value.split("x").map(Number);
		const video = { width: { ideal: w }, height: { ideal: h } };
		if ($("device").value) video.deviceId = { exact: $("device").value };
		stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
		$("video").srcObject = stream;
		$("video").hidden = false;
		await $("video").play().catch(() => {});
		listDevices().catch(() => {});
	}

	function closeCamera() {
		if (stream) for (const t of stream.getTracks()) t.stop();
		stream = null;
		$("video").srcObject = null;
		$("video").hidden = true;
	}

	/* ---- server ---- */
	function serverUrl() { return $("server").value.trim() || defaultServer; }

	function connect() {
		retryTimer = null;
		if (!running) return;
		welcomed = false;
		everOpened = false;
		inflight = [];
		const url = serverUrl();
		state("connecting", "warn");
		try {
			ws = new WebSocket(url);
		} catch (e) {
			message("Bad server address \"" + url + "\": " + e.message);
			stop();
			return;
		}
		ws.binaryType = "arraybuffer";
		ws.onopen = () => {
			everOpened = true;
			state("authenticating", "warn");
			ws.send(JSON.stringify({ type: "hello", camera: $("camera-id").value.trim(), token: $("token").value }));
		};
		ws.onmessage = (ev) => {
			if (typeof ev.data !== "string") return;
			let m;
			try { m = JSON.parse(ev.data); } catch (e) { return; }
			onMessage(m);
		};
		ws.onclose = (ev) => {
			ws = null;
			welcomed = false;
			inflight = [];
			if (!running) return;
			if (ev.code === 4001) {
				message("Wrong camera id or token: the server refused them (check both, then press Start).");
				stop("refused");
				return;
			}
			const d = backoff.next();
			if (!everOpened)
				message("Server unreachable at " + url + ": is gatewatch-ingest running, and is the address right? Retrying in " + Math.round(d / 1000) + " s.");
			else
				message("Connection lost (code " + ev.code + "). Reconnecting in " + Math.round(d / 1000) + " s.");
			state("reconnecting", "bad");
			retryTimer = setTimeout(connect, d);
		};
	}

	function onMessage(m) {
		const now = performance.now();
		switch (m.type) {
		case "welcome":
			welcomed = true;
			backoff.reset();
			message("");
			state("streaming", "ok");
			status("Nobody", "", "");
			break;
		case "error":
			if (m.error === "auth")
				message("Wrong camera id or token: the server refused them (check both, then press Start).");
			else
				message("Server error: " + (m.reason || m.error || "unknown"));
			break;
		case "answer": {
			const t0 = inflight.shift();
			answered++;
			if (t0 !== undefined) $("rtt").textContent = Math.round(now - t0) + " ms";
			$("last-answer").textContent = m.status + (m.reason ? " (" + m.reason + ")" : "");
			counters();
			if (now < verdictUntil) break;
			if (m.status === "no_person") status("Nobody", "", "");
			else if (m.status === "accepted") status("Checking…", "checking", "");
			else if (m.status === "rejected") message("Frame rejected: " + (m.reason || "no reason given"));
			break;
		}
		case "verdict": {
			// Several people in one frame: a DENY is not overwritten by a PASS.
			if (verdictFrame === m.frame && verdictShown === "DENY" && m.verdict !== "DENY") break;
			verdictFrame = m.frame;
			verdictShown = m.verdict;
			verdictUntil = now + VERDICT_HOLD_MS;
			const why = m.verdict === "DENY" ? reasonText(m.reason, m.temperature) : (typeof m.temperature === "number" ? m.temperature.toFixed(1) + " °C" : "");
			status(m.verdict, m.verdict, why);
			break;
		}
		}
	}

	/* ---- capture ---- */
	function tick() {
		if (!running || !ws || ws.readyState !== WebSocket.OPEN || !welcomed) return;
		const now = performance.now();
		while (inflight.length && now - inflight[0] > ANSWER_TIMEOUT_MS) inflight.shift();
		const max = Math.max(1, Number($("inflight").value) || 2);
		if (inflight.length >= max) return;
		const v = $("video");
		if (!v.videoWidth) return;
		const [w, h] = $("size").value.split("x").map(Number);
		const c = $("grab");
		c.width = w;
		c.height = h;
		c.getContext("2d").drawImage(v, 0, 0, w, h);
		inflight.push(now);
		c.toBlob((blob) => {
			if (!blob || !ws || ws.readyState !== WebSocket.OPEN) { inflight.pop(); return; }
			ws.send(blob);
			sent++;
			counters();
		}, "image/jpeg", 0.85);
	}

	/* ---- start / stop ---- */
	async function start() {
		message("");
		const id = $("camera-id").value.trim();
		if (!/^[A-Za-z0-9_-]{1,31}$/.test(id)) { message("Camera id: 1 to 31 letters, digits, _ or -."); return; }
		if (!$("token").value) { message("Enter the camera's token."); return; }
		saveSettings();
		$("start").disabled = true;
		$("stop").disabled = false;
		running = true;
		state("opening camera", "warn");
		try {
			await openCamera();
		} catch (e) {
			message(cameraError(e));
			stop("no camera");
			return;
		}
		sent = answered = 0;
		counters();
		status("Connecting…", "", "");
		const fps = Math.min(30, Math.max(0.2, Number($("fps").value) || 5));
		timer = setInterval(tick, 1000 / fps);
		connect();
	}

	function stop(why) {
		running = false;
		clearInterval(timer);
		clearTimeout(retryTimer);
		timer = retryTimer = null;
		if (ws) { try { ws.close(1000); } catch (e) { /* already closing */ } }
		ws = null;
		closeCamera();
		state(why || "stopped", why ? "bad" : "");
		status("Stopped", "", "");
		$("start").disabled = !canCapture();
		$("stop").disabled = true;
	}

	function canCapture() {
		return window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
	}

	$("settings").addEventListener("submit", (e) => { e.preventDefault(); start(); });
	$("stop").addEventListener("click", () => stop());
	loadSettings();
	loadConfig();
	if (!canCapture()) {
		message("Camera access needs a secure page: open it over https:// (set tls.cert and tls.key, see the README) or as http://localhost on this machine.");
		$("start").disabled = true;
	} else
		listDevices().catch(() => {});
})();
