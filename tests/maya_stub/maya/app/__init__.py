"""maya.app (stub)."""
