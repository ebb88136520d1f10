"""The rules of relations, in the model and in the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from operations.relations import RelationExists, add_relation, remove_relation
from relations.models import Relation
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.relations.factories import RelationTypeFactory

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_profile_related_to_itself(ann, liked):
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(type=liked, from_profile=ann, to_profile=ann)


def test_the_database_refuses_a_duplicate(ann, ben, liked):
    Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)


def test_clean_refuses_itself_and_other_databases(ann, ben, liked):
    with pytest.raises(ValidationError) as itself:
        Relation(type=liked, from_profile=ann, to_profile=ann).full_clean()
    assert "to_profile" in itself.value.message_dict
    stranger = ProfileFactory(database=ProfileDatabaseFactory(name="Partners"))
    with pytest.raises(ValidationError) as across:
        Relation(type=liked, from_profile=ann, to_profile=stranger).full_clean()
    assert "to_profile" in across.value.message_dict
    foreign = RelationTypeFactory(database=stranger.database)
    with pytest.raises(ValidationError) as wrong_type:
        Relation(type=foreign, from_profile=ann, to_profile=ben).full_clean()
    assert "Customers" in wrong_type.value.message_dict["type"][0]


def test_add_relation_names_the_other_profile(ann, liked):
    stranger = ProfileFactory(database=ProfileDatabaseFactory())
    with pytest.raises(ValidationError) as error:
        add_relation(ann, stranger, liked)
    assert set(error.value.message_dict) == {"other"}
    with pytest.raises(ValidationError) as error:
        add_relation(ann, ann, liked)
    assert set(error.value.message_dict) == {"other"}
    assert not Relation.objects.exists()


def test_add_relation_refuses_a_duplicate_and_remove_is_idempotent(ann, ben, liked):
    relation = add_relation(ann, ben, liked, properties={"a": 1})
    with pytest.raises(RelationExists) as exists:
        add_relation(ann, ben, liked)
    assert exists.value.relation == relation
    assert remove_relation(relation) is True
    assert remove_relation(relation) is False
