"""What can go wrong with the fleet's requests, one small class per failure (statuses in the class)."""

from __future__ import annotations

from layers.errors import BadParameter, GridcityError, NotAuthenticated


class BadBatch(BadParameter):
    """A GPS batch that is not ``{"fixes": [...]}`` (malformed JSON, wrong shape)."""

    rule = "fix_batch"


class BatchTooLarge(GridcityError):
    """More fixes in one batch than ``GRIDCITY_FLEET_MAX_BATCH``."""

    status = 413
    rule = "batch_size"


class FeedNotAuthenticated(NotAuthenticated):
    """No feed credential, an unknown one, or a revoked one."""

    rule = "feed_credential"


class AlreadyRegistered(GridcityError):
    """A plate or terminal that another vehicle or person already has."""

    status = 409
    rule = "unique"


class VehicleNotFound(GridcityError):
    status = 404
    rule = "exists"


class BadTimeWindow(BadParameter):
    """``from``/``to`` missing, unparsable, without an offset, reversed or too long."""

    rule = "time_window"
