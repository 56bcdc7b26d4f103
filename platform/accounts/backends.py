"""Login with lockout and throttling (the policy is in ``accounts.lockout``).

Every attempt costs one password hash, whether the user exists, the password is wrong, or the
attempt is refused unchecked, so the answer's timing does not tell which usernames exist.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit import events
from layers.editing import acting_as

from . import lockout
from .demo import DEMO_PASSWORD
from .models import User


def same_work(password: str) -> None:
    """One hash with the default hasher, as checking a real password costs."""
    make_password(password)


class LockoutBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: object) -> User | None:
        if username is None or password is None:
            return None
        address = lockout.source_address(request)
        with transaction.atomic():
            lockout.serialize(username, address)
            user = User.objects.filter(username=username).first()
            refused = lockout.refusal(username, address, user.locked_until if user else None)
            if refused is not None:
                same_work(password)
                _denied(username, user, address, refused.value)
                return None
            if user is None:
                same_work(password)
                reason = "unknown user"
            elif not user.check_password(password):
                reason = "wrong password"
            elif not settings.GRIDCITY_DEMO and password == DEMO_PASSWORD:
                reason = "demo password refused in production"
            elif not self.user_can_authenticate(user):
                reason = "inactive"
            else:
                lockout.clear(username, address)
                return user
            _denied(username, user, address, reason)
            if lockout.count_failure(username, address) and user is not None:
                _lock(user, address)
            return None


def _denied(username: str, user: User | None, address: str, reason: str) -> None:
    events.record(events.LOGIN_FAILED, f"anonymous@{address}", "accounts_user", user.pk if user else None,
                  {"username": username, "address": address, "reason": reason})


def _lock(user: User, address: str) -> None:
    """Lock the account for a window; the database revokes its tokens (migration 0003)."""
    user.locked_until = timezone.now() + lockout.window()
    with acting_as(f"anonymous@{address}"):
        user.save(update_fields=["locked_until"])
    events.record(events.LOCK, f"anonymous@{address}", "accounts_user", user.pk,
                  {"username": user.username, "address": address, "until": user.locked_until.isoformat()})
