"""The child side of a link counts and locks again when a parent appeared after its count.

Each statement of the trigger function (``0006``) takes its own snapshot (READ COMMITTED): a
parent committed by another session between the count of the parents found and the lookup of
the row naming a missing one was counted missing by the first and found by the second, and the
statement failed with an empty key in its error. Now, when the lookup finds no such row, the
parents are counted and locked again (the new one is locked with the others); the error is only
raised with the key of a row whose parent is missing.

Reversing keeps this function: it checks and locks as the one of ``0006`` did.
"""

from django.db import migrations

CHILD = """
CREATE OR REPLACE FUNCTION gridcity_link_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  named bigint;
  found bigint;
  missing text;
BEGIN
  LOOP
    -- The distinct parents the new rows name; those that exist are locked as a row-level check
    -- would lock them: a concurrent delete of one waits for us.
    EXECUTE format('WITH named AS MATERIALIZED (SELECT DISTINCT n.%1$I AS v FROM new_rows n WHERE n.%1$I IS NOT NULL), '
                   'locked AS (SELECT p.%3$I AS v FROM %2$I p WHERE p.%3$I IN (SELECT v FROM named) FOR KEY SHARE) '
                   'SELECT (SELECT count(*) FROM named), (SELECT count(DISTINCT v) FROM locked)',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
      INTO named, found;
    EXIT WHEN found >= named;
    EXECUTE format('SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
                   '(SELECT 1 FROM %2$I p WHERE p.%3$I = n.%1$I) LIMIT 1', TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
      INTO missing;
    IF missing IS NOT NULL THEN
      RAISE EXCEPTION 'insert or update on table "%" violates its link to "%"', TG_TABLE_NAME, TG_ARGV[1]
        USING ERRCODE = 'foreign_key_violation',
              DETAIL = format('Key (%s)=(%s) is not present in table "%s".', TG_ARGV[0], missing, TG_ARGV[1]);
    END IF;
    -- every parent named exists now: one was committed after the count, and is counted and locked next
  END LOOP;
  RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0007_component_code_no_like_index'),
    ]

    operations = [
        migrations.RunSQL(CHILD, migrations.RunSQL.noop),
    ]
