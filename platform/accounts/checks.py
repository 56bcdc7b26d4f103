"""Start-up check: a production configuration refuses demo accounts that still have the demo password."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError

from .demo import DEMO_PASSWORD, DEMO_USERNAMES

CHANGE_PASSWORD = "gridcity manage changepassword"


@register("security", deploy=True)
def demo_accounts_refused(app_configs: object = None, **kwargs: object) -> list[Error]:
    if settings.GRIDCITY_DEMO:
        return []
    from .models import User

    try:
        users = list(User.objects.filter(username__in=DEMO_USERNAMES))
    except DatabaseError:
        return []
    weak = [u.username for u in users if u.check_password(DEMO_PASSWORD)]
    if not weak:
        return []
    return [Error(
        f"demo accounts with the published demo password exist: {', '.join(weak)}",
        hint=f"before running in production, give each a new password (`{CHANGE_PASSWORD} NAME`) or deactivate "
             "it (the admin site, /admin/accounts/user/)",
        id="gridcity.E001",
    )]
