// The render nodes (admins): state, hardware and software, last heartbeat, and revocation.

import { api } from "../api.js";
import { ago, confirmDialog, debounce, fill, h, stateBadge } from "../dom.js";

const ONLINE_SECONDS = 120; // the server's default `online_seconds`

/** What a worker is doing, in one word: revoked, offline, or the server's busy/idle. */
export function workerState(w, now = Date.now() / 1000) {
  if (w.revoked_at) return "revoked";
  if (!w.last_seen || now - w.last_seen > ONLINE_SECONDS) return "offline";
  return w.state || "idle";
}

function software(sw) {
  const parts = [];
  for (const [name, versions] of Object.entries(sw || {})) {
    for (const version of Object.keys(versions || {})) parts.push(`${name} ${version}`);
  }
  return parts.join(", ") || "—";
}

export function render(ctx, main) {
  const status = h("p", { class: "status", role: "status", id: "workers-status" });
  const table = h("table", { class: "workers", id: "workers-table" });
  const counts = h("p", { id: "workers-counts" });
  fill(main, h("h1", {}, "Workers"), counts, status, table,
    h("p", { class: "help" }, "Revoking a worker cuts its token at once; what it was rendering is queued again. ",
      "Drain, disable and enable are not in the server yet (see docs/dashboard.md)."));

  async function load() {
    let workers;
    try {
      ({ workers } = await api("GET", "/workers"));
    } catch (err) {
      fill(status, `Could not load the workers: ${err.message}`);
      return;
    }
    const now = Date.now() / 1000;
    const tally = {};
    for (const w of workers) tally[workerState(w, now)] = (tally[workerState(w, now)] || 0) + 1;
    fill(counts, Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(" · ") || "No worker has registered yet.");
    fill(table,
      h("thead", {}, h("tr", {}, ["Name", "State", "Host", "Hardware", "Software", "Tags", "Last heartbeat", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, workers.map((w) => {
        const state = workerState(w, now);
        return h("tr", { dataset: { worker: String(w.id) } },
          h("td", {}, w.name), h("td", {}, stateBadge(state)), h("td", {}, `${w.hostname || "—"} (${w.platform || "?"})`),
          h("td", {}, `${w.cpu_cores} cores, ${Number(w.ram_gb).toFixed(0)} GB RAM, ${w.gpu_count} GPU${w.gpu_count === 1 ? "" : "s"}${w.slots > 1 ? `, ${w.slots} slots` : ""}`),
          h("td", {}, software(w.software)), h("td", {}, (w.tags || []).join(", ") || "—"),
          h("td", {}, ago(w.last_seen)),
          h("td", {}, state === "revoked" ? "" : h("button", { type: "button", class: "danger", onclick: () => revoke(w) }, "Revoke…")));
      })));
  }

  async function revoke(w) {
    if (!(await confirmDialog(`Revoke ${w.name}?`, "Its token stops working now and what it renders is queued again. It must enrol anew to come back.", "Revoke", "Keep"))) return;
    try {
      const done = await api("POST", `/workers/${w.id}/revoke`);
      fill(status, `${w.name} revoked; ${done.requeued} task(s) queued again.`);
    } catch (err) {
      fill(status, `Could not revoke ${w.name}: ${err.message}`);
    }
    load();
  }

  const refresh = debounce(load, 300);
  const unsubscribe = ctx.live.subscribe((kind) => {
    if (kind === "worker" || kind === "task") refresh();
  });
  const timer = setInterval(load, 5000);
  load();
  return () => {
    unsubscribe();
    refresh.cancel();
    clearInterval(timer);
  };
}
