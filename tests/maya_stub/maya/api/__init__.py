"""Maya's Python API 2.0 (stub): only `OpenMaya`, with what a command plug-in uses."""
