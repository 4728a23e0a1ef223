"""Who is calling: users, tokens, workers, enrolment, and cutting credentials off.

Owns `auth` (tokens and roles), `credentials` (each process drops a revoked credential from its
cache) and `revocation`. May import `farmhand_server.store` and `farmhand_server.notify`."""
