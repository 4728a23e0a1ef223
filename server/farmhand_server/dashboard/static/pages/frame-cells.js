// The frame grid of a tiled job: a frame's tile tasks and its assembly task are gathered
// into one cell (its tiles laid out as they cut the image when that is small enough, else
// a compact row), and a page of tasks is made to end with whole frames.

import { h, stateMark } from "../dom.js";

const LAYOUT_MAX_TILES = 64; // beyond, or wider than LAYOUT_MAX_COLUMNS, tiles go in a row
const LAYOUT_MAX_COLUMNS = 8;

/** The frame (of one layer group) a tile or assembly task belongs to. */
export function frameKey(task) {
  return `${task.layer ?? ""}:${(task.frames || [])[0]}`;
}

/** Whether a task is part of a tiled frame. */
export function isTiled(task) {
  return task.kind === "tile" || task.kind === "assemble";
}

/** How many tasks of the page's last frame are beyond it (its other tiles and its assembly,
 * which comes after them in dispatch order); 0 when the page ends with a whole frame. */
export function missingOfLastFrame(tasks) {
  const last = tasks[tasks.length - 1];
  if (!last || last.kind !== "tile") return 0;
  const key = frameKey(last);
  const seen = tasks.filter((t) => t.kind === "tile" && frameKey(t) === key).length;
  const count = Number((last.tile && last.tile.count) || seen);
  return Math.max(0, count - seen) + 1;
}

/** The page's tasks in order, a frame's tiles and assembly gathered into one group
 * `{key, frame, layer, tiles, assemble, isTest}`; other tasks as `{task}`. */
export function groupByFrame(tasks) {
  const out = [];
  const frames = new Map();
  for (const task of tasks) {
    if (!isTiled(task)) {
      out.push({ task });
      continue;
    }
    const key = frameKey(task);
    let group = frames.get(key);
    if (!group) {
      group = { key, frame: (task.frames || [])[0], layer: task.layer, tiles: [], assemble: null, isTest: false };
      frames.set(key, group);
      out.push(group);
    }
    if (task.kind === "tile") group.tiles.push(task);
    else group.assemble = task;
    group.isTest = group.isTest || Boolean(task.is_test);
  }
  for (const group of frames.values()) group.tiles.sort((a, b) => tileIndex(a) - tileIndex(b));
  return out;
}

function tileIndex(task) {
  return Number(task.tile && task.tile.index) || 0;
}

/** One state for a whole frame: failed if any part failed, done once assembled, else the
 * furthest along of its parts. */
export function frameState(group) {
  const parts = [...group.tiles, group.assemble].filter(Boolean);
  const states = parts.map((t) => t.state);
  if (states.includes("failed")) return "failed";
  if (group.assemble && group.assemble.state === "done") return "done";
  if (states.includes("running")) return "running";
  if (states.length && states.every((s) => s === "cancelled")) return "cancelled";
  if (states.includes("paused")) return "paused";
  return "queued";
}

/** Columns of a tile layout (distinct left edges), or 0 for a compact row. */
function columns(tiles) {
  if (tiles.length > LAYOUT_MAX_TILES || tiles.some((t) => !t.tile || t.tile.x === undefined)) return 0;
  const n = new Set(tiles.map((t) => t.tile.x)).size;
  return n <= LAYOUT_MAX_COLUMNS ? n : 0;
}

/**
 * A frame's cell: a head (frame, state mark and word, tiles done) and one button per tile
 * and for the assembly, made by `button(task, text, label)` (the grid's click, selection
 * and focus rules). `name` is the frame's name in labels ("Frame 12", "Frame 12 of beauty").
 */
export function frameCell(group, name, button) {
  const state = frameState(group);
  const count = Number((group.tiles[0] && group.tiles[0].tile && group.tiles[0].tile.count) || group.tiles.length);
  const done = group.tiles.filter((t) => t.state === "done").length;
  const assembly = group.assemble ? group.assemble.state : "not on this page";
  const summary = `${name}: ${state}, ${done} of ${count} tiles done, assembly ${assembly}${group.isTest ? ", test frame" : ""}`;
  const cols = columns(group.tiles);
  const tiles = h("div", { class: cols ? "cell-tiles laid-out" : "cell-tiles", role: "group", "aria-label": `Tiles of ${name}` },
    group.tiles.map((task) => {
      const index = task.tile && task.tile.index !== undefined ? task.tile.index : "?";
      return button(task, String(index), `${name}, tile ${index} of ${count}`);
    }));
  if (cols) tiles.style.setProperty("grid-template-columns", `repeat(${cols}, 1fr)`); // CSSOM: allowed by the CSP
  return h("div", {
    role: "listitem", class: `frame-cell state-${state}${group.isTest ? " test" : ""}`,
    "aria-label": summary, title: summary, dataset: { frame: String(group.frame), frameKey: group.key },
  },
  h("div", { class: "cell-head" },
    h("span", { class: "mark", "aria-hidden": "true" }, stateMark(state)),
    h("span", { class: "frame" }, name.replace(/^Frame /, "")),
    h("span", { class: "cell-state" }, state),
    h("span", { class: "cell-count" }, `${done}/${count}`)),
  tiles,
  group.assemble ? button(group.assemble, "⊞ assemble", `${name}, assembly`) : null);
}
