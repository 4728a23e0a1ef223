"""What a render leaves behind: images read and written, tiles assembled, results reported.

Owns `images` (EXR and PNG frames, tiles and previews), `assemble` (tiles into a frame) and
`results` (checked, hashed, previewed, described for the report). May import
`farmhand.spec` and `farmhand.transfer.hashing`; never the server."""
