"""A small, honest stand-in for Maya's Python packages, for tests that cannot run Maya.

The open scene is a real `.ma` file read by Farmhand's own parser
(`maya.stub.stub_open(path)`, the way `maya.standalone` opens a file); the UI
is a small in-memory model (menus, shelves, workspace controls backed by real
offscreen QWidgets). Commands answer only the flags they implement: any other
flag raises NotImplementedError naming it, and unknown objects raise the
errors Maya raises (ValueError "No object matches name", RuntimeError
"Object ... not found"). Nothing here answers "anything".

Modules: `cmds`, `mel`, `utils`, `standalone`, `OpenMayaUI`, `api.OpenMaya`,
and `stub` (test-only controls: open a scene, run idle callbacks, click a
button). Inside the package every import is relative, so the files can be
imported under another package name without creating a top-level `maya`.
"""
