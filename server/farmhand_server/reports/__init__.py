"""Figures for admins and artists: core-hours, cost estimates, the farm's throughput and storage.

Owns `accounting` (core-hours per attempt, job and user) and `farm` (tasks per minute, queue,
core-hours by user and project, blob storage). Read-only queries; may import
`farmhand_server.store`."""
