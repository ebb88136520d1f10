"""The Relations part of the Data section: both profiles list a relation; it is added and
removed in place (htmx) or by a plain POST, with a message either way."""

import pytest
from django.urls import reverse

from relations.models import Relation
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.relations.factories import RelationTypeFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}


def data_url(profile):
    return reverse("profiles:data", args=[profile.profile_id])


def add_url(profile):
    return reverse("relations:add", args=[profile.profile_id])


def remove_url(profile, relation):
    return reverse("relations:remove", args=[profile.profile_id, relation.pk])


def form(relation_type, other, **values):
    return {"type": relation_type.pk, "direction": "outgoing", "other": other, **values}


# -- The list ---------------------------------------------------------------------------


def test_both_profiles_show_the_relation_with_its_direction(client, bob, ann, ben, liked):
    relation = Relation.objects.create(
        type=liked, from_profile=ann, to_profile=ben, properties={"source": "<b>fair</b>"}
    )
    client.force_login(bob)
    mine = client.get(data_url(ann), **HTMX).content.decode()
    theirs = client.get(data_url(ben), **HTMX).content.decode()
    assert f'data-relation="{relation.pk}"' in mine and f'data-relation="{relation.pk}"' in theirs
    assert f'href="{ben.get_absolute_url()}">Ben Ray</a>' in mine
    assert f'href="{ann.get_absolute_url()}">Ann Lee</a>' in theirs
    assert "→</span> to" in mine and "←</span> from" in theirs
    assert "&lt;b&gt;fair&lt;/b&gt;" in mine and "<b>fair</b>" not in mine  # escaped


def test_the_whole_page_holds_the_part(client, bob, ann):
    client.force_login(bob)
    html = client.get(data_url(ann)).content.decode()
    assert "<html" in html and 'id="part-relations"' in html
    assert "The profile has no relations." in html


def test_it_offers_the_types_of_the_profiles_database_only(client, bob, ann, liked):
    RelationTypeFactory(database=ProfileDatabaseFactory(), name="elsewhere")
    client.force_login(bob)
    html = client.get(data_url(ann), **HTMX).content.decode()
    assert f'<option value="{liked.pk}">liked</option>' in html
    assert "elsewhere" not in html


def test_a_database_without_types_says_so(client, bob, ann):
    client.force_login(bob)
    html = client.get(data_url(ann), **HTMX).content.decode()
    assert "has no relation types" in html and 'name="other"' not in html


def test_a_reader_sees_relations_without_the_actions(client, database, ann, ben, liked):
    Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    reader = grant(UserFactory(username="reader"), "view_profile", "view_relation")
    database.members.add(reader)
    client.force_login(reader)
    html = client.get(data_url(ann), **HTMX).content.decode()
    assert "Ben Ray" in html
    assert 'name="other"' not in html and ">Remove</button>" not in html


def test_without_the_view_permission_the_list_is_hidden(client, database, ann, ben, liked):
    Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    user = grant(UserFactory(username="plain"), "view_profile")
    database.members.add(user)
    client.force_login(user)
    html = client.get(data_url(ann), **HTMX).content.decode()
    assert 'id="part-relations"' in html and "Ben Ray" not in html


# -- Adding -----------------------------------------------------------------------------


