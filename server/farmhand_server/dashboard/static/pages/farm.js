// The farm at a glance: workers busy and idle, the queue, software on offer, core-hours.

import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { workerState } from "./workers.js";

export function render(ctx, main) {
  const tiles = h("div", { class: "stats", id: "farm-stats" });
  const softwareTable = h("table", { id: "farm-software" });
  const usageTable = h("table", { id: "farm-usage" });
  const status = h("p", { class: "status", role: "status" });
  fill(main, h("h1", {}, "Farm"), status, tiles,
    h("h2", {}, "Software on the online workers"), softwareTable,
    h("h2", {}, ctx.isAdmin ? "Core-hours by user" : "Your core-hours"), usageTable);

  function stat(label, value, id) {
    return h("div", { class: "stat", id }, h("span", { class: "value" }, value), h("span", { class: "label" }, label));
  }

  async function count(state) {
    const answer = await api("GET", `/jobs${query({ state, limit: 1000 })}`);
    return answer.next === null ? String(answer.jobs.length) : "1000+";
  }

  async function load() {
    try {
      const [farm, usage, queued, rendering, waiting] = await Promise.all([
        api("GET", "/farm/software"), api("GET", "/usage"), count("queued"), count("rendering"), count("awaiting_approval"),
      ]);
      const shown = [stat("workers online", String(farm.workers_online), "stat-online"),
        stat("jobs queued", queued, "stat-queued"), stat("jobs rendering", rendering, "stat-rendering"),
        stat("awaiting approval", waiting, "stat-approval")];
      if (ctx.isAdmin) {
        const { workers } = await api("GET", "/workers");
        const states = workers.map((w) => workerState(w));
        shown.splice(1, 0, stat("busy", String(states.filter((s) => s === "busy").length), "stat-busy"),
          stat("idle", String(states.filter((s) => s === "idle").length), "stat-idle"));
      }
      fill(tiles, shown);
      fill(softwareTable,
        h("thead", {}, h("tr", {}, ["Software", "Version", "Workers"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, farm.software.length ? farm.software.map((s) => h("tr", {}, h("td", {}, s.name), h("td", {}, s.version), h("td", { class: "num" }, String(s.workers))))
          : h("tr", {}, h("td", { colspan: "3", class: "empty" }, "No worker online."))));
      const rows = Array.isArray(usage.usage) ? usage.usage : [];
      const keys = rows.length ? Object.keys(rows[0]) : [];
      fill(usageTable,
        h("thead", {}, h("tr", {}, keys.map((k) => h("th", { scope: "col", class: typeof rows[0][k] === "number" ? "num" : "" }, k.replace(/_/g, " "))))),
        h("tbody", {}, rows.length ? rows.map((r) => h("tr", {}, keys.map((k) => h("td", { class: typeof r[k] === "number" ? "num" : "" }, typeof r[k] === "number" ? (Number.isInteger(r[k]) ? String(r[k]) : r[k].toFixed(3)) : String(r[k] ?? "—")))))
          : h("tr", {}, h("td", { class: "empty" }, "Nothing rendered yet."))));
      fill(status);
    } catch (err) {
      fill(status, `Could not load the farm: ${err.message}`);
    }
  }

  const timer = setInterval(load, 5000);
  load();
  return () => clearInterval(timer);
}
