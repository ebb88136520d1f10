"""Index the suppression list by the profile whose event suppressed an address.

A profile's personal-data export reads its entries by ``profile_id`` (or its email): with
no index that was a scan of the whole list, which holds every hard bounce and complaint.

Built concurrently on PostgreSQL: addresses keep being suppressed meanwhile.
"""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("subscriptions", "0006_contact_prefix_index")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="suppressedaddress",
            index=models.Index(fields=["profile_id"], name="suppressed_profile"),
        ),
    ]
