"""The two database roles the platform runs with (ARCHITECTURE.md, "Database roles").

The *owner* role runs the migrations and owns every table, function and trigger; the *app* role
(``DATABASE_URL``'s login) serves, imports and runs the tests, with only the grants of
``audit/sql/grants.sql``: it cannot alter, disable or truncate what it must not, nor change
``session_replication_role``. A process starts as the app; ``gridcity migrate`` (and the test
run's setup) switch the connection's login to the owner's (``GRIDCITY_OWNER_DATABASE``) before
the first query, and the test run back to the app's after.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

from .errors import OwnerLoginMissing, PrivilegedAppLogin

# What the app's login must not be: any of these lets it rewrite the audit log.
_APP_ROLE_CHECK = """
SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relowner = r.oid AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast%%')
FROM pg_roles r WHERE r.rolname = session_user
"""


# The app's login of each connection switched to the owner's, to switch back to.
_APP_LOGINS: dict[str, tuple[str, str]] = {}


def _login(user: str, password: str, alias: str) -> None:
    connection = connections[alias]
    connection.close()
    connection.settings_dict.update(USER=user, PASSWORD=password)


def use_owner(alias: str = "default") -> None:
    """Log ``alias`` in as the owner role from its next query on (migrations, test database setup)."""
    owner = settings.GRIDCITY_OWNER_DATABASE
    if owner is None:
        raise OwnerLoginMissing(
            "GRIDCITY_OWNER_DATABASE_URL is not set: migrations run as the database's owner role, not as the "
            "app's (DATABASE_URL). Set it to postgresql://OWNER:PASSWORD@HOST:PORT/DBNAME, the same database "
            "as DATABASE_URL (docker-compose.yml: the migrate service)", field="GRIDCITY_OWNER_DATABASE_URL")
    current = connections[alias].settings_dict
    _APP_LOGINS.setdefault(alias, (current["USER"], current["PASSWORD"]))
    _login(str(owner["USER"]), str(owner["PASSWORD"]), alias)


def use_app(alias: str = "default") -> None:
    """Log ``alias`` in as the app role again (after :func:`use_owner`) from its next query on."""
    if alias in _APP_LOGINS:
        _login(*_APP_LOGINS.pop(alias), alias)


def check_app_role(alias: str = "default") -> None:
    """Refuse to serve when the app's login could change what it must not: a superuser, a role
    that bypasses row security or makes roles, or one that owns tables (the owner's login)."""
    with connections[alias].cursor() as cur:
        cur.execute(_APP_ROLE_CHECK)
        row = cur.fetchone()
    superuser, bypass, createrole, owned = row if row else (False, False, False, 0)
    if superuser or bypass or createrole or owned:
        what = ("a superuser" if superuser else "a role that bypasses row security" if bypass
                else "a role that creates roles" if createrole else f"the owner of {owned} tables")
        raise PrivilegedAppLogin(
            f"DATABASE_URL logs in as {settings.GRIDCITY_APP_ROLE!r}, {what}: the platform must run as the "
            "unprivileged app role, with migrations under the owner role (GRIDCITY_OWNER_DATABASE_URL); "
            "see deploy/db/gridcity-roles.sh", field="DATABASE_URL")
