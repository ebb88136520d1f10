"""Index the names of users removed since on their audit entries (the user gone, the name
kept), for the admin's search by name; only those entries, so the log's writes barely pay
for it. Built concurrently on PostgreSQL (the log keeps growing meanwhile)."""

from django.conf import settings
from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0002_audit_at_sort"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("actor__isnull", True), models.Q(("actor_name", ""), _negated=True)),
                fields=["actor_name"],
                name="audit_removed_actor",
            ),
        ),
    ]
