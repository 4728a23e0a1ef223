// Admin: the hardware configs (Renderbus's 418/419 table) — listed, created, edited and
// deleted. A config a job asks for or a worker is registered with is refused by the server
// (409, naming them); the refusal is shown beside the editor.

import { api } from "../api.js";
import { confirmDialog, fill, h } from "../dom.js";

const ID_PATTERN = "[A-Za-z0-9_.\\-]{1,40}";
// The fields `PUT /hardware-configs/{id}` takes: [key, label, input type, step].
const FIELDS = [
  ["name", "Name", "text", null],
  ["cpu_cores", "CPU cores", "number", "1"],
  ["ram_gb", "RAM (GB)", "number", "any"],
  ["gpu_count", "GPUs", "number", "1"],
  ["gpu_model", "GPU model", "text", null],
  ["price_per_hour", "Price per hour", "number", "any"],
];

/** The section: its table and editor. `report(text)` writes the page's status line. */
export function hardwareSection(report) {
  const table = h("table", { id: "hardware" });
  const error = h("p", { class: "error", id: "hw-error", role: "alert" });
  const idInput = h("input", { id: "hw-id", required: true, pattern: ID_PATTERN, maxlength: "40", class: "narrow", placeholder: "418" });
  const inputs = Object.fromEntries(FIELDS.map(([key, , type, step]) => [key, h("input", {
    id: `hw-${key.replace(/_/g, "-")}`, type, step, min: type === "number" ? "0" : null,
    required: key === "name", maxlength: type === "text" ? "200" : null,
    class: type === "number" ? "narrow" : null,
  })]));
  const title = h("legend", { id: "hw-editor-h" }, "New hardware config");
  const save = h("button", { type: "submit", id: "hw-save" }, "Save hardware config");
  const form = h("form", { id: "hw-form", class: "editor", "aria-describedby": "hw-error" },
    h("fieldset", {}, title,
      h("div", { class: "fields" },
        h("label", { for: "hw-id" }, "ID"), idInput,
        FIELDS.map(([key, label]) => [h("label", { for: inputs[key].id }, label), inputs[key]])),
      h("div", { class: "buttons" }, save,
        h("button", { type: "button", class: "secondary", id: "hw-new", onclick: () => edit(null) }, "New config")),
      error));
  let editing = null; // the id of the config being edited, null for a new one
  let known = new Map();

  function edit(config) {
    editing = config ? config.id : null;
    fill(error);
    fill(title, config ? `Edit hardware config ${config.id}` : "New hardware config");
    idInput.value = config ? config.id : "";
    idInput.readOnly = Boolean(config);
    for (const [key] of FIELDS) inputs[key].value = config ? String(config[key] ?? "") : "";
    (config ? inputs.name : idInput).focus();
  }

  function body() {
    const out = {};
    for (const [key, , type] of FIELDS) {
      const raw = inputs[key].value.trim();
      if (type === "text") out[key] = raw;
      else if (raw !== "") out[key] = Number(raw);
    }
    return out;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = idInput.value.trim();
    if (!editing && known.has(id) && !(await confirmDialog(`Replace hardware config ${id}?`,
      "A config with this ID exists: saving overwrites its fields.", "Replace", "Keep"))) return;
    try {
      await api("PUT", `/hardware-configs/${encodeURIComponent(id)}`, body());
      report(`Hardware config ${id} saved.`);
      edit(null);
    } catch (err) {
      fill(error, `Not saved: ${err.message}`);
    }
    load();
  });

  async function remove(config) {
    if (!(await confirmDialog(`Delete hardware config ${config.id}?`,
      `“${config.name}” is removed from the table; jobs can no longer ask for it.`, "Delete", "Keep"))) return;
    try {
      await api("DELETE", `/hardware-configs/${encodeURIComponent(config.id)}`);
      report(`Hardware config ${config.id} deleted.`);
      if (editing === config.id) edit(null);
      fill(error);
    } catch (err) {
      fill(error, `Not deleted: ${err.message}`);
    }
    load();
  }

  async function load() {
    const { hardware_configs: configs } = await api("GET", "/hardware-configs");
    known = new Map(configs.map((c) => [c.id, c]));
    const head = ["ID", ...FIELDS.map(([, label]) => label), ""];
    fill(table,
      h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, configs.length ? configs.map((c) => h("tr", { dataset: { config: c.id } },
        h("td", {}, c.id),
        FIELDS.map(([key, , type]) => h("td", { class: type === "number" ? "num" : null }, String(c[key] ?? "—"))),
        h("td", { class: "actions" },
          h("button", { type: "button", class: "secondary", "aria-label": `Edit hardware config ${c.id}`, onclick: () => edit(c) }, "Edit"), " ",
          h("button", { type: "button", class: "danger", "aria-label": `Delete hardware config ${c.id}`, onclick: () => remove(c) }, "Delete"))))
        : h("tr", {}, h("td", { colspan: String(head.length), class: "empty" }, "None yet: add one below."))));
  }

  const element = h("section", { "aria-labelledby": "hw-h" }, h("h2", { id: "hw-h" }, "Hardware configs"), table, form);
  return { element, load };
}
