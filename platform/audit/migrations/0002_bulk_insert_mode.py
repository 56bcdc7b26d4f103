"""Bulk mode for INSERT statements: one audit entry per statement listing the inserted keys.

Set per transaction by a bulk loader (``layers.editing.bulk_audit``: ``gridcity.audit_bulk = on``).
An INSERT is then logged as one entry (action INSERT, row_id ``*``, ``after`` = ``{"bulk": true,
"rows": n, "keys": [...]}``) instead of one JSON after-image per row: a new row's after-image is the
stored row itself until its next change, and that change (UPDATE, DELETE) is still logged per row
with its full before/after, whatever the mode. Who and when are recorded as for every entry.
Outside bulk mode nothing changes.
"""

from django.db import migrations

ROWS = """
CREATE OR REPLACE FUNCTION gridcity_audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  who text := coalesce(nullif(current_setting('gridcity.actor', true), ''), 'db:' || session_user);
  pk text := TG_ARGV[0];
  hidden text[] := coalesce(TG_ARGV[1:], '{}');
  keys jsonb;
BEGIN
  IF TG_OP = 'INSERT' AND current_setting('gridcity.audit_bulk', true) = 'on' THEN
    EXECUTE format('SELECT jsonb_agg(%1$I::text ORDER BY %1$I) FROM new_rows', pk) INTO keys;
    IF keys IS NOT NULL THEN
      INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
      VALUES (clock_timestamp(), who, TG_OP, TG_TABLE_NAME, '*', NULL,
              jsonb_build_object('bulk', true, 'rows', jsonb_array_length(keys), 'keys', keys));
    END IF;
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
    SELECT clock_timestamp(), who, TG_OP, TG_TABLE_NAME, j->>pk, NULL, j - hidden
    FROM (SELECT to_jsonb(n) AS j FROM new_rows n) s;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
    SELECT clock_timestamp(), who, TG_OP, TG_TABLE_NAME, n.j->>pk, o.j - hidden, n.j - hidden
    FROM (SELECT to_jsonb(r) AS j FROM new_rows r) n
    JOIN (SELECT to_jsonb(r) AS j FROM old_rows r) o ON o.j->>pk = n.j->>pk
    WHERE o.j IS DISTINCT FROM n.j;
  ELSE
    INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
    SELECT clock_timestamp(), who, TG_OP, TG_TABLE_NAME, j->>pk, j - hidden, NULL
    FROM (SELECT to_jsonb(o) AS j FROM old_rows o) s;
  END IF;
  RETURN NULL;
END $$;
"""

# Bulk entries are found by key: GIN over the listed keys of bulk INSERT entries only.
INDEX = """
CREATE INDEX audit_bulk_keys ON audit_auditentry USING gin ((after -> 'keys') jsonb_path_ops)
  WHERE row_id = '*';
"""


def _previous() -> str:
    from importlib import import_module

    initial = import_module("audit.migrations.0001_initial")
    return initial.ROWS.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(ROWS, _previous()),
        migrations.RunSQL(INDEX, "DROP INDEX audit_bulk_keys;"),
    ]
