"""Leave a tenth of each page of profiles_profile free (PostgreSQL's fillfactor 90).

The writes that follow most reported events (the UTM tags of a click, the IP's location)
change no indexed column: with room left on the row's page, PostgreSQL writes the
new version beside the old one (a HOT update) instead of adding an entry to each of the
table's indexes. A full page (fillfactor 100, the default) leaves no room. Pages written
before keep their rows until those move; ``VACUUM FULL`` rewrites them all at once.

Changing the setting rewrites nothing and blocks neither reads nor writes. SQLite has no
such setting: nothing to do there.
"""

from django.db import migrations


def set_fillfactor(fillfactor):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("profiles", "Profile")._meta.db_table)
        if fillfactor is None:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")
        else:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("profiles", "0007_drop_duplicate_profile_id_index")]

    operations = [migrations.RunPython(set_fillfactor(90), set_fillfactor(None), elidable=False)]
