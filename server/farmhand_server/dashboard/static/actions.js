// What people do to jobs, for one job or a selection: each job is asked separately, so one
// refusal (a completed job cannot be paused) never stops the others.

import { api } from "./api.js";
import { confirmDialog } from "./dom.js";

export const ACTIONS = {
  pause: { label: "Pause", done: "paused", path: "pause" },
  resume: { label: "Resume", done: "resumed", path: "resume" },
  cancel: { label: "Cancel…", done: "cancelled", path: "cancel", confirm: true },
  approve: { label: "Approve", done: "approved", path: "approve" },
  retry: { label: "Retry failed", done: "queued again", path: "retry" },
};

const OPEN = ["submitting", "queued", "rendering", "awaiting_approval", "paused"];

/** Whether an action can apply to a job in its state (the server has the last word). */
export function applies(action, job) {
  switch (action) {
    case "pause": return ["queued", "rendering", "awaiting_approval"].includes(job.state);
    case "resume": return job.state === "paused";
    case "cancel": return OPEN.includes(job.state);
    case "approve": return job.state === "awaiting_approval";
    case "retry": return job.tasks_failed > 0 || job.state === "failed" || job.state === "cancelled";
    default: return OPEN.includes(job.state);
  }
}

/** Run an action on jobs; resolves to a sentence saying what happened (null if not confirmed). */
export async function act(action, ids, extra) {
  const spec = ACTIONS[action];
  if (spec && spec.confirm) {
    const n = ids.length;
    const ok = await confirmDialog(
      `Cancel ${n} job${n === 1 ? "" : "s"}?`,
      `Running tasks are killed and the job${n === 1 ? "" : "s"} stop for good. This cannot be undone.`,
      n === 1 ? "Cancel job" : `Cancel ${n} jobs`, "Keep");
    if (!ok) return null;
  }
  const refused = [];
  let fine = 0;
  for (const id of ids) {
    try {
      if (action === "priority") await api("PATCH", `/jobs/${id}`, { priority: extra });
      else await api("POST", `/jobs/${id}/${spec.path}`, action === "retry" && extra ? { task_id: extra } : undefined);
      fine += 1;
    } catch (err) {
      refused.push(`job ${id}: ${err.message}`);
    }
  }
  const verb = action === "priority" ? `set to priority ${extra}` : spec.done;
  let text = `${fine} job${fine === 1 ? "" : "s"} ${verb}.`;
  if (refused.length) text += ` ${refused.length} refused — ${refused.join("; ")}`;
  return text;
}
