import hashlib
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from demo.management.commands import seed_scale
from history.models import Event
from profiles.models import Profile

pytestmark = pytest.mark.django_db


def seed(**options):
    output = io.StringIO()
    call_command("seed_scale", stdout=output, **options)
    return output.getvalue()


def test_it_loads_profiles_and_events_with_one_busiest_profile():
    report = seed(profiles=5, events=300, busiest=120, days=30, database="Scale")
    assert "Seeded 5 profiles and 300 events" in report
    profiles = Profile.objects.filter(database__name="Scale")
    assert profiles.count() == 5
    busiest = profiles.get(email=seed_scale.BUSIEST_EMAIL)
    assert busiest.events.count() == 120
    assert Event.objects.count() == 300
    assert busiest.md5 == hashlib.md5(busiest.profile_id.encode()).hexdigest()  # noqa: S324
    first, last = Event.objects.order_by("occurred_at").first(), Event.objects.first()
    assert (last.occurred_at - first.occurred_at).days in (29, 30)
    assert first.data and isinstance(first.data, dict)


def test_a_second_load_adds_to_the_same_database():
    seed(profiles=2, events=10, busiest=5, database="Scale")
    seed(profiles=2, events=10, busiest=5, database="Scale")
    assert Profile.objects.filter(database__name="Scale").count() == 4
    assert Profile.objects.get(email=seed_scale.BUSIEST_EMAIL).events.count() == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_a_large_load_rebuilds_the_indexes_and_the_key(monkeypatch):
    monkeypatch.setattr(seed_scale, "REBUILD_MIN", 10)
    seed(profiles=3, events=200, busiest=50, database="Scale")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'history_event'")
        indexes = {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conrelid = 'history_event'::regclass AND contype = 'f'"
        )
        keys = cursor.fetchone()[0]
    assert {"event_profile_newest_first", "event_profile_type_newest"} <= indexes
    assert keys == 1
    assert Event.objects.count() == 200


def test_it_adds_custom_values_and_subscriptions_within_the_limits():
    from subscriptions.models import CHANNEL_LIMIT, Subscription

    seed(
        profiles=4,
        events=20,
        busiest=5,
        database="Scale",
        custom_fields=True,
        subscriptions=70,
        busiest_subscriptions=45,
    )

    database = Profile.objects.get(email=seed_scale.BUSIEST_EMAIL).database
    fields = {f.name: f for f in database.custom_fields.all()}
    assert {"plan", "score", "vip", "joined", "interests"} <= set(fields)
    for profile in Profile.objects.filter(database=database):
        errors = database.check_custom_values(profile.custom_values)[1]
        assert not errors and set(profile.custom_values) == set(fields)  # valid for its fields
    busiest = Subscription.objects.filter(profile__email=seed_scale.BUSIEST_EMAIL)
    assert busiest.count() == 45
    per_channel = busiest.values("resource", "channel").annotate(n=Count("id"))
    assert max(row["n"] for row in per_channel) <= CHANNEL_LIMIT
    assert Subscription.objects.count() == 70
    for subscription in Subscription.objects.select_related("channel")[:70]:
        assert subscription.channel.clean_contact(subscription.contact) == subscription.contact
