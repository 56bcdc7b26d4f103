"""Deny by default: an empty jurisdiction now means no jurisdiction, and ``*`` the whole platform.

Existing accounts that reached the whole platform through an empty jurisdiction keep their reach
when they are platform-wide by role (system administrator, auditor) or superusers; any other
account with an empty jurisdiction now sees nothing until an administrator assigns one.
"""

from django.db import migrations, models

WHOLE_PLATFORM = "*"  # layers.access.WHOLE_PLATFORM, frozen here as migrations must be
PLATFORM_WIDE_ROLES = ("admin", "auditor")


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    wide = models.Q(role__in=PLATFORM_WIDE_ROLES) | models.Q(is_superuser=True)
    User.objects.filter(wide, jurisdiction_code="").update(jurisdiction_code=WHOLE_PLATFORM)


def backwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(jurisdiction_code=WHOLE_PLATFORM).update(jurisdiction_code="")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="jurisdiction_code",
            field=models.CharField(
                blank=True,
                help_text="district (6), street (9) or community (12) code, or * for the whole platform; "
                          "empty: no jurisdiction (sees and writes nothing)",
                max_length=12, verbose_name="管辖范围",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
