"""Jobs as people see them: creation from a JobSpec, actions, states, reading them back.

Owns `lifecycle` (create a job from a spec, pause/resume/cancel/approve/retry), `states`
(the transitions), `requirements` (what a job needs from a worker, the blobs it names; its
tasks come from `farmhand.spec.plan`), `listing` (`GET /jobs`), `waiting` (why a job is not
running) and `outputs` (what tasks produced). May import `farmhand.spec`,
`farmhand_server.store` and `farmhand_server.notify`."""
