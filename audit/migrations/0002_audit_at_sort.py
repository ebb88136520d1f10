"""Order audit entries by (at, id) from an index: newest first, and the admin's pages.

A bulk write logs its entries with one time (an import's chunk: thousands), which the
index of ``at`` alone left to be sorted by id again for every page. ``(at, id)`` replaces
it and answers what it answered (the date filter's ranges) as well. Built and dropped
concurrently on PostgreSQL, the new index before the old one goes.
"""

from django.db import migrations, models

from core.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    single_column_index_dropper,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0001_initial")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="auditentry",
            index=models.Index(fields=["at", "id"], name="audit_at_sort"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="at",
                    field=models.DateTimeField(auto_now_add=True),
                ),
            ],
            database_operations=[
                migrations.RunPython(*single_column_index_dropper("audit", "auditentry", "at")),
            ],
        ),
    ]
