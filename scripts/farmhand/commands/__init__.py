"""Subcommands of the `farmhand` command line, one module each."""
