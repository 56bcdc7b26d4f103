"""What can stop the demo loader, as project errors the CLI and API know how to report."""

from __future__ import annotations

from layers.errors import GridcityError


class DemoAlreadyLoaded(GridcityError):
    """The demo district is already in the database; loading it again would duplicate it."""

    status = 409
    rule = "demo_not_loaded"


class InvalidScale(GridcityError):
    """The ``scale`` asked for cannot make a city (it must be a positive fraction, at most the maximum)."""

    rule = "demo_scale"
