/* login.js - the login page: POST /api/session {"user","password"}; the
 * server answers with an HttpOnly session cookie (201), 401 for a wrong
 * user or password, 429 with Retry-After after too many failures. Then on
 * to ?next= (a path on this server only) or the dashboard. */
"use strict";
(function () {
	const form = document.getElementById("login");
	const msg = document.getElementById("msg");

	/* next - where to go after logging in: a local path, never another site. */
	function next() {
		const n = new URLSearchParams(location.search).get("next") || "/";
		return n.startsWith("/") && !n.startsWith("//") && !n.startsWith("/\\") && !n.startsWith("/login.html") ? n : "/";
	}

	// Already logged in (a second tab, the back button): straight on.
	fetch("/api/session", { cache: "no-store" }).then((r) => r.json())
		.then((s) => { if (s && s.user) location.replace(next()); }).catch(() => {});

	form.addEventListener("submit", async (e) => {
		e.preventDefault();
		const btn = document.getElementById("submit");
		btn.disabled = true;
		msg.textContent = "Checking…";
		try {
			const r = await fetch("/api/session", {
				method: "POST", headers: { "Content-Type": "application/json" },
				body: JSON.stringify({ user: form.user.value.trim(), password: form.password.value })
			});
			if (r.status === 201) {
				msg.textContent = "Logged in.";
				location.replace(next());
				return;
			}
			const body = await r.json().catch(() => ({}));
			if (r.status === 429) {
				const s = parseInt(r.headers.get("Retry-After") || "0", 10);
				msg.textContent = "Too many failed logins: try again in " + (s > 0 ? s + " s" : "a while") + ".";
			} else if (r.status === 401) {
				msg.textContent = "Wrong user or password.";
				form.password.select();
			} else
				msg.textContent = body.detail || body.error || ("Error " + r.status);
		} catch (err) {
			msg.textContent = "Cannot reach the server.";
		}
		btn.disabled = false;
	});
})();
