"""User management by the security administrator (三员): users, roles, jurisdictions, password
resets, unlocks and tokens, at ``/api/accounts/users/…``.

Every change is made as the administrator (``acting_as``), so the users table's audit trigger
records who changed a role or a jurisdiction; unlocks, resets and revocations are audit events
too. Users are never deleted (their audit trail names them): DELETE deactivates, which revokes
their tokens. A reset password has expired at once: its user must change it at the next login.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import events
from layers.editing import acting_as
from layers.roles import SECADMIN

from . import lockout, tokens
from .errors import BadBody, SelfChange, TokenNotFound, UserNotFound
from .models import ApiToken, User
from .passwords import expires_at
from .permissions import PasswordCurrent, SecurityAdministrator

# Fields the security administrator sets; username and password only when creating.
EDITABLE = ("first_name", "last_name", "email", "role", "jurisdiction_code", "is_active")
CREATE = ("username", "password", *EDITABLE)
PERMISSIONS = [IsAuthenticated, PasswordCurrent, SecurityAdministrator]


def describe(user: User) -> dict[str, object]:
    return {"id": user.pk, "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "role": user.role, "jurisdiction_code": user.jurisdiction_code,
            "is_active": user.is_active, "locked_until": user.locked_until, "last_login": user.last_login,
            "password_expires_at": expires_at(user)}


def _body(request: Request, allowed: tuple[str, ...]) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict):
        raise BadBody("the body must be a JSON object", field="body")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise BadBody(f"unknown field {unknown[0]!r}; fields: {', '.join(allowed)}", field=unknown[0],
                      rule="known_field")
    for name, value in data.items():
        expected = bool if name == "is_active" else str
        if not isinstance(value, expected):
            raise BadBody(f"{name} must be a {'boolean' if expected is bool else 'string'}", field=name,
                          rule="type")
    return dict(data)


def _user(pk: int) -> User:
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise UserNotFound(f"no user {pk}", field="id")
    return user


def _new_password(user: User, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    user.set_password(password)


class UserList(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(operation_id="accounts_users_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response({"users": [describe(u) for u in User.objects.order_by("username")]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        """{username, password, role, jurisdiction_code?, …}: a new user, whose password has
        expired at once (they choose their own at the first login)."""
        values = _body(request, CREATE)
        missing = [f for f in ("username", "password", "role") if not values.get(f)]
        if missing:
            raise BadBody(f"{missing[0]} is required", field=missing[0], rule="required")
        password = values.pop("password")
        user = User(**values)
        user.is_staff = user.role == SECADMIN  # the Django admin holds only the user pages, theirs
        user.full_clean(exclude=["password"])
        _new_password(user, password)
        with acting_as(request.user.username):
            user.save()
            User.objects.filter(pk=user.pk).update(password_changed_at=None)
        return Response(describe(User.objects.get(pk=user.pk)), status=201)


class UserDetail(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(describe(_user(pk)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def patch(self, request: Request, pk: int) -> Response:
        """Change any of the editable fields; deactivating revokes the user's tokens."""
        user = _user(pk)
        values = _body(request, EDITABLE)
        if user.pk == request.user.pk and (values.get("role", user.role) != user.role
                                           or values.get("is_active") is False):
            raise SelfChange("you cannot change your own role or deactivate yourself", field="role")
        for name, value in values.items():
            setattr(user, name, value)
        user.is_staff = user.role == SECADMIN
        user.full_clean(exclude=["password"])
        with acting_as(request.user.username):
            user.save(update_fields=[*values, "is_staff"])
        return Response(describe(user))

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def delete(self, request: Request, pk: int) -> Response:
        """Deactivate (users are kept for their audit trail); their tokens are revoked."""
        user = _user(pk)
        if user.pk == request.user.pk:
            raise SelfChange("you cannot deactivate yourself", field="id")
        user.is_active = False
        with acting_as(request.user.username):
            user.save(update_fields=["is_active"])
        return Response(describe(user))


class UserUnlock(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        """Lift the account's lock and forget its failed logins from every address."""
        user = _user(pk)
        with transaction.atomic(), acting_as(request.user.username):
            was = user.locked_until
            user.locked_until = None
            user.save(update_fields=["locked_until"])
            lockout.forget(user.username)
            events.record(events.UNLOCK, request.user.username, "accounts_user", user.pk,
                          {"username": user.username, "was_locked_until": was.isoformat() if was else None})
        return Response(describe(user))


class UserPassword(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        """{password}: set a user's password (validators apply); it has expired at once, so the user
        must change it at the next login; their tokens are revoked."""
        user = _user(pk)
        values = _body(request, ("password",))
        if not values.get("password"):
            raise BadBody("password is required", field="password", rule="required")
        _new_password(user, values["password"])
        with transaction.atomic(), acting_as(request.user.username):
            user.save()
            User.objects.filter(pk=user.pk).update(password_changed_at=None)
            events.record(events.RESET, request.user.username, "accounts_user", user.pk, {"username": user.username})
        return Response(describe(User.objects.get(pk=pk)))


class UserTokens(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        user = _user(pk)
        return Response({"tokens": [tokens.describe(t) for t in user.api_tokens.order_by("-created_at", "-id")]})

    @extend_schema(operation_id="accounts_users_tokens_revoke_all", request=None, responses=OpenApiTypes.OBJECT)
    def delete(self, request: Request, pk: int) -> Response:
        """Revoke every token of the user."""
        user = _user(pk)
        revoked = [t.pk for t in user.api_tokens.filter(revoked_at__isnull=True)
                   if tokens.revoke(t, "revoked by secadmin", request.user.username)]
        return Response({"revoked": revoked})


class UserToken(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def delete(self, request: Request, pk: int, token: int) -> Response:
        found = ApiToken.objects.filter(user_id=pk, pk=token).first()
        if found is None:
            raise TokenNotFound(f"user {pk} has no token {token}", field="token")
        tokens.revoke(found, "revoked by secadmin", request.user.username)
        return Response(tokens.describe(ApiToken.objects.get(pk=token)))
