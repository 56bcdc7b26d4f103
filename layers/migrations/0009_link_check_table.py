"""The links of a whole table checked at once, for a load of many statements (``layers.links.checked_after``).

A streamed census (``importers.stream``) INSERTs its batches into the empty layer one statement
each: the child-side trigger (``0008``) counted and locked the same 4,000 unit grids again for
every batch of 20,000 components. With the INSERT link triggers off for the
load, ``gridcity_link_table(child, column, parent, parent_column)`` checks every row of the child
table once at its end: the trigger's own statements (``0008``'s text, here over the table instead
of a statement's new rows), the parents named locked ``FOR KEY SHARE`` and a missing one failing
with ``foreign_key_violation``, the same error as the trigger's.

Reversing drops the function.
"""

from importlib import import_module

from django.db import migrations

_TRIGGER = import_module("layers.migrations.0008_link_check_recount").CHILD
# The trigger's arguments and rows, and what stands for them in the function over a table.
_FOR_A_TABLE = {
    "the new rows name": "the rows name",
    "gridcity_link_child() RETURNS trigger":
        "gridcity_link_table(child text, child_column text, parent text, parent_column text) RETURNS void",
    "FROM new_rows n": "FROM %4$I n",
    "TG_ARGV[0], TG_ARGV[1], TG_ARGV[2])": "child_column, parent, parent_column, child)",
    "TG_TABLE_NAME, TG_ARGV[1]": "child, parent",
    "TG_ARGV[0], missing, TG_ARGV[1]": "child_column, missing, parent",
    "RETURN NULL;": "RETURN;",
}
assert all(part in _TRIGGER for part in _FOR_A_TABLE), "layers 0008's link check is not the one this migration reads"
TABLE = _TRIGGER
for _part, _replacement in _FOR_A_TABLE.items():
    TABLE = TABLE.replace(_part, _replacement)
assert "TG_" not in TABLE and "new_rows" not in TABLE


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0008_link_check_recount'),
    ]

    operations = [
        migrations.RunSQL(TABLE, "DROP FUNCTION gridcity_link_table(text, text, text, text)"),
    ]
