"""Order profiles by (created_at, id) from an index: the admin's "created at" column.

The admin sorts by a column only when an index orders its rows (``core.admin``): the
single-column index of ``created_at`` left each run of equal times (a whole import's rows
share a second) to be sorted again, by id, for every page. ``(created_at, id)`` replaces
it and answers what it answered (the date filter's ranges) as well.

Built and dropped concurrently on PostgreSQL (writes to the profiles go on meanwhile); the
new index is built before the old one goes.
"""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


def _created_at_index(schema_editor, table):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    for name, details in constraints.items():
        if details["index"] and details["columns"] == ["created_at"] and not details["unique"]:
            return name
    return None


def drop_created_at_index(apps, schema_editor):
    table = apps.get_model("profiles", "profile")._meta.db_table
    index = _created_at_index(schema_editor, table)
    if index is not None:
        concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {schema_editor.quote_name(index)}")


def build_created_at_index(apps, schema_editor):
    model = apps.get_model("profiles", "profile")
    if _created_at_index(schema_editor, model._meta.db_table) is None:
        field = model._meta.get_field("created_at")
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("profiles", "0009_drop_database_indexes_led_by_others")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(fields=["created_at", "id"], name="profile_created_sort"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="profile",
                    name="created_at",
                    field=models.DateTimeField(auto_now_add=True),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_created_at_index, build_created_at_index),
            ],
        ),
    ]
