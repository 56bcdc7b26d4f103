"""Indexes dropped before a load into an empty table and built again after it, for the app role
(which owns no table): SECURITY DEFINER functions of the owner role over registered tables, the
definitions kept by the owner between the two calls (``sql/indexes.sql``,
``importers.indexes.built_after``); the row digests' table registered. Reversing drops them."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).parents[1] / "sql"


class Migration(migrations.Migration):
    dependencies = [("importers", "0003_row_digests_unlogged"), ("layers", "0010_app_role_maintenance")]

    operations = [
        migrations.RunSQL((SQL / "indexes.sql").read_text(), (SQL / "indexes_reverse.sql").read_text()),
    ]
