"""The app role's grants, given by the owner role after every ``migrate`` (``sql/grants.sql``)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def grant_app() -> None:
    """Grant the app role (``GRIDCITY_APP_ROLE``, DATABASE_URL's login) what it may do; idempotent."""
    with connection.cursor() as cur:
        cur.execute("SELECT gridcity_grant_app(%s)", [settings.GRIDCITY_APP_ROLE])


def grant_after_migrate(sender: object, **kwargs: object) -> None:
    if getattr(sender, "name", None) == "audit":
        grant_app()
