/* camera.js - the gate's page: streams camera frames to ingest and shows
 * the verdict in big letters.
 *
 * Wire protocol (ingest): after connecting, send text
 *   {"type":"hello","camera":ID,"token":T}
 * the server replies {"type":"welcome",...} or {"type":"error","error":"auth"}
 * and closes with 4001. Then every binary message is one JPEG; each is
 * answered with {"type":"answer","seq":N,"status":"accepted"|"no_person"|
 * "busy"|"rejected","reason":..,"ms":..}, and verdicts arrive as
 * {"type":"verdict","track":ID,"verdict":"PASS"|"DENY","reason":..,"temperature":..},
 * once per person (the notifier sends a person's gate decision once).
 * A verdict stays on screen at least VERDICT_HOLD_MS, then while the
 * person is still in front of the camera, at most VERDICT_MAX_MS, and goes
 * back to "Nobody" once no person was seen for NOBODY_AFTER_MS.
 * At most max_inflight frames are unanswered at once, so a slow server
 * slows this page down instead of queueing frames. */
"use strict";
(function () {
	const { reasonText, Backoff } = window.gw;
	const $ = (id) => document.getElementById(id);
	const KEYS = ["camera-id", "token", "server", "fps", "size", "inflight", "device"];
	const VERDICT_HOLD_MS = 3000;  // a verdict stays on screen at least this long
	const VERDICT_MAX_MS = 8000;   // ...and at most this long
	const NOBODY_AFTER_MS = 2000;  // no person seen this long: "Nobody"
	const ANSWER_TIMEOUT_MS = 30000;

	let stream = null, ws = null, running = false, welcomed = false, everOpened = false;
	let timer = null, retryTimer = null, defaultServer = "";
	let sent = 0, answered = 0, inflight = [];   // send times of unanswered frames
	let verdictAt = 0, verdictFrame = null, verdictShown = null, personAt = 0, lastAnswer = null;
	const seenTracks = new Set();  // track ids whose verdict was shown
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
		if (!running) return; // a late message from a socket we closed
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
			if (m.status === "accepted") personAt = now;
			if (m.status === "accepted" || m.status === "no_person") lastAnswer = m.status;
			if (m.status === "rejected") message("Frame rejected: " + (m.reason || "no reason given"));
			refreshStatus();
			break;
		}
		case "verdict": {
			// Once per person: a repeated decision for the same track is ignored.
			if (m.track && seenTracks.has(m.track)) break;
			if (m.track) {
				seenTracks.add(m.track);
				if (seenTracks.size > 1000) seenTracks.delete(seenTracks.values().next().value);
			}
			// Several people at once: a DENY is not overwritten by a PASS.
			if (verdictShown === "DENY" && m.verdict !== "DENY" && now - verdictAt < VERDICT_HOLD_MS) break;
			verdictFrame = m.frame;
			verdictShown = m.verdict;
			verdictAt = now;
			personAt = now;
			const why = m.verdict === "DENY" ? reasonText(m.reason, m.temperature) : (typeof m.temperature === "number" ? m.temperature.toFixed(1) + " °C" : "");
			status(m.verdict, m.verdict, why);
			break;
		}
		}
	}

	/* refreshStatus - let a shown verdict go: after its hold, once nobody
	 * was seen for a while, or after its maximum time; then show what the
	 * latest answers say (somebody being checked, or nobody). */
	function refreshStatus() {
		if (!welcomed) return;
		const now = performance.now();
		if (verdictShown) {
			const age = now - verdictAt;
			if (age < VERDICT_HOLD_MS) return;
			if (age < VERDICT_MAX_MS && now - personAt < NOBODY_AFTER_MS) return;
			verdictShown = null;
			verdictFrame = null;
		}
		if (lastAnswer === "accepted" && now - personAt < NOBODY_AFTER_MS) status("Checking…", "checking", "");
		else status("Nobody", "", "");
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
		welcomed = false; // refreshStatus must not overwrite "Stopped"
		verdictShown = null;
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

	setInterval(refreshStatus, 250);
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
