"""Drop the single-column indexes of ``database_id`` on profiles and their phones.

Each is the first column of another index: ``(database_id, status)`` and the unique
``(database_id, email)`` on profiles, ``(database_id, number)`` on phones, which answer
whatever the single-column one did (the foreign key's checks, a database's deletion). Every
index costs each new row a write: an import of 100,000 profiles kept 17 of them up to date.

Only the indexes go: the foreign keys stay as they are (Django's AlterField would drop and
add each constraint again, checking every row of a table of millions under a lock). Dropped
concurrently on PostgreSQL, built again when migrating backwards.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = ("profile", "profilephone")


def _single_column_index(schema_editor, table):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    for name, details in constraints.items():
        if (
            details["index"]
            and details["columns"] == ["database_id"]
            and not details["unique"]
            and not details["primary_key"]
        ):
            return name
    return None


def drop_indexes(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    for name in TABLES:
        table = apps.get_model("profiles", name)._meta.db_table
        index = _single_column_index(schema_editor, table)
        if index is not None:
            schema_editor.execute(
                f"DROP INDEX{concurrently} IF EXISTS {schema_editor.quote_name(index)}"
            )


def build_indexes(apps, schema_editor):
    for name in TABLES:
        model = apps.get_model("profiles", name)
        if _single_column_index(schema_editor, model._meta.db_table) is None:
            field = model._meta.get_field("database")
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("profiles", "0008_profile_fillfactor")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="profile",
                    name="database",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="profiles",
                        to="profiles.profiledatabase",
                    ),
                ),
                migrations.AlterField(
                    model_name="profilephone",
                    name="database",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="profiles.profiledatabase",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, build_indexes)],
        )
    ]
