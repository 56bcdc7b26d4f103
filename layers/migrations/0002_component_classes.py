"""Loads the GB/T 30428.2 component class table shipped in layers/data/component_classes.csv."""

import csv
from pathlib import Path

from django.db import migrations

TABLE = Path(__file__).resolve().parents[1] / "data" / "component_classes.csv"


def load(apps, schema_editor):
    ComponentClass = apps.get_model("layers", "ComponentClass")
    with TABLE.open(encoding="utf-8") as f:
        rows = [
            ComponentClass(code=r["major_code"] + r["minor_code"], major_code=r["major_code"],
                           minor_code=r["minor_code"], major_name=r["major_name"], name=r["name"])
            for r in csv.DictReader(f)
        ]
    ComponentClass.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
