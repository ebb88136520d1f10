"""Indexes of the profile list's search and orders (issue 14).

- emails by any part (``example.com``): a trigram GIN index (pg_trgm), PostgreSQL only,
  made by RunPython as 0004 makes its GIN index (SQLite migrates without it, and searches
  the same way unindexed);
- profile IDs and phones by prefix: ``varchar_pattern_ops`` (the phones' one replaces their
  plain index: it answers whole numbers too);
- the list's orders, each with the id as its tie-break, so keyset pages read the index.

Built concurrently on PostgreSQL: writes to the profiles go on meanwhile.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres

EMAIL_TRIGRAM_INDEX = "profile_email_trgm"


def create_email_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {EMAIL_TRIGRAM_INDEX} "
            "ON profiles_profile USING gin (email gin_trgm_ops)"
        )


def drop_email_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {EMAIL_TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("profiles", "0005_md5_xxh_constraints")]

    operations = [
        TrigramExtension(),  # does nothing outside PostgreSQL
        migrations.RunPython(create_email_trigram_index, drop_email_trigram_index, elidable=False),
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(
                fields=["profile_id"], name="profile_id_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="profilephone",
            index=models.Index(
                fields=["number"], name="profile_phone_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ),
        migrations.RemoveIndex(model_name="profilephone", name="profiles_pr_number_24c285_idx"),
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(fields=["last_name", "first_name", "id"], name="profile_name_sort"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(fields=["email", "id"], name="profile_email_sort"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(fields=["status", "id"], name="profile_status_sort"),
        ),
    ]
