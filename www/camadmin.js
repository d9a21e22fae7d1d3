/* camadmin.js - the dashboard's camera panel, for admins: add a camera,
 * rename it, set its mode, give it a new token, remove it. It finds
 * everything by following links: /api offers "camera_add" only to an
 * admin, and each camera of /api/cameras carries its "self", "edit",
 * "rotate_token" and "remove" links. A token is shown once, in the answer
 * that made it. A change is made only to the camera as the panel showed
 * it: its settings are read again first (GET self, whose ETag covers
 * only them), a camera changed since is shown afresh instead, and the
 * change carries that ETag (If-Match) so one made in between is refused
 * (412): two admins cannot overwrite each other unseen. */
"use strict";
(function () {
	const { el } = window.gw;
	const panel = document.getElementById("camadmin");
	const rows = document.querySelector("#camadmin-table tbody");
	const msg = document.getElementById("camadmin-msg");
	const tokenBox = document.getElementById("camadmin-token");
	let add = null;   // the camera_add link of /api

	function say(text, bad) {
		msg.textContent = text;
		msg.className = bad ? "bad-text" : "dim";
	}

	/* problem - the message of a problem+json answer */
	async function problem(r) {
		try { const p = await r.json(); return p.detail || p.title || ("error " + r.status); } catch (e) { return "error " + r.status; }
	}

	function showToken(id, token) {
		tokenBox.replaceChildren(el("span", { text: "Token for " + id + " (shown once: copy it now): " }),
			el("code", { class: "token", text: token }));
		tokenBox.hidden = false;
	}

	/* send - method on link l (from _links) with body, if the camera's
	 * settings are still those the panel shows (cam): else null */
	async function send(cam, rel, body) {
		const l = cam._links[rel];
		const cur = await fetch(cam._links.self.href, { cache: "no-store" });
		if (!cur.ok) return cur;
		const now = await cur.json();
		if (now.name !== cam.name || now.mode !== cam.mode) return null;
		const headers = { "If-Match": cur.headers.get("ETag") || "*" };
		if (body !== undefined) headers["Content-Type"] = "application/json";
		return fetch(l.href, { method: l.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
	}

	/* done - say how r (send's answer) went, or that cam changed since it
	 * was shown (then it is shown afresh); true when it went */
	async function done(cam, r, what) {
		if (r === null || r.status === 412) {
			say(cam.id + " was changed by someone else since it was shown: here it is now; " +
				"make your change again if it still applies.", true);
			load();
			return false;
		}
		if (r.ok) say(what + " " + cam.id + "."); else say(cam.id + ": " + await problem(r), true);
		return r.ok;
	}

	function row(cam) {
		const name = el("input", { value: cam.name, maxLength: 63, "data-field": "name", "aria-label": "name of " + cam.id });
		const mode = el("select", { "data-field": "mode", "aria-label": "mode of " + cam.id },
			el("option", { value: "gate", text: "gate" }), el("option", { value: "indoor", text: "indoor" }));
		mode.value = cam.mode === "indoor" ? "indoor" : "gate";
		const save = el("button", { type: "button", text: "Save", class: "secondary", "data-act": "save" });
		const rotate = el("button", { type: "button", text: "New token", class: "secondary", "data-act": "rotate" });
		const remove = el("button", { type: "button", text: "Remove", class: "secondary", "data-act": "remove" });
		save.onclick = async () => {
			const change = {};
			if (name.value !== cam.name) change.name = name.value;
			if (mode.value !== cam.mode) change.mode = mode.value;
			if (!Object.keys(change).length) { say("Nothing to save for " + cam.id + "."); return; }
			if (await done(cam, await send(cam, "edit", change), "Saved")) load();
		};
		rotate.onclick = async () => {
			if (!confirm("Give " + cam.id + " a new token? Its current token stops working at once.")) return;
			const r = await send(cam, "rotate_token");
			if (await done(cam, r, "New token for")) showToken(cam.id, (await r.json()).token);
		};
		remove.onclick = async () => {
			if (!confirm("Remove " + cam.id + "? It can no longer connect.")) return;
			if (await done(cam, await send(cam, "remove"), "Removed")) load();
		};
		return el("tr", { "data-camera": cam.id }, el("td", { text: cam.id }), el("td", {}, name), el("td", {}, mode),
			el("td", {}, save, " ", rotate, " ", remove));
	}

	async function load() {
		const r = await fetch("/api/cameras", { cache: "no-store" });
		if (!r.ok) { say("cameras: " + await problem(r), true); return; }
		const list = (await r.json()).filter((c) => c._links && c._links.edit);
		rows.replaceChildren(...list.map(row));
	}

	document.getElementById("camadmin-add").onsubmit = async (ev) => {
		ev.preventDefault();
		const f = ev.target, body = { id: f.id.value.trim(), mode: f.mode.value };
		if (f.name.value.trim()) body.name = f.name.value.trim();
		const r = await fetch(add.href, { method: add.method, headers: { "Content-Type": "application/json" },
			body: JSON.stringify(body) });
		if (r.ok) {
			showToken(body.id, (await r.json()).token);
			say("Added " + body.id + ".");
			f.reset();
		} else say(body.id + ": " + await problem(r), true);
		load();
	};

	(async function start() {
		try {
			const r = await fetch("/api", { cache: "no-store" });
			if (!r.ok) return;
			add = ((await r.json())._links || {}).camera_add || null;
		} catch (e) { return; }
		if (!add) return;  // not an admin: no panel
		panel.hidden = false;
		load();
	})();
})();
