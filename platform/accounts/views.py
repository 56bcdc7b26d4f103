"""The user's own account: token login and logout, their tokens, password change, who-am-I.

The token endpoint takes JSON only (a cross-site HTML form cannot post JSON without the browser's
CORS preflight, which this site does not grant).
"""

from __future__ import annotations

from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import events
from layers.editing import acting_as

from . import lockout, tokens
from .errors import LoginFailed, PasswordExpired, TokenNotFound
from .models import ApiToken, User
from .passwords import expired, expires_at

REFUSED = "wrong username or password, or too many failed logins (try again later)"


def whoami(user: User) -> dict[str, object]:
    return {"username": user.username, "role": user.role, "jurisdiction_code": user.jurisdiction_code,
            "password_expires_at": expires_at(user)}


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    device = serializers.CharField(max_length=64, required=False,
                                   help_text="the device the token is for, as its owner will see it listed")


class PasswordSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, required=False,
                                     help_text="only when not logged in (an expired password)")
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


def _login(request: Request, username: str, password: str) -> User:
    user = authenticate(request._request, username=username, password=password)
    if user is None:
        raise LoginFailed(REFUSED, field="password")
    return user


def _device(request: Request, data: dict[str, str]) -> str:
    return data.get("device") or request.headers.get("User-Agent", "")[:64] or "api"


class ObtainToken(APIView):
    """POST {username, password, device?} (JSON) → a token for ``Authorization: Token …``.

    Lockout and throttling apply (``accounts.lockout``); an expired password gets 403 and must be
    changed first (``/api/auth/password/``)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [JSONParser]

    @extend_schema(request=LoginSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _login(request, data.validated_data["username"], data.validated_data["password"])
        if expired(user):
            raise PasswordExpired("the password has expired: change it with POST /api/auth/password/"
                                  " {username, old_password, new_password}, then log in", field="password")
        key, token = tokens.issue(user, _device(request, data.validated_data))
        events.record(events.LOGIN, user.username, "accounts_user", user.pk,
                      {"address": lockout.source_address(request._request), "token": token.pk})
        return Response({"token": key, "token_id": token.pk, "expires_at": token.expires_at,
                         "idle_seconds": int(token.idle.total_seconds()), **whoami(user)})


class Logout(APIView):
    """POST: end this login (revoke the token it came with, or end the session)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        user = request.user
        if isinstance(request.auth, int):
            tokens.revoke(ApiToken.objects.get(pk=request.auth), "logout", user.username)
            events.record(events.LOGOUT, user.username, "accounts_user", user.pk,
                          {"address": lockout.source_address(request._request), "token": request.auth})
        else:
            logout(request._request)  # audited by its user_logged_out signal (accounts.signals)
        return Response({"detail": "logged out"})


class OwnTokens(APIView):
    """GET: the user's tokens (devices), newest first; never the keys."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        rows = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
        return Response({"tokens": [tokens.describe(t) for t in rows], "current": request.auth})


class OwnToken(APIView):
    """DELETE: revoke one of the user's own tokens."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def delete(self, request: Request, pk: int) -> Response:
        token = ApiToken.objects.filter(user=request.user, pk=pk).first()
        if token is None:
            raise TokenNotFound(f"you have no token {pk}", field="id")
        tokens.revoke(token, "revoked by its user", request.user.username)
        return Response(tokens.describe(ApiToken.objects.get(pk=pk)))


class ChangePassword(APIView):
    """POST {old_password, new_password} (JSON): change one's own password; the validators apply
    and every token of the user is revoked (a token client gets a new one for the same device).

    Not logged in, with ``username`` too: for a password that has expired (login refuses it). The
    old password is checked by the login backend, so lockout and throttling apply to it."""

    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(request=PasswordSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        data = PasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        username = request.user.username if request.user is not None else values.get("username")
        if not username:
            raise LoginFailed("log in, or give the username with the old password", field="username")
        user = _login(request, username, values["old_password"])
        if values["new_password"] == values["old_password"]:
            raise LoginFailed("the new password must differ from the old one", field="new_password",
                              rule="password_changed")
        try:
            validate_password(values["new_password"], user)
        except ValidationError as exc:
            raise ValidationError({"new_password": exc.error_list}) from None
        device = None
        if isinstance(request.auth, int):
            device = ApiToken.objects.get(pk=request.auth).name
        with transaction.atomic(), acting_as(user.username):
            user.set_password(values["new_password"])
            user.save()  # the database revokes the user's tokens
            events.record(events.PASSWORD, user.username, "accounts_user", user.pk,
                          {"address": lockout.source_address(request._request)})
        body: dict[str, object] = {"detail": "password changed", "password_expires_at": expires_at(user)}
        if device is not None:
            body["token"] = tokens.issue(user, device)[0]
        elif request.user is not None:
            update_session_auth_hash(request._request, user)
        return Response(body)


class Me(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(whoami(request.user))
