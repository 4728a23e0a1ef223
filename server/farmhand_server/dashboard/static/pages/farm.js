// The farm at a glance: workers busy and idle, the queue, software on offer, core-hours; for
// admins the farm's figures (`GET /farm/stats`): tasks per minute, queue depth, core-hours by
// user and by project over a chosen period, storage used by blobs.

import { api, query } from "../api.js";
import { fill, h } from "../dom.js";
import { workerState } from "./workers.js";

const PERIODS = [["3600", "the last hour"], ["86400", "the last day"], ["604800", "the last 7 days"],
  ["2592000", "the last 30 days"], ["31536000", "the last 365 days"]];
const BARS = "▁▂▃▄▅▆▇█";

/** Bytes as a short figure (KB, MB, … in powers of 1024). */
function bytes(n) {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${i ? n.toFixed(1) : String(n)} ${units[i]}`;
}

/** Sixty counts as a line of block characters, the tallest the busiest minute. */
function sparkline(counts) {
  const top = Math.max(...counts, 1);
  return counts.map((c) => (c ? BARS[Math.min(BARS.length - 1, Math.ceil((c / top) * BARS.length) - 1)] : " ")).join("");
}

export function render(ctx, main) {
  const tiles = h("div", { class: "stats", id: "farm-stats" });
  const softwareTable = h("table", { id: "farm-software" });
  const usageTable = h("table", { id: "farm-usage" });
  const status = h("p", { class: "status", role: "status" });
  const period = h("select", { id: "farm-period", "aria-label": "Period" },
    PERIODS.map(([v, label]) => h("option", { value: v }, label)));
  period.value = sessionStorage.getItem("farmhand.farm.period") || "86400";
  period.addEventListener("change", () => {
    sessionStorage.setItem("farmhand.farm.period", period.value);
    load();
  });
  const figuresNow = h("div", {});
  const figuresHours = h("div", { class: "two" });
  const figures = h("section", { id: "farm-figures", "aria-labelledby": "figures-h" },
    h("h2", { id: "figures-h" }, "Figures"), figuresNow,
    h("p", {}, h("label", { for: "farm-period" }, "Core-hours over "), period), figuresHours);
  fill(main, h("h1", {}, "Farm"), status, tiles,
    ctx.isAdmin ? figures : null,
    h("h2", {}, "Software on the online workers"), softwareTable,
    h("h2", {}, ctx.isAdmin ? "Core-hours by user, all time" : "Your core-hours"), usageTable);

  function hoursTable(id, rows, what) {
    return h("table", { id },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, what), h("th", { scope: "col", class: "num" }, "core-hours"))),
      h("tbody", {}, rows.length ? rows.map((r) => h("tr", {}, h("td", {}, r.name ?? "(no project)"), h("td", { class: "num" }, r.core_hours.toFixed(3))))
        : h("tr", {}, h("td", { colspan: "2", class: "empty" }, "Nothing rendered in this period."))));
  }

  async function loadFigures() {
    const since = Date.now() / 1000 - Number(period.value);
    const stats = await api("GET", `/farm/stats${query({ since: since.toFixed(0) })}`);
    const perMinute = stats.tasks_per_minute;
    const hour = perMinute.reduce((a, b) => a + b, 0);
    const chosen = PERIODS.find(([v]) => v === period.value)[1];
    fill(figuresNow,
      h("div", { class: "stats" },
        stat("tasks finished, last minute", String(perMinute[perMinute.length - 1]), "stat-per-minute"),
        stat("tasks per minute, last hour", (hour / perMinute.length).toFixed(1), "stat-per-minute-hour"),
        stat("tasks queued", String(stats.queue.tasks_queued), "stat-tasks-queued"),
        stat("tasks running", String(stats.queue.tasks_running), "stat-tasks-running"),
        stat(`in ${stats.storage.blobs} blobs`, bytes(stats.storage.bytes), "stat-storage")),
      h("p", { class: "spark-line" }, "Tasks finished per minute, the last hour (oldest left): ",
        h("span", { class: "spark", id: "farm-spark", role: "img", "aria-label": `${hour} tasks in the last hour; at most ${Math.max(...perMinute)} in a minute` }, sparkline(perMinute)),
        ` ${hour} in the hour`));
    fill(figuresHours,
      h("div", {}, h("h3", {}, `By user, ${chosen}`), hoursTable("farm-hours-user", stats.core_hours_by_user, "User")),
      h("div", {}, h("h3", {}, `By project, ${chosen}`), hoursTable("farm-hours-project", stats.core_hours_by_project, "Project")));
  }

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
      if (ctx.isAdmin) await loadFigures();
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
