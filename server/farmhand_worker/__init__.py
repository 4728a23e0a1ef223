"""The render-node daemon: `farmhand worker` (docs/worker.md).

`daemon` registers the node and runs one claiming loop per slot; `task` takes
one assignment from files to report; `adapters` turn a task into a renderer's
argv; `process` runs it in its own process group; `cache` and `layout` keep
the job's files; `logs` streams output; `results` uploads what it made;
`assemble` and `images` put tiles together and make previews.
"""
