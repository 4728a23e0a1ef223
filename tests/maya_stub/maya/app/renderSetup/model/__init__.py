"""maya.app.renderSetup.model (stub)."""
