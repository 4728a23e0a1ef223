"""The farm manager (aiohttp): jobs, scheduler, blob store, accounts.

Not built yet: the server issue fills this package; `setup.py` already installs it.
"""
