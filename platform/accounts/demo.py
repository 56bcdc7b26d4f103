"""The demo accounts: one per role (``secadmin`` is the security administrator), all with the
published password (demo mode only)."""

from __future__ import annotations

from layers.access import WHOLE_PLATFORM
from layers.roles import ADMIN, AUDITOR, ROLES, SECADMIN

DEMO_PASSWORD = "gridcity-demo"
DEMO_USERNAMES = tuple(ROLES)
# The demo accounts that reach the whole platform; the others get the demo district.
PLATFORM_WIDE_ROLES = (ADMIN, AUDITOR, SECADMIN)


def create_demo_accounts(district_code: str) -> None:
    """One user per role, named after it, with jurisdiction over the demo district."""
    from .models import User

    for role, title in ROLES.items():
        user, _ = User.objects.get_or_create(username=role, defaults={"role": role})
        user.role = role
        user.first_name = title
        user.jurisdiction_code = WHOLE_PLATFORM if role in PLATFORM_WIDE_ROLES else district_code
        user.is_staff = role == SECADMIN  # the Django admin holds only the user pages, which are theirs
        user.is_superuser = False
        user.set_password(DEMO_PASSWORD)
        user.save()
