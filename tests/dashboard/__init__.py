"""End-to-end tests of the web dashboard (a package, so its conftest keeps its own name)."""
