"""Failed logins, counted so that lockout cannot be used as a weapon.

Policy (SPEC §6: lockout after at most 5 failed logins), over a window of
``GRIDCITY_LOCKOUT_MINUTES`` (15):

- **account from one address**: ``GRIDCITY_LOCKOUT_ATTEMPTS`` (5) failures on one account from one
  source address refuse that address for that account until they are a window old; the real
  user, logging in from elsewhere, is not locked out.
- **address**: ``GRIDCITY_ADDRESS_ATTEMPTS`` (20) failures from one address, on any accounts,
  refuse every login from it likewise (password spraying).
- **account**: ``GRIDCITY_ACCOUNT_ATTEMPTS`` (20) failures on one account from all addresses lock
  the account itself for a window (a distributed attack): ``locked_until`` is set, its tokens are
  revoked, and the security administrator can unlock it from the product.

A refused attempt checks no password and counts for nothing, so an attacker cannot extend a lock
or push the account-wide count from an address already refused. Usernames that do not exist are
counted like the others, so a refusal tells nothing about which accounts exist.

The source address is the connection's, or, behind ``GRIDCITY_TRUSTED_PROXIES`` proxies that each
append to ``X-Forwarded-For`` (nginx's ``$proxy_add_x_forwarded_for``), the entry they appended.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from .models import LoginFailure


class Refusal(Enum):
    ACCOUNT_FROM_ADDRESS = "locked for this address"
    ADDRESS = "address throttled"
    ACCOUNT = "account locked"


def source_address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    meta = request.META
    proxies = settings.GRIDCITY_TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:45]
    return str(meta.get("REMOTE_ADDR", ""))[:45]


def window() -> timedelta:
    return timedelta(minutes=settings.GRIDCITY_LOCKOUT_MINUTES)


def serialize(username: str, address: str) -> None:
    """Make concurrent attempts on one account or from one address count one after the other
    (until the transaction ends), so parallel guesses cannot all slip under a limit."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('gridcity.login'), hashtext(%s)),"
                    " pg_advisory_xact_lock(hashtext('gridcity.login.address'), hashtext(%s))",
                    [username, address])


def refusal(username: str, address: str, locked_until: datetime | None) -> Refusal | None:
    """Why a login must be refused before its password is checked, if it must."""
    now = timezone.now()
    if locked_until is not None and locked_until > now:
        return Refusal.ACCOUNT
    counts = LoginFailure.objects.filter(at__gt=now - window()).aggregate(
        pair=Count("id", filter=Q(username=username, address=address)),
        address=Count("id", filter=Q(address=address)),
    )
    if counts["pair"] >= settings.GRIDCITY_LOCKOUT_ATTEMPTS:
        return Refusal.ACCOUNT_FROM_ADDRESS
    if counts["address"] >= settings.GRIDCITY_ADDRESS_ATTEMPTS:
        return Refusal.ADDRESS
    return None


def count_failure(username: str, address: str) -> bool:
    """Record a failed password check; True when the account's failures from all addresses now
    reach the account-wide limit (the caller locks it, and its count starts afresh)."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lte=now - window()).delete()  # older ones count for nothing
    LoginFailure.objects.create(at=now, username=username, address=address)
    failures = LoginFailure.objects.filter(username=username, at__gt=now - window())
    if failures.count() < settings.GRIDCITY_ACCOUNT_ATTEMPTS:
        return False
    failures.delete()
    return True


def clear(username: str, address: str) -> None:
    """A successful login from an address forgets that address's failures on the account."""
    LoginFailure.objects.filter(username=username, address=address).delete()


def forget(username: str) -> None:
    """An unlock by the security administrator forgets every failure on the account."""
    LoginFailure.objects.filter(username=username).delete()
