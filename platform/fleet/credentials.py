"""Machine credentials of GPS feeds and gateways: ``Authorization: Feed <key>``.

A feed credential may post fixes (``POST /api/gps/fixes/``) and nothing else: only the ingest
view lists :class:`FeedAuthentication`, and every other view authenticates users (sessions and
user tokens), which ignore this scheme. It is long-lived (no expiry) but revocable; only a
SHA-256 digest of the key is stored, so a leaked database does not leak working keys. It is
never anonymous: each key belongs to a named feed, and the fixes it stores record that feed.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import connection
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from .errors import FeedNotAuthenticated
from .models import FeedCredential

SCHEME = "Feed"
KEY_PREFIX = "gcf_"
HOW = f"send 'Authorization: {SCHEME} <key>' with a feed credential (`gridcity fleet credential create NAME`)"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(name: str) -> tuple[FeedCredential, str]:
    """A new credential named ``name`` and its key (shown once; only its digest is kept)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    credential = FeedCredential.objects.create(name=name, digest=digest(key), prefix=key[:10])
    return credential, key


def rotate(name: str) -> str:
    """A fresh key for the credential ``name`` (made if missing, re-activated if revoked); the old
    key stops working at once. For the simulator, which keeps no key between runs."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    FeedCredential.objects.update_or_create(name=name, defaults={"digest": digest(key), "prefix": key[:10],
                                                                 "revoked_at": None})
    return key


def revoke(name: str) -> bool:
    """Revoke the credential ``name`` (from now on its key is refused); False if there is none active."""
    return bool(FeedCredential.objects.filter(name=name, revoked_at=None).update(revoked_at=timezone.now()))


def from_key(key: str) -> FeedCredential | None:
    """The active credential of ``key``; marks it used (at most once a minute, not on every batch)."""
    credential = FeedCredential.objects.filter(digest=digest(key), revoked_at=None).first()
    if credential is not None:
        with connection.cursor() as cur:
            cur.execute("UPDATE fleet_feedcredential SET last_used_at = now() WHERE id = %s"
                        " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
                        [credential.pk])
    return credential


class FeedPrincipal:
    """``request.user`` of a feed: names the feed for the audit log; it is no user and has no role."""

    is_authenticated = True

    def __init__(self, credential: FeedCredential) -> None:
        self.credential = credential
        self.username = f"feed:{credential.name}"


class FeedAuthentication(BaseAuthentication):
    """DRF authentication of ``Authorization: Feed <key>``; an unknown or revoked key is a 401."""

    def authenticate(self, request: Request) -> tuple[FeedPrincipal, FeedCredential] | None:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != SCHEME:
            return None
        credential = from_key(key.strip())
        if credential is None:
            raise FeedNotAuthenticated(f"unknown or revoked feed credential; {HOW}", field="Authorization")
        return FeedPrincipal(credential), credential

    def authenticate_header(self, request: Request) -> str:
        return f'{SCHEME} realm="gps"'
