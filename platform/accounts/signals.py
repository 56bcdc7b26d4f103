"""Session logins and logouts (the web map, the Django admin) in the audit log; token logins are
recorded by their views."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from audit import events

from .lockout import source_address
from .models import User


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def audit_login(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    events.record(events.LOGIN, user.username, "accounts_user", user.pk, {"address": source_address(request),
                                                                           "session": True})


@receiver(user_logged_out, dispatch_uid="accounts.audit_logout")
def audit_logout(sender: object, request: HttpRequest | None, user: User | None, **kwargs: object) -> None:
    if user is not None:
        events.record(events.LOGOUT, user.username, "accounts_user", user.pk, {"address": source_address(request),
                                                                                "session": True})
