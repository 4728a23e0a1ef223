// The jobs list: one page of jobs from the server, which sorts, filters by state and
// searches name and owner across all of them; with actions on a selection.

import { ACTIONS, act } from "../actions.js";
import { api, query } from "../api.js";
import { coalesce, duration, fill, h, progressBar, stateBadge, when } from "../dom.js";

const PAGE = 100;
const STATES = ["", "queued", "rendering", "awaiting_approval", "paused", "completed", "failed", "cancelled"];
// [key, label, the server's `sort=` for it or null when the column does not sort]
const COLUMNS = [
  ["id", "ID", "id"], ["name", "Name", "name"], ["owner", "Owner", "owner"], ["state", "State", "state"],
  ["priority", "Priority", "priority"], ["progress", "Progress", null],
  ["tasks", "Tasks done / failed / total", null], ["created_at", "Submitted", "submitted"],
  ["eta", "ETA", null], ["waiting_reason", "Why it waits", null],
];
const SEARCH_MAX = 100; // the server's bound on `q`

/** Draw the page into `main`; returns its cleanup. */
export function render(ctx, main) {
  const view = {
    state: sessionStorage.getItem("farmhand.jobs.state") || "",
    text: "",
    sort: "id",
    dir: -1,
    offsets: [0], // `offset` of each page seen; the last is the current one
    next: null,
    jobs: [],
    selected: new Set(),
    loadedAt: 0,
    drawnAt: 0,
  };
  const status = h("p", { class: "status", role: "status", id: "jobs-status" });
  const table = h("table", { class: "jobs", id: "jobs-table" });
  const pager = h("div", { class: "pager" });
  const count = h("span", { class: "count", id: "jobs-count" });

  const stateSelect = h("select", { id: "filter-state", "aria-label": "State" },
    STATES.map((s) => h("option", { value: s }, s ? s.replace(/_/g, " ") : "every state")));
  stateSelect.value = view.state;
  stateSelect.addEventListener("change", () => {
    view.state = stateSelect.value;
    sessionStorage.setItem("farmhand.jobs.state", view.state);
    view.offsets = [0];
    load();
  });
  const search = h("input", { id: "filter-text", type: "search", placeholder: "Name or owner", maxlength: String(SEARCH_MAX), "aria-label": "Search name or owner" });
  const searchSoon = coalesce(() => {
    view.offsets = [0];
    load();
  }, 300);
  search.addEventListener("input", () => {
    view.text = search.value.trim().slice(0, SEARCH_MAX);
    searchSoon();
  });

  const priority = h("input", { id: "priority-value", type: "number", min: "0", max: "100", value: "50", "aria-label": "New priority", class: "narrow" });
  const buttons = Object.entries(ACTIONS).map(([name, spec]) =>
    h("button", { type: "button", id: `act-${name}`, class: name === "cancel" ? "danger" : "", onclick: () => run(name) }, spec.label));
  const setPriority = h("button", { type: "button", id: "act-priority", onclick: () => run("priority") }, "Set priority");
  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Actions on the selected jobs" },
    h("span", { id: "selected-count" }, "0 selected"), buttons, priority, setPriority);

  fill(main,
    h("div", { class: "title" }, h("h1", {}, "Jobs"), count),
    h("div", { class: "filters" }, h("label", { for: "filter-state" }, "State "), stateSelect,
      h("label", { for: "filter-text" }, " Search "), search),
    toolbar, status, table, pager);

  async function run(name) {
    const ids = [...view.selected];
    if (!ids.length) return;
    let extra;
    if (name === "priority") {
      extra = Number(priority.value);
      if (!Number.isInteger(extra) || extra < 0 || extra > 100) {
        fill(status, "Priority is a whole number from 0 to 100.");
        return;
      }
    }
    const said = await act(name, ids, extra);
    if (said !== null) fill(status, said);
    load();
  }

  async function load() {
    const started = performance.now();
    try {
      const offset = view.offsets[view.offsets.length - 1];
      const order = view.dir > 0 ? "asc" : "desc";
      const answer = await api("GET", `/jobs${query({ limit: PAGE, offset: offset || undefined, state: view.state, sort: view.sort, order, q: view.text })}`);
      view.jobs = answer.jobs;
      view.next = answer.next_offset;
      view.loadedAt = performance.now() - started;
      const visible = new Set(view.jobs.map((j) => j.id));
      for (const id of view.selected) if (!visible.has(id)) view.selected.delete(id);
      draw();
      view.drawnAt = performance.now() - started;
      main.dataset.drawnMs = String(Math.round(view.drawnAt));
      main.dataset.loaded = String(Date.now());
    } catch (err) {
      fill(status, `Could not load the jobs: ${err.message}`);
    }
  }

  function owner(job) {
    return ctx.users.get(job.user_id) || `user ${job.user_id}`;
  }

  function draw() {
    const focusKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    const rows = view.jobs;
    const all = h("input", { type: "checkbox", "aria-label": "Select every job shown", dataset: { key: "all" } });
    all.checked = rows.length > 0 && rows.every((j) => view.selected.has(j.id));
    all.indeterminate = !all.checked && rows.some((j) => view.selected.has(j.id));
    all.addEventListener("change", () => {
      for (const j of rows) all.checked ? view.selected.add(j.id) : view.selected.delete(j.id);
      draw();
    });
    const head = h("tr", {}, h("th", { scope: "col" }, all), COLUMNS.map(([key, label, sort]) => {
      if (!sort) return h("th", { scope: "col" }, label);
      const sorted = view.sort === sort;
      return h("th", { scope: "col", "aria-sort": sorted ? (view.dir > 0 ? "ascending" : "descending") : "none" },
        h("button", { type: "button", class: "sort", dataset: { key: `sort-${key}` }, onclick: () => {
          view.dir = view.sort === sort ? -view.dir : (["id", "submitted", "priority"].includes(sort) ? -1 : 1);
          view.sort = sort;
          view.offsets = [0];
          load();
        } }, label, sorted ? (view.dir > 0 ? " ▲" : " ▼") : ""));
    }));
    const body = h("tbody", {}, rows.map((job) => row(job)));
    if (!rows.length) body.append(h("tr", {}, h("td", { colspan: String(COLUMNS.length + 1), class: "empty" },
      view.text ? "No job matches the search." : "No jobs.")));
    fill(table, h("caption", { class: "sr-only" }, "Jobs, newest first unless sorted"), h("thead", {}, head), body);
    const n = view.selected.size;
    fill(toolbar.querySelector("#selected-count"), `${n} selected`);
    for (const b of toolbar.querySelectorAll("button")) b.disabled = n === 0;
    const pageNo = view.offsets.length;
    fill(count, `page ${pageNo}, ${view.jobs.length} job${view.jobs.length === 1 ? "" : "s"}${view.state ? ` ${view.state.replace(/_/g, " ")}` : ""}`);
    fill(pager,
      h("button", { type: "button", class: "secondary", id: "page-newer", disabled: pageNo === 1, onclick: () => { view.offsets.pop(); load(); } }, "← Newer"),
      h("button", { type: "button", class: "secondary", id: "page-older", disabled: view.next === null, onclick: () => { view.offsets.push(view.next); load(); } }, "Older →"));
    if (focusKey) {
      const again = main.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
      if (again) again.focus();
    }
  }

  function row(job) {
    const box = h("input", { type: "checkbox", "aria-label": `Select job ${job.id}`, dataset: { key: `sel-${job.id}` } });
    box.checked = view.selected.has(job.id);
    box.addEventListener("change", () => {
      box.checked ? view.selected.add(job.id) : view.selected.delete(job.id);
      draw();
    });
    const failed = job.tasks_failed ? h("span", { class: "failed-count" }, `${job.tasks_failed} failed`) : "0 failed";
    return h("tr", { dataset: { job: String(job.id) } },
      h("td", {}, box),
      h("td", { class: "num" }, String(job.id)),
      h("td", { class: "name" }, h("a", { href: `#/jobs/${job.id}`, dataset: { key: `open-${job.id}` } }, job.name)),
      h("td", {}, owner(job)),
      h("td", {}, stateBadge(job.state)),
      h("td", { class: "num" }, String(job.priority)),
      h("td", {}, progressBar(job.progress, `job ${job.id} progress`)),
      h("td", { class: "tasks" }, `${job.tasks_done} done · `, failed, ` · ${job.tasks_total} total`),
      h("td", { class: "when" }, when(job.created_at)),
      h("td", { class: "when" }, job.eta_seconds === null || job.eta_seconds === undefined ? "—" : duration(job.eta_seconds)),
      h("td", { class: "reason" }, job.waiting_reason || (job.state === "awaiting_approval" ? "test frames done: waiting for approval" : "")));
  }

  const refresh = coalesce(load, 1000);
  const unsubscribe = ctx.live.subscribe((kind) => {
    if (kind === "job" || kind === "task") refresh();
  });
  // Heartbeat progress of running tasks is not an event: while something renders, look again.
  const timer = setInterval(() => {
    if (view.jobs.some((j) => j.state === "rendering")) load();
  }, 3000);
  load();
  return () => {
    unsubscribe();
    refresh.cancel();
    searchSoon.cancel();
    clearInterval(timer);
  };
}
