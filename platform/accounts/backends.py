"""Login with lockout: after GRIDCITY_LOCKOUT_ATTEMPTS failures the account is locked for a while."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .demo import DEMO_PASSWORD


class LockoutBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: object):
        # The row stays locked until the count is saved, so parallel guesses cannot each read the
        # same count and slip past the limit.
        with transaction.atomic():
            user = get_user_model().objects.select_for_update().filter(username=username).first()
            if user is None or password is None:
                return None
            now = timezone.now()
            if user.locked_until and user.locked_until > now:
                return None
            if not settings.GRIDCITY_DEMO and password == DEMO_PASSWORD:
                return None  # a production configuration refuses the published demo password
            if user.check_password(password) and self.user_can_authenticate(user):
                if user.failed_logins or user.locked_until:
                    user.failed_logins, user.locked_until = 0, None
                    user.save(update_fields=["failed_logins", "locked_until"])
                return user
            user.failed_logins += 1
            if user.failed_logins >= settings.GRIDCITY_LOCKOUT_ATTEMPTS:
                user.locked_until = now + timedelta(minutes=settings.GRIDCITY_LOCKOUT_MINUTES)
                user.failed_logins = 0
            user.save(update_fields=["failed_logins", "locked_until"])
            return None
