"""The same relation added by concurrent requests is stored once; the others are told it
exists."""

import pytest

from operations.relations import RelationExists, add_relation
from relations.models import Relation
from tests.concurrency import needs_postgres, run_together
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.relations.factories import RelationTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), needs_postgres]
THREADS = 8


def test_concurrent_adds_of_one_relation_store_it_once():
    database = ProfileDatabaseFactory()
    ann, ben = ProfileFactory(database=database), ProfileFactory(database=database)
    liked = RelationTypeFactory(database=database, name="liked")

    errors = run_together(THREADS, lambda n: add_relation(ann, ben, liked))

    assert Relation.objects.count() == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(error, RelationExists) for error in errors)
