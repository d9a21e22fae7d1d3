/* camera.js - the gate's page: streams camera frames to ingest and shows,
 * in big letters, what the server says about the people in front of it.
 *
 * Wire protocol (ingest): after connecting, send text
 *   {"type":"hello","camera":ID,"token":T}
 * the server replies {"type":"welcome",...} or {"type":"error","error":"auth"}
 * and closes with 4001. Then every binary message is one JPEG; each is
 * answered with {"type":"answer","seq":N,"status":"accepted"|"no_person"|
 * "busy"|"rejected","reason":..,"ms":..}. At most max_inflight frames are
 * unanswered at once, so a slow server slows this page down instead of
 * queueing frames.
 *
 * Gate messages (the schema every client shares):
 *   {"type":"person","track":ID,"event":"appeared"|"left"}
 *   {"type":"prompt","track":ID,"reason":..,"text":"Please look at the camera"}
 *   {"type":"verdict","track":ID,"verdict":"PASS"|"DENY","reason":..,
 *    "temperature":N|null,"override":bool,"by":..,"face":"data:image/jpeg;base64,..."}
 * ID is a decimal string (a number from older servers); unknown types and
 * fields are ignored. After the welcome the server sends the people it
 * tracks now again ("replay":true: said before), so a reload or a
 * reconnect shows them, not "Nobody".
 *
 * Once the server has sent a person message on this connection, the page
 * follows the people it tracks: "Checking…" while a person is tracked
 * without a verdict, their verdict (and face) until they leave, "Nobody"
 * only when nobody is tracked; several people get a line each; a prompt
 * shows big until that person is decided or leaves. Answers do not change
 * what is shown then (a slow answer is not "nobody").
 *
 * A server that sends no person messages gets today's behaviour: a
 * verdict stays at least VERDICT_HOLD_MS, then while the answers still say
 * a person is there, at most VERDICT_MAX_MS; "Nobody" when the latest
 * answer says nobody is in the frame. */
