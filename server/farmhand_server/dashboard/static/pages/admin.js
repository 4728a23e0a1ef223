// Administration: users and their tokens, enrolment tokens for new render nodes, hardware
// configs and the presets published to the panel (their sections: admin-hardware.js,
// admin-presets.js). A token is shown once, when issued.

import { api } from "../api.js";
import { confirmDialog, fill, h, when } from "../dom.js";
import { hardwareSection } from "./admin-hardware.js";
import { presetsSection } from "./admin-presets.js";

function enrolState(t) {
  if (t.revoked_at) return "⊘ revoked";
  if (t.uses_left <= 0) return "— used up";
  if (t.expires_at && t.expires_at < Date.now() / 1000) return "⧗ expired";
  return "✓ usable";
}

export function render(ctx, main) {
  const status = h("p", { class: "status", role: "status", id: "admin-status" });
  const issued = h("div", { id: "issued", "aria-live": "polite" });
  const users = h("table", { id: "users" });
  const enrolment = h("table", { id: "enrolment-tokens" });
  const hardware = hardwareSection((text) => fill(status, text));
  const presets = presetsSection((text) => fill(status, text));
  const tokens = h("div", { id: "user-tokens", "aria-live": "polite" });
  let tokensOf = null; // the user whose tokens are shown

  const newName = h("input", { id: "new-user", required: true, pattern: "[A-Za-z0-9_.@-]{1,120}", "aria-label": "New user's name", placeholder: "name" });
  const newRole = h("select", { id: "new-role", "aria-label": "Role" }, h("option", { value: "artist" }, "artist"), h("option", { value: "admin" }, "admin"));
  const userForm = h("form", { class: "inline", id: "user-form" }, newName, newRole, h("button", { type: "submit" }, "Add user"));
  userForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    await attempt(async () => {
      const made = await api("POST", "/users", { name: newName.value.trim(), role: newRole.value });
      ctx.users.set(made.id, made.name);
      newName.value = "";
      return `User ${made.name} added.`;
    });
  });

  const tokenId = h("input", { id: "revoke-token-id", type: "number", min: "1", "aria-label": "Token id", placeholder: "token id", class: "narrow" });
  const revokeForm = h("form", { class: "inline", id: "revoke-form" }, tokenId, h("button", { type: "submit", class: "danger" }, "Revoke token"));
  revokeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = Number(tokenId.value);
    if (!(await confirmDialog(`Revoke token ${id}?`, "Whoever uses it is signed out at once.", "Revoke", "Keep"))) return;
    await attempt(async () => {
      await api("DELETE", `/tokens/${id}`);
      tokenId.value = "";
      return `Token ${id} revoked.`;
    });
  });

  const uses = h("input", { id: "enrol-uses", type: "number", min: "1", max: "10000", value: "1", class: "narrow", "aria-label": "Uses" });
  const hours = h("input", { id: "enrol-hours", type: "number", min: "0", step: "any", value: "24", class: "narrow", "aria-label": "Valid for hours (0: no expiry)" });
  const enrolForm = h("form", { class: "inline", id: "enrol-form" }, h("label", { for: "enrol-uses" }, "Uses "), uses,
    h("label", { for: "enrol-hours" }, " valid for hours "), hours, h("button", { type: "submit" }, "Issue enrolment token"));
  enrolForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    await attempt(async () => {
      const body = { uses: Number(uses.value) };
      if (Number(hours.value) > 0) body.ttl_seconds = Number(hours.value) * 3600;
      const made = await api("POST", "/workers/enrolment-tokens", body);
      showToken(`Enrolment token ${made.id}`, made.token);
      return `Enrolment token ${made.id} issued.`;
    });
  });

  fill(main, h("h1", {}, "Admin"), status, issued,
    h("section", { "aria-labelledby": "users-h" }, h("h2", { id: "users-h" }, "Users and tokens"), userForm, users,
      tokens,
      h("p", { class: "help" }, "Tokens are listed by id and label (only their hashes are kept, never the tokens); revoke one from its row, or by its id:"), revokeForm),
    h("section", { "aria-labelledby": "enrol-h" }, h("h2", { id: "enrol-h" }, "Enrolment tokens"), enrolForm, enrolment),
    hardware.element, presets.element);

  function showToken(what, token) {
    const field = h("input", { readonly: true, value: token, class: "token", id: "issued-token", "aria-label": what });
    fill(issued, h("div", { class: "issued" }, h("p", {}, `${what} — shown once, copy it now:`), field,
      h("button", { type: "button", class: "secondary", onclick: () => fill(issued) }, "Done")));
    field.select();
  }

  async function loadTokens() {
    if (!tokensOf) return fill(tokens);
    const user = tokensOf;
    const { tokens: rows, next } = await api("GET", `/users/${user.id}/tokens?limit=200`);
    fill(tokens, h("h3", { id: "user-tokens-h" }, `Tokens of ${user.name}`),
      h("table", { id: "user-tokens-table", "aria-labelledby": "user-tokens-h" },
        h("thead", {}, h("tr", {}, ["ID", "Label", "Issued", "State", ""].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows.length ? rows.map((t) => h("tr", { dataset: { token: String(t.id) } },
          h("td", { class: "num" }, String(t.id)), h("td", {}, t.label || "—"), h("td", {}, when(t.created_at)),
          h("td", {}, t.revoked_at ? `⊘ revoked ${when(t.revoked_at)}` : "✓ active"),
          h("td", {}, t.revoked_at ? "" : h("button", { type: "button", class: "danger", "aria-label": `Revoke token ${t.id} of ${user.name}`, onclick: async () => {
            if (!(await confirmDialog(`Revoke token ${t.id} of ${user.name}?`, "Whoever uses it is signed out at once.", "Revoke", "Keep"))) return;
            await attempt(async () => {
              await api("DELETE", `/tokens/${t.id}`);
              return `Token ${t.id} revoked.`;
            });
          } }, "Revoke"))))
          : h("tr", {}, h("td", { colspan: "5", class: "empty" }, "No tokens.")))),
      next === null ? null : h("p", { class: "help" }, "The newest 200 are shown; revoke an older one by its id below."),
      h("button", { type: "button", class: "secondary", onclick: () => { tokensOf = null; fill(tokens); } }, "Hide tokens"));
  }

  async function attempt(fn) {
    try {
      fill(status, await fn());
    } catch (err) {
      fill(status, err.message);
    }
    load();
  }

  async function load() {
    try {
      const [u, e] = await Promise.all([api("GET", "/users"), api("GET", "/workers/enrolment-tokens"),
        hardware.load(), presets.load()]);
      fill(users,
        h("thead", {}, h("tr", {}, ["ID", "Name", "Role", "State", ""].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, u.users.map((user) => h("tr", { dataset: { user: String(user.id) } },
          h("td", { class: "num" }, String(user.id)), h("td", {}, user.name), h("td", {}, user.role),
          h("td", {}, user.disabled ? "⊘ disabled" : "✓ active"),
          h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => attempt(async () => {
            const made = await api("POST", `/users/${user.id}/tokens`, { label: "dashboard" });
            showToken(`Token ${made.id} for ${user.name}`, made.token);
            return `Token ${made.id} issued for ${user.name}.`;
          }) }, "New token"), " ",
          h("button", { type: "button", class: "secondary", dataset: { key: `tokens-${user.id}` }, onclick: () => { tokensOf = user; attempt(async () => `Tokens of ${user.name} shown below.`); } }, "Tokens"), " ",
          user.id === ctx.me.id ? null : h("button", { type: "button", class: user.disabled ? "secondary" : "danger", onclick: () => attempt(async () => {
            await api("POST", `/users/${user.id}/${user.disabled ? "enable" : "disable"}`);
            return `${user.name} ${user.disabled ? "enabled" : "disabled"}.`;
          }) }, user.disabled ? "Enable" : "Disable"))))));
      fill(enrolment,
        h("thead", {}, h("tr", {}, ["ID", "State", "Uses left", "Issued", "Expires", "Revoked", ""].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, e.enrolment_tokens.length ? e.enrolment_tokens.map((t) => h("tr", {},
          h("td", { class: "num" }, String(t.id)), h("td", {}, enrolState(t)), h("td", { class: "num" }, String(t.uses_left)), h("td", {}, when(t.created_at)),
          h("td", {}, t.expires_at ? when(t.expires_at) : "never"), h("td", {}, t.revoked_at ? when(t.revoked_at) : "—"),
          h("td", {}, enrolState(t) !== "✓ usable" ? "" : h("button", { type: "button", class: "danger", onclick: () => attempt(async () => {
            await api("DELETE", `/workers/enrolment-tokens/${t.id}`);
            return `Enrolment token ${t.id} revoked.`;
          }) }, "Revoke"))))
          : h("tr", {}, h("td", { colspan: "7", class: "empty" }, "None issued."))));
      await loadTokens();
    } catch (err) {
      fill(status, `Could not load: ${err.message}`);
    }
  }

  load();
  return null;
}
