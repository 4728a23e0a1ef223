"""Where the server keeps things: the SQL schema and its migrations, the database handle, blobs.

Owns `schema` (one schema for SQLite and PostgreSQL, migrations), `database` (the handle the
handlers write through), `blobs` (content-addressed files), `quotas`, `shared_folder` (every
process sees one blob folder), `ownership` and `collect` (blob collection). May import
`farmhand_server.errors`, `farmhand_server.config` and `farmhand.spec` (the blob key);
nothing above it."""
