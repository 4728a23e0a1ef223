"""A stand-in `maya` package for tests (the package itself is `maya_stub/maya`).

Tests put this folder on `sys.path` and import `maya` from it (see
`tests/mayaplugin/maya_session.py`). This `__init__.py` only makes pytest's
`--doctest-modules` import these files as `maya_stub.maya.*`, never as a
top-level `maya` that would outlive the tests that need it.
"""
