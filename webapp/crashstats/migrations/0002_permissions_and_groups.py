"""Crash Stats' permissions and the groups that grant them (Hackers, Hackers Plus).

Written out here rather than imported, so this migration keeps doing what it did when later
code changes; ``webapp.crashstats.permissions`` lists the same names.
"""

from django.db import migrations

PERMISSIONS = {
    "view_pii": "View Personal Identifiable Information",
    "view_rawdump": "View Raw Dumps",
    "reprocess_crashes": "Reprocess Crashes",
    "run_custom_queries": "Run Custom Queries in Super Search",
    "run_long_queries": "Run Long Queries",
    "upload_symbols": "Upload Symbols",
}
GROUPS = {
    "Hackers": ("reprocess_crashes", "run_long_queries", "view_pii", "view_rawdump"),
    "Hackers Plus": (
        "reprocess_crashes",
        "run_long_queries",
        "view_pii",
        "view_rawdump",
        "run_custom_queries",
    ),
}


def create(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="crashstats", model="protecteddataaccess"
    )
    permissions = {}
    for codename, name in PERMISSIONS.items():
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions[codename] = permission
    for group_name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*(permissions[codename] for codename in codenames))


def remove(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.filter(name__in=list(GROUPS)).delete()
    Permission.objects.filter(
        content_type__app_label="crashstats", codename__in=list(PERMISSIONS)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crashstats", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create, remove)]
