"""Blender scenes: what a `.blend` renders and the files it names, asked of Blender itself.

Owns `analysis` (runs `blender -b` with `probe`, reads its JSON into the scene package's
`Analysis`) and `probe` (the script run inside Blender). May import `farmhand.scene` and
`farmhand.spec`; nothing here imports Maya."""
