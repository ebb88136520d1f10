"""The admin of relation types and relations, scoped to the staff member's databases."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from relations.models import Relation
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.relations.factories import RelationFactory, RelationTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(client, database):
    """Staff with every permission, a member of the ``database`` fixture only."""
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    client.force_login(dana)
    return client


@pytest.fixture
def both(database):
    hidden = ProfileDatabaseFactory(name="Partners")
    made = {}
    for db, name in ((database, "shown"), (hidden, "hidden")):
        relation_type = RelationTypeFactory(database=db, name=f"{name} type")
        made[name] = RelationFactory(
            type=relation_type,
            from_profile=ProfileFactory(database=db, email=f"{name}-from@example.com"),
            to_profile=ProfileFactory(database=db, email=f"{name}-to@example.com"),
        )
    return made


def test_the_type_list_shows_only_the_staff_members_databases(dana, both):
    html = dana.get(reverse("admin:relations_relationtype_changelist")).content.decode()
    assert "shown type" in html and "hidden type" not in html


def test_the_relation_list_shows_only_the_staff_members_databases(dana, both):
    html = dana.get(reverse("admin:relations_relation_changelist")).content.decode()
    assert "shown-from@example.com" in html and "hidden-from@example.com" not in html


@pytest.mark.parametrize("search", ["shown-to@example.com", "SHOWN-FROM@example.com"])
def test_the_relation_list_is_searched_by_either_profiles_email(dana, both, search):
    response = dana.get(reverse("admin:relations_relation_changelist"), {"q": search})
    html = response.content.decode()
    assert "shown-from@example.com" in html


def test_the_relation_list_is_searched_by_profile_id(dana, both):
    target = both["shown"].to_profile
    response = dana.get(reverse("admin:relations_relation_changelist"), {"q": target.profile_id})
    assert "shown-from@example.com" in response.content.decode()
    response = dana.get(reverse("admin:relations_relation_changelist"), {"q": "0" * 24})
    assert "shown-from@example.com" not in response.content.decode()


def test_a_hidden_relation_page_is_not_shown(dana, both):
    url = reverse("admin:relations_relation_change", args=[both["hidden"].pk])
    response = dana.get(url)
    assert response.status_code == 302  # to the admin index: it does not exist for dana


def test_the_admin_refuses_a_relation_to_itself(admin_client, ann, liked):
    response = admin_client.post(
        reverse("admin:relations_relation_add"),
        {
            "type": liked.pk,
            "from_profile": ann.pk,
            "to_profile": ann.pk,
            "properties": "{}",
        },
    )
    assert response.status_code == 200
    assert "A profile cannot be related to itself." in response.content.decode()
    assert not Relation.objects.exists()


def test_the_admin_refuses_a_profile_of_another_database(admin_client, ann, liked):
    stranger = ProfileFactory(database=ProfileDatabaseFactory(name="Partners"))
    response = admin_client.post(
        reverse("admin:relations_relation_add"),
        {"type": liked.pk, "from_profile": ann.pk, "to_profile": stranger.pk, "properties": "{}"},
    )
    assert response.status_code == 200
    assert "relations link profiles of one database" in response.content.decode()
    assert not Relation.objects.exists()


def test_the_admin_adds_a_relation(admin_client, ann, ben, liked):
    response = admin_client.post(
        reverse("admin:relations_relation_add"),
        {
            "type": liked.pk,
            "from_profile": ann.pk,
            "to_profile": ben.pk,
            "properties": '{"source": "admin"}',
        },
    )
    assert response.status_code == 302
    assert Relation.objects.get().properties == {"source": "admin"}


def test_a_type_in_use_is_not_deleted_in_the_admin(admin_client, both):
    relation_type = both["shown"].type
    url = reverse("admin:relations_relationtype_delete", args=[relation_type.pk])
    html = admin_client.get(url).content.decode()
    assert "still refer to it" in html or "protected" in html.lower()
