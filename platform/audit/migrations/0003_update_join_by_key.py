"""An UPDATE is logged by joining its old and new rows on the primary key column, not on
``to_jsonb(row)->>pk``: the expression join was a nested loop that converted every old row to
JSON once per new row, quadratic in the rows updated.
The bulk-insert mode of ``0002`` is unchanged."""

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
    EXECUTE format(
      'INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)'
      ' SELECT clock_timestamp(), $1, $2, $3, n.%1$I::text, b.j - $4, a.j - $4'
      ' FROM new_rows n JOIN old_rows o ON o.%1$I = n.%1$I,'
      ' LATERAL (SELECT to_jsonb(o) AS j) b, LATERAL (SELECT to_jsonb(n) AS j) a'
      ' WHERE b.j IS DISTINCT FROM a.j', pk)
      USING who, TG_OP, TG_TABLE_NAME, hidden;
  ELSE
    INSERT INTO audit_auditentry (at, actor, action, table_name, row_id, before, after)
    SELECT clock_timestamp(), who, TG_OP, TG_TABLE_NAME, j->>pk, j - hidden, NULL
    FROM (SELECT to_jsonb(o) AS j FROM old_rows o) s;
  END IF;
  RETURN NULL;
END $$;
"""


def _previous() -> str:
    from importlib import import_module

    return import_module("audit.migrations.0002_bulk_insert_mode").ROWS


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_bulk_insert_mode")]

    operations = [migrations.RunSQL(ROWS, _previous())]
