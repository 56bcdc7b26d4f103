"""The steps of an import that need a table's owner, for the app role (which owns none): link
triggers switched off and back on with the whole table checked, statistics refreshed — SECURITY
DEFINER functions of the owner role over registered tables only (``sql/maintenance.sql``,
``layers.maintenance``). Reversing drops them and the owner's private schema."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).parents[1] / "sql"


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0009_link_check_table'),
    ]

    operations = [
        migrations.RunSQL((SQL / "maintenance.sql").read_text(), (SQL / "maintenance_reverse.sql").read_text()),
    ]
