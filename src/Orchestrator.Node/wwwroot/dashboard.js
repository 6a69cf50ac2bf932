// Orchestrator dashboard: plain JS, no build step. Reads /api/v1 like any client: the SSE stream /api/v1/events
// (event: host / event: migration, the current state first), with polling as the fallback while the stream is down.
// Mutating requests send the bearer token the user saved (localStorage, or ?token= in the URL once).
"use strict";

(() => {
  const API = "/api/v1";
  const TOKEN_KEY = "orchestrator.token";
  const HISTORY = 10;
  const POLL_MS = 2000;
  const RECONNECT_MS = [1000, 2000, 5000, 10000];

  const state = { hosts: new Map(), migrations: new Map() };
  const $ = (id) => document.getElementById(id);

  // ---- small DOM helper: text goes in as text, never as HTML ----
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  // ---- formatting ----
  function bytes(n) {
    if (n === null || n === undefined) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = n, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
  }
  const ms = (v) => (v === null || v === undefined ? "–" : v.toFixed(1) + " ms");
  const shortId = (id) => (id && id.length > 10 ? id.slice(0, 8) + "…" : id);
  const route = (m) => (m.source || "?") + " → " + (m.target || "(placing)");
  const time = (t) => (t ? new Date(t).toLocaleTimeString() : "–");

  // ---- token ----
  function token() { return localStorage.getItem(TOKEN_KEY) || ""; }
  function showTokenState() {
    $("token-state").textContent = token() ? "token saved" : "no token: changes will be refused";
  }
  function initToken() {
    const url = new URL(location.href);
    const fromUrl = url.searchParams.get("token");
    if (fromUrl) {
      localStorage.setItem(TOKEN_KEY, fromUrl);
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search + url.hash); // keep the token out of the history
    }
    $("token").value = token();
    showTokenState();
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const v = $("token").value.trim();
      if (v) localStorage.setItem(TOKEN_KEY, v); else localStorage.removeItem(TOKEN_KEY);
      showTokenState();
      say("info", v ? "Token saved in this browser." : "Token removed.");
    });
  }

  // ---- messages ----
  let messageTimer = 0;
  function say(kind, text) {
    const el = $("message");
    el.dataset.kind = kind;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(messageTimer);
    if (kind === "info") messageTimer = setTimeout(() => { el.hidden = true; }, 6000);
  }
  function announce(text) { $("announcer").textContent = text; }

  // ---- mutating requests ----
  // Reads carry the token too when one is saved (needed with api.read-auth on, harmless without).
  function readHeaders() { const t = token(); return t ? { Authorization: "Bearer " + t } : {}; }

  async function send(method, path, body, headers) {
    const init = { method, headers: Object.assign({ Accept: "application/json" }, headers || {}) };
    const t = token();
    if (t) init.headers.Authorization = "Bearer " + t;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, init);
    } catch (e) {
      say("error", method + " " + path + ": the node did not answer (" + e.message + ")");
      return null;
    }
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (!response.ok) {
      const detail = (json && (json.detail || json.title)) || text || response.statusText;
      say("error", method + " " + path + " → " + response.status + ": " + detail);
      return null;
    }
    return json || {};
  }

  function newKey() {
    if (crypto.randomUUID) return "dashboard-" + crypto.randomUUID();
    return "dashboard-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  async function startMigration(workload, target) {
    const body = { workload };
    if (target) body.target = target;
    const m = await send("POST", "/migrations", body, { "Idempotency-Key": newKey() });
    if (m && m.id) {
      upsertMigration(m);
      say("info", "Migration " + m.id + " of " + workload + " accepted (" + (target || "target: auto") + ").");
    }
  }
  async function abort(m) {
    if (await send("DELETE", "/migrations/" + encodeURIComponent(m.id))) say("info", "Abort of " + m.id + " accepted.");
  }
  async function switchover(m) {
    if (await send("POST", "/migrations/" + encodeURIComponent(m.id) + "/switchover?force=true")) {
      say("info", "Forced switchover of " + m.id + " accepted.");
    }
  }
  async function cordon(host, on) {
    const r = await send("POST", "/hosts/" + encodeURIComponent(host.id) + (on ? "/cordon" : "/uncordon"), on ? { reason: "dashboard" } : undefined);
    if (r) {
      say("info", host.id + (on ? " cordoned." : " uncordoned."));
      const known = state.hosts.get(host.id);
      if (known && typeof r.cordoned === "boolean") { state.hosts.set(host.id, Object.assign({}, known, { cordoned: r.cordoned })); schedule(); }
    }
  }

  // ---- state ----
  // Evacuation: the dry-run plan first (where each workload would go, or why it cannot), then a confirmation.
  let evacHost = null;
  async function planEvacuation(host) {
    const plan = await send("POST", "/hosts/" + encodeURIComponent(host.id) + "/evacuate?dryRun=true");
    if (!plan) return;
    evacHost = host.id;
    $("evac-summary").textContent = "Evacuating " + host.id + " cordons it and migrates " + plan.plan.length + " workload(s):";
    $("evac-plan").replaceChildren(...plan.plan.map((item) => h("li", { dataset: { workload: item.workload } },
      item.target ? item.workload + " → " + item.target : item.workload + ": cannot move (" + item.reason + ")")));
    $("evac-panel").hidden = false;
    $("evac-confirm").focus();
  }
  async function confirmEvacuation() {
    const host = evacHost;
    if (!host) return;
    const job = await send("POST", "/hosts/" + encodeURIComponent(host) + "/evacuate", undefined, { "Idempotency-Key": newKey() });
    $("evac-panel").hidden = true;
    evacHost = null;
    if (job && job.id) say("info", "Evacuation " + job.id + " of " + host + " started: " + job.migrations.length + " migration(s).");
  }

  function upsertHost(host) { state.hosts.set(host.id, host); schedule(); }
  function upsertMigration(m) {
    const before = state.migrations.get(m.id);
    if (before && before.updatedAt && m.updatedAt && new Date(m.updatedAt) < new Date(before.updatedAt)) return; // stale
    if (!before || before.state !== m.state) {
      announce("Migration " + shortId(m.id) + " of " + m.workload + ": " + m.state + (m.reason && m.terminal ? " (" + m.reason + ")" : ""));
    }
    state.migrations.set(m.id, m);
    schedule();
  }

  // ---- rendering (batched per frame; keeps keyboard focus on the same control) ----
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; render(); });
  }

  function render() {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : undefined;
    renderHosts();
    renderMigrations();
    renderChoices();
    if (focused) {
      const again = document.querySelector('[data-key="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
  }

  function renderHosts() {
    const hosts = [...state.hosts.values()].sort((a, b) => a.id.localeCompare(b.id));
    const root = $("hosts");
    if (hosts.length === 0) { root.replaceChildren(h("p", { class: "muted", text: "no hosts yet" })); return; }
    root.replaceChildren(...hosts.map((host) => {
      const vfCount = host.pfs.reduce((n, pf) => n + pf.vfs.length, 0);
      return h("article", { class: "host", "aria-label": "host " + host.id, dataset: { host: host.id, cordoned: String(host.cordoned) } },
        h("header", {},
          h("h3", { text: host.id }),
          h("span", { class: "badge", text: "node " + host.node }),
          host.cordoned ? h("span", { class: "badge cordoned", text: "cordoned" }) : null,
          host.queuedMigrations ? h("span", { class: "badge", text: host.queuedMigrations + " queued" }) : null,
          h("button", {
            type: "button", class: "secondary", dataset: { key: "cordon:" + host.id },
            "aria-label": (host.cordoned ? "Uncordon " : "Cordon ") + host.id,
            onclick: () => cordon(host, !host.cordoned),
          }, host.cordoned ? "Uncordon" : "Cordon"),
          h("button", {
            type: "button", class: "secondary", dataset: { key: "evacuate:" + host.id },
            "aria-label": "Evacuate " + host.id,
            onclick: () => planEvacuation(host),
          }, "Evacuate…")),
        host.pfs.map((pf) => h("div", { class: "pf", dataset: { pf: pf.id } },
          h("p", { class: "pf-title" },
            h("code", { text: pf.address }), " " + pf.driver + " " + pf.deviceType + " fw " + pf.firmware +
            " · VF slots free " + pf.freeVfSlots + "/" + pf.maxVfs + " · migrations " + pf.migrationSlotsInUse + "/" + pf.maxConcurrentMigrations),
          pf.vfs.length === 0
            ? h("p", { class: "empty", text: "no VFs" })
            : h("ul", { class: "vfs", "aria-label": "VFs of " + pf.id },
              pf.vfs.map((vf) => h("li", { class: "vf", dataset: { vf: vf.id, workload: vf.workload || "", state: vf.state } },
                h("span", { class: "vfio", dataset: { state: vf.state }, title: "VFIO state", text: vf.state }),
                h("span", { class: "workload", text: vf.workload || "(free)" }),
                h("span", { class: "meta", text: vf.kind + " · " + vf.profile + " · " + vf.id.split("/").pop() + (vf.migration ? " · in " + shortId(vf.migration) : "") })))))),
        vfCount === 0 && host.pfs.length === 0 ? h("p", { class: "empty", text: "no PFs" }) : null);
    }));
  }

  function renderMigrations() {
    const all = [...state.migrations.values()];
    const live = all.filter((m) => !m.terminal).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const ended = all.filter((m) => m.terminal).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, HISTORY);

    $("inflight").replaceChildren(...(live.length === 0
      ? [h("tr", { class: "none" }, h("td", { colspan: "9", text: "none" }))]
      : live.map((m) => {
        const p = m.progress || {};
        const total = (p.bytesTransferred || 0) + (p.bytesRemaining || 0);
        return h("tr", { dataset: { migration: m.id, workload: m.workload, state: m.state } },
          h("td", {}, h("code", { title: m.id, text: shortId(m.id) })),
          h("td", { text: m.workload }),
          h("td", { text: route(m) }),
          h("td", {}, h("span", { class: "outcome", text: m.state }),
            h("div", { class: "progress-text", text: (m.queuePosition ? "queued #" + m.queuePosition + " · " : "") + (m.step || "") })),
          h("td", {},
            h("progress", { max: String(total || 1), value: String(p.bytesTransferred || 0), "aria-label": "bytes sent of " + m.id }),
            h("span", { class: "progress-text", text: bytes(p.bytesTransferred) + " sent · " + bytes(p.bytesRemaining) + " left" })),
          h("td", { text: String(p.rounds ?? 0) }),
          h("td", { text: bytes(p.dirtyBytesPerSecond) + "/s" }),
          h("td", { text: ms(p.predictedDowntimeMs) }),
          h("td", { class: "actions" },
            h("button", { type: "button", class: "secondary", dataset: { key: "switchover:" + m.id }, "aria-label": "Force switchover of " + m.id, onclick: () => switchover(m) }, "Switchover"),
            h("button", { type: "button", class: "danger", dataset: { key: "abort:" + m.id }, "aria-label": "Abort " + m.id, onclick: () => abort(m) }, "Abort")));
      })));

    $("history").replaceChildren(...(ended.length === 0
      ? [h("tr", { class: "none" }, h("td", { colspan: "8", text: "none yet" }))]
      : ended.map((m) => h("tr", { dataset: { migration: m.id, workload: m.workload, state: m.state } },
        h("td", {}, h("code", { title: m.id, text: shortId(m.id) })),
        h("td", { text: m.workload }),
        h("td", { text: route(m) }),
        h("td", {}, h("span", { class: "outcome", dataset: { outcome: m.state }, text: m.code ? m.state + " " + m.code : m.state })),
        h("td", { text: ms(m.downtimeMs) }),
        h("td", { text: bytes(m.progress && m.progress.bytesTransferred) }),
        h("td", { text: time(m.updatedAt) }),
        h("td", { class: "reason", text: m.reason || "" })))));
  }

  // The start form keeps its selection; options change only when the sets of workloads or hosts change.
  function renderChoices() {
    const workloads = new Set();
    for (const host of state.hosts.values()) for (const pf of host.pfs) for (const vf of pf.vfs) if (vf.workload) workloads.add(vf.workload);
    fill($("start-workload"), [...workloads].sort(), []);
    fill($("start-target"), [...state.hosts.keys()].sort(), [["", "auto (placement decides)"]]);
  }
  function fill(select, values, fixed) {
    const want = fixed.map((f) => f[0]).concat(values);
    const have = [...select.options].map((o) => o.value);
    if (want.join("\n") === have.join("\n")) return;
    const chosen = select.value;
    select.replaceChildren(...fixed.map(([v, t]) => h("option", { value: v, text: t })), ...values.map((v) => h("option", { value: v, text: v })));
    if (want.includes(chosen)) select.value = chosen;
  }

  // ---- live updates: SSE, polling while it is down ----
  let source = null, pollTimer = 0, reconnectTimer = 0, failures = 0;

  function mode(m, text) { const el = $("connection"); el.dataset.mode = m; el.textContent = text; }

  function connect() {
    clearTimeout(reconnectTimer);
    if (source) source.close();
    // An EventSource sends no header: with api.read-auth on, the token goes in the query.
    source = new EventSource(API + "/events" + (token() ? "?access_token=" + encodeURIComponent(token()) : ""));
    source.addEventListener("open", () => { failures = 0; stopPolling(); mode("live", "live (event stream)"); });
    source.addEventListener("host", (e) => upsertHost(JSON.parse(e.data)));
    source.addEventListener("migration", (e) => upsertMigration(JSON.parse(e.data)));
    source.addEventListener("error", () => {
      source.close();
      source = null;
      const wait = RECONNECT_MS[Math.min(failures, RECONNECT_MS.length - 1)];
      failures++;
      startPolling();
      reconnectTimer = setTimeout(connect, wait);
    });
  }

  // After the first poll, only what changed since the newest change seen (less a margin for other nodes' clocks).
  let pollSince = null;
  async function listMigrations() {
    const all = [];
    let cursor = null;
    for (let page = 0; page < 20; page++) {
      const q = new URLSearchParams({ limit: "1000" });
      if (pollSince) q.set("since", pollSince);
      if (cursor) q.set("cursor", cursor);
      const r = await fetch(API + "/migrations?" + q, { headers: readHeaders() });
      if (!r.ok) throw new Error("migrations: " + r.status);
      const body = await r.json();
      all.push(...body.items);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    return all;
  }

  async function poll() {
    try {
      const [hosts, migrations] = await Promise.all([
        fetch(API + "/hosts", { headers: readHeaders() }).then((r) => { if (!r.ok) throw new Error("hosts: " + r.status); return r.json(); }),
        listMigrations(),
      ]);
      state.hosts = new Map(hosts.map((x) => [x.id, x]));
      for (const m of migrations) upsertMigration(m);
      const seen = migrations.map((m) => Date.parse(m.updatedAt)).filter(Number.isFinite);
      if (seen.length > 0) {
        const since = new Date(seen.reduce((a, b) => Math.max(a, b)) - 10000).toISOString();
        if (!pollSince || since > pollSince) pollSince = since;
      }
      schedule();
      if (!source || source.readyState !== EventSource.OPEN) mode("polling", "polling every " + POLL_MS / 1000 + " s (event stream down)");
    } catch (e) {
      if (!source || source.readyState !== EventSource.OPEN) mode("offline", "node unreachable: " + e.message);
    }
  }
  function startPolling() {
    if (pollTimer) return;
    poll();
    pollTimer = setInterval(poll, POLL_MS);
  }
  function stopPolling() { clearInterval(pollTimer); pollTimer = 0; }

  // ---- start ----
  document.addEventListener("DOMContentLoaded", () => {
    initToken();
    $("start-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const workload = $("start-workload").value;
      if (!workload) { say("error", "Choose a workload first."); return; }
      startMigration(workload, $("start-target").value);
    });
    $("evac-confirm").addEventListener("click", confirmEvacuation);
    $("evac-cancel").addEventListener("click", () => { $("evac-panel").hidden = true; evacHost = null; });
    renderMigrations();
    connect();
  });
})();
