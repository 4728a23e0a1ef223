// The server's event stream (`GET /api/v1/events`, server-sent events). EventSource cannot
// send an Authorization header, so the stream is read with fetch; on a drop it reconnects
// with `Last-Event-ID` and misses nothing.

import { authHeaders } from "./api.js";

export class Live {
  constructor(onStatus) {
    this.listeners = new Set();
    this.last = null;
    this.stopped = false;
    this.controller = null;
    this.onStatus = onStatus || (() => {});
  }

  /** Call `fn(kind, data)` for every event; returns the function that stops it. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start() {
    this.loop();
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }

  async loop() {
    while (!this.stopped) {
      this.controller = new AbortController();
      try {
        const headers = authHeaders();
        if (this.last !== null) headers["Last-Event-ID"] = String(this.last);
        const response = await fetch("/api/v1/events", {
          headers, signal: this.controller.signal, cache: "no-store", credentials: "omit",
        });
        if (response.status === 401 || response.status === 403) {
          this.onStatus("off");
          return;
        }
        if (!response.ok) throw new Error(`events: ${response.status}`);
        this.onStatus("live");
        await this.read(response.body);
      } catch (_) {
        if (this.stopped) return;
      }
      this.onStatus("reconnecting");
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        this.dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  dispatch(block) {
    let id = null;
    let kind = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "id") id = value;
      else if (field === "event") kind = value;
      else if (field === "data") data += value;
    }
    if (id !== null && /^\d+$/.test(id)) this.last = Number(id);
    if (!data) return;
    let payload;
    try {
      payload = JSON.parse(data);
    } catch (_) {
      return;
    }
    for (const fn of this.listeners) {
      try {
        fn(kind, payload);
      } catch (err) {
        console.error(err);
      }
    }
  }
}
