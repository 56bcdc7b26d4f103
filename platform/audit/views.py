"""The audit log, readable by auditors only (三员: the system admin cannot read or change it)."""

from __future__ import annotations

import re

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import PasswordCurrent
from layers.api import params
from layers.errors import BadParameter, NotAllowed
from layers.roles import AUDITOR

from .models import AuditEntry

FILTERS = ("actor", "table_name", "row_id", "action")
BULK_ROW_ID = "*"  # see migrations 0002_bulk_insert_mode and 0005_bulk_insert_key_run


class AuditLog(APIView):
    permission_classes = [IsAuthenticated, PasswordCurrent]  # not the business roles' default: auditors only

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        if request.user.role != AUDITOR:
            raise NotAllowed("only auditors read the audit log", field="role")
        rows = AuditEntry.objects.all()
        for name, value in request.query_params.items():
            params.text(value, name)
            if name == "row_id":
                rows = rows.filter(_row(value))
            elif name in FILTERS:
                rows = rows.filter(**{name: value})
            elif name not in ("limit", "offset"):
                raise BadParameter(f"unknown filter {name!r}; use {', '.join(FILTERS)}", field=name, rule="known_field")
        limit = params.integer(request.query_params.get("limit"), "limit", 100, 1000) or 0
        offset = params.integer(request.query_params.get("offset"), "offset", 0, 10**9) or 0
        page = rows[offset: offset + limit]
        return Response({"total": rows.count(), "entries": [
            {"at": e.at, "actor": e.actor, "db_user": e.db_user, "action": e.action, "table": e.table_name,
             "row_id": e.row_id, "before": e.before, "after": e.after} for e in page
        ]})


def _row(key: str) -> Q:
    """The entries of one row: its own, and the one entry (row_id '*') of the bulk INSERT that made
    it, which lists its key or, for a run of integer keys, gives the run's first and last
    (migrations 0002 and 0005)."""
    found = Q(row_id=key) | Q(row_id=BULK_ROW_ID, after__keys__contains=[key])
    if _INTEGER_KEY.fullmatch(key):  # as the trigger writes an integer key: no sign +, no leading zero, int8
        found |= Q(row_id=BULK_ROW_ID, after__first__lte=int(key), after__last__gte=int(key))
    return found


_INTEGER_KEY = re.compile(r"-?[1-9][0-9]{0,18}|0")
