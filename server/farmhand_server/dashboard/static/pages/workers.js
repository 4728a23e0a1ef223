// The render nodes (admins): state, hardware and software, last heartbeat, and revocation.

import { api } from "../api.js";
import { ago, confirmDialog, coalesce, fill, h, stateBadge } from "../dom.js";

const ONLINE_SECONDS = 120; // the server's default `online_seconds`

/** What a worker is doing, in one word: revoked, disabled, draining, drained, offline,
 * busy or idle. */
export function workerState(w, now = Date.now() / 1000) {
  const busy = (w.running || []).length > 0;
  if (w.revoked_at) return "revoked";
  if (w.hold === "disable") return "disabled";
  if (w.hold === "drain") return busy ? "draining" : "drained";
  if (!w.last_seen || now - w.last_seen > ONLINE_SECONDS) return "offline";
  return busy ? "busy" : "idle";
}

function current(w) {
  if (!(w.running || []).length) return "—";
  return w.running.map((r) => {
    const frames = r.frames || [];
    const label = frames.length > 1 ? `${frames[0]}–${frames[frames.length - 1]}` : String(frames[0] ?? "");
    const pct = r.progress === null || r.progress === undefined ? "" : ` ${Math.round(r.progress * 100)}%`;
    return h("div", {}, h("a", { href: `#/jobs/${r.job_id}` }, `job ${r.job_id}`), ` frame ${label}${pct}`);
  });
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
      "Drain lets what a worker renders finish, then gives it nothing more; disable also stops what it renders now ",
      "(those tasks are queued again); enable lifts either."));

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
      h("thead", {}, h("tr", {}, ["Name", "State", "Rendering", "Done / failed", "Host", "Hardware", "Software", "Tags", "Last heartbeat", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, workers.map((w) => {
        const state = workerState(w, now);
        return h("tr", { dataset: { worker: String(w.id) } },
          h("td", {}, w.name), h("td", { class: "worker-state" }, stateBadge(state)), h("td", {}, current(w)),
          h("td", { class: "num" }, `${w.attempts_done ?? 0} / ${w.attempts_failed ?? 0}`), h("td", {}, `${w.hostname || "—"} (${w.platform || "?"})`),
          h("td", {}, `${w.cpu_cores} cores, ${Number(w.ram_gb).toFixed(0)} GB RAM, ${w.gpu_count} GPU${w.gpu_count === 1 ? "" : "s"}${w.slots > 1 ? `, ${w.slots} slots` : ""}`),
          h("td", {}, software(w.software)), h("td", {}, (w.tags || []).join(", ") || "—"),
          h("td", {}, ago(w.last_seen)),
          h("td", { class: "actions" }, state === "revoked" ? "" : [
            w.hold ? h("button", { type: "button", id: `enable-${w.id}`, onclick: () => hold(w, "enable") }, "Enable") : [
              h("button", { type: "button", class: "secondary", id: `drain-${w.id}`, onclick: () => hold(w, "drain") }, "Drain"), " ",
              h("button", { type: "button", class: "danger", id: `disable-${w.id}`, onclick: () => hold(w, "disable") }, "Disable…")],
            " ", h("button", { type: "button", class: "danger", onclick: () => revoke(w) }, "Revoke…")]));
      })));
  }

  async function hold(w, action) {
    if (action === "disable" && !(await confirmDialog(`Disable ${w.name}?`,
      "It takes no more tasks, and what it renders now is stopped and queued again.", "Disable", "Keep"))) return;
    try {
      const done = await api("POST", `/workers/${w.id}/${action}`);
      const said = { drain: "draining: it finishes what it renders, then takes nothing more", disable: "disabled", enable: "enabled" }[action];
      fill(status, `${w.name} ${said}${done.requeued ? `; ${done.requeued} task(s) queued again` : ""}.`);
    } catch (err) {
      fill(status, `Could not ${action} ${w.name}: ${err.message}`);
    }
    load();
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

  const refresh = coalesce(load, 1000);
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
