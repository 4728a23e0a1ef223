"""maya.app.renderSetup (stub)."""
