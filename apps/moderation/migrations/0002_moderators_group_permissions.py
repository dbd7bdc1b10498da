"""The moderators group holds exactly the permissions the moderation services check."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS_GROUP = "moderators"
PERMISSIONS = [
    "review_submissions",
    "review_claims",
    "handle_flags",
    "hide_comments",
    "lock_discussions",
    "edit_papers",
    "sanction_users",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("moderation")
    # create_permissions skips apps without models_module (historical apps have none).
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="moderation", codename__in=PERMISSIONS)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=MODERATORS_GROUP):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("users", "0003_moderators_group"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
