"""Errors of the site itself (configuration and start-up)."""

from __future__ import annotations

from layers.errors import GridcityError


class SetupError(GridcityError):
    """The platform cannot start as configured; the message says how to fix it."""

    status = 500
    rule = "configuration"
