from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("history", "0001_initial"),
        ("profiles", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="event",
            index=models.Index(
                fields=["profile", "type", "-occurred_at", "-id"], name="event_profile_type_newest"
            ),
        ),
    ]
