"""The promo codes API of the contract: promo-pools/, promo-pools/{id}/codes/,
profiles/{profile_id}/promo-codes/ (attach), .../{id}/ (detach), .../{id}/activate/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from history.models import Event
from promos.models import MAX_CODES_PER_LOAD, PromoCode, PromoPool
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory, UserFactory
from tests.promos.factories import PromoPoolFactory, attached_code

pytestmark = pytest.mark.django_db
POOLS = "/api/v1/promo-pools/"


def codes_url(pool):
    return f"{POOLS}{pool.pk}/codes/"


def profile_codes_url(profile):
    return f"/api/v1/profiles/{profile.profile_id}/promo-codes/"


def code_url(profile, code):
    return f"{profile_codes_url(profile)}{code.pk}/"


def activate_url(profile, code):
    return f"{code_url(profile, code)}activate/"


@pytest.fixture
def as_erin(api_client, erin):
    api_client.force_authenticate(erin)
    return api_client


@pytest.fixture
def partners():
    return ProfileDatabaseFactory(name="Partners")


# -- Pools -----------------------------------------------------------------------------


def test_it_lists_the_pools_of_the_visible_databases_with_counts(as_alice, database, pool):
    hidden_user = grant(UserFactory(username="dana"), "view_profile", "view_promopool")
    database.members.add(hidden_user)
    other = PromoPoolFactory(database=ProfileDatabaseFactory(name="Partners"), name="Hidden")
    attached_code(ProfileFactory(database=database), pool)
    answer = as_alice.get(POOLS).json()
    assert {row["name"] for row in answer["results"]} == {"Welcome 10%", "Hidden"}
    row = next(row for row in answer["results"] if row["name"] == "Welcome 10%")
    assert row["database"] == database.pk
    assert (row["free"], row["attached"], row["activated"], row["expired"]) == (2, 1, 0, False)
    as_alice.force_authenticate(hidden_user)
    names = [row["name"] for row in as_alice.get(POOLS).json()["results"]]
    assert names == ["Welcome 10%"]
    assert as_alice.get(f"{POOLS}{other.pk}/").status_code == 404


def test_it_creates_changes_and_deletes_a_pool(as_alice, database):
    response = as_alice.post(POOLS, {"name": "Spring", "database": database.pk}, format="json")
    assert response.status_code == 201, response.json()
    pool_id = response.json()["id"]
    assert response.json()["free"] == 0
    until = (timezone.now() + timedelta(days=30)).isoformat()
    response = as_alice.patch(f"{POOLS}{pool_id}/", {"valid_until": until}, format="json")
    assert response.status_code == 200 and response.json()["valid_until"], response.json()
    assert as_alice.delete(f"{POOLS}{pool_id}/").status_code == 204
    assert not PromoPool.objects.exists()


def test_a_pool_name_is_unique_in_its_database(as_alice, database, pool):
    response = as_alice.post(POOLS, {"name": "Welcome 10%", "database": database.pk}, format="json")
    assert response.status_code == 400 and "already has a pool" in response.json()["name"][0]


def test_a_pool_cannot_move_or_be_created_in_a_hidden_database(as_erin, erin, database, pool):
    grant(erin, "add_promopool", "change_promopool")
    hidden = ProfileDatabaseFactory(name="Partners")
    response = as_erin.post(POOLS, {"name": "X", "database": hidden.pk}, format="json")
    assert response.status_code == 400 and "database" in response.json()
    response = as_erin.patch(f"{POOLS}{pool.pk}/", {"database": hidden.pk}, format="json")
    assert response.status_code == 400 and "database" in response.json()


def test_a_pool_with_codes_handed_out_is_not_deleted(as_alice, database, pool):
    attached_code(ProfileFactory(database=database), pool)
    response = as_alice.delete(f"{POOLS}{pool.pk}/")
    assert response.status_code == 409 and "1 code attached" in response.json()["detail"]
    assert PromoPool.objects.filter(pk=pool.pk).exists()


def test_writing_pools_needs_the_model_permissions(as_erin, database, pool):
    assert as_erin.get(POOLS).status_code == 200
    response = as_erin.post(POOLS, {"name": "X", "database": database.pk}, format="json")
    assert response.status_code == 403
    assert as_erin.post(codes_url(pool), {"codes": ["A"]}, format="json").status_code == 403


# -- Loading codes ---------------------------------------------------------------------


def test_it_loads_codes_and_counts_duplicates(as_alice, pool):
    response = as_alice.post(
        codes_url(pool), {"codes": ["WELCOME2", "NEW1", "NEW2", "NEW1"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"added": 2, "duplicates": 2}
    assert pool.codes.count() == 4


@pytest.mark.parametrize(
    ("codes", "where"),
    [
        (["OK", "HAS SPACE"], "1"),
        (["OK", ""], "1"),
        (["X" * 101], "0"),
        (["OK", 7], "1"),
    ],
)
def test_a_bad_code_is_named_and_nothing_is_loaded(as_alice, pool, codes, where):
    response = as_alice.post(codes_url(pool), {"codes": codes}, format="json")
    assert response.status_code == 400
    assert where in {str(key) for key in response.json()["codes"]}
    assert pool.codes.count() == 2


def test_a_load_is_bounded_and_not_empty(as_alice, pool):
    too_many = [f"C{n}" for n in range(MAX_CODES_PER_LOAD + 1)]
    response = as_alice.post(codes_url(pool), {"codes": too_many}, format="json")
    assert response.status_code == 400 and str(MAX_CODES_PER_LOAD) in str(response.json()["codes"])
    response = as_alice.post(codes_url(pool), {"codes": []}, format="json")
    assert response.status_code == 400 and "codes" in response.json()
    response = as_alice.post(codes_url(pool), {"codes": "A,B"}, format="json")
    assert response.status_code == 400 and "codes" in response.json()
    assert pool.codes.count() == 2


def test_it_lists_a_pool_s_codes_by_status(as_alice, database, pool):
    profile = ProfileFactory(database=database)
    attached_code(profile, pool, code="TAKEN")
    rows = as_alice.get(codes_url(pool), {"status": "attached"}).json()["results"]
    assert [(row["code"], row["profile_id"]) for row in rows] == [("TAKEN", profile.profile_id)]
    rows = as_alice.get(codes_url(pool), {"status": "free"}).json()["results"]
    assert [row["code"] for row in rows] == ["WELCOME2", "WELCOME1"]  # newest first
    assert as_alice.get(codes_url(pool), {"status": "gone"}).status_code == 400


def test_loading_into_a_hidden_pool_is_a_404(as_alice, erin):
    hidden = PromoPoolFactory(database=ProfileDatabaseFactory(name="Partners"))
    grant(erin, "add_promocode")
    as_alice.force_authenticate(erin)
    assert as_alice.post(codes_url(hidden), {"codes": ["A"]}, format="json").status_code == 404
    assert not hidden.codes.exists()


# -- A profile's codes -----------------------------------------------------------------


def test_it_attaches_a_free_code_over_the_api(as_erin, profile, pool):
    response = as_erin.post(profile_codes_url(profile), {"pool": pool.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "WELCOME1" and body["pool"] == pool.pk and body["status"] == "attached"
    assert body["attached_at"] and body["activated_at"] is None
    event = Event.objects.get(profile=profile, type="promo_attached")
    assert event.data == {"code": "WELCOME1", "program": "Welcome 10%", "source": "api"}
    listed = as_erin.get(profile_codes_url(profile)).json()
    assert [row["code"] for row in listed["results"]] == ["WELCOME1"] and "next" in listed
    assert set(listed["results"][0]) >= {"id", "code", "pool", "status", "attached_at"}


def test_attaching_from_a_pool_without_a_free_code_is_a_409(as_erin, database, profile, pool):
    for _ in range(2):
        as_erin.post(profile_codes_url(profile), {"pool": pool.pk}, format="json")
    response = as_erin.post(profile_codes_url(profile), {"pool": pool.pk}, format="json")
    assert response.status_code == 409 and "no free code" in response.json()["detail"]
    assert PromoCode.objects.filter(profile=profile).count() == 2


def test_a_pool_of_another_database_is_a_400_naming_pool(as_alice, profile, partners):
    elsewhere = PromoPoolFactory(database=partners, name="Partners pool")
    elsewhere.load_codes(["P1"])
    response = as_alice.post(profile_codes_url(profile), {"pool": elsewhere.pk}, format="json")
    assert response.status_code == 400 and "Partners" in response.json()["pool"][0]
    assert not Event.objects.filter(type="promo_attached").exists()


def test_a_hidden_pool_or_a_bad_one_is_a_400_naming_pool(as_erin, profile, partners):
    hidden = PromoPoolFactory(database=partners)
    hidden.load_codes(["P1"])
    for value in (hidden.pk, True, "x", None, 99999):
        response = as_erin.post(profile_codes_url(profile), {"pool": value}, format="json")
        assert response.status_code == 400 and "pool" in response.json(), value
    response = as_erin.post(profile_codes_url(profile), {}, format="json")
    assert response.status_code == 400 and "pool" in response.json()
    assert not hidden.codes.filter(status="attached").exists()


def test_an_expired_pool_is_a_400_naming_pool(as_erin, profile, pool):
    pool.valid_until = timezone.now() - timedelta(days=1)
    pool.save()
    response = as_erin.post(profile_codes_url(profile), {"pool": pool.pk}, format="json")
    assert response.status_code == 400 and "expired" in response.json()["pool"][0]


def test_it_activates_a_code_once(as_erin, profile, pool):
    code = as_erin.post(profile_codes_url(profile), {"pool": pool.pk}, format="json").json()
    code = PromoCode.objects.get(pk=code["id"])
    response = as_erin.post(activate_url(profile, code), {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "activated" and response.json()["activated_at"]
    response = as_erin.post(activate_url(profile, code), {}, format="json")
    assert response.status_code == 409 and "activated already" in response.json()["detail"]
    assert Event.objects.filter(profile=profile, type="promo_activated").count() == 1


def test_an_expired_code_is_listed_expired_and_not_activated(as_erin, profile, pool):
    code = attached_code(profile, pool, code="OLD")
    pool.valid_until = timezone.now() - timedelta(days=1)
    pool.save()
    rows = as_erin.get(profile_codes_url(profile)).json()["results"]
    assert [(row["code"], row["status"]) for row in rows] == [("OLD", "expired")]
    response = as_erin.post(activate_url(profile, code), {}, format="json")
    assert response.status_code == 409 and "expired" in response.json()["detail"]
    code.refresh_from_db()
    assert code.status == "attached"


def test_it_detaches_a_code(as_erin, profile, pool):
    code = as_erin.post(profile_codes_url(profile), {"pool": pool.pk}, format="json").json()
    code = PromoCode.objects.get(pk=code["id"])
    assert as_erin.get(code_url(profile, code)).json()["code"] == code.code
    assert as_erin.delete(code_url(profile, code)).status_code == 204
    code.refresh_from_db()
    assert code.status == "free" and code.profile is None
    assert Event.objects.filter(profile=profile, type="promo_detached").count() == 1
    assert as_erin.delete(code_url(profile, code)).status_code == 404  # not the profile's now


def test_an_activated_code_is_not_detached(as_erin, profile, pool):
    code = attached_code(profile, pool, code="USED")
    as_erin.post(activate_url(profile, code), {}, format="json")
    response = as_erin.delete(code_url(profile, code))
    assert response.status_code == 409 and "stays with the profile" in response.json()["detail"]


def test_another_profile_s_code_is_a_404(as_erin, database, profile, pool):
    other = ProfileFactory(database=database)
    code = attached_code(other, pool, code="THEIRS")
    assert as_erin.post(activate_url(profile, code), {}, format="json").status_code == 404
    assert as_erin.delete(code_url(profile, code)).status_code == 404
    code.refresh_from_db()
    assert code.status == "attached" and code.profile == other


def test_a_profile_of_a_hidden_database_is_a_404(as_erin, partners):
    hidden = ProfileFactory(database=partners)
    pool = PromoPoolFactory(database=partners)
    pool.load_codes(["P1"])
    code = attached_code(hidden, pool)
    assert as_erin.get(profile_codes_url(hidden)).status_code == 404
    assert (
        as_erin.post(profile_codes_url(hidden), {"pool": pool.pk}, format="json").status_code == 404
    )
    assert as_erin.post(activate_url(hidden, code), {}, format="json").status_code == 404
    assert as_erin.delete(code_url(hidden, code)).status_code == 404


def test_a_reader_may_list_but_not_attach_activate_or_detach(api_client, reader, profile, pool):
    code = attached_code(profile, pool, code="MINE")
    api_client.force_authenticate(reader)
    assert api_client.get(profile_codes_url(profile)).status_code == 200
    assert api_client.post(profile_codes_url(profile), {"pool": pool.pk}).status_code == 403
    assert api_client.post(activate_url(profile, code), {}).status_code == 403
    assert api_client.delete(code_url(profile, code)).status_code == 403
    assert not Event.objects.exists()


def test_integrations_cannot_post_promo_events(as_alice, profile):
    response = as_alice.post(
        "/api/v1/events/",
        {"profile_id": profile.profile_id, "type": "promo_attached", "data": {"code": "FAKE"}},
        format="json",
    )
    assert response.status_code == 400
    assert not Event.objects.filter(type="promo_attached").exists()
    types = {item["slug"]: item for item in as_alice.get("/api/v1/events/types/").json()}
    for slug in ("promo_attached", "promo_detached", "promo_activated"):
        assert types[slug]["accepted"] is False
