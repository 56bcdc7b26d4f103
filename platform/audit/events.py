"""Authentication and account events in the audit log, beside the rows the triggers write.

An event is one entry: ``action`` is the event (below), ``table_name``/``row_id`` the account
(``accounts_user``) or token (``accounts_apitoken``) it concerns, ``after`` its details (source
address, device, reason …). It is inserted with the columns named, so a column the database fills
itself keeps its default.
"""

from __future__ import annotations

import json

from django.db import connection

LOGIN = "LOGIN"          # a successful login (session or token)
LOGIN_FAILED = "DENIED"  # a refused login: username tried, source address, why
LOGOUT = "LOGOUT"
TOKEN_ISSUE = "ISSUE"    # an API token issued to a device
TOKEN_REVOKE = "REVOKE"  # an API token revoked by its user or the security administrator
LOCK = "LOCK"            # an account locked by failed logins
UNLOCK = "UNLOCK"        # an account unlocked by the security administrator
PASSWORD = "PASSWORD"    # a user changed the password
RESET = "RESET"          # the security administrator set a user's password


def record(action: str, actor: str, table: str, row: object, detail: dict[str, object]) -> None:
    """Write one event entry (in the caller's transaction, if any)."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)"
            " VALUES (clock_timestamp(), %s, %s, %s, %s, NULL, %s::jsonb)",
            [actor[:150], action, table, "" if row is None else str(row), json.dumps(detail, ensure_ascii=False)],
        )
