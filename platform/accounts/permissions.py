"""Who may call what (三员, password expiry), as DRF permissions.

The default for every API view (``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]``) is an
authenticated user with a current password whose role works with the city's data
(``layers.roles.EVERYONE``): the auditor and the security administrator reach only the views that
name them (the audit log; user management), plus their own account's views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from layers.roles import AUDITOR, EVERYONE, ROLES, SECADMIN

from .errors import PasswordExpired, RoleBoundary
from .passwords import expired

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is loading
    from rest_framework.request import Request
    from rest_framework.views import APIView

CHANGE = "change it with POST /api/auth/password/ {old_password, new_password}"


class PasswordCurrent(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.user is not None and expired(request.user):
            raise PasswordExpired(f"the password has expired: {CHANGE}", field="password")
        return True


class WorksWithData(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        role = getattr(request.user, "role", None)
        if role not in EVERYONE:
            what = "the audit log" if role == AUDITOR else "users, roles, passwords and tokens"
            raise RoleBoundary(f"the {ROLES.get(str(role), role)} role reads no business data, only {what}",
                               field="role")
        return True


class SecurityAdministrator(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(request.user, "role", None) != SECADMIN:
            raise RoleBoundary("only the security administrator (安全管理员) manages users", field="role")
        return True

