from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("gridding", "0001_initial")]

    operations = [
        migrations.AddField("samplinground", "voided_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="作废时间")),
        migrations.AddField("samplinground", "voided_by",
                            models.CharField(blank=True, default="", max_length=150, verbose_name="作废人"),
                            preserve_default=False),
        migrations.AddField("samplinground", "void_reason",
                            models.CharField(blank=True, default="", max_length=500, verbose_name="作废原因"),
                            preserve_default=False),
    ]
