"""Subcommands of ``jansky`` that belong to no single component."""
