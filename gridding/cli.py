"""The ``gridcity`` subcommands of this package (added to the parser by gridcity.cli)."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this package's subcommands on the ``gridcity`` parser."""
