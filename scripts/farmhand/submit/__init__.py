"""The one submission pipeline the CLI and the panel both drive: scene to job on the farm.

Owns analysing for submit, the files a job needs under their client paths (`client_files`),
the version check against the online workers (`farm_check`), `pipeline` (analyse, hash, build
the job spec; hash again only what changed) and `send` (upload what is missing, submit, with
the one retry policy and its errors). May import `farmhand.scene`,
`farmhand.blend`, `farmhand.spec` and `farmhand.transfer`; never the panel or Maya."""
