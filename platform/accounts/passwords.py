"""Password rules (SPEC §6): complexity, expiry, and an SM3 hasher for deployments that need
national cryptography."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ValidationError
from django.utils import timezone

if TYPE_CHECKING:
    from .models import User


def expires_at(user: User) -> datetime | None:
    """When the user's password expires (``GRIDCITY_PASSWORD_MAX_AGE_DAYS`` after it was set; 0
    days: never, None). A password never stamped (set by the security administrator) has expired."""
    days = settings.GRIDCITY_PASSWORD_MAX_AGE_DAYS
    if not days:
        return None
    if user.password_changed_at is None:
        return timezone.now() - timedelta(seconds=1)
    return user.password_changed_at + timedelta(days=days)


def expired(user: User) -> bool:
    """Whether the password must be changed before anything else."""
    expiry = expires_at(user)
    return expiry is not None and expiry <= timezone.now()


class ComplexityValidator:
    """At least three of: lower case, upper case, digits, other characters."""

    CLASSES = (r"[a-z]", r"[A-Z]", r"\d", r"[^a-zA-Z\d]")

    def validate(self, password: str, user: object = None) -> None:
        if sum(bool(re.search(c, password)) for c in self.CLASSES) < 3:
            raise ValidationError(
                "the password needs three of: lower case, upper case, digits, symbols", code="password_complexity"
            )

    def get_help_text(self) -> str:
        return "三类以上字符：小写字母、大写字母、数字、符号"


def _sm3() -> hashlib._Hash:
    return hashlib.new("sm3")


class SM3PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with HMAC-SM3 (GB/T 32905) instead of SHA-256; needs an OpenSSL that has SM3."""

    algorithm = "pbkdf2_sm3"
    # staticmethod: a plain function as a class attribute would be bound and called with the hasher.
    digest = staticmethod(_sm3)
