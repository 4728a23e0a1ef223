"""Running a renderer safely: its process group, the guard, the sandbox, its log.

Owns `process` (start an argv, watch it, stop all of it), `guard` (renders die with their
worker), `orphans` (renders left by a dead worker, stopped on restart), `sandbox` (user,
environment and reach of a render) and `logs` (sent to the server in batches). May import the
standard library and `farmhand_worker.config`; never the server."""
