"""An UPDATE converts each old and new row to JSON once, not twice: the planner pulled the
``to_jsonb`` laterals of ``0003`` up into the join and evaluated them again for the "changed?"
filter (a geometry column makes the conversion the costly part). ``OFFSET 0`` keeps each
lateral a subquery of its own; nothing else changes."""

from importlib import import_module

from django.db import migrations

_PREVIOUS = import_module("audit.migrations.0003_update_join_by_key").ROWS
_PULLED_UP = "LATERAL (SELECT to_jsonb(o) AS j) b, LATERAL (SELECT to_jsonb(n) AS j) a"
_KEPT_APART = "LATERAL (SELECT to_jsonb(o) AS j OFFSET 0) b, LATERAL (SELECT to_jsonb(n) AS j OFFSET 0) a"
assert _PULLED_UP in _PREVIOUS, "audit 0003's UPDATE branch is not the one this migration rewrites"
ROWS = _PREVIOUS.replace(_PULLED_UP, _KEPT_APART)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_update_join_by_key")]

    operations = [migrations.RunSQL(ROWS, _PREVIOUS)]
