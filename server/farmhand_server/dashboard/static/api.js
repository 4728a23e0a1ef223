// The JSON API, called with the API token as a bearer header. The token lives in
// sessionStorage (gone when the tab closes) and never in a URL; no cookie is used.

const BASE = "/api/v1";
const KEY = "farmhand.token";

/** The signed-in token, or null. */
export function token() {
  return sessionStorage.getItem(KEY);
}

export function signIn(value) {
  sessionStorage.setItem(KEY, value);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

let onUnauthorized = () => {};

/** What to do when the server no longer accepts the token (revoked, user disabled). */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** An API error: its HTTP status, the error envelope's code, message and details. */
export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Headers every call sends. */
export function authHeaders() {
  return { Authorization: `Bearer ${token()}` };
}

/** Call the API; resolves to the parsed JSON (null for 204, the Response for other types). */
export async function api(method, path, body) {
  const init = { method, headers: authHeaders(), cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(BASE + path, init);
  if (!response.ok) {
    let code = "http_error";
    let message = `${response.status} ${response.statusText}`;
    let details = null;
    try {
      const answer = await response.json();
      code = answer.error.code;
      message = answer.error.message;
      details = answer.error.details ?? null;
    } catch (_) {
      // not the error envelope: keep the status line
    }
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, code, message, details);
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("application/json") ? response.json() : response;
}

/** A query string of the given parameters (undefined and "" left out). */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

const blobUrls = new Map();

/** A blob as an object URL (fetched once with the bearer header; kept while the page lives). */
export async function blobUrl(key) {
  if (!blobUrls.has(key)) {
    const response = await api("GET", `/blobs/${encodeURIComponent(key)}`);
    blobUrls.set(key, URL.createObjectURL(await response.blob()));
  }
  return blobUrls.get(key);
}
