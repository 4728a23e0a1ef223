// One job: its summary and actions, settings (per layer group), the frame grid one page of
// tasks at a time, a task's attempts and live log, the outputs with their previews, events.

import { ACTIONS, act, applies } from "../actions.js";
import { ApiError, api, blobUrl, query } from "../api.js";
import { coalesce, duration, fill, h, progressBar, stateBadge, stateMark, when } from "../dom.js";
import { frameCell, groupByFrame, isTiled, missingOfLastFrame } from "./frame-cells.js";

const TASK_PAGE = 500;
const OUTPUT_PAGE = 24;
const LOG_POLL_MS = 1000;
const LOG_MAX_CHARS = 2_000_000; // what the page keeps of a log (the start is dropped past it)
const GRID_STATES = ["queued", "running", "done", "failed", "cancelled", "paused"];
const TILED_STATES = [...GRID_STATES, "waiting"]; // an assembly waits for its frame's tiles
const FRAME_TASKS_MAX = 10000; // the API's page bound: what completing a page's last frame asks for
const PICK_MAX = 1000; // the API's bound on `task_ids` in one retry
const RETRYABLE = ["failed", "cancelled"];

export function render(ctx, main, params) {
  const jobId = Number(params[0]);
  const view = { job: null, cursors: [null], starts: [0], next: null, tasks: [], task: null, attemptId: null, outputCursors: [null], outputNext: null, selecting: false, picked: new Map() };
  const status = h("p", { class: "status", role: "status", id: "job-status" });
  const header = h("div", { class: "job-head", id: "job-head" });
  const summary = h("dl", { class: "summary", id: "job-summary" });
  const settings = h("section", { id: "job-settings", "aria-labelledby": "settings-h" });
  const grid = h("div", { class: "grid", id: "frame-grid", role: "list", "aria-label": "Tasks by frame" });
  const legendBox = h("div", { id: "grid-legend" });
  const gridPager = h("div", { class: "pager" });
  const gridTools = h("div", { class: "toolbar", role: "toolbar", id: "grid-tools", "aria-label": "Select frames to retry" });
  const detail = h("section", { id: "task-detail", class: "detail", "aria-labelledby": "detail-h" });
  const gallery = h("div", { class: "gallery", id: "outputs" });
  const outputsPager = h("div", { class: "pager" });
  const eventsList = h("table", { id: "job-events", class: "events" });
  let logTimer = null;
  let followed = null; // the attempt whose log is being read
  let stopped = false;

  fill(main, h("p", { class: "crumbs" }, h("a", { href: "#/jobs" }, "← Jobs")), header, status, summary,
    h("section", { "aria-labelledby": "grid-h" }, h("h2", { id: "grid-h" }, "Frames"), legendBox, gridTools, grid, gridPager),
    detail,
    h("section", { "aria-labelledby": "outputs-h" }, h("h2", { id: "outputs-h" }, "Outputs"), gallery, outputsPager),
    settings,
    h("section", { "aria-labelledby": "events-h" }, h("h2", { id: "events-h" }, "Events"), eventsList));

  function legend(tiled) {
    const states = tiled ? TILED_STATES : GRID_STATES;
    return h("p", { class: "legend" },
      tiled ? "Each cell is a frame: its state, tiles done / tiles, a mark per tile (by its number) and ⊞ its assembly:"
        : "Each tile is a task: its frame(s) and a mark —",
      states.map((s) => h("span", { class: `tile-key state-${s}` }, `${stateMark(s)} ${s}`)));
  }

  async function loadJob() {
    try {
      view.job = await api("GET", `/jobs/${jobId}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        stop();
        fill(main, h("h1", {}, "Job not found"),
          h("p", { id: "not-found" }, `There is no job ${jobId} that you can see.`),
          h("p", {}, h("a", { href: "#/jobs" }, "Back to the jobs")));
        return false;
      }
      fill(status, `Could not load the job: ${err.message}`);
      return false;
    }
    drawHeader();
    return true;
  }

  function drawHeader() {
    const job = view.job;
    document.title = `${job.name} — Farmhand`;
    const buttons = Object.entries(ACTIONS).map(([name, spec]) =>
      h("button", { type: "button", id: `job-${name}`, class: name === "cancel" ? "danger" : "", disabled: !applies(name, job), onclick: () => run(name) }, spec.label));
    const priority = h("input", { id: "job-priority-value", type: "number", min: "0", max: "100", value: String(job.priority), class: "narrow", "aria-label": "Priority" });
    fill(header,
      h("h1", { id: "job-name" }, job.name),
      h("div", { class: "head-line" }, stateBadge(job.state), progressBar(job.progress, "job progress"),
        h("span", { id: "job-counts" }, `${job.tasks_done} of ${job.tasks_total} tasks done, ${job.tasks_failed} failed`)),
      h("div", { class: "toolbar", role: "toolbar", "aria-label": "Job actions" }, buttons, priority,
        h("button", { type: "button", id: "job-set-priority", disabled: !applies("priority", job), onclick: () => run("priority", Number(priority.value)) }, "Set priority")));
    const usage = job.usage || {};
    const rows = [
      ["Job", `#${job.id}`],
      ["Owner", ctx.users.get(job.user_id) || `user ${job.user_id}`],
      ["Priority", String(job.priority)],
      ["Submitted", when(job.created_at)],
      ["Started", when(job.started_at)],
      ["Finished", when(job.finished_at)],
      ["Time left", job.eta_seconds === null || job.eta_seconds === undefined ? "—" : duration(job.eta_seconds)],
      ["Why it waits", job.waiting_reason || (job.state === "awaiting_approval" ? "test frames done: waiting for approval" : "—")],
      ["Last change", job.state_reason || "—"],
      ["Core-hours", usage.core_hours !== undefined ? Number(usage.core_hours).toFixed(3) : "—"],
    ];
    fill(summary, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    drawSettings(job.spec || {});
  }

  function drawSettings(spec) {
    const plain = (value) => (value === null || value === undefined ? "—" : typeof value === "object" ? JSON.stringify(value) : String(value));
    const skip = new Set(["manifest", "layers", "scene", "name"]);
    const top = Object.entries(spec).filter(([k]) => !skip.has(k));
    const parts = [h("h2", { id: "settings-h" }, "Settings"),
      h("dl", { class: "settings" },
        h("dt", {}, "scene"), h("dd", {}, plain(spec.scene && spec.scene.path)),
        h("dt", {}, "files"), h("dd", {}, `${(spec.manifest || []).length} in the manifest`),
        top.map(([k, v]) => [h("dt", {}, k), h("dd", {}, plain(v))]))];
    if (spec.spec_version === 2 && Array.isArray(spec.layers)) {
      parts.push(h("h3", {}, "Per layer"));
      const keys = ["display_name", "renderer", "frames", "width", "height", "cameras", "output_prefix", "animation"];
      parts.push(h("table", { class: "layers", id: "job-layers" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "layer"), keys.map((k) => h("th", { scope: "col" }, k)))),
        h("tbody", {}, spec.layers.map((layer) => h("tr", {}, h("th", { scope: "row" }, plain(layer.name)),
          keys.map((k) => h("td", {}, plain(layer[k]))))))));
    } else if (Array.isArray(spec.layers)) {
      parts[1].append(h("dt", {}, "layers"), h("dd", {}, spec.layers.join(", ")));
    }
    fill(settings, parts);
  }

  async function run(name, extra) {
    if (name === "priority" && !(Number.isInteger(extra) && extra >= 0 && extra <= 100)) {
      fill(status, "Priority is a whole number from 0 to 100.");
      return;
    }
    const said = await act(name, [jobId], extra);
    if (said !== null) fill(status, said);
    refreshAll();
  }

  async function loadTasks() {
    const after = view.cursors[view.cursors.length - 1];
    const answer = await api("GET", `/jobs/${jobId}/tasks${query({ limit: TASK_PAGE, after })}`);
    let { tasks, next } = answer;
    // A tiled frame cut by the page's end: the rest of its tiles and its assembly are read
    // too, so every page holds whole frames (and the next page starts with a new one).
    for (let round = 0; next !== null && round < 4; round++) {
      const missing = Math.min(missingOfLastFrame(tasks), FRAME_TASKS_MAX);
      if (!missing) break;
      const more = await api("GET", `/jobs/${jobId}/tasks${query({ limit: missing, after: next })}`);
      tasks = tasks.concat(more.tasks);
      next = more.next;
      if (!more.tasks.length) break;
    }
    view.tasks = tasks;
    view.next = next;
    drawGrid();
    if (view.task) {
      const again = view.tasks.find((t) => t.id === view.task.id);
      if (again) {
        view.task = again;
        drawDetail(false);
      }
    }
    main.dataset.drawnMs = String(Math.round(performance.now() - loadStarted));
    main.dataset.loaded = String(Date.now());
  }

  function taskLabel(task) {
    const frames = task.frames || [];
    let text = frames.length > 1 ? `${frames[0]}–${frames[frames.length - 1]}` : frames.length ? String(frames[0]) : `#${task.seq}`;
    if (task.kind === "tile" && task.tile) text += ` t${task.tile.index ?? ""}`;
    if (task.kind === "assemble") text += " ⊞";
    return text;
  }

  function pick(task, on) {
    if (on && view.picked.size >= PICK_MAX && !view.picked.has(task.id)) {
      fill(status, `At most ${PICK_MAX} tasks can be retried at once.`);
      return;
    }
    if (on) view.picked.set(task.id, taskLabel(task));
    else view.picked.delete(task.id);
  }

  function drawGridTools() {
    const n = view.picked.size;
    fill(gridTools,
      h("button", { type: "button", class: "secondary", id: "grid-select", "aria-pressed": String(view.selecting),
        onclick: () => { view.selecting = !view.selecting; drawGrid(); } }, view.selecting ? "Done selecting" : "Select frames"),
      view.selecting ? [
        h("button", { type: "button", class: "secondary", id: "grid-select-failed", onclick: () => {
          for (const t of view.tasks) if (RETRYABLE.includes(t.state)) pick(t, true);
          drawGrid();
        } }, "Select failed and cancelled on this page"),
        h("button", { type: "button", class: "secondary", id: "grid-clear", disabled: n === 0, onclick: () => { view.picked.clear(); drawGrid(); } }, "Clear"),
      ] : null,
      h("span", { id: "grid-picked", "aria-live": "polite" }, n ? `${n} selected` : ""),
      h("button", { type: "button", id: "grid-retry", disabled: n === 0, onclick: retryPicked }, `Retry selected${n ? ` (${n})` : ""}`));
  }

  async function retryPicked() {
    const ids = [...view.picked.keys()].slice(0, PICK_MAX);
    try {
      const answer = await api("POST", `/jobs/${jobId}/retry`, { task_ids: ids });
      const skipped = ids.length - answer.affected;
      fill(status, `${answer.affected} of ${ids.length} selected task${ids.length === 1 ? "" : "s"} queued again` +
        (skipped ? ` (${skipped} not failed or cancelled, left alone)` : "") + ".");
      view.picked.clear();
      view.selecting = false;
    } catch (err) {
      fill(status, `Retry refused: ${err.message}`);
    }
    refreshAll();
  }

  function taskButton(task, text, name, asCell) {
    const running = task.attempts.find((a) => a.state === "running");
    const pct = running && running.progress !== null ? ` ${Math.round(running.progress * 100)}%` : "";
    const picked = view.picked.has(task.id);
    const label = `${name}: ${task.state}${pct}${task.is_test ? ", test frame" : ""}${picked ? ", selected" : ""}`;
    const base = asCell ? "tile" : `tile-mark${task.kind === "assemble" ? " assemble" : ""}`;
    return h("button", {
      type: "button", role: asCell ? "listitem" : null,
      class: `${base} state-${task.state}${view.task && view.task.id === task.id ? " chosen" : ""}${task.is_test ? " test" : ""}${picked ? " picked" : ""}`,
      "aria-label": label, title: label, dataset: { key: `task-${task.id}`, task: String(task.id) },
      onclick: () => {
        if (view.selecting) {
          pick(task, !view.picked.has(task.id));
          drawGrid();
          return;
        }
        view.task = task; view.attemptId = null; drawGrid(); drawDetail(true);
      },
    }, h("span", { class: "mark", "aria-hidden": "true" }, picked ? `☑ ${stateMark(task.state)}` : stateMark(task.state)), h("span", { class: "frame" }, text),
    pct ? h("span", { class: "tile-pct", "aria-hidden": "true" }, pct.trim()) : null);
  }

  function frameName(group) {
    const layers = view.job && view.job.spec && view.job.spec.spec_version === 2 ? view.job.spec.layers || [] : [];
    const layer = group.layer !== null && group.layer !== undefined ? layers[group.layer] : null;
    const layerName = layer ? layer.display_name || layer.name : null;
    return `Frame ${group.frame}${layerName ? ` of ${layerName}` : ""}`;
  }

  function drawGrid() {
    const focusKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    const tiled = view.tasks.some(isTiled);
    drawGridTools();
    fill(legendBox, legend(tiled));
    grid.classList.toggle("tiled", tiled);
    fill(grid, groupByFrame(view.tasks).map((entry) => entry.task
      ? taskButton(entry.task, taskLabel(entry.task), `${entry.task.kind === "chunk" ? "Frame" : entry.task.kind} ${taskLabel(entry.task)}`, true)
      : frameCell(entry, frameName(entry), (task, text, name) => taskButton(task, text, name, false))));
    if (!view.tasks.length) grid.append(h("p", {}, "No tasks."));
    const page = view.cursors.length;
    const first = view.starts[page - 1] + 1;
    fill(gridPager,
      h("button", { type: "button", class: "secondary", id: "tasks-prev", disabled: page === 1, onclick: () => { view.cursors.pop(); view.starts.pop(); loadTasks(); } }, "← Previous tasks"),
      h("span", { id: "tasks-shown" }, ` tasks ${first}–${first + view.tasks.length - 1} of ${view.job ? view.job.tasks_total : "?"} `),
      h("button", { type: "button", class: "secondary", id: "tasks-next", disabled: view.next === null, onclick: () => { view.cursors.push(view.next); view.starts.push(first - 1 + view.tasks.length); loadTasks(); } }, "Next tasks →"));
    if (focusKey && focusKey.startsWith("task-")) {
      const again = grid.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
      if (again) again.focus();
    }
  }

  function drawDetail(fresh) {
    const task = view.task;
    if (!task) return fill(detail);
    const attempts = task.attempts;
    if (view.attemptId === null && attempts.length) view.attemptId = attempts[attempts.length - 1].id;
    if (view.attemptId !== followed) fresh = true;
    const logBox = fresh || !detail.querySelector("#task-log") ? h("pre", { id: "task-log", class: "log", tabindex: "0", "aria-label": "Log" }) : detail.querySelector("#task-log");
    const logNote = fresh || !detail.querySelector("#log-note") ? h("p", { id: "log-note", class: "help" }) : detail.querySelector("#log-note");
    fill(detail,
      h("h2", { id: "detail-h" }, `${task.kind === "chunk" ? ((task.frames || []).length > 1 ? "Frames" : "Frame") : task.kind === "tile" ? "Tile of frame" : "Assembly of frame"} ${taskLabel(task)}${task.is_test ? " (test frame)" : ""}`),
      h("p", {}, stateBadge(task.state), ` · failures: ${task.failures}`, task.message ? ` · ${task.message}` : ""),
      h("div", { class: "toolbar" },
        h("button", { type: "button", id: "task-retry", disabled: !["failed", "cancelled"].includes(task.state), onclick: retryTask }, "Retry this task"),
        h("button", { type: "button", class: "secondary", onclick: () => { view.task = null; drawGrid(); fill(detail); } }, "Close")),
      h("table", { class: "attempts", id: "attempts" },
        h("thead", {}, h("tr", {}, ["Attempt", "Worker", "State", "Started", "Ended", "Took", "Exit code", "Peak memory", "Message", "Log"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, attempts.length ? attempts.map((a) => h("tr", { class: a.id === view.attemptId ? "chosen" : "" },
          h("td", { class: "num" }, String(a.id)), h("td", {}, a.worker || `worker ${a.worker_id}`), h("td", {}, stateBadge(a.state)),
          h("td", {}, when(a.started_at)), h("td", {}, when(a.ended_at)),
          h("td", {}, a.ended_at ? duration(a.ended_at - a.started_at) : a.state === "running" ? `${duration(Date.now() / 1000 - a.started_at)} so far` : "—"),
          h("td", { class: "num" }, a.exit_code === null ? "—" : String(a.exit_code)),
          h("td", { class: "num" }, a.peak_memory_mb === null ? "—" : `${Math.round(a.peak_memory_mb)} MB`),
          h("td", { class: "message" }, a.message || ""),
          h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => { view.attemptId = a.id; drawDetail(true); } }, "Show log"))))
          : h("tr", {}, h("td", { colspan: "10", class: "empty" }, "Not tried yet.")))),
      h("h3", {}, view.attemptId ? `Log of attempt ${view.attemptId}` : "Log"), logNote, logBox);
    if (fresh) followLog(logBox, logNote);
  }

  async function retryTask() {
    try {
      const answer = await api("POST", `/jobs/${jobId}/retry`, { task_id: view.task.id });
      fill(status, `Task queued again (${answer.affected ?? 1}).`);
    } catch (err) {
      fill(status, `Retry refused: ${err.message}`);
    }
    refreshAll();
  }

  function followLog(box, note) {
    clearTimeout(logTimer);
    const attemptId = view.attemptId;
    followed = attemptId;
    if (!attemptId) return fill(note, "No attempt yet: the log appears when a worker starts it.");
    let offset = 0;
    let endedReads = 0;
    const decoder = new TextDecoder();
    const poll = async () => {
      if (stopped || view.attemptId !== attemptId) return;
      let state = "";
      try {
        const response = await api("GET", `/attempts/${attemptId}/log${query({ offset })}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        state = response.headers.get("X-Attempt-State") || "";
        offset += bytes.length;
        const text = decoder.decode(bytes, { stream: true });
        if (text) {
          const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
          box.append(document.createTextNode(text));
          if (box.textContent.length > LOG_MAX_CHARS) box.textContent = box.textContent.slice(-LOG_MAX_CHARS);
          if (atEnd) box.scrollTop = box.scrollHeight;
        }
        fill(note, state === "running" ? `Live: ${offset.toLocaleString()} bytes so far, updating every second.` : `The whole log: ${offset.toLocaleString()} bytes (attempt ${state}).`);
        box.dataset.state = state;
      } catch (err) {
        fill(note, `Could not read the log: ${err.message}`);
      }
      // A running attempt is followed; once it ends the log is read once more and kept.
      if (state === "running") logTimer = setTimeout(poll, LOG_POLL_MS);
      else if (endedReads++ < 1) logTimer = setTimeout(poll, LOG_POLL_MS);
    };
    poll();
  }

  async function loadOutputs() {
    const after = view.outputCursors[view.outputCursors.length - 1];
    let answer;
    try {
      answer = await api("GET", `/jobs/${jobId}/outputs${query({ limit: OUTPUT_PAGE, after })}`);
    } catch (err) {
      fill(gallery, `Could not list the outputs: ${err.message}`);
      return;
    }
    view.outputNext = answer.next;
    const shown = new Set([...gallery.querySelectorAll("figure")].map((f) => f.dataset.output));
    const wanted = answer.outputs.map((o) => String(o.id));
    if (wanted.join() !== [...shown].join()) {
      fill(gallery, answer.outputs.map(figure));
      if (!answer.outputs.length) gallery.append(h("p", {}, "Nothing rendered yet."));
    }
    const page = view.outputCursors.length;
    fill(outputsPager,
      h("button", { type: "button", class: "secondary", disabled: page === 1, onclick: () => { view.outputCursors.pop(); loadOutputs(); } }, "← Previous outputs"),
      h("button", { type: "button", class: "secondary", id: "outputs-next", disabled: answer.next === null, onclick: () => { view.outputCursors.push(answer.next); loadOutputs(); } }, "Next outputs →"));
  }

  function figure(output) {
    const label = `${output.frame !== null ? `frame ${output.frame}: ` : ""}${output.name}`;
    const fig = h("figure", { dataset: { output: String(output.id) } });
    const download = h("button", { type: "button", class: "secondary", onclick: () => save(output) }, "Download");
    if (output.preview) {
      const img = h("img", { alt: label, class: "thumb", width: "160", loading: "lazy" });
      const open = h("button", { type: "button", class: "thumb-button", "aria-label": `Larger view of ${label}`, onclick: () => enlarge(output, label) }, img);
      blobUrl(output.preview.key).then((url) => { img.src = url; }).catch(() => { img.alt = `${label} (preview not readable)`; });
      fig.append(open);
    } else {
      fig.append(h("div", { class: "no-thumb" }, "no preview"));
    }
    fig.append(h("figcaption", {}, label, " ", download));
    return fig;
  }

  async function enlarge(output, label) {
    const isImage = /\.(png|jpe?g)$/i.test(output.name);
    const key = isImage ? output.blob.key : output.preview.key;
    const img = h("img", { alt: label, class: "large" });
    const dialog = h("dialog", { class: "viewer", "aria-label": label },
      h("p", {}, label), img, h("div", { class: "buttons" }, h("button", { type: "button", onclick: () => dialog.close() }, "Close")));
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    img.src = await blobUrl(key);
  }

  async function save(output) {
    try {
      const url = await blobUrl(output.blob.key);
      const a = h("a", { href: url, download: output.name.split("/").pop() });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      fill(status, `Could not download ${output.name}: ${err.message}`);
    }
  }

  async function loadEvents() {
    try {
      const { events } = await api("GET", `/jobs/${jobId}/events`);
      fill(eventsList,
        h("thead", {}, h("tr", {}, ["When", "From", "To", "Why"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, events.slice(-200).reverse().map((e) => h("tr", {},
          h("td", {}, when(e.at)), h("td", {}, e.from ? stateBadge(e.from) : "—"), h("td", {}, stateBadge(e.to)), h("td", {}, e.reason || "")))));
    } catch (err) {
      fill(eventsList, h("tbody", {}, h("tr", {}, h("td", {}, `Could not load the events: ${err.message}`))));
    }
  }

  let loadStarted = performance.now();
  async function refreshAll() {
    loadStarted = performance.now();
    if (!(await loadJob())) return;
    await loadTasks();
    loadOutputs();
    loadEvents();
  }

  const refresh = coalesce(refreshAll, 500);
  const unsubscribe = ctx.live.subscribe((kind, data) => {
    if (data && data.job_id === jobId) refresh();
  });
  const timer = setInterval(() => {
    if (view.job && view.job.state === "rendering") refreshAll();
  }, 3000);

  function stop() {
    stopped = true;
    unsubscribe();
    refresh.cancel();
    clearInterval(timer);
    clearTimeout(logTimer);
    document.title = "Farmhand";
  }

  refreshAll();
  return stop;
}
