"""Failures of login, tokens, passwords and user management (mapped to HTTP by gridcity.http_errors)."""

from __future__ import annotations

from layers.errors import GridcityError


class LoginFailed(GridcityError):
    """Wrong username or password, or a refused attempt: one answer, so it tells nothing."""

    rule = "authorization"


class PasswordExpired(GridcityError):
    """The password must be changed (``POST /api/auth/password/``) before anything else."""

    status = 403
    rule = "password_expired"


class RoleBoundary(GridcityError):
    """三员: the request is outside what the user's role does."""

    status = 403
    rule = "role"


class UserNotFound(GridcityError):
    status = 404
    rule = "exists"


class TokenNotFound(GridcityError):
    status = 404
    rule = "exists"


class SelfChange(GridcityError):
    """A security administrator may not change their own role or deactivate themselves."""

    status = 403
    rule = "not_self"


class BadBody(GridcityError):
    """A request body that is not a JSON object of the known fields."""

    rule = "valid_body"
