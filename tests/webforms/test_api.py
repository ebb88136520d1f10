"""forms/, forms/{id}/submit/ and profiles/{id}/form-submissions/."""

import pytest

from history.models import Event
from pixels.models import AnonymousHit
from profiles.models import Profile
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.pixels.factories import AnonymousHitFactory, PixelFactory
from tests.webforms.factories import FormFactory, SubmissionFactory
from webforms.models import Form, Submission

pytestmark = pytest.mark.django_db

FORMS = "/api/v1/forms/"


def submit_url(form):
    return f"{FORMS}{form.pk}/submit/"


def submit(client, form, data, **body):
    return client.post(submit_url(form), {"data": data, **body}, format="json")


def submissions_url(profile):
    return f"/api/v1/profiles/{profile.profile_id}/form-submissions/"


# -- forms/ --------------------------------------------------------------------------------


def test_it_creates_a_form_filling_in_maps_to(client, database, plan):
    body = {
        "name": "Newsletter",
        "database": database.pk,
        "fields": [{"name": "email"}, {"name": "tariff", "maps_to": "fields.plan"}],
        "update_utm": True,
    }
    response = client.post(FORMS, body, format="json")
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert {key: answer[key] for key in ("name", "database", "update_utm")} == {
        "name": "Newsletter",
        "database": database.pk,
        "update_utm": True,
    }
    assert answer["fields"] == [
        {"name": "email", "maps_to": "email"},
        {"name": "tariff", "maps_to": "fields.plan"},
    ]
    assert Form.objects.get(pk=answer["id"]).email_field() == "email"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"name": "name", "maps_to": "first_name"}], "Map one field to email"),
        ([{"name": "email"}, {"name": "x", "maps_to": "shoe_size"}], "not a profile field"),
        ([{"name": "email"}, {"name": "x", "maps_to": "fields.nope"}], "no custom field"),
        ([{"name": "email"}, {"name": "x", "maps_to": "profile_id"}], "not a profile field"),
        ([{"name": "email"}, {"name": "x", "maps_to": "status"}], "not a profile field"),
        ([{"name": "email"}, {"name": "email2", "maps_to": "email"}], "already maps to"),
        ([{"name": "email"}, {"name": "email"}], "already has a field"),
        ([{"name": "email", "colour": "red"}], "unknown key"),
        ([{"name": ""}], "name"),
        ("email", "Enter a list"),
    ],
)
def test_it_refuses_bad_fields_naming_the_problem(client, database, plan, fields, message):
    response = client.post(
        FORMS, {"name": "F", "database": database.pk, "fields": fields}, format="json"
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["fields"])
    assert not Form.objects.exists()


