// Building the page: every piece of text goes in as a text node, never as HTML.

/** An element with attributes, listeners (`onclick`) and children (nodes or text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "checked" || key === "value" || key === "indeterminate") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children (nodes, text, nested arrays; null and false are skipped). */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const STATE_MARKS = {
  queued: "○", waiting: "◷", submitting: "◌", preparing: "◌", rendering: "▶", running: "▶",
  awaiting_approval: "?", paused: "‖", completed: "✓", done: "✓", failed: "✕",
  cancelled: "⊘", killed: "⊘", timeout: "⧗", lost: "!", idle: "○", busy: "▶",
  offline: "—", revoked: "⊘", disabled: "⊘", draining: "↓", drained: "⇣",
};

/** A state as a mark and a word (never as colour alone), styled by its class. */
export function stateBadge(state) {
  const word = String(state || "unknown");
  return h("span", { class: `state state-${word.replace(/[^a-z_]/g, "")}` },
    h("span", { class: "mark", "aria-hidden": "true" }, STATE_MARKS[word] || "·"),
    " ", word.replace(/_/g, " "));
}

/** The mark of a state alone (for frame tiles, with the word in their label). */
export function stateMark(state) {
  return STATE_MARKS[state] || "·";
}

/** A time as local date and time, or an em dash. */
export function when(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const d = new Date(seconds * 1000);
  return d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** A duration in seconds as "1 h 02 min", "3 min 05 s", "12 s". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${s} s`;
}

/** "12 s ago" for an epoch time. */
export function ago(seconds) {
  if (!seconds) return "never";
  return `${duration(Date.now() / 1000 - seconds)} ago`;
}

/** A progress bar with its percentage written beside it. */
export function progressBar(percent, label) {
  const value = Math.max(0, Math.min(100, Number(percent) || 0));
  return h("span", { class: "progress" },
    h("progress", { max: "100", value: String(value), "aria-label": label || "progress" }),
    h("span", { class: "pct" }, `${value.toFixed(value < 10 && value > 0 ? 1 : 0)}%`));
}

/** A modal confirmation (a <dialog>); resolves true when confirmed. */
export function confirmDialog(title, text, yes = "Confirm", no = "Keep") {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      h("p", {}, text),
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close("no") }, no),
        h("button", { type: "button", class: "danger", onclick: () => dialog.close("yes") }, yes)));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Coalesce calls: `fn` runs once, `ms` after the first call of a burst (live refreshes).
 * Unlike a debounce, a steady stream of events cannot postpone it for ever. */
export function coalesce(fn, ms) {
  let timer = null;
  const call = () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
  call.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return call;
}
