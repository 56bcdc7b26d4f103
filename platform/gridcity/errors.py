"""Errors of the site itself (configuration and start-up)."""

from __future__ import annotations

from layers.errors import GridcityError


class SetupError(GridcityError):
    """The platform cannot start as configured; the message says how to fix it."""

    status = 500
    rule = "configuration"


class OwnerLoginMissing(SetupError):
    """A migration was asked for without the owner role's login (GRIDCITY_OWNER_DATABASE_URL)."""

    rule = "owner_login"


class PrivilegedAppLogin(SetupError):
    """The app's login (DATABASE_URL) could change what it must not: a superuser, the tables' owner."""

    rule = "unprivileged_app_login"
