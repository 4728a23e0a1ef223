"""A job's files on a render node: fetched, cached, laid out, rewritten and checked.

Owns `cache` (blobs by hash within a size limit), `layout` (linked under the job root by mapped
path), `remap` (Maya ASCII and XGen copies rewritten with mapped paths), `prepare` (between
layout and render) and `check` (the scene analysed as this node will open it). May import
`farmhand.spec`, `farmhand.scene` and `farmhand.transfer.hashing`; never the server."""
