from django.db import migrations, models
from django.db.models.functions import Upper

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("profiles", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="profile",
            name="profiles_pr_last_na_a00103_idx",
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(Upper("last_name"), Upper("first_name"), name="profile_name_search"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(Upper("first_name"), name="profile_first_name_search"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(
                fields=["email"], name="profile_email_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ),
    ]