def test_a_form_name_is_unique_per_database(client, form, database):
    body = {"name": "Sign-up", "database": database.pk, "fields": [{"name": "email"}]}
    response = client.post(FORMS, body, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_forms_of_other_databases_do_not_exist_for_the_user(client, form):
    hidden = FormFactory(database=ProfileDatabaseFactory())
    assert [row["name"] for row in client.get(FORMS).json()["results"]] == ["Sign-up"]
    assert client.get(f"{FORMS}{hidden.pk}/").status_code == 404
    assert submit(client, hidden, {"email": "a@example.com"}).status_code == 404
    assert not Profile.objects.filter(email="a@example.com").exists()


def test_it_needs_the_permissions(api_client, bob, form):
    api_client.force_authenticate(bob)  # a marketer without the forms' permissions
    assert api_client.get(FORMS).status_code == 403
    assert submit(api_client, form, {"email": "a@example.com"}).status_code == 403
    profile = ProfileFactory(database=form.database)
    assert api_client.get(submissions_url(profile)).status_code == 403


# -- forms/{id}/submit/ --------------------------------------------------------------------


def test_a_submission_creates_the_profile_then_updates_it_matched_by_email(client, form):
    data = {"email": "Ann@Example.com", "name": "Ann", "tariff": "gold"}
    response = submit(client, form, data)
    assert response.status_code == 201, response.json()
    answer = response.json()
    profile = Profile.objects.get(profile_id=answer["profile_id"])
    assert answer["created"] is True
    assert (profile.email, profile.first_name, profile.custom_values) == (
        "ann@example.com",
        "Ann",
        {"plan": "gold"},
    )
    assert profile.events.filter(type="import_api").exists()
    event = profile.events.get(type="form_submitted")
    assert event.data == {"form": "Sign-up", "submission": answer["submission_id"]}

    response = submit(client, form, {"email": "ann@example.com", "name": "Annie"})
    assert response.status_code == 201
    assert response.json()["created"] is False
    assert response.json()["profile_id"] == profile.profile_id
    profile.refresh_from_db()
    assert profile.first_name == "Annie" and profile.custom_values == {"plan": "gold"}
    assert Profile.objects.count() == 1
    assert Submission.objects.filter(profile=profile).count() == 2


def test_the_email_matches_only_in_the_forms_database(client, form):
    elsewhere = ProfileFactory(database=ProfileDatabaseFactory(), email="ann@example.com")
    response = submit(client, form, {"email": "ann@example.com"})
    assert response.json()["created"] is True
    assert response.json()["profile_id"] != elsewhere.profile_id


def test_utm_updates_the_profile_only_when_the_form_says_so(client, form):
    utm = {"utm_source": "newsletter", "utm_campaign": "spring"}
    submit(client, form, {"email": "ann@example.com"}, utm=utm)
    profile = Profile.objects.get(email="ann@example.com")
    assert profile.utm_source == "" and profile.utm_campaign == ""
    assert Submission.objects.get().utm == utm  # kept with the submission all the same

    form.update_utm = True
    form.save()
    profile.utm_term = "old term"
    profile.save()
    submit(client, form, {"email": "ann@example.com"}, utm=utm)
    profile.refresh_from_db()
    assert (profile.utm_source, profile.utm_campaign) == ("newsletter", "spring")
    assert profile.utm_term == ""  # the submission's tags define all five

    submit(client, form, {"email": "ann@example.com"})  # no tags: the profile's stay
    profile.refresh_from_db()
    assert profile.utm_source == "newsletter"


def test_utm_tags_may_be_sent_without_their_prefix(client, form):
    form.update_utm = True
    form.save()
    utm = {"source": "tw", "medium": "social", "campaign": "spring", "utm_term": "shoes"}
    response = submit(client, form, {"email": "x@example.com"}, utm=utm)
    assert response.status_code == 201, response.json()
    profile = Profile.objects.get(email="x@example.com")
    assert (profile.utm_source, profile.utm_medium, profile.utm_campaign) == (
        "tw",
        "social",
        "spring",
    )
    assert (profile.utm_term, profile.utm_content) == ("shoes", "")
    assert Submission.objects.get().utm == {
        "utm_source": "tw",
        "utm_medium": "social",
        "utm_campaign": "spring",
        "utm_term": "shoes",
    }
    response = submit(client, form, {"email": "x@example.com"}, utm={"content": "banner"})
    assert response.status_code == 201
    profile.refresh_from_db()
    assert (profile.utm_content, profile.utm_source) == ("banner", "")


def test_the_spec_s_submission_with_a_short_tag_is_taken(client, form):
    body = {"data": {"email": "x@example.com"}, "utm": {"source": "tw"}}
    response = client.post(submit_url(form), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["created"] is True
    assert Submission.objects.get().utm == {"utm_source": "tw"}


@pytest.mark.parametrize(
    ("utm", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"utm_colour": "red"}, "utm_colour"),
        ({"Source": "tw"}, "Source"),
        ({"source": "tw", "utm_source": "fb"}, "utm_source"),
        ({"source": 5}, "source"),
    ],
)
def test_a_key_that_is_no_utm_tag_is_refused_naming_it(client, form, utm, named):
    response = submit(client, form, {"email": "x@example.com"}, utm=utm)
    assert response.status_code == 400
    assert named in response.json()["utm"], response.json()
    assert not Profile.objects.exists() and not Submission.objects.exists()


def test_a_too_long_short_tag_is_named_as_sent(client, form):
    form.update_utm = True
    form.save()
    response = submit(client, form, {"email": "x@example.com"}, utm={"campaign": "x" * 201})
    assert response.status_code == 400
    assert "at most 200" in str(response.json()["utm"]["campaign"]), response.json()
    assert not Profile.objects.exists()


