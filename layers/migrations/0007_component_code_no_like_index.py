"""The components' code loses the ``varchar_pattern_ops`` index Django adds to every unique
``CharField`` on PostgreSQL (``layers_component_code_…_like``), for prefix ``LIKE`` queries.

Nothing asks for a prefix of a component's code (lookups by code are exact, served by the unique
key; prefixes are asked of the unit grid, which has its own pattern index), so the index only
cost: every component written maintained it, and a census rebuilt it.
"""

from django.db import migrations

DROP = """
DO $$
DECLARE
  found text;
BEGIN
  FOR found IN SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = current_schema()
      AND i.tablename = 'layers_component' AND i.indexdef LIKE '%(code varchar_pattern_ops)' LOOP
    EXECUTE format('DROP INDEX %I', found);
  END LOOP;
END $$;
"""

# The name Django gives the index (its state still holds it, ``code`` being unique): a later operation finds it.
CREATE = "CREATE INDEX layers_component_code_8d83d2d4_like ON layers_component (code varchar_pattern_ops);"


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0006_link_check_one_scan'),
    ]

    operations = [
        migrations.RunSQL(DROP, CREATE),
    ]
