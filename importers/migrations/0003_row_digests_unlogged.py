"""Row digests are a cache of what the last import saw, not data: UNLOGGED, like the tile cache,
so remembering them writes no WAL. After a crash the table is empty and the next re-import of
each layer simply takes the full path once."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("importers", "0002_row_digests")]

    operations = [migrations.RunSQL("ALTER TABLE importers_rowdigest SET UNLOGGED;",
                                    "ALTER TABLE importers_rowdigest SET LOGGED;")]
