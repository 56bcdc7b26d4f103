"""The gridding package's errors: each names its HTTP status and the rule the request broke.

They subclass the project base, so ``gridcity.http_errors`` maps them to the JSON body in one place.
"""

from __future__ import annotations

from layers.errors import GridcityError


class GriddingError(GridcityError):
    """Base of this package's errors."""


class UnknownCityClass(GriddingError):
    """A city class other than 1, 2 or 3 (the sampling rules of SPEC §5.2)."""

    rule = "city_class"


class UnknownZoneType(GriddingError):
    """A zone type other than A, B or C."""

    rule = "zone_type"


class UnknownShape(GriddingError):
    """A fishnet shape other than square or hex, or a cell size out of range."""

    rule = "fishnet"


class NotAPlanner(GriddingError):
    """Gridding writes are for planners (and admins)."""

    status = 403
    rule = "role"


class OutsideArea(GriddingError):
    """An area code outside the user's jurisdiction, or not a district/street code where one is needed."""

    status = 403
    rule = "jurisdiction"


class UnknownArea(GriddingError):
    status = 404
    rule = "exists"


class NothingToSample(GriddingError):
    """No evaluation grid in the area carries a zone type: build grids and draw or import zones first."""

    status = 409
    rule = "sampling_input"


class MembershipRefused(GriddingError):
    """A hand edit of an evaluation grid's members that would break a rule (area, contiguity, rings)."""

    status = 409
    rule = "membership"


class RoundNotFound(GriddingError):
    status = 404
    rule = "exists"


class RoundAlreadyVoid(GriddingError):
    status = 409
    rule = "not_void"


class BuildNotFound(GriddingError):
    status = 404
    rule = "exists"
