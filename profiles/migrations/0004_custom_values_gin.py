"""On PostgreSQL, a GIN index of the profiles' custom values (jsonb_path_ops): an import
matched by ``field:<name>`` finds the holders of a batch's values through it (containment,
``custom_values @> '{"crm_id": "C-1"}'``) instead of reading every profile. One index
serves every custom field. Other databases have no such index and need none for matching a
batch (SQLite reads the table, which is small there)."""

from django.db import migrations

INDEX = "profile_custom_values_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON profiles_profile "
            "USING gin (custom_values jsonb_path_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("profiles", "0003_database_description_length")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
