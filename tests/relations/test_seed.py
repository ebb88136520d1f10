"""The demo's relation types and relations, and the marketers' relation permissions."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from relations.models import Relation, RelationType

pytestmark = pytest.mark.django_db


def test_the_demo_relates_profiles_of_one_database():
    call_command("seed_demo", "--profiles", "120", stdout=io.StringIO())
    assert set(RelationType.objects.values_list("name", flat=True)) == {
        "referred by",
        "recommended",
        "liked",
    }
    relations = Relation.objects.select_related("type", "from_profile", "to_profile")
    assert relations.exists()
    for relation in relations:
        assert relation.from_profile_id != relation.to_profile_id
        assert relation.type.database_id == relation.from_profile.database_id
        assert relation.from_profile.database_id == relation.to_profile.database_id
    marketers = Group.objects.get(name="Marketers")
    codenames = set(marketers.permissions.values_list("codename", flat=True))
    assert {"view_relation", "add_relation", "delete_relation"} <= codenames
