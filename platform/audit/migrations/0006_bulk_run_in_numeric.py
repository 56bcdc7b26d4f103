"""The key run of a bulk INSERT (``0005``) is measured in numeric: ``last - first + 1`` of two
bigint keys far apart (ids near both ends of the int8 range) overflowed, and the INSERT failed
with "bigint out of range" instead of being logged with its key list. Nothing else changes.
"""

from importlib import import_module

from django.db import migrations

_PREVIOUS = import_module("audit.migrations.0005_bulk_insert_key_run").ROWS
_SPAN = "run_last - run_first + 1 = run_rows"
assert _SPAN in _PREVIOUS, "audit 0005's key run test is not the one this migration rewrites"
ROWS = _PREVIOUS.replace(_SPAN, "run_last::numeric - run_first + 1 = run_rows")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_bulk_insert_key_run")]

    operations = [migrations.RunSQL(ROWS, _PREVIOUS)]
