from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    """The contact index serves the admin's search by a contact's start (LIKE 'prefix%'):
    built with varchar_pattern_ops, concurrently, before the plain one goes."""

    atomic = False

    dependencies = [
        ("subscriptions", "0005_suspended_until"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="subscription",
            index=models.Index(
                fields=["contact"],
                name="subscription_contact_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.RemoveIndex(model_name="subscription", name="subscription_contact"),
    ]
