"""The project's error base and the layer catalogue's own errors.

Every package's ``errors.py`` subclasses :class:`GridcityError`; each class carries its HTTP
status and a rule name, and the one exception handler (``gridcity.errors``) turns them into a
JSON body ``{"detail": ..., "errors": [{"field", "rule", "message"}]}``.
"""

from __future__ import annotations


class GridcityError(Exception):
    """A failure a user can fix: says what was wrong, where, and under which rule."""

    status = 400
    rule = "invalid"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if rule:
            self.rule = rule

    def as_json(self) -> dict[str, object]:
        return {"detail": self.message, "errors": [{"field": self.field, "rule": self.rule, "message": self.message}]}


class NotAuthenticated(GridcityError):
    """No valid session or token."""

    status = 401
    rule = "authenticated"


class UnknownLayer(GridcityError):
    status = 404
    rule = "known_layer"


class FeatureNotFound(GridcityError):
    status = 404
    rule = "exists"


class BadParameter(GridcityError):
    """A query parameter or path part that cannot be used (names the parameter in ``field``)."""

    rule = "valid_parameter"


class NotEditable(GridcityError):
    status = 405
    rule = "editable_layer"


class NotAllowed(GridcityError):
    """The user's role may not read or edit this layer."""

    status = 403
    rule = "role"


class OutsideJurisdiction(GridcityError):
    """A write that would place or move a feature outside the user's jurisdiction."""

    status = 403
    rule = "jurisdiction"


class NoJurisdiction(GridcityError):
    """An account without a jurisdiction (deny by default): it may read and write nothing."""

    status = 403
    rule = "jurisdiction"


class InUse(GridcityError):
    """A delete refused because other features still refer to this one."""

    status = 409
    rule = "in_use"


class InvalidFeature(GridcityError):
    """A feature body that breaks a rule: several field errors at once."""

    def __init__(self, errors: list[dict[str, str | None]]):
        first = errors[0]
        super().__init__(str(first["message"]), field=first["field"], rule=first["rule"])
        self.errors = errors

    def as_json(self) -> dict[str, object]:
        return {"detail": self.message, "errors": self.errors}
