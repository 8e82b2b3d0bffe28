"""Create the three role groups with their permissions.

The mapping is frozen here (not imported from accounts.roles) so this migration keeps meaning
what it meant when it ran; a later change of roles is a new migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "viewer": ["view"],
    "operator": [
        "view",
        "submit_jobs",
        "manage_jobs",
        "start_scans",
        "mark_wrong_file",
        "manage_watchlists",
    ],
    "admin": [
        "view",
        "submit_jobs",
        "manage_jobs",
        "start_scans",
        "mark_wrong_file",
        "manage_watchlists",
        "purge_dlq",
        "manage_settings",
        "manage_keys",
        "manage_users",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now to link them.
    accounts = apps.get_app_config("accounts")
    accounts.models_module = True
    create_permissions(accounts, apps=apps, verbosity=0)
    accounts.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = permission_model.objects.filter(
            content_type__app_label="accounts", codename__in=codenames
        )
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
