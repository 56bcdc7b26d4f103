"""The owner role's grants to the app role (``sql/grants.sql``): read and write the rows of the
platform's tables, append to the audit log, nothing more. The function is called after every
migration (``audit.grants``), so tables of later migrations get the grants too; the owner's
default privileges give them at once. Reversing drops the function (the grants stay)."""

from pathlib import Path

from django.db import migrations

GRANTS = (Path(__file__).parents[1] / "sql" / "grants.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_bulk_run_in_numeric")]

    operations = [migrations.RunSQL(GRANTS, "DROP FUNCTION gridcity_grant_app(name)")]
