"""Deleting a profile removes the relations on either side of it; the delete page counts
them."""

import pytest
from django.urls import reverse

from relations.models import Relation
from tests.factories import ProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def relations(ann, ben, liked, database):
    carl = ProfileFactory(database=database, email="carl@example.com")
    return [
        Relation.objects.create(type=liked, from_profile=ann, to_profile=ben),
        Relation.objects.create(type=liked, from_profile=carl, to_profile=ann),
        Relation.objects.create(type=liked, from_profile=ben, to_profile=carl),
    ]


def test_the_delete_page_counts_the_relations_on_either_side(client, alice, ann, relations):
    client.force_login(alice)
    html = client.get(reverse("profiles:delete", args=[ann.profile_id])).content.decode()
    assert "its subscriptions and 2 relations with other profiles" in html


def test_the_delete_page_of_a_profile_without_relations_says_none(client, alice, database):
    lonely = ProfileFactory(database=database)
    client.force_login(alice)
    html = client.get(reverse("profiles:delete", args=[lonely.profile_id])).content.decode()
    assert "its subscriptions and 0 relations with other profiles" in html


def test_deleting_on_the_page_removes_its_relations(client, alice, ann, relations):
    client.force_login(alice)
    response = client.post(reverse("profiles:delete", args=[ann.profile_id]))
    assert response.status_code == 302
    assert list(Relation.objects.all()) == [relations[2]]  # the one between the others


def test_deleting_over_the_api_removes_its_relations(as_alice, ben, relations):
    assert as_alice.delete(f"/api/v1/profiles/{ben.profile_id}/").status_code == 204
    assert list(Relation.objects.all()) == [relations[1]]
