"""The components' links to their class and unit grid are checked per statement (``layers.links``):
the foreign-key constraints go, the functions the link triggers call come."""

import django.db.models.deletion
from django.db import migrations, models

FUNCTIONS = """
-- Child side: TG_ARGV = child column, parent table, parent column.
CREATE FUNCTION gridcity_link_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  -- Lock what the new rows name, as a row-level check would: a concurrent delete of it waits for us.
  EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %2$I p WHERE p.%3$I IN '
                 '(SELECT DISTINCT n.%1$I FROM new_rows n) FOR KEY SHARE) l', TG_ARGV[0], TG_ARGV[1], TG_ARGV[2]);
  EXECUTE format('SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
                 '(SELECT 1 FROM %2$I p WHERE p.%3$I = n.%1$I) LIMIT 1', TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
    INTO missing;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert or update on table "%" violates its link to "%"', TG_TABLE_NAME, TG_ARGV[1]
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (%s)=(%s) is not present in table "%s".', TG_ARGV[0], missing, TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;

-- Parent side: TG_ARGV = parent column, child table, child column.
CREATE FUNCTION gridcity_link_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  used text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    EXECUTE format('SELECT o.%1$I::text FROM old_rows o WHERE EXISTS '
                   '(SELECT 1 FROM %2$I c WHERE c.%3$I = o.%1$I) LIMIT 1', TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
      INTO used;
  ELSE
    EXECUTE format('SELECT o.%1$I::text FROM old_rows o WHERE NOT EXISTS (SELECT 1 FROM new_rows n '
                   'WHERE n.%1$I = o.%1$I) AND EXISTS (SELECT 1 FROM %2$I c WHERE c.%3$I = o.%1$I) LIMIT 1',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
      INTO used;
  END IF;
  IF used IS NOT NULL THEN
    RAISE EXCEPTION 'update or delete on table "%" violates the link from "%"', TG_TABLE_NAME, TG_ARGV[1]
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (%s)=(%s) is still referenced from table "%s".', TG_ARGV[0], used, TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;

-- TRUNCATE of a parent: TG_ARGV = child table, child column.
CREATE FUNCTION gridcity_link_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  used boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I IS NOT NULL)', TG_ARGV[0], TG_ARGV[1]) INTO used;
  IF used THEN
    RAISE EXCEPTION 'cannot truncate table "%": table "%" links to it', TG_TABLE_NAME, TG_ARGV[0]
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
"""

DROP = """
DROP FUNCTION gridcity_link_child() CASCADE;
DROP FUNCTION gridcity_link_parent() CASCADE;
DROP FUNCTION gridcity_link_truncate() CASCADE;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0004_component_link_indexes'),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, DROP),
        migrations.AlterField(
            model_name='component',
            name='component_class',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='components', to='layers.componentclass', verbose_name='部件类别'),
        ),
        migrations.AlterField(
            model_name='component',
            name='unit_grid',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='components', to='layers.unitgrid', to_field='code', verbose_name='所在单元网格'),
        ),
    ]
