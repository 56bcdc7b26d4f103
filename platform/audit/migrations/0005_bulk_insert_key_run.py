"""A bulk INSERT (``0002``) whose integer keys are one unbroken run — a load's ids, drawn from
its sequence — is logged as the run, not as the list of every key.

``after`` is then ``{"bulk": true, "rows": n, "first": lo, "last": hi}``; keys that are not
integers, or have gaps (another session drew ids from the same sequence meanwhile), are still
listed under ``"keys"``. A census of 138,662 components was one entry of 2.5 MB whose key list
had to be sorted, aggregated and indexed (GIN) within the INSERT; the run takes one pass over the
new rows. The audit API finds a row in either form (``audit.views``). Nothing else changes.
"""

from importlib import import_module

from django.db import migrations

_PREVIOUS = import_module("audit.migrations.0004_update_rows_to_json_once").ROWS
_DECLARED = "  keys jsonb;\n"
_LISTED = """  IF TG_OP = 'INSERT' AND current_setting('gridcity.audit_bulk', true) = 'on' THEN
    EXECUTE format('SELECT jsonb_agg(%1$I::text ORDER BY %1$I) FROM new_rows', pk) INTO keys;
"""
_RUN = """  IF TG_OP = 'INSERT' AND current_setting('gridcity.audit_bulk', true) = 'on' THEN
    IF (SELECT atttypid FROM pg_attribute WHERE attrelid = TG_RELID AND attname = pk)
        IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
      EXECUTE format('SELECT count(*), min(%1$I), max(%1$I) FROM new_rows', pk) INTO run_rows, run_first, run_last;
    END IF;
    IF run_rows > 0 AND run_last - run_first + 1 = run_rows THEN  -- unique keys: all of [first, last]
      INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
      VALUES (clock_timestamp(), who, TG_OP, TG_TABLE_NAME, '*', NULL,
              jsonb_build_object('bulk', true, 'rows', run_rows, 'first', run_first, 'last', run_last));
      RETURN NULL;
    END IF;
    EXECUTE format('SELECT jsonb_agg(%1$I::text ORDER BY %1$I) FROM new_rows', pk) INTO keys;
"""
assert _DECLARED in _PREVIOUS and _LISTED in _PREVIOUS, "audit 0004's bulk branch is not the one this migration rewrites"
ROWS = _PREVIOUS.replace(_DECLARED, _DECLARED + "  run_rows bigint;\n  run_first bigint;\n  run_last bigint;\n").replace(_LISTED, _RUN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_update_rows_to_json_once")]

    operations = [migrations.RunSQL(ROWS, _PREVIOUS)]
