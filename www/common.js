/* common.js - small helpers shared by the dashboard and the camera page.
 * Loaded as a classic script; everything hangs off window.gw. */
"use strict";
window.gw = (function () {
	const REASONS = {
		no_mask: "No mask",
		mask_chin: "Mask below the nose",
		temperature: "Temperature",
		no_face: "Face not visible",
		face_not_visible: "Face not visible",
		face_too_small: "Face too small",
		override: "Supervisor override",
		camera_offline: "Camera stopped sending",
		spool_low: "Spool disk nearly full",
		worker_failing: "Camera worker failing",
		"": ""
	};

	/* reasonText - a person-readable reason; temperature gets its value. */
	function reasonText(reason, temperature) {
		if (reason === "temperature" && typeof temperature === "number")
			return "Temperature " + temperature.toFixed(1) + " °C";
		return REASONS[reason] !== undefined ? REASONS[reason] : String(reason || "");
	}

	/* el - create an element with attributes/properties and children. */
	function el(tag, props, ...children) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(props || {})) {
			if (k === "class") e.className = v;
			else if (k === "text") e.textContent = v;
			else if (k.startsWith("data-")) e.setAttribute(k, v);
			else e[k] = v;
		}
		for (const c of children) if (c !== null && c !== undefined) e.append(c);
		return e;
	}

	function timeText(ms) {
		if (!ms) return "–";
		return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
	}

	function agoText(ms) {
		if (!ms) return "never";
		const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
		if (s < 60) return s + " s ago";
		if (s < 3600) return Math.round(s / 60) + " min ago";
		return timeText(ms);
	}

	/* Backoff - reconnect delays: 0.5 s doubling to 10 s, with jitter. */
	class Backoff {
		constructor(min = 500, max = 10000) { this.min = min; this.max = max; this.cur = min; }
		next() { const d = this.cur; this.cur = Math.min(this.max, this.cur * 2); return d * (0.8 + Math.random() * 0.4); }
		reset() { this.cur = this.min; }
	}

	return { reasonText, el, timeText, agoText, Backoff };
})();
