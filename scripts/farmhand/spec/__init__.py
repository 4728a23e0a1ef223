"""The JobSpec and what follows from it alone: the contract between artist, server and worker.

Owns the JSON Schemas, their validation (`jobspec`) and their defaults (`defaults`, with the
typed `scheduling` view), frame expressions (`frames`), tiles (`tiles`), the one task planner
(`plan`), presets (`presets`), path rules (`pathmap`), renderer options (`render_options`),
version rules (`versions`), Maya layer groups (`layer_groups`), the blob key `<md5>-<size>`
(`blobs`) and the Renderbus `task.json` import (`renderbus*`). Pure functions and data, no
network: may import `farmhand.scene` (renderer names, layer data) and `farmhand.user_dirs`;
the server and the worker import it."""
