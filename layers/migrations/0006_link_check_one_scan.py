"""The child side of a link (``layers.links``) reads the statement's new rows once, not twice.

Before, the trigger scanned ``new_rows`` once to lock the parents named and again to look for a
row naming a missing one: for a census the two link triggers were most of the layer INSERT's
time. Now the distinct parents named are read once, those that exist are locked
``FOR KEY SHARE`` and counted, and only when fewer exist than are named is the offending row
looked for (to name it in the error). The parent column of a link is unique (a foreign key's
target), so the count is of distinct parents found.

Reversing keeps this function: it checks and locks as the one of ``0005`` did.
"""

from django.db import migrations

CHILD = """
CREATE OR REPLACE FUNCTION gridcity_link_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  named bigint;
  found bigint;
  missing text;
BEGIN
  -- The distinct parents the new rows name; those that exist are locked as a row-level check
  -- would lock them: a concurrent delete of one waits for us.
  EXECUTE format('WITH named AS MATERIALIZED (SELECT DISTINCT n.%1$I AS v FROM new_rows n WHERE n.%1$I IS NOT NULL), '
                 'locked AS (SELECT p.%3$I AS v FROM %2$I p WHERE p.%3$I IN (SELECT v FROM named) FOR KEY SHARE) '
                 'SELECT (SELECT count(*) FROM named), (SELECT count(DISTINCT v) FROM locked)',
                 TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
    INTO named, found;
  IF found < named THEN
    EXECUTE format('SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
                   '(SELECT 1 FROM %2$I p WHERE p.%3$I = n.%1$I) LIMIT 1', TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])
      INTO missing;
    RAISE EXCEPTION 'insert or update on table "%" violates its link to "%"', TG_TABLE_NAME, TG_ARGV[1]
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (%s)=(%s) is not present in table "%s".', TG_ARGV[0], missing, TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0005_set_based_links'),
    ]

    operations = [
        migrations.RunSQL(CHILD, migrations.RunSQL.noop),
    ]
