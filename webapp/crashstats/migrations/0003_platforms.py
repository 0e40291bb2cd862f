"""The platforms Crash Stats knows, with the short names of table columns."""

from django.db import migrations

PLATFORMS = [
    ("Windows", "win"),
    ("Mac OS X", "mac"),
    ("Linux", "lin"),
    ("Unknown", "unknown"),
]


def create(apps, schema_editor):
    Platform = apps.get_model("crashstats", "Platform")
    for name, short_name in PLATFORMS:
        Platform.objects.get_or_create(name=name, defaults={"short_name": short_name})


def remove(apps, schema_editor):
    Platform = apps.get_model("crashstats", "Platform")
    Platform.objects.filter(name__in=[name for name, _ in PLATFORMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("crashstats", "0002_permissions_and_groups")]

    operations = [migrations.RunPython(create, remove)]
