from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("subscriptions", "0003_subscriptionfield_name_as_profiles"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="subscription",
            index=models.Index(fields=["contact"], name="subscription_contact"),
        ),
    ]
