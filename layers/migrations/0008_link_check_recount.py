"""The child side of a link counts and locks again when a parent appeared after its count.

Each statement of the trigger function (``0006``) takes its own snapshot (READ COMMITTED): a
parent committed by another session between the count of the parents found and the lookup of
the row naming a missing one was counted missing by the first and found by the second, and the
statement failed with an empty key in its error. Now, when the lookup finds no such row, the
parents are counted and locked again (the new one is locked with the others); the error is only
raised with the key of a row whose parent is missing.

Reversing restores 0006's function.
"""

from importlib import import_module

from django.db import migrations

_PREVIOUS = import_module("layers.migrations.0006_link_check_one_scan").CHILD
_COUNT = "  -- The distinct parents the new rows name;"
_LOOKED_UP = "      INTO missing;\n"
_END = "  END IF;\n  RETURN NULL;"
assert all(part in _PREVIOUS for part in (_COUNT, _LOOKED_UP, _END)), (
    "layers 0006's link check is not the one this migration rewrites")
# 0006's count, lookup and error in a loop that ends after a count finding every parent named.
CHILD = (_PREVIOUS.replace(_COUNT, "  LOOP\n" + _COUNT)
         .replace(_LOOKED_UP, _LOOKED_UP + "    -- no row names a missing parent: one was committed after the count,\n"
                  "    -- and the next count locks it with the others\n    CONTINUE WHEN missing IS NULL;\n")
         .replace(_END, "  END IF;\n  EXIT;\n  END LOOP;\n  RETURN NULL;"))


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0007_component_code_no_like_index'),
    ]

    operations = [
        migrations.RunSQL(CHILD, _PREVIOUS),
    ]