def test_a_submission_without_the_email_is_refused_naming_the_field(client, form):
    response = submit(client, form, {"name": "Ann"})
    assert response.status_code == 400
    assert "email" in response.json()["data"]
    assert not Profile.objects.exists() and not Submission.objects.exists()


@pytest.mark.parametrize(
    ("data", "body", "key", "field"),
    [
        ({"tariff": "platinum"}, {}, "data", "tariff"),
        ({"name": "x" * 151}, {}, "data", "name"),
        ({"email": "not an email"}, {}, "data", "email"),
        ({}, {"utm": {"utm_colour": "red"}}, "utm", "utm_colour"),
        ({}, {"utm": {"utm_source": 5}}, "utm", "utm_source"),
        ({}, {"anonymous_id": ["x"]}, "anonymous_id", None),
    ],
)
def test_a_bad_value_is_refused_naming_it_and_writes_nothing(client, form, data, body, key, field):
    form.update_utm = True
    form.save()
    payload = {"email": "ann@example.com", **data}
    response = submit(client, form, payload, **body)
    assert response.status_code == 400
    errors = response.json()[key]
    if field:
        assert field in errors, errors
    assert not Profile.objects.exists()
    assert not Submission.objects.exists()
    assert not Event.objects.exists()


def test_a_bad_value_for_an_existing_profile_changes_nothing(client, form):
    profile = ProfileFactory(database=form.database, email="ann@example.com", first_name="Ann")
    response = submit(client, form, {"email": "ann@example.com", "name": "Bo", "tariff": "x"})
    assert response.status_code == 400 and "tariff" in response.json()["data"]
    profile.refresh_from_db()
    assert profile.first_name == "Ann"
    assert not Submission.objects.exists()


def test_keys_no_field_names_are_kept_but_not_mapped(client, form):
    response = submit(client, form, {"email": "ann@example.com", "consent": True, "city": "Oslo"})
    assert response.status_code == 201
    assert response.json()["unmapped"] == ["consent", "city"]
    profile = Profile.objects.get()
    assert profile.city == ""  # no field of the form maps to it
    assert Submission.objects.get().data["consent"] is True


def test_a_bad_shape_is_refused(client, form):
    assert client.post(submit_url(form), {"data": "x"}, format="json").status_code == 400
    assert client.post(submit_url(form), {}, format="json").status_code == 400
    response = client.post(submit_url(form), {"data": {}, "colour": 1}, format="json")
    assert response.status_code == 400 and "colour" in response.json()


def test_a_submission_with_an_anonymous_id_joins_the_visitors_pixel_hits(client, form):
    pixel = PixelFactory(database=form.database)
    AnonymousHitFactory(pixel=pixel, anonymous_id="cookie-5", goal="view")
    AnonymousHitFactory(pixel=pixel, anonymous_id="cookie-5", goal="purchase", value=10)
    response = submit(client, form, {"email": "ann@example.com"}, anonymous_id="cookie-5")
    assert response.status_code == 201 and response.json()["joined"] == 2
    profile = Profile.objects.get()
    goals = sorted(profile.events.filter(type="pixel").values_list("data__goal", flat=True))
    assert goals == ["purchase", "view"]
    assert not AnonymousHit.objects.exists()
    assert Submission.objects.get().anonymous_id == "cookie-5"


# -- profiles/{id}/form-submissions/ --------------------------------------------------------


def test_it_lists_the_profiles_submissions_newest_first(client, form):
    submit(client, form, {"email": "ann@example.com", "name": "Ann"})
    submit(client, form, {"email": "ann@example.com", "name": "Annie"})
    profile = Profile.objects.get()
    response = client.get(submissions_url(profile))
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"results", "next"}
    first = body["results"][0]
    assert {"id", "form", "submitted_at", "data"} <= set(first)
    assert first["form"] == form.pk and first["data"]["name"] == "Annie"


def test_submissions_of_a_profile_the_user_may_not_see_are_a_404(client):
    hidden = SubmissionFactory(profile=ProfileFactory(database=ProfileDatabaseFactory()))
    assert client.get(submissions_url(hidden.profile)).status_code == 404


def test_submitting_needs_submit_form(api_client, database, form):
    user = grant(UserFactory(), "view_profile", "view_form")
    database.members.add(user)
    api_client.force_authenticate(user)
    assert submit(api_client, form, {"email": "ann@example.com"}).status_code == 403
