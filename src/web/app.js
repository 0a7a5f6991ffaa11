// SPDX-License-Identifier: MIT
/*
 * app.js - live pages without a framework.  The dashboard and a history
 * page fetch themselves again when the server reports an event (and every
 * 5 s, for the clocks) and swap in their <main id="live">.  A job's page
 * asks for the job's state and its log from data-offset, then again each
 * second while the job is queued or running; once it is over, the summary
 * is fetched fresh (times, exit code, test counts).
 * Text from the server goes in with textContent only, never as markup.
 */
"use strict";
(function () {
	const FINAL = ["passed", "failed", "error", "timeout", "cancelled"];
	/* ANSI escape codes and control characters, as the server strips them. */
	const ANSI = /\x1b\[[0-?]*[ -\/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[ -\/]*[0-~]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
	/* An escape code cut at the end of a chunk: kept for the next one. */
	const PARTIAL = /\x1b(?:\[[0-?]*[ -\/]*|[\]PX^_][^\x07\x1b\n]*|[ -\/]*)$/;
	let live = document.getElementById("live");
	if (!live)
		return;

	const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

	async function getJSON(url) {
		const r = await fetch(url, { cache: "no-store" });
		if (!r.ok)
			throw new Error(url + ": " + r.status);
		return r.json();
	}

	async function getPage(url) {
		const r = await fetch(url, { cache: "no-store" });
		if (!r.ok)
			throw new Error(url + ": " + r.status);
		return new DOMParser().parseFromString(await r.text(), "text/html");
	}

	function listen(names, cb) {
		if (!window.EventSource)
			return;
		const es = new EventSource("/api/events");
		es.onopen = () => document.body.classList.add("connected");
		es.onerror = () => document.body.classList.remove("connected");
		for (const name of names)
			es.addEventListener(name, cb);
	}

	/* Dashboard and history: the whole of <main> again. */
	function refreshing() {
		let busy = false, timer = 0;

		async function reload() {
			timer = 0;
			if (busy)
				return;
			busy = true;
			try {
				const doc = await getPage(location.pathname);
				const fresh = doc.getElementById("live");
				const up = doc.getElementById("uptime");
				if (fresh) {
					live.replaceWith(fresh);
					live = fresh;
				}
				if (up)
					document.getElementById("uptime").textContent =
					    up.textContent;
			} catch (e) {
				/* The dispatcher may be restarting: next time. */
			}
			busy = false;
		}
		listen(["job", "runner"], () => {
			if (!timer)
				timer = setTimeout(reload, 300);
		});
		setInterval(() => { if (!document.hidden) reload(); }, 5000);
	}

	/* A job's page: its status and the log as it grows. */
	function following() {
		const id = live.dataset.job, log = document.getElementById("log");
		let offset = Number(live.dataset.offset) || 0, held = "";

		function show(text) {
			const bottom = window.innerHeight + window.scrollY >=
			    document.body.scrollHeight - 40;
			const empty = document.getElementById("log-empty");
			text = text.replace(ANSI, "");
			if (!text)
				return;
			if (empty)
				empty.remove();
			log.append(text);
			if (bottom)
				window.scrollTo(0, document.body.scrollHeight);
		}

		async function drain(final) {
			for (;;) {
				const c = await getJSON("/api/jobs/" + id +
				    "/log?offset=" + offset);
				let text = held + (c.data || "");
				const cut = final ? null : text.match(PARTIAL);
				held = cut ? cut[0] : "";
				show(cut ? text.slice(0, cut.index) : text);
				if (!(c.next_offset > offset))
					return;
				offset = c.next_offset;
				live.dataset.offset = offset;
				if (!(offset < c.size))
					return;
			}
		}

		function setState(state) {
			const pill = document.getElementById("status");
			live.dataset.state = state;
			if (pill) {
				pill.className = "pill state-" + state;
				pill.textContent = state;
			}
		}

		async function finish() {
			try {
				const doc = await getPage("/jobs/" + id);
				const job = doc.getElementById("job");
				if (job)
					document.getElementById("job").replaceWith(job);
				document.title = doc.title;
			} catch (e) {
				/* The status pill is right already. */
			}
		}

		(async () => {
			for (;;) {
				let state = live.dataset.state;
				try {
					state = (await getJSON("/api/jobs/" + id)).state;
				} catch (e) {
				}
				try {
					await drain(FINAL.includes(state));
				} catch (e) {
				}
				setState(state);
				if (FINAL.includes(state))
					return finish();
				await sleep(1000);
			}
		})();
	}

	if (live.dataset.page === "dashboard" || live.dataset.page === "history")
		refreshing();
	else if (live.dataset.page === "job")
		following();
})();
