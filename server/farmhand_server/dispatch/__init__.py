"""Handing tasks to workers: the rules, the in-memory queue and the batched SQL writes.

Owns `rules` (which task a worker may get, leases, what a failed attempt changes),
`dispatcher` (claims, completions and heartbeats in group-commit rounds), `online` (what the
workers seen recently offer) and `liveness` (a task no online worker may take does not wait
forever). May import `farmhand.spec`, `farmhand_server.store`, `farmhand_server.jobs` and
`farmhand_server.notify`."""
