"""Order profiles by name alphabetically from an index: the list's "Last name, A to Z" and
"Z to A" and the admin's name column.

``profile_name_sort`` ordered (last_name, first_name, id) by the columns' collation, C:
bytes, so every capital came before every small letter and "Águila", "Étienne",
"Łuszczyk" after "Zola". The new index is on the columns collated alphabetically
(``core.collation.Alphabetical``: ``COLLATE "und-x-icu"`` on PostgreSQL, which needs a
server built with ICU, as the Debian, PGDG and official Docker builds are; SQLite's
``alphabetical`` collation, which the profiles app registers on each connection), so the
list's order and its keyset comparisons are still one range of an index. The columns keep
their own collation: the name search's ``UPPER(last_name) LIKE 'X%'`` reads
``profile_name_search`` only under C.

The index is in ``Profile.Meta.indexes``: the expression writes each database's own
collation. Built and dropped concurrently on PostgreSQL (writes to the profiles go on
meanwhile); the new index is built before the old one goes.
"""

from django.db import migrations, models

import core.collation
from core.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    RemoveIndexConcurrentlyOnPostgres,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("profiles", "0011_birthday_not_in_future")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="profile",
            index=models.Index(
                core.collation.Alphabetical("last_name"),
                core.collation.Alphabetical("first_name"),
                models.F("id"),
                name="profile_name_alphabetical",
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(model_name="profile", name="profile_name_sort"),
    ]
