"""The render-node daemon: claims tasks, fetches blobs, runs renderer adapters.

Not built yet: the worker issue fills this package; `setup.py` already installs it.
"""
