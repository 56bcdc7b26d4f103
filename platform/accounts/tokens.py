"""API tokens per device: issued at login, stored hashed, expiring and revocable.

A token is valid while it is not revoked, before its absolute expiry and within its idle limit of
its last use, and while its user is active and not locked. One database function,
``gridcity_token_user`` (migration 0003), applies these rules and records the use, for DRF here and
for the tile fast path (``tiles.cache``), so both refuse the same tokens. The database revokes a
user's tokens when the password changes, the account is locked or deactivated (same migration).

Idle limit: the session's (``GRIDCITY_SESSION_IDLE_SECONDS``, 10 minutes), for every client,
mobile ones included: any authenticated request renews it, and a client idle for longer logs in
again. Absolute lifetime: ``GRIDCITY_TOKEN_LIFETIME_HOURS`` (12, a working shift), never past the
password's expiry.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from audit import events

from .models import ApiToken, User
from .passwords import expires_at

KEYWORD = "Token"
# What an issued key looks like (secrets.token_urlsafe(32)); anything else is refused before SQL.
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,128}")


def key_hash(key: str) -> str:
    """The stored form of a key; the same as ``gridcity_token_user`` computes in SQL."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue(user: User, name: str) -> tuple[str, ApiToken]:
    """A new token for one of the user's devices: (the raw key, shown once, and its row)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    expiry = now + timedelta(hours=settings.GRIDCITY_TOKEN_LIFETIME_HOURS)
    password_expiry = expires_at(user)
    if password_expiry is not None:
        expiry = min(expiry, password_expiry)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=key_hash(key), created_at=now, last_used_at=now, expires_at=expiry,
        idle=timedelta(seconds=settings.GRIDCITY_TOKEN_IDLE_SECONDS),
    )
    events.record(events.TOKEN_ISSUE, user.username, "accounts_apitoken", token.pk, {"name": name})
    return key, token


def user_of(key: str) -> tuple[int, int] | None:
    """(token id, user id) of a valid key, recording its use; None for anything else."""
    if not KEY_SHAPE.fullmatch(key):
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT token_id, user_id FROM gridcity_token_user(%s)", [key])
        row = cur.fetchone()
    return (row[0], row[1]) if row else None


def revoke(token: ApiToken, reason: str, actor: str) -> bool:
    """Revoke one token (False when it was already revoked); audited."""
    done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason)
    if done:
        events.record(events.TOKEN_REVOKE, actor, "accounts_apitoken", token.pk,
                      {"user": token.user.username, "name": token.name, "reason": reason})
    return bool(done)


def describe(token: ApiToken) -> dict[str, object]:
    """A token as its owner and the security administrator see it (never the key)."""
    now = timezone.now()
    live = token.revoked_at is None and token.expires_at > now and token.last_used_at + token.idle > now
    return {"id": token.pk, "name": token.name, "created_at": token.created_at,
            "last_used_at": token.last_used_at, "expires_at": token.expires_at,
            "idle_seconds": int(token.idle.total_seconds()), "active": live,
            "revoked_at": token.revoked_at, "revoked_reason": token.revoked_reason}


class TokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` for DRF; ``request.auth`` is the token's id."""

    def authenticate(self, request: Request) -> tuple[User, int] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("send 'Authorization: Token <key>' with one key")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("the token is not a valid key") from None
        found = user_of(key)
        if found is None:
            raise AuthenticationFailed("the token is unknown, expired or revoked; log in again")
        token_id, user_id = found
        return User.objects.get(pk=user_id), token_id

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD
