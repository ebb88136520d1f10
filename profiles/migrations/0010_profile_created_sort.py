"""Order profiles by (created_at, id) from an index: the admin's "created at" column.

The admin sorts by a column only when an index orders its rows (``core.admin``): the
single-column index of ``created_at`` left each run of equal times (a whole import's rows
share a second) to be sorted again, by id, for every page. ``(created_at, id)`` replaces
it and answers what it answered (the date filter's ranges) as well.

Built and dropped concurrently on PostgreSQL (writes to the profiles go on meanwhile); the
new index is built before the old one goes.
"""

from django.db import migrations, models

from core.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    single_column_index_dropper,
)


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
                migrations.RunPython(
                    *single_column_index_dropper("profiles", "profile", "created_at")
                ),
            ],
        ),
    ]
