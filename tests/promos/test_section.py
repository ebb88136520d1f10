"""The Data section's "Promo codes" part: the profile's codes with their status, attached,
activated and detached in place, each action answered with what happened."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from history.models import Event
from promos.models import PromoCode
from tests.conftest import grant
from tests.factories import ProfileDatabaseFactory, ProfileFactory
from tests.promos.factories import PromoPoolFactory, attached_code

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "section"}
EMPTY = "No promo code is attached to this profile."


def section_url(profile):
    return reverse("profiles:data", args=[profile.profile_id])


def action_url(profile, name):
    return reverse(f"promos:{name}", args=[profile.profile_id])


# -- The part ----------------------------------------------------------------------------


def test_it_lists_the_profile_s_codes_with_their_status(client, erin, database, profile, pool):
    attached_code(profile, pool, code="FRESH")
    used = attached_code(profile, pool, code="USED", activated_at=timezone.now())
    used.status = PromoCode.Status.ACTIVATED
    used.save()
    old_pool = PromoPoolFactory(
        database=database, name="Summer", valid_until=timezone.now() - timedelta(days=1)
    )
    attached_code(profile, old_pool, code="LATE")
    attached_code(ProfileFactory(database=database), pool, code="NOT-HERS")
    client.force_login(erin)
    response = client.get(section_url(profile), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="part-promo-codes"' in html
    assert "FRESH" in html and "USED" in html and "LATE" in html and "NOT-HERS" not in html
    assert ">Attached</span>" in html and ">Activated</span>" in html and ">Expired</span>" in html
    assert html.count('name="code"') == 3  # FRESH: activate and detach; LATE: detach only
    assert f'<option value="{pool.pk}">Welcome 10% (2 free)</option>' in html
    assert "Summer" not in html.split("</form>")[0]  # an expired pool is not offered


def test_the_whole_page_holds_the_part_and_its_empty_text(client, erin, profile):
    client.force_login(erin)
    html = client.get(section_url(profile)).content.decode()
    assert "<html" in html and "Promo codes" in html and EMPTY in html
    assert "has no promo code pool with a free code" in html


def test_a_reader_sees_the_codes_without_actions(client, reader, profile, pool):
    attached_code(profile, pool, code="FRESH")
    client.force_login(reader)
    html = client.get(section_url(profile), **HTMX).content.decode()
    assert "FRESH" in html
    assert 'name="code"' not in html and 'name="pool"' not in html


def test_it_is_hidden_without_the_view_permission(client, bob, profile, pool):
    attached_code(profile, pool, code="FRESH")
    client.force_login(bob)
    html = client.get(section_url(profile), **HTMX).content.decode()
    assert "part-promo-codes" not in html and "FRESH" not in html


def test_its_queries_do_not_grow_with_the_codes(client, erin, database, profile):
    pools = [PromoPoolFactory(database=database, name=f"Pool {n}") for n in range(3)]
    for pool in pools:
        pool.load_codes([f"{pool.name[-1]}-FREE-{n}" for n in range(5)])
    client.force_login(erin)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            html = client.get(section_url(profile), **HTMX).content.decode()
        return len(captured), html

    attached_code(profile, pools[0], code="FIRST")
    one, _ = queries()
    for n in range(60):
        attached_code(profile, pools[n % 3], code=f"C{n:03d}")
    many, html = queries()
    assert many <= one + 1  # the total, counted once there are more than are shown
    assert "The latest 50 of 61 codes are shown." in html
    assert html.count("<tr data-code=") == 50


# -- Attaching ---------------------------------------------------------------------------


def test_it_attaches_a_code_in_place(client, erin, profile, pool):
    client.force_login(erin)
    response = client.post(action_url(profile, "attach"), {"pool": pool.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Attached code WELCOME1 from “Welcome 10%”." in html
    assert 'class="message message-success part-notice" role="status"' in html
    assert "WELCOME1" in html and EMPTY not in html
    assert "(1 free)" in html
    event = Event.objects.get(profile=profile, type="promo_attached")
    assert event.data == {"code": "WELCOME1", "program": "Welcome 10%", "source": "ui"}


def test_a_plain_attach_redirects_with_a_message(client, erin, profile, pool):
    client.force_login(erin)
    response = client.post(action_url(profile, "attach"), {"pool": pool.pk}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == section_url(profile)
    assert "Attached code WELCOME1" in html
    assert PromoCode.objects.get(profile=profile).code == "WELCOME1"


def test_a_pool_without_free_codes_is_refused_beside_the_field(
    client, erin, database, profile, pool
):
    for _ in range(2):
        attached_code(ProfileFactory(database=database), pool)
    pool.codes.filter(status="free").delete()
    client.force_login(erin)
    response = client.post(action_url(profile, "attach"), {"pool": pool.pk}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="field-error" role="alert">Pool “Welcome 10%” has no free code left.' in html
    assert not Event.objects.exists()


def test_an_expired_pool_or_another_database_s_is_refused(client, erin, database, profile, pool):
    pool.valid_until = timezone.now() - timedelta(days=1)
    pool.save()
    client.force_login(erin)
    html = client.post(action_url(profile, "attach"), {"pool": pool.pk}, **HTMX).content.decode()
    assert "expired on" in html
    elsewhere = PromoPoolFactory(database=ProfileDatabaseFactory(name="Partners"))
    elsewhere.load_codes(["P1"])
    html = client.post(
        action_url(profile, "attach"), {"pool": elsewhere.pk}, **HTMX
    ).content.decode()
    assert "Choose a pool of this profile&#x27;s database." in html
    html = client.post(action_url(profile, "attach"), {}, **HTMX).content.decode()
    assert "Choose a pool to take a code from." in html
    assert not PromoCode.objects.filter(profile=profile).exists()
    assert not Event.objects.exists()


def test_a_plain_refused_attach_redirects_with_the_error(client, erin, profile):
    client.force_login(erin)
    response = client.post(action_url(profile, "attach"), {}, follow=True)
    assert "Choose a pool to take a code from." in response.content.decode()


# -- Activating and detaching -----------------------------------------------------------


def test_it_activates_a_code_in_place(client, erin, profile, pool):
    code = attached_code(profile, pool, code="FRESH")
    client.force_login(erin)
    html = client.post(action_url(profile, "activate"), {"code": code.pk}, **HTMX).content.decode()
    assert "Activated code FRESH." in html and ">Activated</span>" in html
    code.refresh_from_db()
    assert code.status == "activated"
    assert Event.objects.get(type="promo_activated").data["code"] == "FRESH"
    html = client.post(action_url(profile, "activate"), {"code": code.pk}, **HTMX).content.decode()
    assert "activated already" in html and "message-error" in html
    assert Event.objects.filter(type="promo_activated").count() == 1


def test_an_expired_code_is_not_activated(client, erin, profile, pool):
    code = attached_code(profile, pool, code="LATE")
    pool.valid_until = timezone.now() - timedelta(minutes=5)
    pool.save()
    client.force_login(erin)
    html = client.post(action_url(profile, "activate"), {"code": code.pk}, **HTMX).content.decode()
    assert "has expired" in html and "message-error" in html
    code.refresh_from_db()
    assert code.status == "attached"


def test_it_detaches_a_code_in_place(client, erin, profile, pool):
    code = attached_code(profile, pool, code="FRESH")
    client.force_login(erin)
    html = client.post(action_url(profile, "detach"), {"code": code.pk}, **HTMX).content.decode()
    assert "Detached code FRESH: it is free again in its pool." in html
    assert EMPTY in html
    code.refresh_from_db()
    assert code.status == "free" and code.profile is None
    assert Event.objects.get(type="promo_detached").profile == profile


def test_another_profile_s_code_is_refused(client, erin, database, profile, pool):
    code = attached_code(ProfileFactory(database=database), pool, code="THEIRS")
    client.force_login(erin)
    for name in ("activate", "detach"):
        html = client.post(action_url(profile, name), {"code": code.pk}, **HTMX).content.decode()
        assert "That code is not attached to this profile." in html
    code.refresh_from_db()
    assert code.status == "attached"
    assert not Event.objects.exists()


# -- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["attach", "activate", "detach"])
def test_the_actions_need_the_permission_and_the_database(client, reader, profile, pool, name):
    code = attached_code(profile, pool)
    body = {"pool": pool.pk, "code": code.pk}
    client.force_login(reader)
    assert client.post(action_url(profile, name), body).status_code == 403
    hidden = ProfileFactory(database=ProfileDatabaseFactory(name="Partners"))
    assert client.post(action_url(hidden, name), body).status_code in (403, 404)
    assert client.get(action_url(profile, name)).status_code == 405
    assert not Event.objects.exists()


def test_a_profile_of_a_hidden_database_is_a_404(client, erin, pool):
    hidden = ProfileFactory(database=ProfileDatabaseFactory(name="Partners"))
    client.force_login(erin)
    assert client.post(action_url(hidden, "attach"), {"pool": pool.pk}).status_code == 404


def test_the_history_shows_what_the_part_did(client, erin, profile, pool):
    grant(erin, "view_event")
    client.force_login(erin)
    client.post(action_url(profile, "attach"), {"pool": pool.pk}, **HTMX)
    code = PromoCode.objects.get(profile=profile)
    client.post(action_url(profile, "activate"), {"code": code.pk}, **HTMX)
    html = client.get(reverse("history:profile", args=[profile.profile_id])).content.decode()
    assert "Promo code attached" in html and "Promo code activated" in html
    assert html.count("WELCOME1") >= 2
