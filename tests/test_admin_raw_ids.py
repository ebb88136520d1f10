"""A raw id box names the profile it holds only to staff who may see that profile.

Beside the box, the admin shows the row's name and a link to it. Given the id of another
database's profile (in the URL of an add page, or posted back), it must show nothing:
profile ids are sequential, so each one would name and link a profile the staff member
may not see.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

# Every add page with a raw id box for a profile, and the boxes' names.
ADD_PAGES = [
    ("market_order", ["profile"]),
    ("subscriptions_subscription", ["profile"]),
    ("relations_relation", ["from_profile", "to_profile"]),
    ("loyalty_membership", ["profile"]),
]


@pytest.fixture
def dana(client, database):
    """Staff with every permission, a member of the ``database`` fixture only."""
    dana = UserFactory(username="dana", is_staff=True)
    dana.user_permissions.add(*Permission.objects.all())
    database.members.add(dana)
    client.force_login(dana)
    return client


@pytest.fixture
def theirs(db):
    database = ProfileDatabaseFactory(name="Partners")
    return ProfileFactory(
        database=database, first_name="Hidden", last_name="Person", email="hidden@example.com"
    )


@pytest.fixture
def mine(database):
    return ProfileFactory(
        database=database, first_name="Shown", last_name="Person", email="shown@example.com"
    )


def change_link(profile):
    return reverse("admin:profiles_profile_change", args=[profile.pk])


@pytest.mark.parametrize(("page", "boxes"), ADD_PAGES)
def test_an_add_page_names_no_profile_of_another_database(dana, theirs, page, boxes):
    response = dana.get(reverse(f"admin:{page}_add"), dict.fromkeys(boxes, theirs.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Hidden" not in html
    assert "hidden@example.com" not in html
    assert change_link(theirs) not in html


@pytest.mark.parametrize(("page", "boxes"), ADD_PAGES)
def test_an_add_page_names_a_profile_of_the_staff_members_database(dana, mine, page, boxes):
    response = dana.get(reverse(f"admin:{page}_add"), dict.fromkeys(boxes, mine.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Shown Person &lt;shown@example.com&gt;" in html
    assert change_link(mine) in html


def test_a_form_posted_back_with_another_databases_profile_does_not_name_it(dana, theirs):
    response = dana.post(
        reverse("admin:loyalty_membership_add"), {"program": "", "profile": theirs.pk}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "profile" in response.context["adminform"].form.errors
    assert "Hidden" not in html and "hidden@example.com" not in html


def test_a_superuser_sees_every_databases_profile_named(client, alice, theirs):
    client.force_login(alice)

    response = client.get(reverse("admin:market_order_add"), {"profile": theirs.pk})

    assert "Hidden Person &lt;hidden@example.com&gt;" in response.content.decode()