def test_it_adds_a_relation_in_place_by_email(client, bob, ann, ben, liked):
    client.force_login(bob)
    values = form(liked, "BEN@example.com ", properties='{"source": "fair"}')
    response = client.post(add_url(ann), values, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Relation added: “liked” → Ben Ray." in html
    assert 'class="message message-success part-notice" role="status"' in html
    relation = Relation.objects.get()
    assert (relation.from_profile, relation.to_profile, relation.type) == (ann, ben, liked)
    assert relation.properties == {"source": "fair"}
    assert f'data-relation="{relation.pk}"' in html


def test_it_adds_an_incoming_relation_by_profile_id(client, bob, ann, ben, liked):
    client.force_login(bob)
    client.post(add_url(ann), form(liked, ben.profile_id, direction="incoming"), **HTMX)
    relation = Relation.objects.get()
    assert (relation.from_profile, relation.to_profile) == (ben, ann)


def test_a_plain_post_redirects_with_a_message(client, bob, ann, ben, liked):
    client.force_login(bob)
    response = client.post(add_url(ann), form(liked, ben.email), follow=True)
    assert response.redirect_chain[-1][0] == data_url(ann)
    assert "Relation added: “liked” → Ben Ray." in response.content.decode()
    assert Relation.objects.count() == 1


def assert_refused(response, field, text):
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-field has-error"' in html and f'name="{field}"' in html
    assert 'aria-invalid="true"' in html and 'class="message message-error part-notice"' in html
    assert text in html
    assert not Relation.objects.exists()


def test_an_unknown_profile_is_named_beside_the_field(client, bob, ann, liked):
    client.force_login(bob)
    response = client.post(add_url(ann), form(liked, "nobody@example.com"), **HTMX)
    assert_refused(response, "other", "No profile of database “Customers” has")


def test_a_profile_of_another_database_is_not_found(client, bob, ann, liked):
    partners = ProfileDatabaseFactory(name="Partners")
    partners.members.add(bob)
    stranger = ProfileFactory(database=partners, email="zoe@example.com")
    client.force_login(bob)
    response = client.post(add_url(ann), form(liked, stranger.profile_id), **HTMX)
    assert_refused(response, "other", "No profile of database “Customers” has")


def test_the_profile_itself_is_refused(client, bob, ann, liked):
    client.force_login(bob)
    response = client.post(add_url(ann), form(liked, ann.email), **HTMX)
    assert_refused(response, "other", "A profile cannot be related to itself.")


def test_a_type_of_another_database_is_refused(client, bob, ann, ben):
    foreign = RelationTypeFactory(database=ProfileDatabaseFactory(), name="foreign")
    client.force_login(bob)
    response = client.post(add_url(ann), form(foreign, ben.email), **HTMX)
    assert_refused(response, "type", "Choose a relation type of this profile")


def test_a_duplicate_is_refused(client, bob, ann, ben, liked):
    Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    client.force_login(bob)
    response = client.post(add_url(ann), form(liked, ben.email), **HTMX)
    html = response.content.decode()
    assert "is already “liked”" in html and 'class="form-field has-error"' in html
    assert Relation.objects.count() == 1


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"text"', '{"a": 1e400}'])
def test_bad_properties_are_refused(client, bob, ann, ben, liked, text):
    client.force_login(bob)
    response = client.post(add_url(ann), form(liked, ben.email, properties=text), **HTMX)
    html = response.content.decode()
    assert 'class="form-field has-error"' in html and "properties" in html
    assert not Relation.objects.exists()


def test_a_refused_plain_post_shows_the_page_with_the_form_and_its_error(client, bob, ann, liked):
    client.force_login(bob)
    response = client.post(add_url(ann), form(liked, "nobody@example.com"))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "No profile of database “Customers” has" in html
    assert 'value="nobody@example.com"' in html and 'aria-invalid="true"' in html
    assert not Relation.objects.exists()


def test_adding_needs_the_permission(client, database, ann, ben, liked):
    reader = grant(UserFactory(username="reader"), "view_profile", "view_relation")
    database.members.add(reader)
    client.force_login(reader)
    assert client.post(add_url(ann), form(liked, ben.email), **HTMX).status_code == 403
    assert not Relation.objects.exists()


def test_an_outsider_gets_a_404(client, bob, liked):
    hidden = ProfileFactory(database=ProfileDatabaseFactory())
    other = ProfileFactory(database=hidden.database)
    client.force_login(bob)
    assert client.post(add_url(hidden), form(liked, other.email), **HTMX).status_code == 404


def test_it_refuses_get(client, bob, ann):
    client.force_login(bob)
    assert client.get(add_url(ann)).status_code == 405


# -- Removing ---------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["from_profile", "to_profile"])
def test_it_removes_a_relation_in_place_from_either_side(client, bob, ann, ben, liked, side):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    profile = getattr(relation, side)
    client.force_login(bob)
    response = client.post(remove_url(profile, relation), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "Relation removed: “liked” with" in html
    assert f'data-relation="{relation.pk}"' not in html
    assert not Relation.objects.exists()


def test_removing_twice_says_it_is_gone(client, bob, ann, ben, liked):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    client.force_login(bob)
    client.post(remove_url(ann, relation), **HTMX)
    html = client.post(remove_url(ann, relation), **HTMX).content.decode()
    assert "That relation is no longer there." in html and "message-warning" in html


def test_a_plain_remove_redirects_with_a_message(client, bob, ann, ben, liked):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    client.force_login(bob)
    response = client.post(remove_url(ben, relation), follow=True)
    assert response.redirect_chain[-1][0] == data_url(ben)
    assert "Relation removed: “liked” with Ann Lee." in response.content.decode()


def test_removing_needs_the_permission(client, database, ann, ben, liked):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    adder = grant(UserFactory(username="adder"), "view_profile", "view_relation", "add_relation")
    database.members.add(adder)
    client.force_login(adder)
    assert client.post(remove_url(ann, relation), **HTMX).status_code == 403
    assert Relation.objects.exists()


def test_a_relation_of_other_profiles_is_left_alone(client, bob, ann, ben, liked, database):
    relation = Relation.objects.create(type=liked, from_profile=ann, to_profile=ben)
    carl = ProfileFactory(database=database)
    client.force_login(bob)
    html = client.post(remove_url(carl, relation), **HTMX).content.decode()
    assert "That relation is no longer there." in html
    assert Relation.objects.exists()


# -- Queries ----------------------------------------------------------------------------


def test_the_section_reads_as_many_rows_whatever_the_relations(
    client, bob, ann, liked, database, django_assert_max_num_queries
):
    client.force_login(bob)
    client.get(data_url(ann), **HTMX)  # sessions and permissions cached alike

    def queries():
        with django_assert_max_num_queries(100) as captured:
            assert client.get(data_url(ann), **HTMX).status_code == 200
        return len(captured)

    def relate(count):
        for n in range(count):
            other = ProfileFactory(database=database)
            ends = (ann, other) if n % 2 else (other, ann)
            Relation.objects.create(type=liked, from_profile=ends[0], to_profile=ends[1])

    relate(2)
    few = queries()
    relate(20)
    assert queries() == few


def test_a_profile_with_many_relations_shows_the_latest(client, bob, ann, liked, database):
    from web.relations.sections import RELATIONS_SHOWN

    others = [ProfileFactory(database=database) for _ in range(RELATIONS_SHOWN + 2)]
    Relation.objects.bulk_create(
        Relation(type=liked, from_profile=ann, to_profile=other) for other in others
    )
    client.force_login(bob)
    html = client.get(data_url(ann), **HTMX).content.decode()
    assert html.count("data-relation=") == RELATIONS_SHOWN
    assert f"The latest {RELATIONS_SHOWN} of {RELATIONS_SHOWN + 2} relations are shown." in html
