// Admin: the presets published to the panel — listed, published (a JSON object of the
// preset's fields, checked by the server against the preset schema; its problems are listed
// beside the editor), edited and withdrawn.

import { api } from "../api.js";
import { confirmDialog, fill, h } from "../dom.js";

const NAME_PATTERN = "[A-Za-z0-9_.\\-]{1,80}";
const EXAMPLE = '{\n  "description": "Final quality, 4 tiles",\n  "priority": 60\n}';

/** The section: the list and the editor. `report(text)` writes the page's status line. */
export function presetsSection(report) {
  const table = h("table", { id: "presets" });
  const nameInput = h("input", { id: "preset-name", required: true, pattern: NAME_PATTERN, maxlength: "80", placeholder: "final_4k" });
  const text = h("textarea", { id: "preset-fields", rows: "10", spellcheck: "false", "aria-describedby": "preset-help preset-errors" });
  const problems = h("ul", { class: "problems", id: "preset-errors", role: "alert", "aria-label": "Problems with the preset" });
  const title = h("legend", { id: "preset-editor-h" }, "Publish a preset");
  const form = h("form", { id: "preset-form", class: "editor" },
    h("fieldset", {}, title,
      h("div", { class: "fields" }, h("label", { for: "preset-name" }, "Name"), nameInput),
      h("label", { for: "preset-fields", class: "block" }, "Fields (JSON: any job field, plus description)"),
      h("div", { class: "side" }, text, problems),
      h("p", { class: "help", id: "preset-help" }, "Checked by the server against the preset schema before it is stored; artists see it in the panel's preset menu."),
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "preset-save" }, "Publish preset"),
        h("button", { type: "button", class: "secondary", id: "preset-new", onclick: () => edit(null) }, "New preset"))));
  let editing = null; // the name of the preset being edited
  let known = new Set();
  text.value = EXAMPLE;

  function edit(preset) {
    editing = preset ? preset.name : null;
    fill(problems);
    fill(title, preset ? `Edit preset ${preset.name}` : "Publish a preset");
    nameInput.value = preset ? preset.name : "";
    nameInput.readOnly = Boolean(preset);
    text.value = preset ? JSON.stringify(preset.fields, null, 2) : EXAMPLE;
    (preset ? text : nameInput).focus();
  }

  function show(lines) {
    fill(problems, lines.map((line) => h("li", {}, line)));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    let fields;
    try {
      fields = JSON.parse(text.value);
    } catch (err) {
      return show([`Not JSON: ${err.message}`]);
    }
    if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
      return show(["The fields are one JSON object ({ … })."]);
    }
    if (editing !== name && known.has(name) && !(await confirmDialog(`Replace preset ${name}?`,
      "A preset with this name is published: publishing replaces it for every artist.", "Replace", "Keep"))) return;
    try {
      await api("PUT", `/presets/${encodeURIComponent(name)}`, fields);
      report(`Preset ${name} published.`);
      edit(null);
    } catch (err) {
      const listed = Array.isArray(err.details) ? err.details.map(String) : [];
      show(listed.length ? listed : [err.message]);
      report(`Preset ${name} not published: ${err.message}`);
    }
    load();
  });

  async function withdraw(preset) {
    if (!(await confirmDialog(`Withdraw preset ${preset.name}?`,
      "Artists no longer find it in the panel; jobs already submitted with it keep their settings.", "Withdraw", "Keep"))) return;
    try {
      await api("DELETE", `/presets/${encodeURIComponent(preset.name)}`);
      report(`Preset ${preset.name} withdrawn.`);
      if (editing === preset.name) edit(null);
    } catch (err) {
      report(`Preset ${preset.name} not withdrawn: ${err.message}`);
    }
    load();
  }

  async function load() {
    const { presets } = await api("GET", "/presets");
    known = new Set(presets.map((p) => p.name));
    fill(table,
      h("thead", {}, h("tr", {}, ["Name", "Description", "Fields", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, presets.length ? presets.map((p) => h("tr", { dataset: { preset: p.name } },
        h("td", {}, p.name),
        h("td", { class: "reason" }, String((p.fields || {}).description || "—")),
        h("td", {}, Object.keys(p.fields || {}).filter((k) => k !== "description").join(", ") || "—"),
        h("td", { class: "actions" },
          h("button", { type: "button", class: "secondary", "aria-label": `Edit preset ${p.name}`, onclick: () => edit(p) }, "Edit"), " ",
          h("button", { type: "button", class: "danger", "aria-label": `Withdraw preset ${p.name}`, onclick: () => withdraw(p) }, "Withdraw"))))
        : h("tr", {}, h("td", { colspan: "4", class: "empty" }, "None published: publish one below (or farmhand presets publish)."))));
  }

  const element = h("section", { "aria-labelledby": "presets-h" }, h("h2", { id: "presets-h" }, "Presets published to the panel"), table, form);
  return { element, load };
}
