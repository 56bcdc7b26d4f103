"""Password rules (SPEC §6): complexity, and an SM3 hasher for deployments that need national cryptography."""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ValidationError


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
