"""Handing tasks to workers: the rules, the in-memory view, the request queue and its SQL.

Owns `rules` (leases, what a failed attempt changes, settling jobs), `eligibility` (which
task a worker may get: each condition once, in memory and in SQL), `queue` (the `Dispatcher`:
claims, completions and heartbeats answered in group-commit rounds), `writes` (what one
round's transaction writes), `view` (the dispatching jobs and the tasks held for them), `sql`
(the set-based statements of a round), `online` (what the workers seen recently offer) and
`liveness` (a task no online worker may take does not wait forever). May import
`farmhand.spec`, `farmhand_server.store`, `farmhand_server.jobs` and `farmhand_server.notify`.
"""