"use strict";
(function () {
	const { reasonText, Backoff } = window.gw;
	const $ = (id) => document.getElementById(id);
	const KEYS = ["camera-id", "token", "server", "fps", "size", "inflight", "device"];
	const VERDICT_HOLD_MS = 3000;  // without person messages: a verdict stays at least this long
	const VERDICT_MAX_MS = 8000;   // ...and at most this long
	const PROMPT_MS = 5000;        // without person messages: a prompt shows this long
	// With person messages, a "left" that never comes (lost in a server
	// restart) must not freeze the gate: when every answer for this long
	// said nobody is in the frame, the people shown are let go.
	const LOST_LEFT_MS = 30000;
	const ANSWER_TIMEOUT_MS = 30000;
	const MORE_REASONS = { face_not_visible: "Face not visible", face_too_small: "Face too small" };

	let stream = null, ws = null, running = false, welcomed = false, everOpened = false;
	let timer = null, retryTimer = null, defaultServer = "", authReason = "", serverMaxInflight = Infinity;
	let sent = 0, answered = 0, inflight = [];   // send times of unanswered frames
	// without person messages (older servers): the answers decide
	let verdict = null, verdictAt = 0, lastAnswer = null, fallbackPrompt = null;
	const seenTracks = new Set();  // track ids whose verdict was shown
	// with person messages: the people the server tracks, in arrival order
	let tracking = false;          // this connection's server sends person messages
	const people = new Map();      // track id -> { id, verdict, prompt }
	const gone = new Set();        // tracks that left: a late verdict for them is not shown
	let nobodySince = 0;           // first of an unbroken run of no_person answers
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
		authReason = "";
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
				message(authMessage(authReason || ev.reason));
				stop("refused");
				return;
			}
			// what the server tracked is unknown until it welcomes us again
			resetPeople();
			clearView("Reconnecting…");
			const d = backoff.next(), again = " Reconnecting in " + Math.round(d / 1000) + " s.";
			const why = ev.reason ? ": " + ev.reason : "";
			if (!everOpened)
				message("Server unreachable at " + url + ": is gatewatch-ingest running, and is the address right?" +
					// a self-signed certificate accepted for the page's port only (Firefox: per port)
					(url.startsWith("wss://") ? " If the server's certificate is not trusted here yet, open " +
						url.replace(/^wss:/, "https:") + " once in this browser and accept it too." : "") +
					" Retrying in " + Math.round(d / 1000) + " s.");
			else if (ev.code === 4029)
				message("The server turns away new cameras from this address for now (too many connecting at once" + why + ")." + again);
			else if (ev.code === 4008)
				message("The server closed the connection: the camera's hello did not arrive in time (a very slow network?)." + again);
			else if (ev.code === 4002)
				message("The server refused this page's messages (code 4002" + why + "): is the page older than the server? Reload it." + again);
			else
				message("Connection lost (code " + ev.code + why + ")." + again);
			state("reconnecting", "bad");
			retryTimer = setTimeout(connect, d);
		};
	}

	/* authMessage - why the server refused the camera, in words. */
	function authMessage(reason) {
		if (reason && /retry in/.test(reason))
			return "The server refuses this computer for a while after several wrong tokens (" + reason +
				"). Check the camera id and token, then press Start.";
		return "Wrong camera id or token: the server refused them (check both, then press Start).";
	}

	/* trackId - the track id as a string (servers may send a number), or null. */
	function trackId(t) {
		if (typeof t === "string" && /^[0-9]{1,20}$/.test(t)) return t;
		if (typeof t === "number" && Number.isFinite(t)) return String(t);
		return null;
	}

	/* faceUrl - a face crop only as an inline JPEG or PNG, never a link. */
	function faceUrl(f) {
		return typeof f === "string" && /^data:image\/(jpeg|png);base64,[A-Za-z0-9+/=]+$/.test(f) ? f : null;
	}

	function reasonFor(v) {
		if (!v) return "";
		let why = v.verdict === "DENY"
			? (MORE_REASONS[v.reason] || reasonText(v.reason, v.temperature))
			: (typeof v.temperature === "number" ? v.temperature.toFixed(1) + " °C" : "");
		if (v.override) why = (why ? why + " · " : "") + "decided by " + (v.by || "a supervisor");
		return why;
	}

	function verdictOf(m) {
		return {
			verdict: m.verdict, reason: m.reason || "", temperature: m.temperature,
			override: m.override === true, by: typeof m.by === "string" ? m.by : null, face: faceUrl(m.face)
		};
	}

	function forget(id) {
		people.delete(id);
		gone.add(id);
		if (gone.size > 1000) gone.delete(gone.values().next().value);
	}

	function personFor(id) {
		let p = people.get(id);
		if (!p) {
			p = { id, verdict: null, prompt: null };
			people.set(id, p);
			gone.delete(id);
		}
		return p;
	}

	/* startTracking - the first person message on this connection: from now
	 * on the server's people decide what is shown. A verdict already on
	 * screen for a track stays with that track. */
	function startTracking() {
		if (tracking) return;
		tracking = true;
		people.clear();
		if (verdict && verdict.track && performance.now() - verdictAt < VERDICT_MAX_MS)
			personFor(verdict.track).verdict = verdict;
		verdict = null;
		fallbackPrompt = null;
	}

	function resetPeople() {
		tracking = false;
		people.clear();
		gone.clear();
		verdict = null;
		fallbackPrompt = null;
		lastAnswer = null;
		nobodySince = 0;
	}

	function onMessage(m) {
		if (!running) return; // a late message from a socket we closed
		if (!m || typeof m !== "object") return;
		const now = performance.now();
		switch (m.type) {
		case "welcome":
			welcomed = true;
			serverMaxInflight = Number.isInteger(m.max_inflight) && m.max_inflight > 0 ? m.max_inflight : Infinity;
			backoff.reset();
			message("");
			state("streaming", "ok");
			resetPeople();
			render();
			break;
		case "error":
			if (m.error === "auth") {
				authReason = typeof m.reason === "string" ? m.reason : "";
				message(authMessage(authReason));
			} else
				message("Server error: " + (m.reason || m.error || "unknown"));
			break;
		case "answer": {
			const t0 = inflight.shift();
			answered++;
			if (t0 !== undefined) $("rtt").textContent = Math.round(now - t0) + " ms";
			$("last-answer").textContent = m.status + (m.reason ? " (" + m.reason + ")" : "");
			counters();
			if (m.status === "accepted" || m.status === "no_person") lastAnswer = m.status;
			if (m.status === "no_person") { if (!nobodySince) nobodySince = now; }
			else if (m.status === "accepted") nobodySince = 0;
			if (m.status === "rejected") message("Frame rejected: " + (m.reason || "no reason given"));
			refreshStatus();
			break;
		}
		case "person": {
			const id = trackId(m.track);
			if (!id || (m.event !== "appeared" && m.event !== "left")) break;
			startTracking();
			if (m.event === "appeared") personFor(id);
			else forget(id);
			render();
			break;
		}
		case "prompt": {
			const id = trackId(m.track);
			const text = typeof m.text === "string" && m.text ? m.text : "Please look at the camera";
			if (!tracking) {
				fallbackPrompt = { text, at: now };
				render();
				break;
			}
			if (!id || gone.has(id)) break;
			const p = personFor(id);
			if (!p.verdict) p.prompt = text;
			render();
			break;
		}
		case "verdict": {
			if (m.verdict !== "PASS" && m.verdict !== "DENY") break;
			const id = trackId(m.track);
			if (tracking) {
				// a verdict for someone who left (late, replayed, or a supervisor's
				// change after they went) is not for the people at the gate now
				if (!id || gone.has(id)) break;
				const p = personFor(id);
				const v = verdictOf(m);
				if (!v.face && p.verdict) v.face = p.verdict.face;   // an override without a crop keeps the face
				p.verdict = v;
				p.prompt = null;
				render();
				break;
			}
			// Older servers: once per person, a repeated decision is ignored.
			if (id && seenTracks.has(id) && !m.override) break;
			if (id) {
				seenTracks.add(id);
				if (seenTracks.size > 1000) seenTracks.delete(seenTracks.values().next().value);
			}
			// Several people at once: a DENY is not overwritten by a PASS.
			if (verdict && verdict.verdict === "DENY" && m.verdict !== "DENY" && now - verdictAt < VERDICT_HOLD_MS) break;
			verdict = verdictOf(m);
			verdict.track = id;
			verdictAt = now;
			fallbackPrompt = null;
			render();
			break;
		}
		}
	}

	/* render - show the people the server tracks, or (older servers) the
	 * last verdict and what the latest answer says. */
	function render() {
		if (!welcomed) return;
		const now = performance.now();
		let promptText = null;
		const list = $("people");
		if (tracking) {
			const ps = [...people.values()];
			if (ps.length === 0) showBig("Nobody", "", "", null);
			else if (ps.length === 1) {
				const v = ps[0].verdict;
				if (v) showBig(v.verdict, v.verdict, reasonFor(v), v.face);
				else showBig("Checking…", "checking", "", null);
			} else {
				const deny = ps.some((p) => p.verdict && p.verdict.verdict === "DENY");
				const checking = ps.some((p) => !p.verdict);
				showBig(deny ? "DENY" : checking ? "Checking…" : "PASS", deny ? "DENY" : checking ? "checking" : "PASS",
					ps.length + " people in view", null);
			}
			for (const p of ps) if (!p.verdict && p.prompt) promptText = p.prompt;
			renderPeople(list, ps.length > 1 ? ps : []);
		} else {
			if (verdict) showBig(verdict.verdict, verdict.verdict, reasonFor(verdict), verdict.face);
			else if (lastAnswer === "accepted") showBig("Checking…", "checking", "", null);
			else showBig("Nobody", "", "", null);
			if (fallbackPrompt && now - fallbackPrompt.at < PROMPT_MS && !verdict) promptText = fallbackPrompt.text;
			renderPeople(list, []);
		}
		$("prompt").textContent = promptText || "";
		$("prompt").hidden = !promptText;
	}

	/* clearView - no person shown: big is the connection's state. */
	function clearView(big) {
		showBig(big, "", "", null);
		$("prompt").hidden = true;
		renderPeople($("people"), []);
	}

	function showBig(big, cls, reason, face) {
		status(big, cls, reason);
		const img = $("face");
		if (face) { if (img.src !== face) img.src = face; img.hidden = false; }
		else { img.hidden = true; img.removeAttribute("src"); }
	}

	/* renderPeople - one line per person: face, Checking…/PASS/DENY, why or prompt. */
	function renderPeople(list, ps) {
		const { el } = window.gw;
		list.replaceChildren(...ps.map((p) => {
			const v = p.verdict;
			const face = v && v.face ? el("img", { class: "face", src: v.face, alt: "face" }) : null;
			return el("li", { class: v ? v.verdict : "checking", "data-track": p.id },
				face,
				el("span", { class: "word", text: v ? v.verdict : "Checking…" }),
				el("span", { class: v ? "why" : "why prompt", text: v ? reasonFor(v) : (p.prompt || "") }));
		}));
		list.hidden = ps.length === 0;
	}

	/* refreshStatus - runs every 250 ms and after each answer. Older
	 * servers: let a shown verdict go after its hold once the answers say
	 * nobody is there, or after its maximum time. With person messages:
	 * only the guard against a "left" that never came. */
	function refreshStatus() {
		if (!welcomed) return;
		const now = performance.now();
		if (tracking) {
			if (people.size && nobodySince && now - nobodySince > LOST_LEFT_MS) {
				for (const id of [...people.keys()]) forget(id);
				render();
			}
			return;
		}
		if (verdict) {
			const age = now - verdictAt;
			if (age < VERDICT_HOLD_MS) return render();
			if (age < VERDICT_MAX_MS && lastAnswer === "accepted") return render();
			verdict = null;
		}
		render();
	}

	/* ---- capture ---- */
	function tick() {
		if (!running || !ws || ws.readyState !== WebSocket.OPEN || !welcomed) return;
		const now = performance.now();
		while (inflight.length && now - inflight[0] > ANSWER_TIMEOUT_MS) inflight.shift();
		// the user's setting, within what the server said it analyses at once
		const max = Math.min(serverMaxInflight, Math.max(1, Number($("inflight").value) || 2));
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
		resetPeople();
		clearInterval(timer);
		clearTimeout(retryTimer);
		timer = retryTimer = null;
		if (ws) { try { ws.close(1000); } catch (e) { /* already closing */ } }
		ws = null;
		closeCamera();
		state(why || "stopped", why ? "bad" : "");
		clearView("Stopped");
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
