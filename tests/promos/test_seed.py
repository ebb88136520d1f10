"""The demo data's promo codes: pools with codes, some attached and activated through the
operations, so the Data section and the History agree."""

import io

import pytest
from django.core.management import call_command

from history.models import Event
from promos.models import PromoCode, PromoPool

pytestmark = pytest.mark.django_db


def test_the_demo_attaches_and_activates_codes_with_their_events():
    call_command("seed_demo", "--profiles", "120", stdout=io.StringIO())
    pools = PromoPool.objects.filter(database__name="Online store")
    assert pools.count() == 3 and pools.filter(valid_until__isnull=False).count() == 2
    handed_out = PromoCode.objects.exclude(status="free")
    assert handed_out.exists() and handed_out.filter(status="activated").exists()
    attached = set(Event.objects.filter(type="promo_attached").values_list("profile", "data__code"))
    assert attached == set(handed_out.values_list("profile", "code"))
    activated = set(
        Event.objects.filter(type="promo_activated").values_list("profile", "data__code")
    )
    assert activated == set(handed_out.filter(status="activated").values_list("profile", "code"))
    assert not PromoCode.objects.filter(pool__name="Black Friday").exclude(status="free").exists()
