"""The Farmhand farm manager (aiohttp): accounts, blobs, and (next) jobs and the scheduler.

`create_app(config)` builds the application; `farmhand server` runs it.
"""

from .app import create_app
from .config import Config, load

__all__ = ["Config", "create_app", "load"]
