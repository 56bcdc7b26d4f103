"""Each audit entry records the database login that wrote it (``db_user``) and its time, both set
by a trigger whatever the INSERT gave (``sql/stamp.sql``); the stamp and the immutability triggers
fire ALWAYS. Entries written before keep ``db_user`` null."""

from pathlib import Path

from django.db import migrations, models

SQL = Path(__file__).parents[1] / "sql"


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_app_role_grants")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="db_user",
            field=models.CharField(editable=False, max_length=63, null=True, verbose_name="数据库账号"),
        ),
        migrations.RunSQL((SQL / "stamp.sql").read_text(), (SQL / "stamp_reverse.sql").read_text()),
    ]
