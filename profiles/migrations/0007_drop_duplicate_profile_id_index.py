"""Drop ``profile_id_prefix``: the same index as Django's own ``…_profile_id_…_like``.

On PostgreSQL a unique CharField gets a ``varchar_pattern_ops`` index of its own (named
``profiles_profile_profile_id_<hash>_like``), so the explicit one of 0006 was a second copy
that every profile write kept up to date; a profile ID prefix search reads Django's. On
SQLite it was a second plain index beside the unique one.

Dropped concurrently on PostgreSQL (writes to the profiles go on meanwhile), built again
concurrently when migrating backwards.
"""

from django.db import migrations

from core.migration_operations import RemoveIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("profiles", "0006_search_and_sort_indexes")]

    operations = [RemoveIndexConcurrentlyOnPostgres(model_name="profile", name="profile_id_prefix")]
