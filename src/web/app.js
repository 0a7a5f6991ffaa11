// SPDX-License-Identifier: MIT
/*
 * app.js - live pages without a framework, and their buttons.  The dashboard, a history
 * and a pipeline's page fetch themselves again when the server reports an
 * event (and every 5 s, for the clocks) and swap in their <main id="live">.
 * A job's page asks for the job's state and its log from data-offset, then
 * again each second while the job is queued or running; once it is over,
 * the summary (times, exit code, test counts) and its pipeline's graph are
 * fetched fresh.
 * A log's colours become spans with the classes the server gives them
 * (html_log.c), so that what the page held and what follows look alike.
 * Cancel, Retry and Rebuild post to the API; without a session they lead
 * to the login page first.  So does a history's Run form (/api/run), which
 * a refresh leaves as it was typed (and waits while it is being typed in).
 * Text from the server goes in with textContent only, never as markup.
 */
"use strict";
(function () {
	const FINAL = ["passed", "failed", "error", "timeout", "cancelled",
	    "skipped"];
	/* A colour sequence: kept, as spans. */
	const SGR = /\x1b\[([0-9;:]*)m/;
	/* Other ANSI escape codes and control characters: taken out. */
	const ANSI = /\x1b\[[0-?]*[ -\/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[ -\/]*[0-~]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
	/* An escape code cut at the end of a chunk: kept for the next one. */
	const PARTIAL = /\x1b(?:\[[0-?]*[ -\/]*|[\]PX^_][^\x07\x1b\n]*|[ -\/]*)$/;
	let live = document.getElementById("live");
	if (!live)
		return;

	const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

	/* The state of the colour sequences so far, as html_log.c keeps it. */
	function sgrState() {
		return { fg: -1, bg: -1, b: 0, d: 0, i: 0, u: 0 };
	}

	function sgrApply(st, params) {
		const v = params === "" ? [0] : params.split(/[;:]/).map(Number);
		for (let i = 0; i < v.length; i++) {
			const c = v[i] || 0;
			if (c === 0)
				Object.assign(st, sgrState());
			else if (c === 1)
				st.b = 1;
			else if (c === 2)
				st.d = 1;
			else if (c === 3)
				st.i = 1;
			else if (c === 4)
				st.u = 1;
			else if (c === 22)
				st.b = st.d = 0;
			else if (c === 23)
				st.i = 0;
			else if (c === 24)
				st.u = 0;
			else if (c >= 30 && c <= 37)
				st.fg = c - 30;
			else if (c >= 90 && c <= 97)
				st.fg = c - 90 + 8;
			else if (c === 39)
				st.fg = -1;
			else if (c >= 40 && c <= 47)
				st.bg = c - 40;
			else if (c >= 100 && c <= 107)
				st.bg = c - 100 + 8;
			else if (c === 49)
				st.bg = -1;
			else if ((c === 38 || c === 48) && v[i + 1] === 5) {
				if (v[i + 2] < 16)
					st[c === 38 ? "fg" : "bg"] = v[i + 2];
				i += 2;
			} else if ((c === 38 || c === 48) && v[i + 1] === 2)
				i += 4;
		}
	}

	function sgrClass(st) {
		const c = [];
		if (st.fg >= 0)
			c.push("fg-" + st.fg);
		if (st.bg >= 0)
			c.push("bg-" + st.bg);
		for (const k of ["b", "d", "i", "u"])
			if (st[k])
				c.push("sgr-" + k);
		return c.join(" ");
	}

	/* Buttons: post the action, log in first if the dispatcher says so. */
	async function act(button) {
		const id = button.dataset.job, what = button.dataset.act;
		const quarantine = what === "quarantine" || what === "release";
		button.disabled = true;
		try {
			const r = quarantine ? await fetch("/api/quarantine", {
			    method: "POST", credentials: "same-origin",
			    headers: { "Content-Type": "application/json" },
			    body: JSON.stringify({ repo: button.dataset.repo,
			    test: button.dataset.test,
			    remove: what === "release" }) }) :
			    await fetch("/api/jobs/" + id + "/" + what,
			    { method: "POST", credentials: "same-origin" });
			if (r.status === 401) {
				location.href = "/login?next=" +
				    encodeURIComponent(location.pathname);
				return;
			}
			const body = await r.json();
			if (!r.ok) {
				button.classList.add("refused");
				button.title = body.error ? body.error.message :
				    String(r.status);
				return;
			}
			if (quarantine)
				location.reload();
			else if (what === "retry" && body.job)
				location.href = (live && live.dataset.page ===
				    "pipeline" ? "/pipelines/" : "/jobs/") +
				    body.job;
			else if (live && live.dataset.page !== "job")
				location.reload();
		} catch (e) {
			button.title = String(e);
		} finally {
			button.disabled = false;
		}
	}
	document.addEventListener("click", (e) => {
		const b = e.target.closest && e.target.closest("button.act");
		if (b)
			act(b);
	});

	/* A Run form's NAME=VALUE lines as an object; throws on a bad line. */
	function runParams(text) {
		const params = Object.create(null);
		const lines = text.split(/\r?\n/);
		for (let i = 0; i < lines.length; i++) {
			if (!lines[i].trim())
				continue;
			const eq = lines[i].indexOf("=");
			const name = eq > 0 ? lines[i].slice(0, eq).trim() : "";
			if (!name)
				throw new Error("line " + (i + 1) +
				    ": NAME=VALUE expected");
			if (name in params)
				throw new Error("line " + (i + 1) + ": " + name +
				    " is given twice");
			params[name] = lines[i].slice(eq + 1);
		}
		return params;
	}

	/* Run: the branch's tip again with the parameters, then its page. */
	async function run(form) {
		const button = form.querySelector("button[type=submit]");
		const error = document.getElementById("run-error");
		error.textContent = "";
		button.disabled = true;
		try {
			const params = runParams(form.elements.params.value);
			const r = await fetch("/api/run", {
			    method: "POST", credentials: "same-origin",
			    headers: { "Content-Type": "application/json" },
			    body: JSON.stringify({ repo: live.dataset.repo,
			    branch: live.dataset.branch, params: params }) });
			if (r.status === 401) {
				location.href = "/login?next=" +
				    encodeURIComponent(location.pathname);
				return;
			}
			const body = await r.json();
			if (!r.ok || !body.job) {
				error.textContent = body.error ?
				    body.error.message : String(r.status);
				return;
			}
			location.href = "/jobs/" + body.job;
		} catch (e) {
			error.textContent = e.message || String(e);
		} finally {
			button.disabled = false;
		}
	}
	document.addEventListener("submit", (e) => {
		if (e.target.id === "run-form") {
			e.preventDefault();
			run(e.target);
		}
	});

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
			const form = document.getElementById("run-form");
			/* Not under the hands of someone typing a Run. */
			if (busy || (form && form.contains(document.activeElement)))
				return;
			busy = true;
			try {
				const doc = await getPage(location.pathname);
				const fresh = doc.getElementById("live");
				const up = doc.getElementById("uptime");
				const slot = fresh && fresh.querySelector("#run-form");
				/* What was typed in it stays. */
				if (slot && form)
					slot.replaceWith(form);
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
		const st = sgrState();

		function show(text) {
			const bottom = window.innerHeight + window.scrollY >=
			    document.body.scrollHeight - 40;
			const empty = document.getElementById("log-empty");
			const parts = text.replace(/\r\n?/g, "\n").split(SGR);
			let any = false;
			/* Text, then the parameters of a colour, then text ... */
			for (let i = 0; i < parts.length; i++) {
				if (i % 2) {
					sgrApply(st, parts[i]);
					continue;
				}
				const t = parts[i].replace(ANSI, "");
				if (!t)
					continue;
				const cls = sgrClass(st);
				if (cls) {
					const span = document.createElement("span");
					span.className = cls;
					span.textContent = t;
					log.append(span);
				} else
					log.append(t);
				any = true;
			}
			if (!any)
				return;
			if (empty)
				empty.remove();
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
				/* Its pipeline's graph, with this job's box. */
				const graph = doc.getElementById("pipeline");
				const old = document.getElementById("pipeline");
				if (graph && old)
					old.replaceWith(graph);
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

	if (live.dataset.page === "dashboard" || live.dataset.page === "history" ||
	    live.dataset.page === "pipeline" || live.dataset.page === "sharded")
		refreshing();
	else if (live.dataset.page === "job")
		following();
})();
