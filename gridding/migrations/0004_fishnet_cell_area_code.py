"""Fishnet cells carry their fishnet's area code: the jurisdiction rule scopes them by it (a cell at
the area's edge reaches past it, so where its point on surface lies does not say whose it is)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("gridding", "0003_evaluationbuildjob"),
    ]

    operations = [
        migrations.AddField(
            model_name="fishnetcell",
            name="area_code",
            field=models.CharField(db_index=True, default="", max_length=12, verbose_name="范围"),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE gridding_fishnetcell c SET area_code = f.area_code FROM gridding_fishnet f"
            " WHERE f.id = c.fishnet_id",
            migrations.RunSQL.noop,
        ),
    ]
