"""Index the visitor ids of form submissions (those that have one), for the admin's search;
built concurrently on PostgreSQL (submissions keep arriving meanwhile)."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("webforms", "0001_initial")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="submission",
            index=models.Index(
                condition=models.Q(("anonymous_id", ""), _negated=True),
                fields=["anonymous_id"],
                name="submission_anonymous_id",
            ),
        ),
    ]
