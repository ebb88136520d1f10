"""Filtering by a long list of values: ``.filter(any_of("email", emails))``.

``field__in=values`` writes one query parameter per value. For the thousands of values a
batch looks up at once (an event batch's profile ids, an import chunk's emails), Django
prepares each one as a possible expression and psycopg splices each one into the SQL: at
1,000 values that cost more than the query itself. ``any_of`` sends the values as one
array on PostgreSQL (``field = ANY(%s::type[])``, which reads the same indexes as ``IN``)
and is ``field__in`` elsewhere.
"""

from django.db.models import F, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):
    """``lhs = ANY(array of the values)`` on PostgreSQL, ``lhs IN (…)`` elsewhere; no
    value matches nothing."""

    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        # The values are prepared in as_sql, once the column (and so its field) is known.
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return compiler.compile(In(self.lhs, self.rhs))
        lhs, params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection) for value in self.rhs]
        return f"{lhs} = ANY(%s::{field.cast_db_type(connection)}[])", (*params, values)


def any_of(name, values):
    """The condition "the field ``name`` holds one of ``values``", for ``filter()``."""
    return AnyOf(F(name), values)
