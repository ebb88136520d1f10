"""Migration operations shared by the apps."""

from django.db.migrations.operations import AddIndex, RemoveIndex


class AddIndexConcurrentlyOnPostgres(AddIndex):
    """Build the index without blocking writes on PostgreSQL (CONCURRENTLY); plainly elsewhere.

    For the big tables (events, profiles): a plain CREATE INDEX would stop writes while it
    builds. A migration using it sets ``atomic = False`` (PostgreSQL builds concurrently
    only outside a transaction).
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class RemoveIndexConcurrentlyOnPostgres(RemoveIndex):
    """Drop the index without blocking writes on PostgreSQL (CONCURRENTLY); plainly elsewhere.

    The reverse of ``AddIndexConcurrentlyOnPostgres``; a migration using it sets
    ``atomic = False`` too.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, index, concurrently=True)
        else:
            schema_editor.remove_index(model, index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, index, concurrently=True)
        else:
            schema_editor.add_index(model, index)


def single_column_index_dropper(app_label, model_name, column):
    """Return the forwards and backwards functions of a ``RunPython`` that drops the plain
    (non-unique) index of ``column`` alone, which ``db_index=True`` made (concurrently on
    PostgreSQL: the migration sets ``atomic = False``), and builds it again backwards. For
    an index replaced by one on (column, id): add that one first."""

    def index_name(schema_editor, table):
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for name, details in constraints.items():
            if details["index"] and details["columns"] == [column] and not details["unique"]:
                return name
        return None

    def drop(apps, schema_editor):
        table = apps.get_model(app_label, model_name)._meta.db_table
        index = index_name(schema_editor, table)
        if index is not None:
            vendor = schema_editor.connection.vendor
            concurrently = " CONCURRENTLY" if vendor == "postgresql" else ""
            quoted = schema_editor.quote_name(index)
            schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {quoted}")

    def build(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        if index_name(schema_editor, model._meta.db_table) is None:
            field = model._meta.get_field(column)
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return drop, build
