"""Telling people what changed: the event stream and webhooks.

Owns `events` (job, task and worker changes, streamed to clients across server processes) and
`webhooks` (a POST to each configured URL when a job ends). May import `farmhand_server.store`."""
