// The dashboard's shell: sign in and out, the navigation, and the page for the URL's hash
// (#/jobs, #/jobs/12, #/workers, #/farm, #/admin).

import { api, signIn, signOut, token, whenUnauthorized } from "./api.js";
import { fill, h } from "./dom.js";
import { Live } from "./live.js";
import * as adminPage from "./pages/admin.js";
import * as farmPage from "./pages/farm.js";
import * as jobPage from "./pages/job.js";
import * as jobsPage from "./pages/jobs.js";
import * as workersPage from "./pages/workers.js";

const top = document.getElementById("top");
const main = document.getElementById("main");
let ctx = null;
let cleanup = null;

const ROUTES = [
  { pattern: /^#?\/?(jobs)?\/?$/, page: jobsPage, nav: "jobs" },
  { pattern: /^#\/jobs\/(\d{1,10})$/, page: jobPage, nav: "jobs" },
  { pattern: /^#\/workers$/, page: workersPage, nav: "workers", admin: true },
  { pattern: /^#\/farm$/, page: farmPage, nav: "farm" },
  { pattern: /^#\/admin$/, page: adminPage, nav: "admin", admin: true },
];

function leave() {
  if (cleanup) cleanup();
  cleanup = null;
}

function stopSession() {
  leave();
  if (ctx) ctx.live.stop();
  ctx = null;
}

/** Back to the sign-in form (the server refused the token, or the user signed out). */
function showSignIn(message) {
  stopSession();
  signOut();
  fill(top, h("span", { class: "brand" }, "Farmhand"));
  const input = h("input", {
    id: "token", name: "token", type: "password", autocomplete: "off", required: true,
    spellcheck: "false", "aria-describedby": "token-help",
  });
  const error = h("p", { class: "error", role: "alert", id: "signin-error" }, message || "");
  const form = h("form", { class: "signin", id: "signin" },
    h("h1", {}, "Sign in"),
    h("label", { for: "token" }, "API token"),
    input,
    h("p", { id: "token-help", class: "help" },
      "Your user token, fhu_… (from your admin, or farmhand admin create-user). It is kept in ",
      "this tab only and sent as a bearer header; closing the tab forgets it."),
    error,
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value.startsWith("fhu_")) {
      fill(error, "That is not a user token (user tokens start with fhu_).");
      return;
    }
    signIn(value);
    try {
      await start();
    } catch (err) {
      signOut();
      fill(error, err.status === 401 ? "The server does not accept that token." : err.message);
    }
  });
  fill(main, form);
  input.focus();
}

async function start() {
  const me = await api("GET", "/me");
  if (me.kind !== "user") throw new Error("sign in with a user token");
  const status = h("span", { class: "live-status", role: "status", id: "live-status" }, "connecting");
  const live = new Live((state) => {
    fill(status, state === "live" ? "● live" : state === "off" ? "○ not live" : "◌ reconnecting");
    status.dataset.state = state;
  });
  ctx = { me, live, isAdmin: me.role === "admin", users: new Map([[me.id, me.name]]) };
  if (ctx.isAdmin) {
    try {
      const { users } = await api("GET", "/users");
      for (const u of users) ctx.users.set(u.id, u.name);
    } catch (_) {
      // names are a nicety: ids show instead
    }
  }
  live.start();
  drawHeader(status);
  route();
}

function drawHeader(status) {
  const links = [["jobs", "Jobs"], ...(ctx.isAdmin ? [["workers", "Workers"]] : []), ["farm", "Farm"],
    ...(ctx.isAdmin ? [["admin", "Admin"]] : [])];
  fill(top,
    h("span", { class: "brand" }, "Farmhand"),
    h("nav", { "aria-label": "Pages" },
      h("ul", {}, links.map(([id, label]) =>
        h("li", {}, h("a", { href: `#/${id}`, id: `nav-${id}` }, label))))),
    status,
    h("span", { class: "who" }, `${ctx.me.name} (${ctx.me.role})`),
    h("button", { type: "button", class: "secondary", id: "signout", onclick: () => showSignIn("Signed out.") },
      "Sign out"));
}

function route() {
  if (!ctx) return;
  leave();
  const hash = location.hash || "#/jobs";
  for (const r of ROUTES) {
    const match = hash.match(r.pattern);
    if (!match) continue;
    for (const a of top.querySelectorAll("nav a")) {
      if (a.id === `nav-${r.nav}`) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    if (r.admin && !ctx.isAdmin) break;
    fill(main);
    cleanup = r.page.render(ctx, main, match.slice(1)) || null;
    return;
  }
  fill(main, h("h1", {}, "Not found"), h("p", {}, "There is no such page."),
    h("p", {}, h("a", { href: "#/jobs" }, "Back to the jobs")));
}

whenUnauthorized(() => {
  if (ctx) showSignIn("Your session ended: the server no longer accepts the token.");
});
window.addEventListener("hashchange", route);

if (token()) {
  start().catch((err) => showSignIn(err.status === 401 ? "" : err.message));
} else {
  showSignIn();
}
