"""Farmhand: submit Maya scenes to a render farm (the artist-side package)."""

__version__ = "0.1.0"
